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
import { applyMembership, readMembership, type Member, type MembershipChanges } from '../minions/membership.js';
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
  const deferred: DeferredMinions | undefined = offloaded && { count: offloaded.count, digest: offloaded.digest, members: () => offloaded.members() };
  let outcome: RegisterOutcome;
  if (dialectOf(deps.db).inProcess) {
    // One process serves a SQLite file (serve lock): an in-process lock per master is enough to
    // keep two registrations of one master, chunked or not, from interleaving.
    const listed = offloaded ? offloaded.listed : request.minions.length;
    const chunked = master.status === 'running' && listed > CHUNKED_ABOVE;
    outcome = await withMasterLock(master.sn, async () =>
      chunked
        ? registerInChunks(deps, request, offloaded ? offloaded.snapshot() : await inProcessSnapshot(request.minions))
        : registerInOneTransaction(deps, request, deferred),
    );
  } else {
    outcome = await registerInOneTransaction(deps, request, deferred);
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


/**
 * A registration's minions in stored form, sorted by sn, held elsewhere (the registration worker):
 * how many, their digest (undefined for a `stopped` registration) and the set itself on demand.
 */
interface DeferredMinions {
  count: number;
  digest: string | undefined;
  members(): Promise<Member[]>;
}

async function registerInOneTransaction(deps: RegisterDeps, request: RegisterRequest, deferred?: DeferredMinions): Promise<RegisterOutcome> {
  const { master } = request;
  let incoming = deferred ? undefined : master.status === 'running' ? normalizeMinions(request.minions) : undefined;
  const digest = deferred ? deferred.digest : incoming ? membershipDigest(incoming) : undefined;
  const count = deferred ? (digest === undefined ? undefined : deferred.count) : incoming?.length;
  const credentials = sealCredentials(deps, request);
  if (deferred && digest !== undefined) {
    // Fetched before the transaction unless the stored digest says it will not be needed (the
    // steady state); should that change meanwhile, it is fetched in the transaction.
    const stored = await deps.db.selectFrom('masters').select('minion_digest').where('sn', '=', master.sn).executeTakeFirst();
    if (stored?.minion_digest !== digest) incoming = await deferred.members();
  }

  return withTxRetry(() =>
    deps.db.transaction().execute(async (trx) => {
      const now = await deps.clock(trx);
      const { created, previous, transition, issuedKey } = await upsertMaster(trx, deps, request, now, credentials, count);
      // The steady state (the same set every heartbeat): the master row is touched above; the
      // set, read under the master's row lock, is known to be this one without reading it.
      const unchanged = !created && digest !== undefined && previous?.minion_digest === digest;
      if (count !== undefined && !unchanged && incoming === undefined) incoming = await deferred!.members();
      const changes = incoming && !unchanged
        ? diffMembership(created ? [] : await readMembership(trx, master.sn), incoming)
        : NO_CHANGES;
      await applyMembership(trx, master.sn, changes, now);
      if (count !== undefined && !unchanged) await updateMaster(trx, master.sn, { minion_count: count, minion_digest: digest });
      await insertEvents(trx, minionEvents(master.sn, changes), { instanceId: deps.instanceId, at: now });
      // What the master has now: a stopped registration keeps the stored set (none for a new master).
      const total = count !== undefined ? count : created ? 0 : (previous?.minion_count ?? 0);
      return { created, transition, joined: changes.joined.length, left: changes.left.length, changed: changes.changed.length, total, issuedKey };
    }),
  );
}
