/** `POST /api/v1/jobs`: check the function, resolve the targets, store the job; the runner does the rest. */
import { randomUUID } from 'node:crypto';
import type { JobRequest, JobSummary } from '@act2/shared';
import type { AppContext } from '../context.js';
import { insertEvents } from '../events/repository.js';
import { HttpError } from '../http/http-error.js';
import { maskArgs, maskKwarg } from './audit-mask.js';
import { functionAllowed } from './function-allow-list.js';
import { insertJob, toSummary, type JobRow } from './repository.js';
import { resolveTargets } from './resolve-targets.js';

/** Stores the job and answers its summary (id, status, counts per outcome): a 10,000-target job answers at once. */
export async function createJob(ctx: AppContext, request: JobRequest, requestedBy: string): Promise<JobSummary> {
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
  const row: JobRow = {
    id,
    status: 'pending',
    fun: request.fun,
    arg: JSON.stringify(arg),
    kwarg: JSON.stringify(kwarg),
    call_enc: ctx.box.seal(JSON.stringify({ arg: request.arg, kwarg: request.kwarg })),
    timeout_s: request.timeout_s,
    requested_by: requestedBy,
    created_at: now,
    deadline_at: now + request.timeout_s * 1000,
    finished_at: null,
    lease_owner: null,
    lease_until: null,
  };
  await ctx.db.transaction().execute(async (trx) => {
    await insertJob(
      trx,
      row,
      // Only the columns a new target sets: the others keep their defaults (fewer bound parameters).
      resolved.map((t, seq) => ({
        job_id: id,
        seq,
        sn: t.sn,
        ip: t.ip,
        salt_id: t.saltId,
        candidates: JSON.stringify(t.candidates),
        outcome: t.outcome,
        reason: t.reason,
        finished_at: t.outcome === 'pending' ? null : now,
      })),
    );
    await insertEvents(
      trx,
      [{ kind: 'job.created', master_sn: '', detail: { job_id: id, fun: request.fun, arg, kwarg, requested_by: requestedBy, targets: resolved.length } }],
      { instanceId: ctx.config.instanceId, at: now },
    );
  });
  ctx.metrics.jobsCreated.inc({ outcome: 'accepted' });
  const storeMs = Math.round(performance.now() - started) - resolveMs;
  ctx.log.info({ job: id, fun: request.fun, targets: resolved.length, requested_by: requestedBy, resolveMs, storeMs }, 'job created');
  // The answer comes from what was just stored, not from reading 10,000 targets back.
  const counts: Record<string, number> = {};
  for (const t of resolved) counts[t.outcome] = (counts[t.outcome] ?? 0) + 1;
  return toSummary(row, counts);
}
