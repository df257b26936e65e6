import { expect, it } from 'vitest';
import { describeEachDialect, useTestDatabase } from '../../test/helpers/db.js';
import type { Db } from '../db/database.js';
import { insertChunks, type ChunkTarget } from '../jobs/target-chunks.js';
import { sweepFinishedChunks } from './chunk-sweep.js';

describeEachDialect('sweepFinishedChunks', (dialect) => {
  const t = useTestDatabase(dialect);
  const targets: ChunkTarget[] = [
    [0, 'm-0', null, 'm-0', '["a"]'],
    [1, 'm-1', null, 'm-1', '["a"]'],
  ];
  async function job(db: Db, id: string, status: 'running' | 'done') {
    await db
      .insertInto('jobs')
      .values({ id, status, fun: 'test.ping', arg: '[]', kwarg: '{}', call_enc: 'x', timeout_s: 60, requested_by: 'op', created_at: 1_000, deadline_at: 61_000, finished_at: status === 'done' ? 2_000 : null, lease_owner: null, lease_until: null })
      .execute();
    await insertChunks(db, id, [{ chunkId: 'd1', targets }]);
  }
  const chunksOf = async (db: Db, id: string) => (await db.selectFrom('job_target_chunks').select('chunk_id').where('job_id', '=', id).execute()).length;
  const rowsOf = async (db: Db, id: string) => (await db.selectFrom('job_targets').select('seq').where('job_id', '=', id).execute()).length;

  it('compacts finished jobs, not running or followed ones; a job whose compaction fails is a warning and the others go on', async () => {
    const db = t.current.db;
    await job(db, 'sw-done', 'done');
    await job(db, 'sw-running', 'running');
    await job(db, 'sw-followed', 'done');
    await job(db, 'sw-broken', 'done');
    // A row that the chunk also holds (never written by the application): its compaction's INSERT fails.
    await db.insertInto('job_targets').values({ job_id: 'sw-broken', seq: 1, sn: 'm-1', ip: null, salt_id: 'm-1', candidates: '["a"]', outcome: 'pending' }).execute();
    const warned: unknown[] = [];
    const log = { info: () => undefined, warn: (obj: unknown) => void warned.push(obj) };

    const compacted = await sweepFinishedChunks(db, { limit: 10, skip: (id) => id === 'sw-followed', log });

    expect(compacted).toEqual(['sw-done']);
    expect(warned).toEqual([expect.objectContaining({ job: 'sw-broken' })]);
    expect([await chunksOf(db, 'sw-done'), await rowsOf(db, 'sw-done')]).toEqual([0, 2]);
    expect([await chunksOf(db, 'sw-running'), await chunksOf(db, 'sw-followed'), await chunksOf(db, 'sw-broken')]).toEqual([1, 1, 1]);
    expect(await rowsOf(db, 'sw-broken')).toBe(1);
  });
});
