import type { FastifyBaseLogger } from 'fastify';
import { clientFor, guarded, reasonOf, type FollowContext } from './follow-context.js';
import { addJobMaster, settleDispatch, updateTargets, type DispatchRow, type JobRow } from './repository.js';
import { readListJobs } from './salt-answers.js';
import { fromRanges, type SeqRanges } from './seq-ranges.js';

/**
 * Dispatches recorded but never settled: an instance died between recording and answering. salt keeps
 * the `act2_dispatch` metadata with the job; found → follow that jid, not found or not askable →
 * `unknown` with the reason. Never dispatched again. True when there was any.
 */
export async function recoverInFlight(ctx: FollowContext, job: JobRow, dispatches: readonly DispatchRow[], log: FastifyBaseLogger): Promise<boolean> {
  const inFlight = dispatches.filter((d) => d.ok === null);
  for (const dispatch of inFlight) {
    const { dispatch_id: dispatchId, master_sn: master } = dispatch;
    const seqs = fromRanges(JSON.parse(dispatch.seqs) as SeqRanges);
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
        await settleDispatch(trx, job.id, dispatchId, { jid, okCount: seqs.length, failures: new Map() });
        await updateTargets(trx, job.id, seqs, { jid, master_sn: master, started_at: Number(dispatch.at) });
        await addJobMaster(trx, job.id, master);
      } else {
        const reason = failure ?? 'unknown';
        await settleDispatch(trx, job.id, dispatchId, { jid: null, okCount: 0, failures: new Map(seqs.map((s) => [s, reason])) });
        await updateTargets(trx, job.id, seqs, { outcome: 'unknown', reason, finished_at: now });
      }
    });
  }
  return inFlight.length > 0;
}
