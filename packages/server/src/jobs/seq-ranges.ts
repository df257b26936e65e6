/**
 * The targets of a dispatch as ranges of their `seq` (`[[first, last], …]`): the targets of one master
 * are mostly runs of consecutive numbers, so a 1,000-target dispatch is a few bytes, not 1,000 rows.
 */
export type SeqRanges = Array<[number, number]>;

export function toRanges(seqs: Iterable<number>): SeqRanges {
  const sorted = [...new Set(seqs)].sort((a, b) => a - b);
  const ranges: SeqRanges = [];
  for (const s of sorted) {
    const last = ranges.at(-1);
    if (last && last[1] + 1 === s) last[1] = s;
    else ranges.push([s, s]);
  }
  return ranges;
}

/** Whether `sorted` (ascending) holds a number from `first` to `last`: a binary search, not a scan of the range. */
export function anyWithin(sorted: ArrayLike<number>, first: number, last: number): boolean {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < first) lo = mid + 1;
    else hi = mid;
  }
  return lo < sorted.length && sorted[lo]! <= last;
}

export function fromRanges(ranges: SeqRanges): number[] {
  const out: number[] = [];
  for (const [first, last] of ranges) for (let s = first; s <= last; s += 1) out.push(s);
  return out;
}
