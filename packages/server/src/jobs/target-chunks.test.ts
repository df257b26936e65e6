import { expect, it } from 'vitest';
import { describeEachDialect, useTestDatabase } from '../../test/helpers/db.js';
import type { Db } from '../db/database.js';
import { dialectOf } from '../db/dialects/index.js';
import { getJob, insertDispatches, jobProgress, jobTargets, listJobs, outcomeCounts, settleDispatch, updateTargetGroups, updateTargets, type TargetRow } from './repository.js';
import { compactChunks, finishedJobsWithChunks } from './compact-chunks.js';
import { insertChunks, type ChunkTarget } from './target-chunks.js';

describeEachDialect('targets kept in chunks until a write splits them or the finished job is compacted', (dialect) => {
  const t = useTestDatabase(dialect);

  // Seq 0 and 5 settled at creation (rows); 1–2 in chunk d1, 3–4 and 6 in chunk d2. Seq 3 has no IP and
  // a sn with quotes; seq 6 a salt id that differs from its sn.
  const chunked: Record<string, ChunkTarget[]> = {
    d1: [
      [1, 'm-1', '10.0.0.1', 'm-1', '["master-a","master-b"]'],
      [2, 'm-2', '10.0.0.2', 'm-2', '["master-a"]'],
    ],
    d2: [
      [3, `o'brien "3"`, null, `o'brien "3"`, '["master-c"]'],
      [4, 'm-4', '10.0.0.4', 'm-4', '["master-c"]'],
      [6, 'm-6', '10.0.0.6', 'salt-id-6', '["master-c"]'],
    ],
  };

  /** A running job's row, nothing else. */
  async function insertJobRow(db: Db, id: string): Promise<void> {
    await db
      .insertInto('jobs')
      .values({ id, status: 'running', fun: 'test.ping', arg: '[]', kwarg: '{}', call_enc: 'x', timeout_s: 60, requested_by: 'op', created_at: 1_000, deadline_at: 61_000, finished_at: null, lease_owner: null, lease_until: null })
      .execute();
  }

  async function jobWith(db: Db, id: string, chunks: boolean): Promise<void> {
    await insertJobRow(db, id);
    const settled = [0, 5].map((seq) => ({ job_id: id, seq, sn: `gone-${seq}`, ip: null, salt_id: `gone-${seq}`, candidates: '[]', outcome: 'unknown_target' as const, reason: 'no master reports this minion', finished_at: 1_000 }));
    const pending = Object.values(chunked)
      .flat()
      .map(([seq, sn, ip, saltId, candidates]) => ({ job_id: id, seq, sn, ip, salt_id: saltId, candidates, outcome: 'pending' as const, reason: null, finished_at: null }));
    await dialectOf(db).insertMany(db, 'job_targets', chunks ? settled : [...settled, ...pending]);
    if (chunks) await insertChunks(db, id, Object.entries(chunked).map(([chunkId, targets]) => ({ chunkId, targets })));
  }

  /** What a reader sees of a job, without its id. */
  async function seen(db: Db, id: string) {
    const job = await getJob(db, id);
    const progress = await jobProgress(db, id);
    return { targets: job?.targets, counts: job?.counts, progress: progress.pending.map((p) => ({ ...p, seq: Number(p.seq) })), outcomes: await outcomeCounts(db, id) };
  }

  const rows = async (db: Db, id: string) =>
    (await db.selectFrom('job_targets').selectAll().where('job_id', '=', id).orderBy('seq').execute()).map((r: TargetRow) => ({ ...r, job_id: 'j', seq: Number(r.seq) }));

  it('reads a chunked job exactly as the same job stored as rows: targets, counts, pending targets, list filters', async () => {
    const db = t.current.db;
    await jobWith(db, 'chunked-1', true);
    await jobWith(db, 'rows-1', false);

    // The chunks are searched by the database: no chunk's targets are read back.
    let chunksRead = 0;
    const watched = db.withPlugin({
      transformQuery: (args) => args.node,
      transformResult: async (args) => {
        if (args.result.rows.some((r) => typeof r === 'object' && r !== null && 'targets' in r)) chunksRead += 1;
        return args.result;
      },
    });
    const byMinion = await listJobs(watched, { minion: `o'brien "3"`, limit: 10 });
    const bySalt = await listJobs(db, { minion: 'salt-id-6', limit: 10 });

    expect(await seen(db, 'chunked-1')).toEqual(await seen(db, 'rows-1'));
    expect((await seen(db, 'chunked-1')).counts).toEqual({ pending: 5, unknown_target: 2 });
    expect(byMinion.items.map((j) => j.id).sort()).toEqual(['chunked-1', 'rows-1']);
    expect(chunksRead).toBe(0);
    expect(byMinion.items.map((j) => j.counts)).toEqual([
      { pending: 5, unknown_target: 2 },
      { pending: 5, unknown_target: 2 },
    ]);
    // The minion filter matches a sn, not a salt id nor part of the JSON.
    expect(bySalt.items).toEqual([]);
  });

  it('the minion filter finds a chunked sn exactly: not a part of another sn, an ip or a salt id; sns with quotes and backslashes', async () => {
    const db = t.current.db;
    const job = async (id: string, targets: ChunkTarget[]) => {
      await insertJobRow(db, id);
      await insertChunks(db, id, [{ chunkId: 'd1', targets }]);
    };
    await job('exact-1', [
      [0, 'web-10', '10.0.0.1', 'web-10', '["master-a"]'],
      [1, 'a\\b "c"', null, 'x', '["master-a"]'],
    ]);
    await job('exact-2', [
      [0, 'web-1', '10.0.0.2', 'salt-web-1', '["master-a"]'],
      [1, 'a\\b', null, 'y', '["master-a"]'],
    ]);
    const ids = async (minion: string) => (await listJobs(db, { minion, limit: 10 })).items.map((j) => j.id).sort();
    expect(await ids('web-1')).toEqual(['exact-2']);
    expect(await ids('web-10')).toEqual(['exact-1']);
    expect(await ids('web-')).toEqual([]);
    expect(await ids('web')).toEqual([]);
    expect(await ids('10.0.0.1')).toEqual([]);
    expect(await ids('salt-web-1')).toEqual([]);
    expect(await ids('a\\b "c"')).toEqual(['exact-1']);
    expect(await ids('a\\b')).toEqual(['exact-2']);
    expect(await ids('a\\')).toEqual([]);
    expect(await ids('"c"')).toEqual([]);
    expect(await ids('b "c"')).toEqual([]);
  });

  it('writes a chunk as its rows with each target its patch, the same rows as updating stored targets; the rest of the write updates rows', async () => {
    const db = t.current.db;
    await jobWith(db, 'chunked-2', true);
    await jobWith(db, 'rows-2', false);
    const returned = { outcome: 'returned' as const, jid: '20261130000000000001', master_sn: 'master-c', started_at: 2_000, retcode: 0, success: 1, return_json: 'true', truncated: 0, reason: null, finished_at: 3_000 };
    const failed = { outcome: 'returned' as const, jid: '20261130000000000001', master_sn: 'master-c', started_at: 2_000, retcode: 1, success: 0, return_json: '"it\'s \\"bad\\""', truncated: 1, reason: null, finished_at: 3_000 };
    const writes = [
      { seqs: [3, 6], patch: returned },
      { seqs: [4], patch: failed },
      // Seq 0 is a row already: updated.
      { seqs: [0], patch: { reason: 'checked again' } },
    ];

    await db.transaction().execute((trx) => updateTargetGroups(trx, 'chunked-2', writes));
    await db.transaction().execute((trx) => updateTargetGroups(trx, 'rows-2', writes));
    const left = await db.selectFrom('job_target_chunks').select('chunk_id').where('job_id', '=', 'chunked-2').execute();

    // Chunk d1 (seq 1, 2) had no target in this write: it stays a chunk.
    expect(await rows(db, 'chunked-2')).toEqual((await rows(db, 'rows-2')).filter((r) => r.seq !== 1 && r.seq !== 2));
    expect(left).toEqual([{ chunk_id: 'd1' }]);
    expect(await seen(db, 'chunked-2')).toEqual(await seen(db, 'rows-2'));
  });

  it('more distinct patches than one statement each are sent as rows: same result', async () => {
    const db = t.current.db;
    await jobWith(db, 'chunked-3', true);
    await jobWith(db, 'rows-3', false);
    const writes = [1, 2, 3, 4, 6].map((seq) => ({ seqs: [seq], patch: { outcome: 'returned' as const, return_json: JSON.stringify(`output of ${seq}`), retcode: seq, finished_at: 3_000 } }));

    await db.transaction().execute((trx) => updateTargetGroups(trx, 'chunked-3', writes));
    await db.transaction().execute((trx) => updateTargetGroups(trx, 'rows-3', writes));
    await db.transaction().execute((trx) => updateTargets(trx, 'chunked-3', [1, 2], { reason: 'second write' }));
    await db.transaction().execute((trx) => updateTargets(trx, 'rows-3', [1, 2], { reason: 'second write' }));

    expect(await rows(db, 'chunked-3')).toEqual(await rows(db, 'rows-3'));
    expect(await db.selectFrom('job_target_chunks').select('chunk_id').where('job_id', '=', 'chunked-3').execute()).toEqual([]);
  });

  it('a scattered first answer (every third target of a 3,000-target chunk) converts the chunk with one statement over its JSON, not one per 250 ranges: same rows as stored targets', async () => {
    const db = t.current.db;
    const n = 3_000;
    const targets: ChunkTarget[] = Array.from({ length: n }, (_, i) => [i, `m-${i}`, null, `m-${i}`, '["master-a"]']);
    for (const id of ['scattered-chunked', 'scattered-rows']) {
      await insertJobRow(db, id);
    }
    await insertChunks(db, 'scattered-chunked', [{ chunkId: 'd1', targets }]);
    await dialectOf(db).insertMany(db, 'job_targets', targets.map(([seq, sn, ip, saltId, candidates]) => ({ job_id: 'scattered-rows', seq, sn, ip, salt_id: saltId, candidates, outcome: 'pending' as const })));
    const every3 = targets.filter(([seq]) => seq % 3 === 0).map(([seq]) => seq);
    const patch = { outcome: 'returned' as const, return_json: 'true', retcode: 0, success: 1, finished_at: 3_000 };
    let overChunks = 0;
    const counting = db.withPlugin({
      transformQuery: (args) => {
        if (JSON.stringify(args.node).includes('insert into job_targets')) overChunks += 1;
        return args.node;
      },
      transformResult: async (args) => args.result,
    });

    await counting.transaction().execute((trx) => updateTargets(trx, 'scattered-chunked', every3, patch));
    await db.transaction().execute((trx) => updateTargets(trx, 'scattered-rows', every3, patch));

    expect(overChunks).toBe(1);
    expect(await rows(db, 'scattered-chunked')).toEqual(await rows(db, 'scattered-rows'));
    expect(await outcomeCounts(db, 'scattered-chunked')).toEqual({ pending: n - every3.length, returned: every3.length });
  });

  it('a seq in two patches of one write takes the last, whether its target is in a chunk or a row', async () => {
    const db = t.current.db;
    await jobWith(db, 'chunked-4', true);
    await jobWith(db, 'rows-4', false);
    const writes = [
      { seqs: [3, 4], patch: { reason: 'first' } },
      { seqs: [3], patch: { reason: 'second' } },
    ];

    await db.transaction().execute((trx) => updateTargetGroups(trx, 'chunked-4', writes));
    await db.transaction().execute((trx) => updateTargetGroups(trx, 'rows-4', writes));

    expect((await rows(db, 'chunked-4')).find((r) => r.seq === 3)?.reason).toBe('second');
    expect(await rows(db, 'chunked-4')).toEqual((await rows(db, 'rows-4')).filter((r) => r.seq !== 1 && r.seq !== 2));
  });

  const PENDING_PATCH = { outcome: 'pending', master_sn: null, jid: null, retcode: null, success: null, return_json: null, truncated: 0, reason: null, started_at: null, finished_at: null };
  const answered = { outcome: 'returned' as const, jid: '20261130000000000001', master_sn: 'master-c', started_at: 2_000, retcode: 0, success: 1, return_json: 'true', truncated: 0, reason: null, finished_at: 3_000 };
  const chunkState = async (db: Db, id: string) =>
    (await db.selectFrom('job_target_chunks').select(['chunk_id', 'outcome', 'patch']).where('job_id', '=', id).orderBy('chunk_id').execute()).map((c) => ({ ...c, patch: c.patch === null ? null : (JSON.parse(c.patch) as unknown) }));

  it('one answer for every target of a chunk is stored once, on the chunk (no rows): read as the same job stored as rows, counts, pending targets and minion filter included', async () => {
    const db = t.current.db;
    await jobWith(db, 'uniform-1', true);
    await jobWith(db, 'uniform-rows-1', false);

    // Seq 0 (a row) is in the same write: it is updated as before.
    const writes = [{ seqs: [3, 4, 6], patch: answered }, { seqs: [0], patch: { reason: 'checked again' } }];
    await db.transaction().execute((trx) => updateTargetGroups(trx, 'uniform-1', writes));
    await db.transaction().execute((trx) => updateTargetGroups(trx, 'uniform-rows-1', writes));
    const byMinion = await listJobs(db, { minion: 'm-4', limit: 10 });

    expect((await rows(db, 'uniform-1')).map((r) => r.seq)).toEqual([0, 5]);
    expect(await chunkState(db, 'uniform-1')).toEqual([
      { chunk_id: 'd1', outcome: 'pending', patch: null },
      { chunk_id: 'd2', outcome: 'returned', patch: answered },
    ]);
    expect(await seen(db, 'uniform-1')).toEqual(await seen(db, 'uniform-rows-1'));
    const job = await getJob(db, 'uniform-1');
    expect(job?.targets.map((x) => [x.sn, x.outcome, x.return, x.retcode, x.success, x.master, x.jid])).toEqual([
      ['gone-0', 'unknown_target', null, null, null, null, null],
      ['m-1', 'pending', null, null, null, null, null],
      ['m-2', 'pending', null, null, null, null, null],
      [`o'brien "3"`, 'returned', true, 0, true, 'master-c', answered.jid],
      ['m-4', 'returned', true, 0, true, 'master-c', answered.jid],
      ['gone-5', 'unknown_target', null, null, null, null, null],
      ['m-6', 'returned', true, 0, true, 'master-c', answered.jid],
    ]);
    expect(job?.counts).toEqual({ pending: 2, returned: 3, unknown_target: 2 });
    expect(await outcomeCounts(db, 'uniform-1')).toEqual({ pending: 2, returned: 3, unknown_target: 2 });
    expect((await jobProgress(db, 'uniform-1')).pending.map((p) => Number(p.seq))).toEqual([1, 2]);
    // Other tests' jobs share the minion: only this test's two are compared.
    expect(byMinion.items.filter((j) => j.id.startsWith('uniform-')).map((j) => [j.id, j.counts]).sort()).toEqual([
      ['uniform-1', { pending: 2, returned: 3, unknown_target: 2 }],
      ['uniform-rows-1', { pending: 2, returned: 3, unknown_target: 2 }],
    ]);
  });

  it('following a job reads the targets of only the chunks still pending: an answered chunk is not read back, a chunk whose patch left it pending is', async () => {
    const db = t.current.db;
    await jobWith(db, 'follow-1', true);
    await jobWith(db, 'follow-rows-1', false);
    // d2 answered; d1 keeps an answer that leaves its targets pending (as a recovery's jid reset does).
    const writes = [{ seqs: [3, 4, 6], patch: answered }, { seqs: [1, 2], patch: { jid: null, master_sn: null, started_at: null } }];
    await db.transaction().execute((trx) => updateTargetGroups(trx, 'follow-1', writes));
    await db.transaction().execute((trx) => updateTargetGroups(trx, 'follow-rows-1', writes));
    const chunksRead: unknown[][] = [];
    const watched = db.withPlugin({
      transformQuery: (args) => args.node,
      transformResult: async (args) => {
        const targets = args.result.rows.filter((r) => typeof r === 'object' && r !== null && 'targets' in r).map((r) => JSON.parse(String((r as { targets: unknown }).targets)) as unknown);
        if (targets.length > 0) chunksRead.push(targets);
        return args.result;
      },
    });

    const progress = await jobProgress(watched, 'follow-1');

    expect(await chunkState(db, 'follow-1')).toEqual([
      { chunk_id: 'd1', outcome: 'pending', patch: { outcome: 'pending', master_sn: null, jid: null, retcode: null, success: null, return_json: null, truncated: 0, reason: null, started_at: null, finished_at: null } },
      { chunk_id: 'd2', outcome: 'returned', patch: answered },
    ]);
    expect(progress.pending.map((p) => ({ ...p, seq: Number(p.seq) }))).toEqual((await jobProgress(db, 'follow-rows-1')).pending.map((p) => ({ ...p, seq: Number(p.seq) })));
    expect(progress.pending.map((p) => Number(p.seq))).toEqual([1, 2]);
    expect(chunksRead).toEqual([[chunked.d1]]);
  });

  it('following a job gives each pending target its dispatch’s jid, whether settled on the dispatch only or written on the targets (a recovery), in one job', async () => {
    const db = t.current.db;
    await jobWith(db, 'mixed-1', true);
    await insertDispatches(db, [
      { job_id: 'mixed-1', dispatch_id: 'd1', round: 1, master_sn: 'master-a', seqs: [1, 2], at: 2_000 },
      { job_id: 'mixed-1', dispatch_id: 'd2', round: 1, master_sn: 'master-c', seqs: [3, 4, 6], at: 2_000 },
    ]);
    // d1 settled on its dispatch row only; d2's jid written on its targets, as a recovery after kill -9 does.
    await settleDispatch(db, 'mixed-1', 'd1', { jid: 'J-A', okCount: 2, failures: new Map() });
    await settleDispatch(db, 'mixed-1', 'd2', { jid: 'J-C', okCount: 3, failures: new Map() });
    await db.transaction().execute((trx) => updateTargetGroups(trx, 'mixed-1', [{ seqs: [3, 4, 6], patch: { jid: 'J-C', master_sn: 'master-c', started_at: 2_000 } }]));

    const progress = await jobProgress(db, 'mixed-1');

    expect(progress.pending.map((p) => [Number(p.seq), p.jid, p.master_sn])).toEqual([
      [1, 'J-A', 'master-a'],
      [2, 'J-A', 'master-a'],
      [3, 'J-C', 'master-c'],
      [4, 'J-C', 'master-c'],
      [6, 'J-C', 'master-c'],
    ]);
  });

  it('a write reaches a chunk through any of its seq ranges, and seqs are compared as numbers, not as text', async () => {
    const db = t.current.db;
    await jobWith(db, 'ranges-1', true);
    // d2's seqs are the ranges [3, 4] and [6, 6]: a write of 6 alone reaches it through its second range.
    await db.transaction().execute((trx) => updateTargetGroups(trx, 'ranges-1', [{ seqs: [6], patch: answered }]));
    expect((await jobProgress(db, 'ranges-1')).pending.map((p) => Number(p.seq))).toEqual([1, 2, 3, 4]);
    expect((await jobTargets(db, 'ranges-1')).find((r) => Number(r.seq) === 6)?.outcome).toBe('returned');

    // Seqs 2 and 10 (in text order "10" < "2"): both chunks are reached.
    await insertJobRow(db, 'ranges-2');
    await insertChunks(db, 'ranges-2', [
      { chunkId: 'a', targets: [[2, 'm-2', null, 'm-2', '["master-a"]']] },
      { chunkId: 'b', targets: [[10, 'm-10', null, 'm-10', '["master-b"]']] },
    ]);
    await db.transaction().execute((trx) => updateTargetGroups(trx, 'ranges-2', [{ seqs: [2, 10], patch: answered }]));
    expect((await jobProgress(db, 'ranges-2')).pending).toEqual([]);
    expect((await jobTargets(db, 'ranges-2')).map((r) => [Number(r.seq), r.outcome])).toEqual([
      [2, 'returned'],
      [10, 'returned'],
    ]);
  });

  it('equal answers given target by target (one patch per target, as a dead pair\'s dispatch_failed) are one answer kept on the chunk; different ones make rows', async () => {
    const db = t.current.db;
    await jobWith(db, 'uniform-5', true);
    await jobWith(db, 'uniform-rows-5', false);
    const failed = (reason: string) => ({ outcome: 'dispatch_failed' as const, reason, finished_at: 3_000 });
    const writes = [
      { seqs: [3], patch: failed('every candidate master failed (master-c: refused)') },
      { seqs: [4], patch: failed('every candidate master failed (master-c: refused)') },
      { seqs: [6], patch: failed('every candidate master failed (master-c: refused)') },
      { seqs: [1], patch: failed('every candidate master failed (master-a: refused)') },
      { seqs: [2], patch: failed('every candidate master failed (master-a: timeout)') },
    ];

    await db.transaction().execute((trx) => updateTargetGroups(trx, 'uniform-5', writes));
    await db.transaction().execute((trx) => updateTargetGroups(trx, 'uniform-rows-5', writes));

    expect(await chunkState(db, 'uniform-5')).toEqual([{ chunk_id: 'd2', outcome: 'dispatch_failed', patch: { ...PENDING_PATCH, ...failed('every candidate master failed (master-c: refused)') } }]);
    expect((await rows(db, 'uniform-5')).map((r) => r.seq)).toEqual([0, 1, 2, 5]);
    expect(await seen(db, 'uniform-5')).toEqual(await seen(db, 'uniform-rows-5'));
    expect(await outcomeCounts(db, 'uniform-5')).toEqual({ dispatch_failed: 5, unknown_target: 2 });
  });

  it('a later write to one target of a patched chunk turns the chunk into rows: that target both patches, the others the chunk\'s', async () => {
    const db = t.current.db;
    await jobWith(db, 'uniform-2', true);
    await jobWith(db, 'uniform-rows-2', false);
    const later = { reason: 'looked up again', retcode: 2, success: 0 };

    for (const id of ['uniform-2', 'uniform-rows-2']) {
      await db.transaction().execute((trx) => updateTargets(trx, id, [3, 4, 6], answered));
      await db.transaction().execute((trx) => updateTargets(trx, id, [4], later));
    }

    expect(await chunkState(db, 'uniform-2')).toEqual([{ chunk_id: 'd1', outcome: 'pending', patch: null }]);
    expect(await rows(db, 'uniform-2')).toEqual((await rows(db, 'uniform-rows-2')).filter((r) => r.seq !== 1 && r.seq !== 2));
    expect((await rows(db, 'uniform-2')).find((r) => r.seq === 4)).toMatchObject({ outcome: 'returned', return_json: 'true', reason: 'looked up again', retcode: 2, success: 0 });
    expect(await seen(db, 'uniform-2')).toEqual(await seen(db, 'uniform-rows-2'));
  });

  it('a second answer for every target of a patched chunk goes over the first on the chunk; mixed answers in one write: the uniform chunk keeps its patch, the mixed one becomes rows', async () => {
    const db = t.current.db;
    await jobWith(db, 'uniform-3', true);
    await jobWith(db, 'uniform-rows-3', false);
    const pendingPublished = { jid: '20261130000000000009', master_sn: 'master-a', started_at: 1_500 };
    const mixed = [
      { seqs: [1, 2], patch: { ...answered, master_sn: 'master-a', jid: pendingPublished.jid } },
      { seqs: [3, 6], patch: answered },
      { seqs: [4], patch: { ...answered, retcode: 1, success: 0, return_json: '"no"' } },
    ];

    for (const id of ['uniform-3', 'uniform-rows-3']) {
      await db.transaction().execute((trx) => updateTargets(trx, id, [1, 2], pendingPublished));
      await db.transaction().execute((trx) => updateTargetGroups(trx, id, mixed));
    }

    expect(await chunkState(db, 'uniform-3')).toEqual([{ chunk_id: 'd1', outcome: 'returned', patch: { ...answered, master_sn: 'master-a', jid: pendingPublished.jid, started_at: 2_000 } }]);
    expect((await rows(db, 'uniform-3')).map((r) => r.seq)).toEqual([0, 3, 4, 5, 6]);
    expect(await seen(db, 'uniform-3')).toEqual(await seen(db, 'uniform-rows-3'));
    expect(await outcomeCounts(db, 'uniform-3')).toEqual({ returned: 5, unknown_target: 2 });
  });

  it('a finished job\'s chunks are compacted into rows with their patch (an unfinished job\'s are not); the sweep finds finished jobs that still hold chunks', async () => {
    const db = t.current.db;
    await jobWith(db, 'uniform-4', true);
    await jobWith(db, 'uniform-rows-4', false);
    for (const id of ['uniform-4', 'uniform-rows-4']) await db.transaction().execute((trx) => updateTargets(trx, id, [3, 4, 6], answered));
    const before = await seen(db, 'uniform-4');

    const whileRunning = await compactChunks(db, 'uniform-4');
    const sweptRunning = await finishedJobsWithChunks(db, 100);
    await db.updateTable('jobs').set({ status: 'partial', finished_at: 4_000 }).where('id', 'in', ['uniform-4', 'uniform-rows-4']).execute();
    const swept = await finishedJobsWithChunks(db, 100);
    const compacted = await compactChunks(db, 'uniform-4');
    const again = await compactChunks(db, 'uniform-4');

    expect(whileRunning).toBe(0);
    expect(sweptRunning).not.toContain('uniform-4');
    expect(swept).toContain('uniform-4');
    expect([compacted, again]).toEqual([2, 0]);
    expect(await chunkState(db, 'uniform-4')).toEqual([]);
    // Every target a row, the chunks' patches in them (d1 pending): as the job stored as rows.
    expect(await rows(db, 'uniform-4')).toEqual(await rows(db, 'uniform-rows-4'));
    expect(await seen(db, 'uniform-4')).toEqual(before);
    expect(await finishedJobsWithChunks(db, 100)).not.toContain('uniform-4');
  });

  it('a chunk turned into rows between a reader\'s reads of rows and chunks: no target vanishes or is seen twice, counts included', async () => {
    // SQLite: one connection, a write cannot commit while a read waits on it.
    if (dialect === 'sqlite') return;
    const db = t.current.db;
    for (const held of ['job_targets', 'job_target_chunks']) {
      for (const reader of ['targets', 'counts', 'list'] as const) {
        const id = `race-${reader}-${held}`;
        await jobWith(db, id, true);
        let open!: () => void;
        const gate = new Promise<void>((resolve) => (open = resolve));
        // The reader's query on `held` waits until the conversion below has committed.
        const view = heldDb(db, held, gate);
        const reading =
          reader === 'targets'
            ? jobTargets(view, id).then((ts) => ts.map((r) => [Number(r.seq), r.outcome]))
            : reader === 'counts'
              ? outcomeCounts(view, id)
              : listJobs(view, { limit: 100 }).then((page) => page.items.find((j) => j.id === id)?.counts);
        await new Promise((resolve) => setTimeout(resolve, 100));
        await db.transaction().execute((trx) => updateTargets(trx, id, [3], { outcome: 'returned', finished_at: 2_000 }));
        open();

        // What the job was before the conversion, or after it: either, never a mix.
        const [before, after] =
          reader === 'targets'
            ? [3, 'returned'].map((outcome) => [[0, 'unknown_target'], [1, 'pending'], [2, 'pending'], [3, outcome === 3 ? 'pending' : outcome], [4, 'pending'], [5, 'unknown_target'], [6, 'pending']])
            : [{ pending: 5, unknown_target: 2 }, { pending: 4, returned: 1, unknown_target: 2 }];
        expect([[held, reader, before], [held, reader, after]]).toContainEqual([held, reader, await reading]);
      }
    }
  });
});

/** `db` whose queries on `table` run only once `gate` is open. */
function heldDb(db: Db, table: string, gate: Promise<void>): Db {
  const held = <T extends object>(builder: T): T =>
    new Proxy(builder, {
      get(target, prop) {
        const value: unknown = Reflect.get(target, prop);
        if (typeof value !== 'function') return value;
        if (prop === 'execute' || prop === 'executeTakeFirst' || prop === 'executeTakeFirstOrThrow') {
          return async (...args: unknown[]) => {
            await gate;
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          };
        }
        return (...args: unknown[]) => {
          const result: unknown = (value as (...a: unknown[]) => unknown).apply(target, args);
          return result !== null && typeof result === 'object' && 'execute' in result ? held(result) : result;
        };
      },
    });
  return new Proxy(db, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop);
      if (prop === 'selectFrom') return (from: never) => (from === table ? held(target.selectFrom(from)) : target.selectFrom(from));
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
