import { expect, it } from 'vitest';
import { describeEachDialect, useTestDatabase } from '../../test/helpers/db.js';
import type { Db } from '../db/database.js';
import { dialectOf } from '../db/dialects/index.js';
import { getJob, jobProgress, outcomeCounts, updateTargetGroups, type TargetRow } from './repository.js';
import { compactChunks } from './compact-chunks.js';
import { insertChunks, type ChunkTarget } from './target-chunks.js';

describeEachDialect('two writers or two compactions of one chunk at once', (dialect) => {
  const t = useTestDatabase(dialect);
  const targets: ChunkTarget[] = Array.from({ length: 50 }, (_, i) => [i, `m-${i}`, null, `m-${i}`, '["a"]']);
  async function job(db: Db, id: string, chunks: boolean, status = 'running') {
    await db.insertInto('jobs').values({ id, status: status as 'running', fun: 'test.ping', arg: '[]', kwarg: '{}', call_enc: 'x', timeout_s: 60, requested_by: 'op', created_at: 1_000, deadline_at: 61_000, finished_at: null, lease_owner: null, lease_until: null }).execute();
    if (chunks) await insertChunks(db, id, [{ chunkId: 'd1', targets }]);
    else await dialectOf(db).insertMany(db, 'job_targets', targets.map(([seq, sn, ip, saltId, candidates]) => ({ job_id: id, seq, sn, ip, salt_id: saltId, candidates, outcome: 'pending' as const })));
  }
  const rows = async (db: Db, id: string) => (await db.selectFrom('job_targets').selectAll().where('job_id', '=', id).orderBy('seq').execute()).map((r: TargetRow) => ({ ...r, job_id: 'j', seq: Number(r.seq), started_at: r.started_at === null ? null : Number(r.started_at), finished_at: r.finished_at === null ? null : Number(r.finished_at), retcode: r.retcode === null ? null : Number(r.retcode), success: r.success === null ? null : Number(r.success), truncated: Number(r.truncated) }));
  const a = { outcome: 'returned' as const, jid: '1', master_sn: 'a', started_at: 2_000, retcode: 0, success: 1, return_json: 'true', truncated: 0, reason: null, finished_at: 3_000 };
  const b = { outcome: 'returned' as const, jid: '2', master_sn: 'b', started_at: 2_100, retcode: 0, success: 1, return_json: 'true', truncated: 0, reason: null, finished_at: 3_100 };

  it('two parallel writers, each half a chunk (the pollRound branches of two masters after a partial failover)', async () => {
    const db = t.current.db;
    for (let round = 0; round < 5; round += 1) {
      const id = `par-${round}`;
      await job(db, id, true);
      await job(db, `${id}-rows`, false);
      const left = targets.filter(([s]) => s < 25).map(([s]) => s);
      const right = targets.filter(([s]) => s >= 25).map(([s]) => s);
      await Promise.all([
        db.transaction().execute((trx) => updateTargetGroups(trx, id, [{ seqs: left, patch: a }])),
        db.transaction().execute((trx) => updateTargetGroups(trx, id, [{ seqs: right, patch: b }])),
      ]);
      await db.transaction().execute((trx) => updateTargetGroups(trx, `${id}-rows`, [{ seqs: left, patch: a }]));
      await db.transaction().execute((trx) => updateTargetGroups(trx, `${id}-rows`, [{ seqs: right, patch: b }]));
      expect(await rows(db, id)).toEqual(await rows(db, `${id}-rows`));
      expect(await outcomeCounts(db, id)).toEqual({ returned: 50 });
    }
  });

  it('two compactions of one finished job at once, and a reader during them', async () => {
    const db = t.current.db;
    for (let round = 0; round < 5; round += 1) {
      const id = `cmp-${round}`;
      await job(db, id, true);
      await db.transaction().execute((trx) => updateTargetGroups(trx, id, [{ seqs: targets.map(([s]) => s), patch: a }]));
      await db.updateTable('jobs').set({ status: 'done', finished_at: 4_000 }).where('id', '=', id).execute();
      const before = await getJob(db, id);
      const [x, y, seen, counts] = await Promise.all([compactChunks(db, id), compactChunks(db, id), getJob(db, id), outcomeCounts(db, id)]);
      expect([x, y].sort()).toEqual([0, 1]);
      expect(seen).toEqual(before);
      expect(counts).toEqual({ returned: 50 });
      expect((await rows(db, id)).length).toBe(50);
      expect((await jobProgress(db, id)).pending).toEqual([]);
    }
  });
});
