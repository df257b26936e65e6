/**
 * An answer given to every target of a chunk is kept on the chunk whichever lookup brings it: minions
 * that answer after some latency (a later `jobs.list_job`, not the first) still leave no `job_targets`
 * row before the finish; one slow minion of three turns the chunk into rows, and the job reads the same.
 */
import { expect, it } from 'vitest';
import { describeEachDialect } from './helpers/db.js';
import { capturingLogger, runJob, useJobWorld } from './helpers/job-fleet.js';

describeEachDialect('a chunk answered after some latency', (dialect) => {
  const captured = capturingLogger();
  const world = useJobWorld(dialect, { config: { jobSaltTimeoutMs: 5000 }, logger: captured.logger });
  const minions = ['c-001', 'c-002', 'c-003'];
  const compactedFor = (id: string) => captured.lines.map((l) => JSON.parse(l) as { msg: string; job?: string; chunks?: number }).find((l) => l.msg === 'chunks compacted' && l.job === id);
  const lookups = () => world.fleet.c.requests().filter((r) => r.calls.some((c) => c.fun === 'jobs.list_job')).length;

  /**
   * Runs a test.ping on master C's three minions (latency in simulated seconds: the fleet runs at
   * 1/1000, so 100 is 100 ms) while sampling the job's `job_targets` rows until it is finished.
   */
  async function pingWithLatency(latencies: Record<string, number>, compaction: 'awaited' | 'none', request: object = {}) {
    for (const [id, s] of Object.entries(latencies)) world.fleet.c.setMinionLatency(id, s);
    const db = world.database.db;
    let sampling = true;
    let rowsBeforeFinish = 0;
    const sampler = (async () => {
      while (sampling) {
        // Rows of an unfinished job, in one statement: the compaction's rows come only after the finish.
        const rows = await db.selectFrom('job_targets as t').innerJoin('jobs as j', 'j.id', 't.job_id').select('t.seq').where('j.status', 'in', ['pending', 'running']).execute();
        rowsBeforeFinish = Math.max(rowsBeforeFinish, rows.length);
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    const before = lookups();
    try {
      const job = await runJob(world.app, { target: { minions }, fun: 'test.ping', ...request });
      // Waited for, or given time to show up if it would (wrongly) come.
      for (let i = 0; i < (compaction === 'awaited' ? 100 : 6) && !compactedFor(job.id); i += 1) await new Promise((r) => setTimeout(r, 50));
      const rows = await db.selectFrom('job_targets').select(['seq', 'outcome', 'return_json', 'reason']).where('job_id', '=', job.id).orderBy('seq').execute();
      const chunksLeft = await db.selectFrom('job_target_chunks').select('chunk_id').where('job_id', '=', job.id).execute();
      return { job, rowsBeforeFinish, lookups: lookups() - before, compacted: compactedFor(job.id), rows: rows.map((r) => ({ ...r, seq: Number(r.seq) })), chunksLeft };
    } finally {
      sampling = false;
      await sampler;
      for (const id of Object.keys(latencies)) world.fleet.c.setMinionLatency(id, 0);
    }
  }

  it('every minion answering after ~300 ms: the answer found by a later lookup is kept on the chunk (no job_targets row before the finish), then compacted', async () => {
    // 300 ms: well past the first lookup, which a loaded machine may make late after the publish.
    const { job, rowsBeforeFinish, lookups, compacted, rows } = await pingWithLatency({ 'c-001': 300, 'c-002': 300, 'c-003': 300 }, 'awaited');

    expect(job.status).toBe('done');
    expect(job.targets.map((t) => [t.sn, t.outcome, t.return, t.retcode, t.success])).toEqual(minions.map((sn) => [sn, 'returned', true, 0, true]));
    // The first lookup found nothing: the answer came in a later one.
    expect(lookups).toBeGreaterThan(1);
    expect(rowsBeforeFinish).toBe(0);
    expect(compacted?.chunks).toBe(1);
    expect(rows).toEqual(minions.map((_, seq) => ({ seq, outcome: 'returned', return_json: 'true', reason: null })));
  });

  it('no minion ever answering: the timeout (no_return) is one answer kept on the chunk, then compacted into rows that read the same', async () => {
    const never = Number.POSITIVE_INFINITY;
    const { job, rowsBeforeFinish, compacted, rows, chunksLeft } = await pingWithLatency({ 'c-001': never, 'c-002': never, 'c-003': never }, 'awaited', { timeout_s: 1 });
    const reread = (await world.app.inject({ url: `/api/v1/jobs/${job.id}` })).json() as typeof job;

    expect(job.status).toBe('failed');
    expect(job.counts).toEqual({ no_return: 3 });
    expect(job.targets.map((t) => [t.sn, t.outcome, t.master])).toEqual(minions.map((sn) => [sn, 'no_return', 'master-c']));
    expect(job.targets.every((t) => t.jid === job.targets[0]?.jid && /^\d{20}$/.test(t.jid ?? ''))).toBe(true);
    expect(rowsBeforeFinish).toBe(0);
    expect(compacted?.chunks).toBe(1);
    expect(chunksLeft).toEqual([]);
    expect(rows.map((r) => [r.seq, r.outcome, r.return_json])).toEqual(minions.map((_, seq) => [seq, 'no_return', null]));
    expect(rows.every((r) => /no return from master-c within timeout_s \(1 s\)/.test(r.reason ?? ''))).toBe(true);
    expect(reread).toEqual(job);
  });

  it('one slow minion of three: the chunk becomes rows at the first answers, and the job reads right', async () => {
    const { job, rowsBeforeFinish, compacted, rows } = await pingWithLatency({ 'c-001': 0, 'c-002': 0, 'c-003': 300 }, 'none');

    expect(job.status).toBe('done');
    expect(job.counts).toEqual({ returned: 3 });
    expect(job.targets.map((t) => [t.sn, t.outcome, t.return, t.retcode, t.success])).toEqual(minions.map((sn) => [sn, 'returned', true, 0, true]));
    expect(rowsBeforeFinish).toBe(3);
    // Nothing was left on a chunk to compact.
    expect(compacted).toBeUndefined();
    expect(rows).toEqual(minions.map((_, seq) => ({ seq, outcome: 'returned', return_json: 'true', reason: null })));
  });
});
