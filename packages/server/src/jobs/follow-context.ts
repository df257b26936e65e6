/** What following a job needs, and the helpers every step uses (lease-guarded writes, salt clients). */
import { SaltApiError, type SaltClient } from '@act2/salt-api-client';
import type { FastifyBaseLogger } from 'fastify';
import type { Clock } from '../clock.js';
import type { SecretBox } from '../crypto/secret-box.js';
import type { Db, DbOrTrx } from '../db/database.js';
import type { Metrics } from '../metrics/metrics.js';
import { getMasterCredentials } from '../masters/repository.js';
import { holdsLease } from './repository.js';
import type { MasterCredentials, SaltClientPool } from './salt-clients.js';

export interface FollowContext {
  db: Db;
  box: SecretBox;
  clock: Clock;
  log: FastifyBaseLogger;
  instanceId: string;
  pool: SaltClientPool;
  pollIntervalMs: number;
  leaseMs: number;
  outputLimitBytes: number;
  metrics: Metrics;
  /** Aborted on shutdown: the follower stops at its next wait and leaves the job to another instance. */
  signal: AbortSignal;
}

/** The lease went to another instance: this one must not write anything more for the job. */
export class LeaseLostError extends Error {
  readonly code = 'ACT2_JOB_LEASE_LOST';
}

export interface Call {
  arg: unknown[];
  kwarg: Record<string, unknown>;
}


/** A bounded label for a failure: the salt-api client's error code, or `other`. */
export function reasonCodeOf(err: unknown): string {
  return err instanceof SaltApiError ? err.code : 'other';
}

export function reasonOf(err: unknown): string {
  if (err instanceof SaltApiError) return `${err.code}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}

/**
 * Runs `work` in a transaction that first checks this instance holds the job's lease: no lease, no
 * write. The check takes a shared lock on the job's row (a no-op on SQLite, whose writers are serial):
 * the writes of several masters' answers run side by side, while another instance's takeover (an
 * UPDATE of that row) waits for them to commit and every later check then fails. The lease itself is
 * renewed by the runner (job-runner.ts), not here: renewing is an UPDATE, which made the masters'
 * writes queue on that row one after another.
 */
export async function guarded<T>(
  ctx: FollowContext,
  jobId: string,
  work: (trx: DbOrTrx, now: number) => Promise<T>,
  /**
   * `update` when `work` itself updates the job's row: it then locks the row exclusively from the start.
   * (Holding the shared lock and then updating deadlocks on InnoDB when the runner's lease renewal is
   * already waiting for that row.)
   */
  lock: 'share' | 'update' = 'share',
): Promise<T> {
  return ctx.db.transaction().execute(async (trx) => {
    const now = await ctx.clock(trx);
    if (!(await holdsLease(trx, jobId, ctx.instanceId, lock))) throw new LeaseLostError(`lost the lease of job ${jobId}`);
    return work(trx, now);
  });
}

/** `known`: the credentials of the round's masters read beforehand (one query); else read now. */
export async function clientFor(ctx: FollowContext, masterSn: string, known?: ReadonlyMap<string, MasterCredentials>): Promise<SaltClient> {
  const credentials = known ? known.get(masterSn) : await getMasterCredentials(ctx.db, ctx.box, masterSn);
  if (!credentials) throw new Error(`no stored salt-api credentials for master ${masterSn}`);
  return ctx.pool.get(masterSn, credentials);
}
