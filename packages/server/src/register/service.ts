import type { RegisterRequest, RegisterResponse } from '@act2/shared';
import type { FastifyBaseLogger } from 'fastify';
import type { Kysely } from 'kysely';
import type { Clock } from '../clock.js';
import type { SecretBox } from '../crypto/secret-box.js';
import { dialectOf } from '../db/dialects/index.js';
import type { Database } from '../db/database.js';
import { withTxRetry } from '../db/retry.js';
import { insertEvents } from '../events/repository.js';
import { updateMaster } from '../masters/repository.js';
import { applyMembership, readMembership, readMembershipPage, type MembershipChanges } from '../minions/membership.js';
import { registerInChunks } from './chunked.js';
import type { OffloadedRegistration } from './offload.js';
import { inProcessSnapshot } from './snapshot.js';
import { diffMembership, normalizeMinions } from './diff.js';
import { membershipDigest } from './digest.js';
import { withMasterLock } from './master-lock.js';
import { byOf, minionEvents, sealCredentials, upsertMaster } from './steps.js';
import type { MasterEventKind, MasterTransition } from './transition.js';
import type { Principal } from '../auth/principal.js';
import { checkRegistrationClaim } from '../auth/registration-guard.js';

export interface RegisterDeps {
  db: Kysely<Database>;
  clock: Clock;
  box: SecretBox;
  instanceId: string;
  masterTimeoutMs: number;
  log: FastifyBaseLogger;
  /** Who sends it (`request.principal`); without one, auth is off (`none`). */
  principal?: Principal;
  /** Told the distinct count and digest of a registration's normalised set, once made on this thread (0 and none for `stopped`). */
  onPrepared?: (set: { count: number; digest: string | undefined }) => void;
}

/** Above this many minions a SQLite registration is written in chunks (see chunked.ts). */
export const CHUNKED_ABOVE = 5_000;

const NO_CHANGES: MembershipChanges = { joined: [], changed: [], left: [] };

const TRANSITION_MESSAGES: Record<MasterEventKind, string> = {
  'master.registered': 'master registered',
  'master.stopped': 'master stopped',
  'master.timeout': 'master timed out (noticed by a registration)',
  'master.recovered': 'master recovered',
};

/** What storing a registration did, whichever way it was stored. */
export interface RegisterOutcome {
  created: boolean;
  transition: MasterTransition;
  joined: number;
  left: number;
  changed: number;
  total: number;
  /** A master key issued to a master enrolled by a register token (returned once). */
  issuedKey?: string | undefined;
}

/**
 * Stores one registration. A `stopped` registration keeps the last known minion set. On
 * PostgreSQL, and for ordinary sizes on SQLite, that is one transaction: lock (or create) the
 * master row, diff its minion set in memory against the snapshot, write only what changed, and
 * record every change as an event. A huge snapshot on SQLite, whose single transaction would hold
 * the one connection (and with it every other request) for seconds, is written in short chunks
 * (see {@link registerInChunks}).
 */
export async function registerMaster(deps: RegisterDeps, request: RegisterRequest, offloaded?: OffloadedRegistration): Promise<RegisterResponse> {
  const { master } = request;
  const principal: Principal = deps.principal ?? { kind: 'none' };
  checkRegistrationClaim(principal, master);
  // A huge body parsed in a worker (offload.ts) comes with its minions still there.
  const oneTransaction = () => (offloaded ? registerOffloadedInOneTransaction(deps, request, offloaded) : registerInOneTransaction(deps, request));
  let outcome: RegisterOutcome;
  if (dialectOf(deps.db).inProcess) {
    // One process serves a SQLite file (serve lock): an in-process lock per master is enough to
    // keep two registrations of one master, chunked or not, from interleaving.
    const listed = offloaded ? offloaded.listed : request.minions.length;
    const chunked = master.status === 'running' && listed > CHUNKED_ABOVE;
    outcome = await withMasterLock(master.sn, async () =>
      chunked
        ? registerInChunks(deps, request, offloaded ? offloaded.snapshot() : await preparedHere(deps, request))
        : oneTransaction(),
    );
  } else {
    outcome = await oneTransaction();
  }

  const { created, transition, joined, left, changed, total, issuedKey } = outcome;
  const by = byOf(principal);
  if (issuedKey !== undefined) deps.log.info({ sn: master.sn, ...by }, 'master enrolled: bound to its own key');
  if (principal.kind === 'anonymous') deps.log.info({ sn: master.sn, ...by }, 'anonymous registration');
  for (const event of transition.events) {
    deps.log.info({ sn: master.sn, event: event.kind, detail: event.detail }, TRANSITION_MESSAGES[event.kind]);
  }
  if (joined + left + changed > 0) deps.log.info({ sn: master.sn, joined, left, changed }, 'minion set changed');

  return {
    master: { sn: master.sn, status: master.status, recovered: transition.recovered, created },
    minions: { total, joined, left, changed },
    ...(issuedKey === undefined ? {} : { master_key: issuedKey }),
  };
}

/** {@link inProcessSnapshot}, told to `deps.onPrepared`. */
async function preparedHere(deps: RegisterDeps, request: RegisterRequest) {
  const source = await inProcessSnapshot(request.minions);
  deps.onPrepared?.({ count: source.count, digest: source.digest });
  return source;
}

async function registerInOneTransaction(deps: RegisterDeps, request: RegisterRequest): Promise<RegisterOutcome> {
  const { master } = request;
  const incoming = master.status === 'running' ? normalizeMinions(request.minions) : undefined;
  const digest = incoming ? membershipDigest(incoming) : undefined;
  deps.onPrepared?.({ count: incoming?.length ?? 0, digest });
  const credentials = sealCredentials(deps, request);

  return withTxRetry(() =>
    deps.db.transaction().execute(async (trx) => {
      const now = await deps.clock(trx);
      const { created, previous, transition, issuedKey } = await upsertMaster(trx, deps, request, now, credentials, incoming?.length);
      // The steady state (the same set every heartbeat): the master row is touched above; the
      // set, read under the master's row lock, is known to be this one without reading it.
      const unchanged = !created && digest !== undefined && previous?.minion_digest === digest;
      const changes = incoming && !unchanged
        ? diffMembership(created ? [] : await readMembership(trx, master.sn), incoming)
        : NO_CHANGES;
      await applyMembership(trx, master.sn, changes, now);
      if (incoming && !unchanged) await updateMaster(trx, master.sn, { minion_count: incoming.length, minion_digest: digest });
      await insertEvents(trx, minionEvents(master.sn, changes), { instanceId: deps.instanceId, at: now });
      // What the master has now: a stopped registration keeps the stored set (none for a new master).
      const total = incoming ? incoming.length : created ? 0 : (previous?.minion_count ?? 0);
      return { created, transition, joined: changes.joined.length, left: changes.left.length, changed: changes.changed.length, total, issuedKey };
    }),
  );
}

/** Stored minions read per query when the registration worker makes the diff. */
const STORED_PAGE = 2_000;
/** Changes fetched from the worker and written per applyMembership call. */
const WRITE_PIECE = 500;

/**
 * {@link registerInOneTransaction} for a huge body held by the registration worker: the same one
 * transaction, with the stored set read page by page into the worker, which diffs it, and the
 * changes written piece by piece as it hands them out (joined and changed minions in sn order, then
 * those that left: rows are locked in the order one applyMembership of the whole diff locks them).
 * The main thread never holds the whole set, and no step of it is longer than a piece.
 */
async function registerOffloadedInOneTransaction(deps: RegisterDeps, request: RegisterRequest, offloaded: OffloadedRegistration): Promise<RegisterOutcome> {
  const { master } = request;
  const digest = offloaded.digest;
  // Undefined for a stopped registration, which keeps the stored set.
  const source = digest === undefined ? undefined : offloaded.snapshot({ mergeUpserts: true });
  const credentials = sealCredentials(deps, request);
  if (digest !== undefined && offloaded.unloaded) {
    // A body known by its bytes (AcceptedBodies) has no minions prepared: when the stored set is
    // not the one it names (a first send here, or the state moved since), prepare them now rather
    // than inside the transaction. Read without a lock: should the set change in between, the
    // snapshot below prepares them within the transaction (correct, only slower).
    const stored = await deps.db.selectFrom('masters').select('minion_digest').where('sn', '=', master.sn).executeTakeFirst();
    if (stored?.minion_digest !== digest) await offloaded.load();
  }

  return withTxRetry(() =>
    deps.db.transaction().execute(async (trx) => {
      const now = await deps.clock(trx);
      const { created, previous, transition, issuedKey } = await upsertMaster(trx, deps, request, now, credentials, source?.count);
      const unchanged = !created && digest !== undefined && previous?.minion_digest === digest;
      let counts = { joined: 0, changed: 0, left: 0 };
      if (source && !unchanged) {
        // A retried transaction starts over (the worker forgets the stored set it was given).
        await offloaded.reset();
        if (!created) {
          for (let after: string | undefined; ; ) {
            const page = await readMembershipPage(trx, master.sn, after, STORED_PAGE);
            await source.addStored(page);
            if (page.length < STORED_PAGE) break;
            after = page[page.length - 1]!.minion_sn;
          }
        }
        counts = await source.diff();
        for (;;) {
          const part = await source.nextChanges(WRITE_PIECE);
          if (part === undefined) break;
          await applyMembership(trx, master.sn, part, now);
          await insertEvents(trx, minionEvents(master.sn, part), { instanceId: deps.instanceId, at: now });
        }
        await updateMaster(trx, master.sn, { minion_count: source.count, minion_digest: digest });
      }
      const total = source ? source.count : created ? 0 : (previous?.minion_count ?? 0);
      return { created, transition, ...counts, total, issuedKey };
    }),
  );
}
