import { randomUUID } from 'node:crypto';
import { SaltApiError, type SaltClient } from '@act2/salt-api-client';
import type { FastifyBaseLogger } from 'fastify';
import { allBranches } from './all-branches.js';
import { answersGate, type AnswersGate } from './answers-gate.js';
import { clientFor, guarded, reasonCodeOf, reasonOf, type Call, type FollowContext } from './follow-context.js';
import { pushTo } from './group-by.js';
import { getMastersCredentials } from '../masters/repository.js';
import { pollRound } from './poll-round.js';
import type { MasterCredentials } from './salt-clients.js';
import { addJobMaster, attemptsBySeq, insertDispatches, settleDispatch, updateTargetGroups, withdrawUnsentJob, type DispatchRow, type JobRow, type PendingTarget } from './repository.js';
import { readListJobs, readLocalAsync } from './salt-answers.js';

/** Who each waiting target goes to next: its first candidate not tried yet, grouped per master. */
export interface RoundPlan {
  round: number;
  plans: DispatchPlan[];
  /** Targets every candidate of which has been tried: `dispatch_failed`. */
  exhausted: PendingTarget[];
}

export function planRound(waiting: readonly PendingTarget[], dispatches: readonly DispatchRow[]): RoundPlan {
  const tried = attemptsBySeq(dispatches);
  const round = dispatches.reduce((max, d) => Math.max(max, Number(d.round)), 0) + 1;
  const groups = new Map<string, PendingTarget[]>();
  const exhausted: PendingTarget[] = [];
  // Most targets share one candidate list (the same JSON text): each text is parsed once.
  const lists = new Map<string, string[]>();
  for (const t of waiting) {
    let candidates = lists.get(t.candidates);
    if (!candidates) {
      candidates = JSON.parse(t.candidates) as string[];
      lists.set(t.candidates, candidates);
    }
    const done = tried.get(Number(t.seq));
    const next = done ? candidates.find((m) => !done.some((a) => a.master_sn === m)) : candidates[0];
    if (next === undefined) exhausted.push(t);
    else pushTo(groups, next, t);
  }
  return { round, exhausted, plans: [...groups].map(([master, targets]) => ({ master, targets, dispatchId: randomUUID() })) };
}

/** The dispatch rows of a round's plans, to be committed before salt-api is called. */
export function dispatchRows(jobId: string, round: number, plans: readonly DispatchPlan[], at: number) {
  return plans.map((p) => ({ job_id: jobId, dispatch_id: p.dispatchId, round, master_sn: p.master, seqs: p.targets.map((t) => Number(t.seq)), at }));
}

/**
 * Each waiting target goes to its first candidate not tried yet; one local_async per master, in parallel.
 * Each master's jid is looked up (the first poll of `pollRound`) once every master of the round has
 * answered, or a poll interval after its own answer: a master that does not answer holds the others
 * back one poll interval at most.
 */
export async function dispatchRound(
  ctx: FollowContext,
  job: JobRow,
  call: Call,
  waiting: PendingTarget[],
  dispatches: DispatchRow[],
  lookupErrors: Map<string, string>,
  log: FastifyBaseLogger,
  /** Targets already followed under an earlier round's jids: looked up while this round runs. */
  followed: readonly PendingTarget[] = [],
) {
  const { round, plans, exhausted } = planRound(waiting, dispatches);
  if (exhausted.length > 0) {
    const tried = attemptsBySeq(dispatches);
    await guarded(ctx, job.id, async (trx, now) => {
      // Targets that failed for the same reasons (a dead pair's 1,000 minions) are one patch: one
      // statement, and kept on their chunk when they are all of it.
      const byReason = new Map<string, number[]>();
      for (const t of exhausted) {
        const summary = (tried.get(Number(t.seq)) ?? []).map((a) => `${a.master_sn}: ${a.reason ?? 'failed'}`).join('; ');
        pushTo(byReason, `every candidate master failed (${summary})`, Number(t.seq));
      }
      const patches = [...byReason].map(([reason, seqs]) => ({ seqs, patch: { outcome: 'dispatch_failed' as const, reason, finished_at: now } }));
      await updateTargetGroups(trx, job.id, patches);
    });
  }
  if (plans.length === 0) return true;
  // Every dispatch is recorded (committed) before salt-api is called: a restart finds it and asks salt
  // what happened. One row per master, not per target.
  const at = await guarded(ctx, job.id, async (trx, now) => {
    await insertDispatches(trx, dispatchRows(job.id, round, plans, now));
    return now;
  });
  return sendRound(ctx, job, call, plans, at, lookupErrors, log, followed);
}

/**
 * Calls salt-api for dispatches already recorded (committed) at `at`: by `dispatchRound`, or by the
 * transaction that created the job (an instance follows the jobs it creates from their creation).
 * False when the instance began closing before salt-api was called: the dispatches are withdrawn and
 * the lease handed back (a recorded dispatch never sent would otherwise end its targets `unknown`).
 */
export async function sendRound(
  ctx: FollowContext,
  job: JobRow,
  call: Call,
  plans: readonly DispatchPlan[],
  at: number,
  lookupErrors: Map<string, string>,
  log: FastifyBaseLogger,
  /** Targets already followed under an earlier round's jids (a failover round): looked up meanwhile. */
  followed: readonly PendingTarget[] = [],
) {
  // Each master's answer is written as soon as it comes, and its jid looked up: a stopped master (500
  // after 15 s) holds back neither the jids the others gave nor their lookups. Every jid known (this
  // round's and earlier rounds') is looked up every poll interval while a master of the round has not
  // answered yet; once all have, the follow loop takes over. No branch outlives the round: one that
  // fails (not only by losing the lease) ends the follow only once the others have stopped writing.
  // Every master's credentials in one query, not ten on a pool of four; a failed read leaves each
  // dispatch to read its own (and fail over as before when that fails too).
  const credentials = await getMastersCredentials(ctx.db, ctx.box, plans.map((p) => p.master)).catch(() => undefined);
  if (ctx.signal.aborted) {
    await withdrawUnsentJob(ctx.db, job.id, ctx.instanceId);
    return false;
  }
  // Each master's jid is first looked up once the round's answers are in (or a poll interval after its
  // own): its returns are not stored while the other masters' answers are still arriving (answers-gate.ts).
  const gate = answersGate(plans.length, ctx.pollIntervalMs, ctx.signal);
  const branches = plans.map((plan) => async () => {
    let answer: DispatchAnswer;
    let ours: PendingTarget[];
    try {
      answer = await dispatchGroup(ctx, job, call, plan, log, credentials);
      ours = await settle(ctx, job, plan, at, answer, log);
    } finally {
      gate.arrived();
    }
    await followDuringRound(ctx, job, gate, ours, lookupErrors, log, { lookAfterAnswers: true, client: answer.client });
  });
  if (followed.length > 0) branches.push(() => followDuringRound(ctx, job, gate, [...followed], lookupErrors, log, { lookAfterAnswers: false }));
  await allBranches(branches, (branch) => branch());
  return true;
}

/**
 * Looks `followed` up every poll interval while the round is incomplete, until they all returned.
 * `lookAfterAnswers`: a master's own targets are looked up once the round's answers are in (at most a
 * poll interval), even when that completes the round. Any other lookup is made only while the round is
 * still incomplete (once it completes, the follow loop looks every jid up a poll interval later) and
 * before the job's deadline (past `timeout_s` the follow loop expires what did not return).
 */
async function followDuringRound(
  ctx: FollowContext,
  job: JobRow,
  gate: AnswersGate,
  followed: PendingTarget[],
  lookupErrors: Map<string, string>,
  log: FastifyBaseLogger,
  { lookAfterAnswers, client }: { lookAfterAnswers: boolean; client?: SaltClient | undefined },
): Promise<void> {
  for (let first = lookAfterAnswers; followed.length > 0; first = false) {
    await gate.wait();
    if (ctx.signal.aborted) return;
    if (!first && (gate.complete() || (await ctx.clock(ctx.db)) >= Number(job.deadline_at))) return;
    followed = await pollRound(ctx, job, followed, lookupErrors, log, client);
    if (gate.complete()) return;
  }
}

/**
 * Writes a dispatch's answer, to the dispatch row only (its targets' jid, master and start are read from
 * it until their returns are stored with them); returns the targets now followed under its jid.
 */
async function settle(ctx: FollowContext, job: JobRow, plan: DispatchPlan, at: number, answer: DispatchAnswer, log: FastifyBaseLogger): Promise<PendingTarget[]> {
  const started = Date.now();
  const { jid, listed, failure } = answer;
  const ok = new Set<number>();
  const failed = new Map<number, string>();
  for (const t of plan.targets) {
    // listed undefined: found in the job cache after a lost answer; list_job's Minions settles who was published to.
    if (jid && (listed === undefined || listed.has(t.salt_id))) ok.add(Number(t.seq));
    else failed.set(Number(t.seq), failure ?? `salt on ${plan.master} did not list ${t.salt_id} in its local_async answer (no accepted key there)`);
  }
  await guarded(ctx, job.id, async (trx) => {
    await settleDispatch(trx, job.id, plan.dispatchId, { jid: jid ?? null, okCount: ok.size, failures: failed });
    if (jid && ok.size > 0) await addJobMaster(trx, job.id, plan.master);
  });
  log.debug({ master: plan.master, dispatch: plan.dispatchId, ms: Date.now() - started }, 'dispatch settled');
  if (!jid) return [];
  return plan.targets.filter((t) => ok.has(Number(t.seq))).map((t) => ({ ...t, jid, master_sn: plan.master, started_at: at }));
}

export interface DispatchPlan {
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
  credentials: ReadonlyMap<string, MasterCredentials> | undefined,
): Promise<DispatchAnswer> {
  const started = Date.now();
  let result: DispatchAnswer;
  let client: SaltClient | undefined;
  try {
    client = await clientFor(ctx, plan.master, credentials);
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
    result = answer.jid ? { jid: answer.jid, listed: new Set(answer.minions), client } : { code: 'ACT2_SALT_NOT_LISTED' };
  } catch (err) {
    result = client && mayHavePublished(err) ? { ...(await askJobCache(client, plan, err)), client } : { failure: reasonOf(err), code: reasonCodeOf(err) };
  }
  ctx.metrics.jobDispatches.inc(result.jid ? { result: 'ok', reason: 'none' } : { result: 'failed', reason: result.code ?? 'other' });
  const fields = { master: plan.master, dispatch: plan.dispatchId, targets: plan.targets.length, jid: result.jid, listed: result.listed?.size, ms: Date.now() - started };
  log.info({ ...fields, reason: result.failure }, result.failure ? 'dispatch failed' : 'dispatched');
  return result;
}

interface DispatchAnswer {
  jid?: string;
  /** The minions salt said it published to; undefined when the jid was found in the job cache instead. */
  listed?: Set<string>;
  failure?: string;
  /** A bounded reason code for metrics (the salt-api client's error code). */
  code?: string;
  /** The client that made the call: the first lookup of the jid reuses it. */
  client?: SaltClient;
}

/** The request reached salt-api but no answer came back: the job may have been published. */
function mayHavePublished(err: unknown): boolean {
  if (!(err instanceof SaltApiError)) return false;
  return err.code === 'ACT2_SALT_TIMEOUT' || (err.code === 'ACT2_SALT_UNREACHABLE' && err.details?.kind === 'reset');
}

/**
 * Before failing over after a lost answer, ask the master's job cache for this dispatch's metadata:
 * found, the job ran there and is followed (sending it to the next master would run it twice).
 */
async function askJobCache(client: SaltClient, plan: DispatchPlan, err: unknown): Promise<DispatchAnswer> {
  try {
    const jid = readListJobs(await client.run({ client: 'runner', fun: 'jobs.list_jobs', search_metadata: { act2_dispatch: plan.dispatchId } }, { timeoutMs: LOOKUP_TIMEOUT_MS }));
    return jid ? { jid } : { failure: `${reasonOf(err)} (not in its job cache: not published)`, code: reasonCodeOf(err) };
  } catch (lookupErr) {
    // The trade-off (README, Jobs): the targets fail over although this master may have run the job, so
    // it may run twice; the attempt says so for whoever reads the job.
    return { failure: `${reasonOf(err)}; the job may have run on ${plan.master} (its job cache could not be asked either: ${reasonOf(lookupErr)})`, code: reasonCodeOf(err) };
  }
}

const LOOKUP_TIMEOUT_MS = 10_000;
