import { createHash } from 'node:crypto';
import type { Member } from '../minions/membership.js';

/**
 * The digest of a normalised minion set, in the order given: equal digests mean the same members
 * in the same order (each text is written with its length before it, so no two different sets
 * write the same bytes), and a registration whose digest equals its master's stored one changes
 * nothing and needs no read or diff. A different order only costs a diff, never a wrong skip.
 */
export function membershipDigest(members: Iterable<Member>): string {
  // One string grown by concatenation (V8 joins it once, when hashed): half the time of an array
  // of parts and its join, for the same bytes and so the same digests as before.
  let text = '';
  for (const m of members) {
    text += `${m.minion_sn.length}:${m.minion_sn}|${m.status}|${m.ips.length}:${m.ips}|${m.attrs === null ? '~' : `${m.attrs.length}:${m.attrs}`}\n`;
  }
  return createHash('sha256').update(text).digest('hex');
}
