import type { RegisterRequest } from '@act2/shared';
import { describePrincipal, type Principal } from '../auth/principal.js';
import { guardRegistration } from '../auth/registration-guard.js';
import type { DbOrTrx, EpochMs, MastersTable } from '../db/database.js';
import { insertEvents, type NewEvent } from '../events/repository.js';
import { findMasterForUpdate, insertMasterIfAbsent, updateMaster, type MasterRow } from '../masters/repository.js';
import type { MembershipChanges } from '../minions/membership.js';
import type { RegisterDeps } from './service.js';
import { masterTransition, type MasterTransition } from './transition.js';

// The steps of storing a registration that the one-transaction path (service.ts) and the chunked
// SQLite path (chunked.ts) share.

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
      // Written with the set, once it is stored (service.ts, chunked.ts).
      minion_digest: null,
      first_seen: now,
      status_changed_at: now,
    });
    // Lost a race with another instance creating the same master: continue as an update.
    if (!created) previous = await findMasterForUpdate(trx, master.sn);
  }
  // Under the master's row lock; a refusal throws and rolls back everything above.
  const principal: Principal = deps.principal ?? { kind: 'none' };
  const { issuedKey } = await guardRegistration(trx, principal, master.sn, created ? undefined : previous, now);
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

/** With auth on, every master event says who caused it (`anonymous` for legacy agents). */
export function byOf(principal: Principal): { by?: string } {
  return principal.kind === 'none' ? {} : { by: describePrincipal(principal) };
}
