import type { FastifyBaseLogger } from 'fastify';
import { clientFor, guarded, reasonOf, type FollowContext } from './follow-context.js';
import { pushTo } from './group-by.js';
import { addJobMaster, settleDispatch, updateTargets, type AttemptRow, type JobRow } from './repository.js';
import { readListJobs } from './salt-answers.js';

/**
 * Attempts recorded but never settled: an instance died between recording and answering. salt keeps
 * the `act2_dispatch` metadata with the job; found → follow that jid, not found or not askable →
 * `unknown` with the reason. Never dispatched again.
 */
export async function recoverInFlight(ctx: FollowContext, job: JobRow, log: FastifyBaseLogger): Promise<void> {
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
        await addJobMaster(trx, job.id, master);
      } else {
        const reason = failure ?? 'unknown';
        await settleDispatch(trx, dispatchId, new Set(), new Map(seqs.map((s) => [s, reason])));
        await updateTargets(trx, job.id, seqs, { outcome: 'unknown', reason, finished_at: now });
      }
    });
  }
}
