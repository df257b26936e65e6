import { canonicalIp, type RegisterMinion } from '@act2/shared';
import type { Member, MembershipChanges } from '../minions/membership.js';
import { yieldToEventLoop } from '../yield.js';

/** A minion's extensions, stored as JSON text in this key order. */
type AttrKey = 'id' | 'serial' | 'uuid' | 'os' | 'saltversion';

/**
 * Turns reported minions into stored form, sorted by sn. A minion listed twice keeps its last
 * entry (agents merging several sources can repeat one). Values are canonical text (fixed key
 * order, IPs in canonical form (see `canonicalIp`) and deduplicated) so "unchanged" is a plain
 * string comparison, and an address is found however its master or a client spelled it.
 */
export function normalizeMinions(minions: readonly RegisterMinion[]): Member[] {
  const bySn = new Map<string, Member>();
  for (const minion of minions) bySn.set(minion.sn, toMember(minion));
  return [...bySn.values()].sort(byMinionSn);
}

/**
 * {@link normalizeMinions} for a huge snapshot: yields to the event loop every `slice` minions and
 * does not sort (a single sort of 300,000 entries holds the loop for a tenth of a second).
 */
export async function normalizeMinionsInSlices(minions: readonly RegisterMinion[], slice = 2_000): Promise<Map<string, Member>> {
  const bySn = new Map<string, Member>();
  for (let i = 0; i < minions.length; i += 1) {
    if (i > 0 && i % slice === 0) await yieldToEventLoop();
    const minion = minions[i]!;
    bySn.set(minion.sn, toMember(minion));
  }
  return bySn;
}

function toMember(minion: RegisterMinion): Member {
  return {
    minion_sn: minion.sn,
    status: minion.status,
    ips: JSON.stringify(canonicalIps(minion.ips)),
    attrs: attrsText(minion),
  };
}

/**
 * The minion's extensions as JSON text, keys always in the order id, serial, uuid, os, saltversion
 * (stored text is compared as text), or null when it has none. Each field is read by name: a loop
 * over the key names (keyed loads and stores of varying shape) cost as much as the rest of the
 * normalisation.
 */
function attrsText(minion: RegisterMinion): string | null {
  const { id, serial, uuid, os, saltversion } = minion;
  if (id === undefined && serial === undefined && uuid === undefined && os === undefined && saltversion === undefined) return null;
  const attrs: Partial<Record<AttrKey, string>> = {};
  if (id !== undefined) attrs.id = id;
  if (serial !== undefined) attrs.serial = serial;
  if (uuid !== undefined) attrs.uuid = uuid;
  if (os !== undefined) attrs.os = os;
  if (saltversion !== undefined) attrs.saltversion = saltversion;
  return JSON.stringify(attrs);
}

/** Canonical and without repeats, in first-seen order; a minion has one or two IPs, seldom more. */
function canonicalIps(ips: readonly string[]): string[] {
  if (ips.length > 8) return [...new Set(ips.map(canonicalIp))];
  const out: string[] = [];
  for (const ip of ips) {
    const canonical = canonicalIp(ip);
    if (!out.includes(canonical)) out.push(canonical);
  }
  return out;
}

export function byMinionSn(a: Member, b: Member): number {
  return a.minion_sn < b.minion_sn ? -1 : a.minion_sn > b.minion_sn ? 1 : 0;
}

/** Compares the stored set with a full snapshot, in memory. */
export function diffMembership(current: readonly Member[], incoming: readonly Member[]): MembershipChanges {
  const stored = new Map(current.map((m) => [m.minion_sn, m]));
  const changes: MembershipChanges = { joined: [], changed: [], left: [] };
  for (const next of incoming) {
    const previous = stored.get(next.minion_sn);
    stored.delete(next.minion_sn);
    if (!previous) changes.joined.push(next);
    else if (previous.status !== next.status || previous.ips !== next.ips || previous.attrs !== next.attrs) {
      changes.changed.push({ next, previous, ipsChanged: previous.ips !== next.ips });
    }
  }
  changes.left = [...stored.values()].sort(byMinionSn);
  return changes;
}

/**
 * {@link diffMembership} for a huge snapshot, yielding every `slice` minions. Consumes `stored`
 * (what is left in it has left the master). Lists come unsorted: each chunk is sorted when written.
 */
export async function diffMembershipInSlices(stored: Map<string, Member>, incoming: Map<string, Member>, slice = 5_000): Promise<MembershipChanges> {
  const changes: MembershipChanges = { joined: [], changed: [], left: [] };
  let i = 0;
  for (const next of incoming.values()) {
    i += 1;
    if (i % slice === 0) await yieldToEventLoop();
    const previous = stored.get(next.minion_sn);
    stored.delete(next.minion_sn);
    if (!previous) changes.joined.push(next);
    else if (previous.status !== next.status || previous.ips !== next.ips || previous.attrs !== next.attrs) {
      changes.changed.push({ next, previous, ipsChanged: previous.ips !== next.ips });
    }
  }
  changes.left = [...stored.values()];
  return changes;
}

/** How many minions a registration changes, by kind. */
export interface ChangeCounts {
  joined: number;
  changed: number;
  left: number;
}

export function changeCounts(changes: MembershipChanges): ChangeCounts {
  return { joined: changes.joined.length, changed: changes.changed.length, left: changes.left.length };
}

/**
 * Hands out a diff's changes a piece at a time, at most `max` minions per piece: the joined ones
 * first, then the changed ones, then those that left, one kind per piece (each piece sorted when
 * written, see applyMembership). With `mergeUpserts`, joined and changed minions come together in
 * sn order, then those that left: a transaction writing the pieces in turn locks rows in the order
 * one applyMembership of the whole diff would.
 */
export class ChangeCursor {
  private kind: 0 | 1 | 2 = 0;
  private at = 0;
  // mergeUpserts: positions in joined and changed.
  private j = 0;
  private c = 0;

  constructor(
    private readonly changes: MembershipChanges,
    private readonly options: { mergeUpserts?: boolean } = {},
  ) {}

  next(max: number): MembershipChanges | undefined {
    const { joined, changed, left } = this.changes;
    if (this.options.mergeUpserts && this.kind < 2) {
      const piece: MembershipChanges = { joined: [], changed: [], left: [] };
      for (let n = 0; n < max && (this.j < joined.length || this.c < changed.length); n += 1) {
        const nextJoined = joined[this.j];
        const nextChanged = changed[this.c];
        if (nextChanged === undefined || (nextJoined !== undefined && nextJoined.minion_sn < nextChanged.next.minion_sn)) {
          piece.joined.push(nextJoined!);
          this.j += 1;
        } else {
          piece.changed.push(nextChanged);
          this.c += 1;
        }
      }
      if (piece.joined.length + piece.changed.length > 0) return piece;
      this.kind = 2;
      this.at = 0;
    }
    for (;;) {
      const list = this.kind === 0 ? joined : this.kind === 1 ? changed : left;
      if (this.at < list.length) {
        const from = this.at;
        this.at = Math.min(list.length, from + max);
        if (this.kind === 0) return { joined: joined.slice(from, this.at), changed: [], left: [] };
        if (this.kind === 1) return { joined: [], changed: changed.slice(from, this.at), left: [] };
        return { joined: [], changed: [], left: left.slice(from, this.at) };
      }
      if (this.kind === 2) return undefined;
      this.kind = this.kind === 0 ? 1 : 2;
      this.at = 0;
    }
  }
}
