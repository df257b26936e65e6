import { canonicalIp, type RegisterMinion } from '@act2/shared';
import type { Member, MembershipChanges } from '../minions/membership.js';

const ATTR_KEYS = ['id', 'serial', 'uuid', 'os', 'saltversion'] as const;

/**
 * Turns reported minions into stored form, sorted by sn. A minion listed twice keeps its last
 * entry (agents merging several sources can repeat one). Values are canonical text (fixed key
 * order, IPs in canonical form (see `canonicalIp`) and deduplicated) so "unchanged" is a plain
 * string comparison, and an address is found however its master or a client spelled it.
 */
export function normalizeMinions(minions: readonly RegisterMinion[]): Member[] {
  const bySn = new Map<string, Member>();
  for (const minion of minions) {
    const attrs: Record<string, string> = {};
    for (const key of ATTR_KEYS) {
      const value = minion[key];
      if (value !== undefined) attrs[key] = value;
    }
    bySn.set(minion.sn, {
      minion_sn: minion.sn,
      status: minion.status,
      ips: JSON.stringify([...new Set(minion.ips.map(canonicalIp))]),
      attrs: Object.keys(attrs).length > 0 ? JSON.stringify(attrs) : null,
    });
  }
  return [...bySn.values()].sort((a, b) => (a.minion_sn < b.minion_sn ? -1 : a.minion_sn > b.minion_sn ? 1 : 0));
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
  changes.left = [...stored.values()].sort((a, b) => (a.minion_sn < b.minion_sn ? -1 : a.minion_sn > b.minion_sn ? 1 : 0));
  return changes;
}
