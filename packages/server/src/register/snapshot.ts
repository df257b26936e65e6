import type { RegisterMinion } from '@act2/shared';
import type { Member, MembershipChanges } from '../minions/membership.js';
import { yieldToEventLoop } from '../yield.js';
import { ChangeCursor, changeCounts, diffMembershipInSlices, normalizeMinionsInSlices, type ChangeCounts } from './diff.js';
import { membershipDigest } from './digest.js';

/**
 * A huge `running` snapshot, normalised, and its diff against the stored set, handed out in
 * pieces: what the chunked SQLite write (chunked.ts) needs, wherever the minions are held. The
 * registration worker (offload.ts) keeps them off the main thread's heap; {@link inProcessSnapshot}
 * keeps them here, working in slices.
 */
export interface SnapshotSource {
  /** Distinct minions in the snapshot. */
  readonly count: number;
  /** {@link membershipDigest} of the normalised set. */
  readonly digest: string;
  /** One page of the stored set (in any order); all of it before {@link SnapshotSource.diff}. */
  addStored(page: Member[]): Promise<void>;
  diff(): Promise<ChangeCounts>;
  /** The next piece of the diff's changes, at most `max` minions; undefined once all are handed out. */
  nextChanges(max: number): Promise<MembershipChanges | undefined>;
}

/** A {@link SnapshotSource} on the main thread: normalised and diffed in slices that yield. */
export async function inProcessSnapshot(minions: readonly RegisterMinion[]): Promise<SnapshotSource> {
  const incoming = await normalizeMinionsInSlices(minions);
  await yieldToEventLoop();
  const digest = membershipDigest(incoming.values());
  const stored = new Map<string, Member>();
  let cursor: ChangeCursor | undefined;
  return {
    count: incoming.size,
    digest,
    async addStored(page) {
      for (const member of page) stored.set(member.minion_sn, member);
    },
    async diff() {
      const changes = await diffMembershipInSlices(stored, incoming);
      cursor = new ChangeCursor(changes);
      return changeCounts(changes);
    },
    async nextChanges(max) {
      if (cursor === undefined) throw new Error('nextChanges before diff');
      return cursor.next(max);
    },
  };
}
