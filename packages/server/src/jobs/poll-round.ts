import type { SaltClient } from '@act2/salt-api-client';
import type { FastifyBaseLogger } from 'fastify';
import type { Updateable } from 'kysely';
import type { JobTargetsTable } from '../db/database.js';
import { allBranches } from './all-branches.js';
import { clientFor, guarded, reasonOf, type FollowContext } from './follow-context.js';
import { pushTo } from './group-by.js';
import { limitOutput } from './output-limit.js';
import { failTargetInDispatch, updateTarget, updateTargetGroups, type JobRow, type PendingTarget } from './repository.js';
import { readJobInfo } from './salt-answers.js';

/**
 * One `jobs.list_job` per (master, jid): returns land in the targets; a failed lookup is retried next round.
 * `client`: the salt-api client the caller just used for that master (a lookup right after its dispatch),
 * instead of reading and decrypting its credentials again. Returns the targets still followed: those
 * that did not return and that salt did not refuse to publish to.
 */
export async function pollRound(
  ctx: FollowContext,
  job: JobRow,
  followed: PendingTarget[],
  lookupErrors: Map<string, string>,
  log: FastifyBaseLogger,
  client?: SaltClient,
): Promise<PendingTarget[]> {
  const left: PendingTarget[] = [];
  const groups = new Map<string, PendingTarget[]>();
  for (const t of followed) {
    const key = `${t.master_sn ?? ''}\u0000${t.jid ?? ''}`;
    pushTo(groups, key, t);
  }
  // No branch outlives the round (see allBranches).
  await allBranches([...groups], async ([key, targets]) => {
    const master = targets[0]?.master_sn ?? '';
    const jid = targets[0]?.jid ?? '';
    let info;
    try {
      const salt = client ?? (await clientFor(ctx, master));
      info = readJobInfo(await salt.run({ client: 'runner', fun: 'jobs.list_job', jid }));
    } catch (err) {
      lookupErrors.set(key, reasonOf(err));
      log.warn({ master, jid, reason: reasonOf(err) }, 'job lookup failed');
      left.push(...targets);
      return;
    }
    // The last lookup's error is the one a target that never returns is expired with.
    if (info.error) lookupErrors.set(key, `${master} does not know jid ${jid}: ${info.error}`);
    else lookupErrors.delete(key);
    const listed = info.minions ? new Set(info.minions) : undefined;
    const returned: PendingTarget[] = [];
    const unlisted: PendingTarget[] = [];
    for (const t of targets) {
      if (info.results.has(t.salt_id)) returned.push(t);
      else if (listed && !listed.has(t.salt_id)) unlisted.push(t);
      else left.push(t);
    }
    // Nothing came back yet: nothing is written (targets still in a chunk stay there, so that an answer
    // that reaches all of them in a later lookup is still kept on the chunk).
    if (returned.length === 0 && unlisted.length === 0) return;
    // Targets with the same answer (a fleet-wide test.ping) are written with one statement per batch:
    // grouped before the transaction, which holds a connection only for the writes.
    const groupStarted = Date.now();
    const same = new Map<string, { patch: Updateable<JobTargetsTable>; seqs: number[] }>();
    for (const t of returned) {
      const r = info.results.get(t.salt_id);
      const out = limitOutput(r?.return, ctx.outputLimitBytes);
      const patch = {
        outcome: 'returned' as const,
        // Written here, with the return: settling the dispatch wrote only the dispatch row.
        jid: t.jid,
        master_sn: t.master_sn,
        started_at: t.started_at,
        retcode: r?.retcode ?? null,
        success: r?.success === undefined ? null : r.success ? 1 : 0,
        return_json: out.json,
        truncated: out.truncated ? 1 : 0,
        reason: null,
      };
      const key = JSON.stringify([patch.retcode, patch.success, patch.truncated, patch.started_at, out.json]);
      const group = same.get(key) ?? { patch, seqs: [] as number[] };
      group.seqs.push(Number(t.seq));
      same.set(key, group);
    }
    const storeStarted = Date.now();
    await guarded(ctx, job.id, async (trx, now) => {
      await updateTargetGroups(trx, job.id, [...same.values()].map(({ seqs, patch }) => ({ seqs, patch: { ...patch, finished_at: now } })));
      // Only after a recovery: salt did not publish to a minion whose key it lacks; try the next master.
      for (const t of unlisted) {
        const reason = `salt on ${master} did not publish jid ${jid} to ${t.salt_id} (no accepted key there)`;
        await failTargetInDispatch(trx, job.id, master, jid, Number(t.seq), reason);
        await updateTarget(trx, job.id, Number(t.seq), { jid: null, master_sn: null, started_at: null });
      }
    });
    // ms: the store transaction; groupMs: grouping the returns into patches before it.
    log.debug({ master, jid, returned: returned.length, ms: Date.now() - storeStarted, groupMs: storeStarted - groupStarted }, 'returns stored');
  });
  return left;
}
