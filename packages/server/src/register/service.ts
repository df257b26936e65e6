import type { RegisterRequest, RegisterResponse } from '@act2/shared';
import type { FastifyBaseLogger } from 'fastify';
import type { Kysely } from 'kysely';
import type { Clock } from '../clock.js';
import type { SecretBox } from '../crypto/secret-box.js';
import { dialectOf } from '../db/dialects/index.js';
import type { Database, DbOrTrx, EpochMs, MastersTable } from '../db/database.js';
import { withTxRetry } from '../db/retry.js';
import { insertEvents, type NewEvent } from '../events/repository.js';
import { findMasterForUpdate, insertMasterIfAbsent, updateMaster, type MasterRow } from '../masters/repository.js';
import { applyMembership, readMembership, type MembershipChanges } from '../minions/membership.js';
import { registerInChunks } from './chunked.js';
import { diffMembership, normalizeMinions } from './diff.js';
import { withMasterLock } from './master-lock.js';
import { masterTransition, type MasterEventKind, type MasterTransition } from './transition.js';
import { describePrincipal, type Principal } from '../auth/principal.js';
import { checkRegistrationClaim, guardRegistration } from '../auth/registration-guard.js';

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
export async function registerMaster(deps: RegisterDeps, request: RegisterRequest): Promise<RegisterResponse> {
  const { master } = request;
  const principal: Principal = deps.principal ?? { kind: 'none' };
  checkRegistrationClaim(principal, master);
  let outcome: RegisterOutcome;
  if (dialectOf(deps.db).inProcess) {
    // One process serves a SQLite file (serve lock): an in-process lock per master is enough to
    // keep two registrations of one master, chunked or not, from interleaving.
    const chunked = master.status === 'running' && request.minions.length > CHUNKED_ABOVE;
    outcome = await withMasterLock(master.sn, () => (chunked ? registerInChunks(deps, request) : registerInOneTransaction(deps, request)));
  } else {
    outcome = await registerInOneTransaction(deps, request);
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

/** With auth on, every master event says who caused it (`anonymous` for legacy agents). */
function byOf(principal: Principal): { by?: string } {
  return principal.kind === 'none' ? {} : { by: describePrincipal(principal) };
}

async function registerInOneTransaction(deps: RegisterDeps, request: RegisterRequest): Promise<RegisterOutcome> {
  const { master } = request;
  const incoming = master.status === 'running' ? normalizeMinions(request.minions) : undefined;
  const credentials = sealCredentials(deps, request);

  return withTxRetry(() =>
    deps.db.transaction().execute(async (trx) => {
      const now = await deps.clock(trx);
      const { created, previous, transition, issuedKey } = await upsertMaster(trx, deps, request, now, credentials, incoming?.length);
      const changes = incoming
        ? diffMembership(created ? [] : await readMembership(trx, master.sn), incoming)
        : NO_CHANGES;
      await applyMembership(trx, master.sn, changes, now);
      if (!created && incoming) await updateMaster(trx, master.sn, { minion_count: incoming.length });
      await insertEvents(trx, minionEvents(master.sn, changes), { instanceId: deps.instanceId, at: now });
      // What the master has now: a stopped registration keeps the stored set (none for a new master).
      const total = incoming ? incoming.length : created ? 0 : (previous?.minion_count ?? 0);
      return { created, transition, joined: changes.joined.length, left: changes.left.length, changed: changes.changed.length, total, issuedKey };
    }),
  );
}

export interface SealedCredentials {
  username: string;
  password_enc: string;
}

/** Sealed outside any transaction: no reason to hold a lock while encrypting. */
export function sealCredentials(deps: RegisterDeps, request: RegisterRequest): SealedCredentials | undefined {
  const options = request.master.options;
  return options ? { username: options.username, password_enc: deps.box.seal(options.password) } : undefined;
}

/**
 * Locks (or creates) the master row, applies the reported fields and records the master's own
 * transition. `minionCount`, when given, is written for a new master (an existing one gets it
 * once its minions are stored).
 */
export async function upsertMaster(
  trx: DbOrTrx,
  deps: RegisterDeps,
  request: RegisterRequest,
  now: EpochMs,
  credentials: SealedCredentials | undefined,
  minionCount: number | undefined,
): Promise<{ created: boolean; previous: MasterRow | undefined; transition: MasterTransition; issuedKey?: string | undefined }> {
  const { master } = request;
  const reported = master.status;
  const fields = {
    server: master.server,
    status: reported,
    idc: master.idc,
    type: master.type,
    error: reported === 'stopped' ? (master.error ?? null) : null,
    agent_version: request.agent?.version ?? null,
    agent_hostname: request.agent?.hostname ?? null,
    interval_s: request.interval_s ?? null,
    last_seen: now,
  } satisfies Partial<MastersTable>;

  let previous = await findMasterForUpdate(trx, master.sn);
  let created = false;
  if (!previous) {
    created = await insertMasterIfAbsent(trx, {
      sn: master.sn,
      ...fields,
      username: credentials?.username ?? null,
      password_enc: credentials?.password_enc ?? null,
      minion_count: minionCount ?? 0,
      first_seen: now,
      status_changed_at: now,
    });
    // Lost a race with another instance creating the same master: continue as an update.
    if (!created) previous = await findMasterForUpdate(trx, master.sn);
  }
  // Under the master's row lock; a refusal throws and rolls back everything above.
  const principal: Principal = deps.principal ?? { kind: 'none' };
  const { issuedKey } = await guardRegistration(trx, principal, master.sn, now);
  const transition = masterTransition(created ? undefined : previous, reported, now, deps.masterTimeoutMs);
  if (!created) {
    await updateMaster(trx, master.sn, { ...fields, ...credentials, ...(transition.statusChanged ? { status_changed_at: now } : {}) });
  }
  await insertEvents(
    trx,
    transition.events.map((e) => ({ ...e, master_sn: master.sn, detail: { ...e.detail, ...byOf(principal) } })),
    { instanceId: deps.instanceId, at: now },
  );
  return { created, previous, transition, issuedKey };
}

export function minionEvents(masterSn: string, changes: MembershipChanges): NewEvent[] {
  const ips = (text: string) => JSON.parse(text) as string[];
  return [
    ...changes.joined.map((m) => ({
      kind: 'minion.joined' as const,
      master_sn: masterSn,
      minion_sn: m.minion_sn,
      detail: { status: m.status, ips: ips(m.ips) },
    })),
    ...changes.changed.map(({ next, previous }) => ({
      kind: 'minion.status' as const,
      master_sn: masterSn,
      minion_sn: next.minion_sn,
      detail: { status: next.status, previous_status: previous.status, ips: ips(next.ips), previous_ips: ips(previous.ips) },
    })),
    ...changes.left.map((m) => ({ kind: 'minion.left' as const, master_sn: masterSn, minion_sn: m.minion_sn, detail: null })),
  ];
}
