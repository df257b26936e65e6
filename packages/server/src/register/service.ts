import type { RegisterRequest, RegisterResponse } from '@act2/shared';
import type { FastifyBaseLogger } from 'fastify';
import type { Kysely } from 'kysely';
import type { Clock } from '../clock.js';
import type { SecretBox } from '../crypto/secret-box.js';
import type { Database, MastersTable } from '../db/database.js';
import { withTxRetry } from '../db/retry.js';
import { insertEvents, type NewEvent } from '../events/repository.js';
import { findMasterForUpdate, insertMasterIfAbsent, updateMaster } from '../masters/repository.js';
import { applyMembership, readMembership, type MembershipChanges } from '../minions/membership.js';
import { describePrincipal, type Principal } from '../auth/principal.js';
import { checkRegistrationClaim, guardRegistration } from '../auth/registration-guard.js';
import { diffMembership, normalizeMinions } from './diff.js';
import { masterTransition, type MasterEventKind } from './transition.js';

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

const NO_CHANGES: MembershipChanges = { joined: [], changed: [], left: [] };

const TRANSITION_MESSAGES: Record<MasterEventKind, string> = {
  'master.registered': 'master registered',
  'master.stopped': 'master stopped',
  'master.timeout': 'master timed out (noticed by a registration)',
  'master.recovered': 'master recovered',
};

/**
 * Stores one registration in one transaction: lock (or create) the master row, diff its minion
 * set in memory against the snapshot, write only what changed, and record every change as an
 * event. A `stopped` registration keeps the last known minion set.
 */
export async function registerMaster(deps: RegisterDeps, request: RegisterRequest): Promise<RegisterResponse> {
  const { master } = request;
  const principal: Principal = deps.principal ?? { kind: 'none' };
  checkRegistrationClaim(principal, master);
  // With auth on, every master event says who caused it (`anonymous` for legacy agents).
  const by = principal.kind === 'none' ? {} : { by: describePrincipal(principal) };
  const reported = master.status;
  const incoming = reported === 'running' ? normalizeMinions(request.minions) : undefined;
  // Sealed outside the transaction: no reason to hold the row lock while encrypting.
  const credentials = master.options
    ? { username: master.options.username, password_enc: deps.box.seal(master.options.password) }
    : undefined;

  const outcome = await withTxRetry(() =>
    deps.db.transaction().execute(async (trx) => {
      const now = await deps.clock(trx);
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
          minion_count: incoming?.length ?? 0,
          first_seen: now,
          status_changed_at: now,
        });
        // Lost a race with another instance creating the same master: continue as an update.
        if (!created) previous = await findMasterForUpdate(trx, master.sn);
      }
      // Under the master's row lock; a refusal throws and rolls back everything above.
      const { issuedKey } = await guardRegistration(trx, principal, master.sn, created ? undefined : previous, now);

      const transition = masterTransition(created ? undefined : previous, reported, now, deps.masterTimeoutMs);
      const changes = incoming
        ? diffMembership(created ? [] : await readMembership(trx, master.sn), incoming)
        : NO_CHANGES;
      await applyMembership(trx, master.sn, changes, now);
      if (!created) {
        await updateMaster(trx, master.sn, {
          ...fields,
          ...credentials,
          ...(incoming ? { minion_count: incoming.length } : {}),
          ...(transition.statusChanged ? { status_changed_at: now } : {}),
        });
      }
      const events: NewEvent[] = [
        ...transition.events.map((e) => ({ ...e, master_sn: master.sn, detail: { ...e.detail, ...by } })),
        ...minionEvents(master.sn, changes),
      ];
      await insertEvents(trx, events, { instanceId: deps.instanceId, at: now });
      // What the master has now: a stopped registration keeps the stored set (none for a new master).
      const total = incoming ? incoming.length : created ? 0 : (previous?.minion_count ?? 0);
      return { created, transition, changes, total, issuedKey };
    }),
  );

  const { created, transition, changes, total, issuedKey } = outcome;
  if (issuedKey !== undefined) deps.log.info({ sn: master.sn, ...by }, 'master enrolled: bound to its own key');
  if (principal.kind === 'anonymous') deps.log.info({ sn: master.sn, ...by }, 'anonymous registration');
  for (const event of transition.events) {
    deps.log.info({ sn: master.sn, event: event.kind, detail: event.detail }, TRANSITION_MESSAGES[event.kind]);
  }
  const joined = changes.joined.length;
  const left = changes.left.length;
  const changed = changes.changed.length;
  if (joined + left + changed > 0) deps.log.info({ sn: master.sn, joined, left, changed }, 'minion set changed');

  return {
    master: { sn: master.sn, status: reported, recovered: transition.recovered, created },
    minions: { total, joined, left, changed },
    ...(issuedKey === undefined ? {} : { master_key: issuedKey }),
  };
}

function minionEvents(masterSn: string, changes: MembershipChanges): NewEvent[] {
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
