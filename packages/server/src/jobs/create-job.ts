/**
 * `POST /api/v1/jobs`: check the function, resolve the targets, store the job. When this instance's
 * runner has room, the job is leased to it and its first round of dispatches recorded in the same
 * transaction, and following starts at once from the targets in memory; otherwise a runner claims it.
 */
import { randomUUID } from 'node:crypto';
import type { JobRequest, JobSummary } from '@act2/shared';
import type { AppContext } from '../context.js';
import { insertEvents } from '../events/repository.js';
import { HttpError } from '../http/http-error.js';
import { maskArgs, maskKwarg } from './audit-mask.js';
import { functionAllowed } from './function-allow-list.js';
import { dispatchRows, planRound, type DispatchPlan } from './dispatch-round.js';
import type { JobRunner } from './job-runner.js';
import { insertDispatches, insertJob, toSummary, type JobRow, type PendingTarget } from './repository.js';
import { resolveTargets } from './resolve-targets.js';
import { insertChunks, type ChunkTarget } from './target-chunks.js';

/** Stores the job and answers its summary (id, status, counts per outcome): a 10,000-target job answers at once. */
export async function createJob(
  ctx: AppContext,
  request: JobRequest,
  requestedBy: string,
  runner: Pick<JobRunner, 'reserve' | 'adopt' | 'unreserve'>,
): Promise<JobSummary> {
  // Before anything else: a refused function never reaches a master, nor the database.
  if (!functionAllowed(request.fun, ctx.config.jobFunctions)) {
    ctx.metrics.jobsCreated.inc({ outcome: 'refused' });
    throw new HttpError(403, 'ACT2_FORBIDDEN', `salt function ${request.fun} is not allowed by --job-functions`);
  }
  const now = await ctx.clock(ctx.db);
  const started = performance.now();
  const resolved = await resolveTargets(ctx.db, request.target, now, ctx.config.masterTimeoutMs);
  const resolveMs = Math.round(performance.now() - started);
  const id = randomUUID();
  const arg = maskArgs(request.arg);
  const kwarg = maskKwarg(request.kwarg);
  // Targets with the same candidate list share it (resolve-targets.ts): each list is serialised once.
  const texts = new Map<readonly string[], string>();
  const candidates = resolved.map((t) => {
    let text = texts.get(t.candidates);
    if (text === undefined) {
      text = JSON.stringify(t.candidates);
      texts.set(t.candidates, text);
    }
    return text;
  });
  const adopted = runner.reserve();
  const row: JobRow = {
    id,
    status: adopted ? 'running' : 'pending',
    fun: request.fun,
    arg: JSON.stringify(arg),
    kwarg: JSON.stringify(kwarg),
    call_enc: ctx.box.seal(JSON.stringify({ arg: request.arg, kwarg: request.kwarg })),
    timeout_s: request.timeout_s,
    requested_by: requestedBy,
    created_at: now,
    deadline_at: now + request.timeout_s * 1000,
    finished_at: null,
    lease_owner: adopted ? ctx.config.instanceId : null,
    // Set in the creating transaction, from the clock read there (resolving the targets may take long).
    lease_until: null,
  };
  let first: { plans: DispatchPlan[]; at: number } | undefined;
  // Followed here: the first round is planned now, and its targets are stored as one chunk per dispatch
  // (target-chunks.ts), kept until a write reaches only some of its targets or gives them different
  // answers, or else until the job's finish is compacted; only the targets already settled
  // (unknown_target, ambiguous, no_master) are rows from the start.
  const pending: PendingTarget[] = [];
  if (adopted) {
    resolved.forEach((t, seq) => {
      if (t.outcome === 'pending') pending.push({ seq, salt_id: t.saltId, candidates: candidates[seq]!, jid: null, master_sn: null, outcome: 'pending', started_at: null });
    });
  }
  const { round, plans } = planRound(pending, []);
  try {
    await ctx.db.transaction().execute(async (trx) => {
      const rows = [];
      for (let seq = 0; seq < resolved.length; seq += 1) {
        const t = resolved[seq]!;
        if (adopted && t.outcome === 'pending') continue;
        // Only the columns a new target sets: the others keep their defaults (fewer bound parameters).
        rows.push({ job_id: id, seq, sn: t.sn, ip: t.ip, salt_id: t.saltId, candidates: candidates[seq]!, outcome: t.outcome, reason: t.reason, finished_at: t.outcome === 'pending' ? null : now });
      }
      // The lease runs from now, not from before the targets were resolved: a slow creation does not
      // leave the job claimable by another instance before this one has called salt-api.
      const at = adopted ? await ctx.clock(trx) : now;
      if (adopted) row.lease_until = at + ctx.config.jobLeaseMs;
      await insertJob(trx, row, rows);
      if (adopted) {
        // The first round, recorded with the job (before salt-api is called, as every dispatch is):
        // a kill -9 from here on leaves in-flight dispatches that the next follower asks salt about.
        await insertChunks(
          trx,
          id,
          plans.map((p) => ({ chunkId: p.dispatchId, targets: p.targets.map((t): ChunkTarget => [Number(t.seq), resolved[Number(t.seq)]!.sn, resolved[Number(t.seq)]!.ip, t.salt_id, t.candidates]) })),
        );
        await insertDispatches(trx, dispatchRows(id, round, plans, at));
        first = { plans, at };
      }
      await insertEvents(
        trx,
        [{ kind: 'job.created', master_sn: '', detail: { job_id: id, fun: request.fun, arg, kwarg, requested_by: requestedBy, targets: resolved.length } }],
        { instanceId: ctx.config.instanceId, at: now },
      );
    });
  } catch (err) {
    if (adopted) runner.unreserve();
    throw err;
  }
  ctx.metrics.jobsCreated.inc({ outcome: 'accepted' });
  const storeMs = Math.round(performance.now() - started) - resolveMs;
  ctx.log.info({ job: id, fun: request.fun, targets: resolved.length, requested_by: requestedBy, resolveMs, storeMs, followed: adopted }, 'job created');
  // Awaited: a job created as the instance closes is handed back before the answer (and the database's close).
  if (first) await runner.adopt({ job: row, call: { arg: request.arg, kwarg: request.kwarg }, ...first });
  // The answer comes from what was just stored, not from reading 10,000 targets back.
  const counts: Record<string, number> = {};
  for (const t of resolved) counts[t.outcome] = (counts[t.outcome] ?? 0) + 1;
  return toSummary(row, counts);
}
