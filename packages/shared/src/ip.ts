/**
 * The one spelling of an IP address, so the same address reported or queried in different
 * forms is stored and found once (RFC 5952): IPv6 in lower case, leading zeros dropped, the
 * longest run of two or more zero groups (the first on a tie) written `::`. An IPv4-mapped IPv6
 * address (`::ffff:10.0.0.1`) is the IPv4 address it maps, written as IPv4. IPv4 is returned as
 * is (the contract's IPv4 syntax has no leading zeros, so it is already canonical). Text that is
 * not an IP address comes back lower-cased.
 */
export function canonicalIp(address: string): string {
  const text = address.trim().toLowerCase();
  if (!text.includes(':')) return text;
  const groups = parseIpv6(text);
  if (!groups) return text;
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const [hi = 0, lo = 0] = groups.slice(6);
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  return formatIpv6(groups);
}

/** Eight 16-bit groups, or undefined when `text` is not IPv6. */
function parseIpv6(input: string): number[] | undefined {
  let text = input;
  // A dotted IPv4 tail (`::ffff:1.2.3.4`, `64:ff9b::1.2.3.4`) is two groups.
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    const octets = tail.split('.').map((o) => (/^\d{1,3}$/.test(o) ? Number(o) : Number.NaN));
    if (octets.length !== 4 || octets.some((o) => !(o >= 0 && o <= 255))) return undefined;
    const [a = 0, b = 0, c = 0, d = 0] = octets;
    text = `${text.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const split = (part: string | undefined) => (part ? part.split(':') : []);
  const head = split(halves[0]);
  const rest = split(halves[1]);
  const missing = 8 - head.length - rest.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const hex = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...rest];
  if (!hex.every((h) => /^[0-9a-f]{1,4}$/.test(h))) return undefined;
  return hex.map((h) => parseInt(h, 16));
}

function formatIpv6(groups: readonly number[]): string {
  // The longest run of zero groups, at least two long; the first one wins a tie.
  let best = { start: -1, length: 1 };
  for (let i = 0; i < groups.length; ) {
    if (groups[i] !== 0) {
      i += 1;
      continue;
    }
    let end = i;
    while (end < groups.length && groups[end] === 0) end += 1;
    if (end - i > best.length) best = { start: i, length: end - i };
    i = end;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.start < 0) return hex.join(':');
  return `${hex.slice(0, best.start).join(':')}::${hex.slice(best.start + best.length).join(':')}`;
}

/**
 * The first two octets of a dotted IPv4 address (`a * 256 + b`), or -1 when `value` is not one by
 * the contract's pattern (z.ipv4(): exactly four decimal octets 0-255 without leading zeros, nothing
 * else). Read in one pass without a regular expression or a split: the agent and the server check
 * every address of 20,000-minion registrations with it.
 */
export function dottedIpv4Head(value: string): number {
  const length = value.length;
  if (length < 7 || length > 15) return -1;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  let head = 0;
  for (let i = 0; i < length; i += 1) {
    const c = value.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return -1;
      if (dots < 2) head = head * 256 + octet;
      dots += 1;
      octet = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && octet === 0) return -1;
      octet = octet * 10 + (c - 48);
      digits += 1;
      if (octet > 255) return -1;
    } else {
      return -1;
    }
  }
  return digits > 0 && dots === 3 ? head : -1;
}
