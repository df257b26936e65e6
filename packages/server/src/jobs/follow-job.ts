/**
 * Carries one job from its current state in the database to the end: find out what a dead instance's
 * in-flight dispatches did, dispatch each waiting target to its next candidate master (failover), follow
 * every jid on the master that published it until each target returned or `timeout_s` passed, then
 * settle the job. Every write is made under the job's lease: an instance that lost it stops.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { SaltApiError, type SaltClient } from '@act2/salt-api-client';
import type { FastifyBaseLogger } from 'fastify';
import type { Clock } from '../clock.js';
import type { SecretBox } from '../crypto/secret-box.js';
import type { Updateable } from 'kysely';
import type { Db, DbOrTrx, JobTargetsTable } from '../db/database.js';
import { insertEvents } from '../events/repository.js';
import { getMasterCredentials } from '../masters/repository.js';
import { limitOutput } from './output-limit.js';
import {
  findJob,
  insertAttempts,
  jobAttempts,
  outcomeCounts,
  pendingTargets,
  renewLease,
  settleDispatch,
  updateJob,
  updateTarget,
  updateTargets,
  type AttemptRow,
  type JobRow,
  type PendingTarget,
} from './repository.js';
import type { SaltClientPool } from './salt-clients.js';
import { readJobInfo, readLocalAsync, readListJobs } from './salt-answers.js';
import { pushTo } from './group-by.js';

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
  /** Aborted on shutdown: the follower stops at its next wait and leaves the job to another instance. */
  signal: AbortSignal;
}

/** The lease went to another instance: this one must not write anything more for the job. */
export class LeaseLostError extends Error {
  readonly code = 'ACT2_JOB_LEASE_LOST';
}

interface Call {
  arg: unknown[];
  kwarg: Record<string, unknown>;
}

const FINAL = new Set(['done', 'partial', 'failed']);

function reasonOf(err: unknown): string {
  if (err instanceof SaltApiError) return `${err.code}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}

async function guarded<T>(ctx: FollowContext, jobId: string, work: (trx: DbOrTrx, now: number) => Promise<T>): Promise<T> {
  return ctx.db.transaction().execute(async (trx) => {
    const now = await ctx.clock(trx);
    if (!(await renewLease(trx, jobId, ctx.instanceId, now, ctx.leaseMs))) throw new LeaseLostError(`lost the lease of job ${jobId}`);
    return work(trx, now);
  });
}

async function clientFor(ctx: FollowContext, masterSn: string): Promise<SaltClient> {
  const credentials = await getMasterCredentials(ctx.db, ctx.box, masterSn);
  if (!credentials) throw new Error(`no stored salt-api credentials for master ${masterSn}`);
  return ctx.pool.get(masterSn, credentials);
}

export async function followJob(ctx: FollowContext, jobId: string): Promise<void> {
  const job = await findJob(ctx.db, jobId);
  if (!job || FINAL.has(job.status)) return;
  const log = ctx.log.child({ job: jobId });
  const call = JSON.parse(ctx.box.open(job.call_enc)) as Call;
  if (job.status === 'pending') await guarded(ctx, jobId, (trx) => updateJob(trx, jobId, { status: 'running' }));
  const lookupErrors = new Map<string, string>();
  await recoverInFlight(ctx, job, log);

  while (!ctx.signal.aborted) {
    const pending = await pendingTargets(ctx.db, jobId);
    const now = await ctx.clock(ctx.db);
    const deadline = Number(job.deadline_at);
    const waiting = pending.filter((t) => t.jid === null);
    if (waiting.length > 0 && now < deadline) {
      await dispatchRound(ctx, job, call, waiting, await jobAttempts(ctx.db, jobId), log);
      continue;
    }
    const followed = pending.filter((t) => t.jid !== null);
    if (followed.length > 0 && now < deadline) await pollRound(ctx, job, followed, lookupErrors, log);
    const after = await pendingTargets(ctx.db, jobId);
    if (after.length === 0) return finish(ctx, job, log);
    if ((await ctx.clock(ctx.db)) >= deadline) return expire(ctx, job, after, lookupErrors, log);
    await sleep(ctx.pollIntervalMs, undefined, { signal: ctx.signal }).catch(() => undefined);
  }
}

/**
 * Attempts recorded but never settled: an instance died between recording and answering. salt keeps
 * the `act2_dispatch` metadata with the job; found → follow that jid, not found or not askable →
 * `unknown` with the reason. Never dispatched again.
 */
async function recoverInFlight(ctx: FollowContext, job: JobRow, log: FastifyBaseLogger): Promise<void> {
  const inFlight = await ctx.db.selectFrom('job_attempts').selectAll().where('job_id', '=', job.id).where('ok', 'is', null).execute();
  const byDispatch = new Map<string, AttemptRow[]>();
  for (const a of inFlight) pushTo(byDispatch, a.dispatch_id, a);
  for (const [dispatchId, group] of byDispatch) {
    const master = group[0]?.master_sn ?? '';
    const seqs = group.map((a) => Number(a.seq));
    let jid: string | undefined;
    let failure: string | undefined;
    try {
      const client = await clientFor(ctx, master);
      jid = readListJobs(await client.run({ client: 'runner', fun: 'jobs.list_jobs', search_metadata: { act2_dispatch: dispatchId } }));
      if (!jid) failure = `an act2 instance stopped while dispatching to ${master}, and that master's job cache has no job with act2_dispatch ${dispatchId}: whether it ran is unknown`;
    } catch (err) {
      failure = `an act2 instance stopped while dispatching to ${master}, and its job cache could not be asked (${reasonOf(err)}): whether it ran is unknown`;
    }
    log.warn({ master, dispatch: dispatchId, targets: seqs.length, jid, reason: failure }, 'recovered an in-flight dispatch');
    await guarded(ctx, job.id, async (trx, now) => {
      if (jid) {
        await settleDispatch(trx, dispatchId, new Set(seqs), new Map());
        await updateTargets(trx, job.id, seqs, { jid, master_sn: master, started_at: Number(group[0]?.at ?? now) });
      } else {
        const reason = failure ?? 'unknown';
        await settleDispatch(trx, dispatchId, new Set(), new Map(seqs.map((s) => [s, reason])));
        await updateTargets(trx, job.id, seqs, { outcome: 'unknown', reason, finished_at: now });
      }
    });
  }
}

/** Each waiting target goes to its first candidate not tried yet; one local_async per master, in parallel. */
async function dispatchRound(ctx: FollowContext, job: JobRow, call: Call, waiting: PendingTarget[], attempts: AttemptRow[], log: FastifyBaseLogger) {
  const tried = new Map<number, AttemptRow[]>();
  for (const a of attempts) pushTo(tried, Number(a.seq), a);
  const groups = new Map<string, PendingTarget[]>();
  const exhausted: PendingTarget[] = [];
  for (const t of waiting) {
    const done = tried.get(Number(t.seq)) ?? [];
    const next = (JSON.parse(t.candidates) as string[]).find((m) => !done.some((a) => a.master_sn === m));
    if (next === undefined) exhausted.push(t);
    else pushTo(groups, next, t);
  }
  if (exhausted.length > 0) {
    await guarded(ctx, job.id, async (trx, now) => {
      for (const t of exhausted) {
        const summary = (tried.get(Number(t.seq)) ?? []).map((a) => `${a.master_sn}: ${a.reason ?? 'failed'}`).join('; ');
        await updateTarget(trx, job.id, Number(t.seq), { outcome: 'dispatch_failed', reason: `every candidate master failed (${summary})`, finished_at: now });
      }
    });
  }
  if (groups.size === 0) return;
  const plans: DispatchPlan[] = [...groups].map(([master, targets]) => ({ master, targets, dispatchId: randomUUID() }));
  // Every attempt is recorded (committed) before salt-api is called: a restart finds it and asks salt what happened.
  await guarded(ctx, job.id, (trx, now) =>
    insertAttempts(
      trx,
      plans.flatMap((p) =>
        p.targets.map((t) => ({ job_id: job.id, seq: t.seq, n: (tried.get(Number(t.seq))?.length ?? 0) + 1, master_sn: p.master, dispatch_id: p.dispatchId, at: now, ok: null, reason: null })),
      ),
    ),
  );
  const answers = await Promise.all(plans.map((p) => dispatchGroup(ctx, job, call, p, log)));
  await guarded(ctx, job.id, async (trx, now) => {
    for (const [i, plan] of plans.entries()) {
      const { jid, listed, failure } = answers[i] ?? {};
      const ok = new Set<number>();
      const failed = new Map<number, string>();
      for (const t of plan.targets) {
        if (jid && listed?.has(t.salt_id)) ok.add(Number(t.seq));
        else failed.set(Number(t.seq), failure ?? `salt on ${plan.master} did not list ${t.salt_id} in its local_async answer (no accepted key there)`);
      }
      await settleDispatch(trx, plan.dispatchId, ok, failed);
      if (jid) await updateTargets(trx, job.id, [...ok], { jid, master_sn: plan.master, started_at: now });
    }
  });
}

interface DispatchPlan {
  master: string;
  targets: PendingTarget[];
  dispatchId: string;
}

/** One local_async with the dispatch's metadata; a failure is an answer too (the targets move on). */
async function dispatchGroup(
  ctx: FollowContext,
  job: JobRow,
  call: Call,
  plan: DispatchPlan,
  log: FastifyBaseLogger,
): Promise<{ jid?: string; listed?: Set<string>; failure?: string }> {
  const started = Date.now();
  let result: { jid?: string; listed?: Set<string>; failure?: string };
  try {
    const client = await clientFor(ctx, plan.master);
    const answer = readLocalAsync(
      await client.run({
        client: 'local_async',
        tgt: [...new Set(plan.targets.map((t) => t.salt_id))],
        tgt_type: 'list',
        fun: job.fun,
        arg: call.arg,
        kwarg: call.kwarg,
        metadata: { act2_job: job.id, act2_dispatch: plan.dispatchId },
      }),
    );
    result = answer.jid ? { jid: answer.jid, listed: new Set(answer.minions) } : {};
  } catch (err) {
    result = { failure: reasonOf(err) };
  }
  const fields = { master: plan.master, dispatch: plan.dispatchId, targets: plan.targets.length, jid: result.jid, listed: result.listed?.size, ms: Date.now() - started };
  log.info({ ...fields, reason: result.failure }, result.failure ? 'dispatch failed' : 'dispatched');
  return result;
}

/** One `jobs.list_job` per (master, jid): returns land in the targets; a failed lookup is retried next round. */
async function pollRound(ctx: FollowContext, job: JobRow, followed: PendingTarget[], lookupErrors: Map<string, string>, log: FastifyBaseLogger) {
  const groups = new Map<string, PendingTarget[]>();
  for (const t of followed) {
    const key = `${t.master_sn ?? ''}\u0000${t.jid ?? ''}`;
    pushTo(groups, key, t);
  }
  await Promise.all(
    [...groups].map(async ([key, targets]) => {
      const master = targets[0]?.master_sn ?? '';
      const jid = targets[0]?.jid ?? '';
      let info;
      try {
        const client = await clientFor(ctx, master);
        info = readJobInfo(await client.run({ client: 'runner', fun: 'jobs.list_job', jid }));
      } catch (err) {
        lookupErrors.set(key, reasonOf(err));
        log.warn({ master, jid, reason: reasonOf(err) }, 'job lookup failed');
        return;
      }
      if (info.error) lookupErrors.set(key, `${master} does not know jid ${jid}: ${info.error}`);
      const returned = targets.filter((t) => info.results.has(t.salt_id));
      const unlisted = info.minions ? targets.filter((t) => !info.results.has(t.salt_id) && !info.minions?.includes(t.salt_id)) : [];
      if (returned.length === 0 && unlisted.length === 0) return;
      await guarded(ctx, job.id, async (trx, now) => {
        // Targets with the same answer (a fleet-wide test.ping) are written with one statement per batch.
        const same = new Map<string, { patch: Updateable<JobTargetsTable>; seqs: number[] }>();
        for (const t of returned) {
          const r = info.results.get(t.salt_id);
          const out = limitOutput(r?.return, ctx.outputLimitBytes);
          const patch = {
            outcome: 'returned' as const,
            retcode: r?.retcode ?? null,
            success: r?.success === undefined ? null : r.success ? 1 : 0,
            return_json: out.json,
            truncated: out.truncated ? 1 : 0,
            reason: null,
            finished_at: now,
          };
          const key = JSON.stringify([patch.retcode, patch.success, patch.truncated, out.json]);
          const group = same.get(key) ?? { patch, seqs: [] as number[] };
          group.seqs.push(Number(t.seq));
          same.set(key, group);
        }
        for (const { patch, seqs } of same.values()) await updateTargets(trx, job.id, seqs, patch);
        // Only after a recovery: salt did not publish to a minion whose key it lacks; try the next master.
        for (const t of unlisted) {
          const reason = `salt on ${master} did not publish jid ${jid} to ${t.salt_id} (no accepted key there)`;
          await trx.updateTable('job_attempts').set({ ok: 0, reason }).where('job_id', '=', job.id).where('seq', '=', t.seq).where('master_sn', '=', master).where('ok', '=', 1).execute();
          await updateTarget(trx, job.id, Number(t.seq), { jid: null, master_sn: null, started_at: null });
        }
      });
    }),
  );
}

async function expire(ctx: FollowContext, job: JobRow, pending: PendingTarget[], lookupErrors: Map<string, string>, log: FastifyBaseLogger) {
  await guarded(ctx, job.id, async (trx, now) => {
    for (const t of pending) {
      const lastError = lookupErrors.get(`${t.master_sn ?? ''}\u0000${t.jid ?? ''}`);
      const reason =
        t.jid === null
          ? `not dispatched within timeout_s (${Number(job.timeout_s)} s)`
          : `no return from ${t.master_sn ?? '?'} within timeout_s (${Number(job.timeout_s)} s)${lastError ? `; last lookup: ${lastError}` : ''}`;
      await updateTarget(trx, job.id, Number(t.seq), { outcome: t.jid === null ? 'dispatch_failed' : 'no_return', reason, finished_at: now });
    }
  });
  await finish(ctx, job, log);
}

async function finish(ctx: FollowContext, job: JobRow, log: FastifyBaseLogger): Promise<void> {
  const counts = await outcomeCounts(ctx.db, job.id);
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  const returned = counts.returned ?? 0;
  const status = returned === total ? 'done' : returned > 0 ? 'partial' : 'failed';
  await guarded(ctx, job.id, async (trx, now) => {
    await updateJob(trx, job.id, { status, finished_at: now, lease_until: null });
    await insertEvents(trx, [{ kind: 'job.finished', master_sn: '', detail: { job_id: job.id, fun: job.fun, status, counts } }], { instanceId: ctx.instanceId, at: now });
  });
  log.info({ status, counts }, 'job finished');
}
