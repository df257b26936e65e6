import { createHash } from 'node:crypto';
import type { Member } from '../minions/membership.js';

/**
 * The digest of a normalised minion set, in the order given: equal digests mean the same members
 * in the same order (each member is written unambiguously, as a JSON array), so a registration
 * whose digest equals its master's stored one changes nothing and needs no read or diff. A
 * different order only costs a diff, never a wrong skip.
 */
export function membershipDigest(members: Iterable<Member>): string {
  const hash = createHash('sha256');
  for (const m of members) hash.update(`${JSON.stringify([m.minion_sn, m.status, m.ips, m.attrs])}\n`);
  return hash.digest('hex');
}
