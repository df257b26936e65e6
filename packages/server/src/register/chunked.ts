import type { RegisterRequest } from '@act2/shared';
import { insertEvents } from '../events/repository.js';
import { updateMaster } from '../masters/repository.js';
import { applyMembership, readMembershipPage } from '../minions/membership.js';
import { yieldToEventLoop } from '../yield.js';
import type { RegisterDeps, RegisterOutcome } from './service.js';
import type { SnapshotSource } from './snapshot.js';
import { minionEvents, sealCredentials, upsertMaster } from './steps.js';

/**
 * Minion changes written per transaction: about 4 ms of main-thread CPU each (bench/hostile.mjs
 * with ACT2_BENCH_LOOP_MONITOR=1 finds no step over 12 ms). 100 cost a quarter more CPU in all
 * (more transactions and worker round trips) for no measurable gain in latency.
 */
export const CHUNK = 250;
/** Stored minions read per query. */
const PAGE = 2_000;

/**
 * A huge `running` snapshot on SQLite, stored without holding the event loop or the database for
 * seconds: the master row and its transition first (one short transaction), then the stored set
 * read page by page into `source`, which diffs it, and the changes in transactions of
 * {@link CHUNK} minions, each with its own events; the master's minion count last. The event loop
 * runs between every step, so health checks and other masters' registrations are answered
 * meanwhile. Where the snapshot is held and diffed is `source`'s business (a worker thread in the
 * built server, see offload.ts).
 *
 * The price: the snapshot is not atomic. A reader may see part of it for the few seconds it takes,
 * and a crash part-way leaves part of it stored; every chunk is consistent (memberships, IPs and
 * the events saying so commit together), and the master's next heartbeat, diffed against what is
 * stored, completes it. Two registrations of one master never interleave (the caller holds the
 * master's lock, and one process serves a SQLite file).
 */
export async function registerInChunks(deps: RegisterDeps, request: RegisterRequest, source: SnapshotSource): Promise<RegisterOutcome> {
  const { master } = request;
  const { count, digest } = source;
  const credentials = sealCredentials(deps, request);

  const head = await deps.db.transaction().execute(async (trx) => {
    const now = await deps.clock(trx);
    return { now, ...(await upsertMaster(trx, deps, request, now, credentials, undefined)) };
  });
  const { now, created, previous, transition, issuedKey } = head;
  if (!created && previous?.minion_digest === digest) {
    return { created, transition, joined: 0, left: 0, changed: 0, total: count, issuedKey };
  }
  // From here until the last step the stored set is part-way: no digest may vouch for it (an
  // interrupted write followed by a re-send of the old set must be diffed, not skipped).
  if (!created) await updateMaster(deps.db, master.sn, { minion_digest: null });

  if (!created) {
    for (let after: string | undefined; ; ) {
      await yieldToEventLoop();
      const page = await readMembershipPage(deps.db, master.sn, after, PAGE);
      await source.addStored(page);
      if (page.length < PAGE) break;
      after = page[page.length - 1]!.minion_sn;
    }
  }
  const counts = await source.diff();

  for (;;) {
    const part = await source.nextChanges(CHUNK);
    if (part === undefined) break;
    await yieldToEventLoop();
    await deps.db.transaction().execute(async (trx) => {
      await applyMembership(trx, master.sn, part, now);
      await insertEvents(trx, minionEvents(master.sn, part), { instanceId: deps.instanceId, at: now });
    });
  }
  await updateMaster(deps.db, master.sn, { minion_count: count, minion_digest: digest });

  return { created, transition, ...counts, total: count, issuedKey };
}
