import type { RegisterRequest } from '@act2/shared';
import { insertEvents } from '../events/repository.js';
import { updateMaster } from '../masters/repository.js';
import { applyMembership, readMembershipPage, type Member, type MembershipChanges } from '../minions/membership.js';
import { yieldToEventLoop } from '../yield.js';
import { diffMembershipInSlices, normalizeMinionsInSlices } from './diff.js';
import { membershipDigest } from './digest.js';
import type { RegisterDeps, RegisterOutcome } from './service.js';
import { minionEvents, sealCredentials, upsertMaster } from './steps.js';

/** Minion changes written per transaction: about ten milliseconds of SQLite work on an idle core. */
const CHUNK = 250;
/** Stored minions read per query. */
const PAGE = 2_000;

/**
 * A huge `running` snapshot on SQLite, stored without holding the event loop or the database for
 * seconds: the master row and its transition first (one short transaction), then the stored set
 * read page by page, the diff in slices, and the changes in transactions of {@link CHUNK} minions,
 * each with its own events; the master's minion count last. The event loop runs between every
 * step, so health checks and other masters' registrations are answered meanwhile.
 *
 * The price: the snapshot is not atomic. A reader may see part of it for the few seconds it takes,
 * and a crash part-way leaves part of it stored; every chunk is consistent (memberships, IPs and
 * the events saying so commit together), and the master's next heartbeat, diffed against what is
 * stored, completes it. Two registrations of one master never interleave (the caller holds the
 * master's lock, and one process serves a SQLite file).
 */
export async function registerInChunks(deps: RegisterDeps, request: RegisterRequest): Promise<RegisterOutcome> {
  const { master } = request;
  const incoming = await normalizeMinionsInSlices(request.minions);
  const digest = membershipDigest(incoming.values());
  const credentials = sealCredentials(deps, request);

  const head = await deps.db.transaction().execute(async (trx) => {
    const now = await deps.clock(trx);
    return { now, ...(await upsertMaster(trx, deps, request, now, credentials, undefined)) };
  });
  const { now, created, previous, transition, issuedKey } = head;
  if (!created && previous?.minion_digest === digest) {
    return { created, transition, joined: 0, left: 0, changed: 0, total: incoming.size, issuedKey };
  }
  // From here until the last step the stored set is part-way: no digest may vouch for it (an
  // interrupted write followed by a re-send of the old set must be diffed, not skipped).
  if (!created) await updateMaster(deps.db, master.sn, { minion_digest: null });

  const stored = new Map<string, Member>();
  if (!created) {
    for (let after: string | undefined; ; ) {
      const page = await readMembershipPage(deps.db, master.sn, after, PAGE);
      for (const member of page) stored.set(member.minion_sn, member);
      if (page.length < PAGE) break;
      after = page[page.length - 1]!.minion_sn;
      await yieldToEventLoop();
    }
  }
  const changes = await diffMembershipInSlices(stored, incoming);

  for (const part of chunks(changes)) {
    await yieldToEventLoop();
    await deps.db.transaction().execute(async (trx) => {
      await applyMembership(trx, master.sn, part, now);
      await insertEvents(trx, minionEvents(master.sn, part), { instanceId: deps.instanceId, at: now });
    });
  }
  await updateMaster(deps.db, master.sn, { minion_count: incoming.size, minion_digest: digest });

  return { created, transition, joined: changes.joined.length, left: changes.left.length, changed: changes.changed.length, total: incoming.size, issuedKey };
}

/** The changes cut into pieces of at most {@link CHUNK} minions each. */
function* chunks(changes: MembershipChanges): Generator<MembershipChanges> {
  for (let i = 0; i < changes.joined.length; i += CHUNK) yield { joined: changes.joined.slice(i, i + CHUNK), changed: [], left: [] };
  for (let i = 0; i < changes.changed.length; i += CHUNK) yield { joined: [], changed: changes.changed.slice(i, i + CHUNK), left: [] };
  for (let i = 0; i < changes.left.length; i += CHUNK) yield { joined: [], changed: [], left: changes.left.slice(i, i + CHUNK) };
}
