import { expect, it } from 'vitest';
import { describeEachDialect, useTestDatabase } from '../../test/helpers/db.js';
import type { Db } from '../db/database.js';
import { insertChunks, type ChunkTarget } from '../jobs/target-chunks.js';
import { CompactionBackoff, sweepFinishedChunks } from './chunk-sweep.js';

describeEachDialect('sweepFinishedChunks', (dialect) => {
  const t = useTestDatabase(dialect);
  const targets: ChunkTarget[] = [
    [0, 'm-0', null, 'm-0', '["a"]'],
    [1, 'm-1', null, 'm-1', '["a"]'],
  ];
  async function job(db: Db, id: string, status: 'running' | 'done', finishedAt = 2_000) {
    await db
      .insertInto('jobs')
      .values({ id, status, fun: 'test.ping', arg: '[]', kwarg: '{}', call_enc: 'x', timeout_s: 60, requested_by: 'op', created_at: 1_000, deadline_at: 61_000, finished_at: status === 'done' ? finishedAt : null, lease_owner: null, lease_until: null })
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

  it('jobs whose compaction keeps failing wait, longer each time, and do not hold back the others (more of them than one sweep takes)', async () => {
    const db = t.current.db;
    // Six broken jobs finished before the healthy one: a sweep of 4, longest finished first, takes broken
    // ones only. (The first test's jobs left here finished after all of these.)
    const broken = Array.from({ length: 6 }, (_, i) => `bk-${i}`);
    for (const [i, id] of broken.entries()) {
      await job(db, id, 'done', 1_500 + i);
      await db.insertInto('job_targets').values({ job_id: id, seq: 1, sn: 'm-1', ip: null, salt_id: 'm-1', candidates: '["a"]', outcome: 'pending' }).execute();
    }
    await job(db, 'bk-healthy', 'done', 1_900);
    const warned: Array<{ job: string; retryInSweeps?: number }> = [];
    const log = { info: () => undefined, warn: (obj: { job: string; retryInSweeps?: number }) => void (obj.job.startsWith('bk-') && warned.push(obj)) };
    const backoff = new CompactionBackoff(3, 8);
    const sweep = () => sweepFinishedChunks(db, { limit: 4, backoff, log });

    // Sweep 1: the four longest finished fail; sweep 2: the two other broken ones fail and the healthy one is compacted.
    expect(await sweep()).toEqual([]);
    expect(warned.map((w) => w.job)).toEqual(broken.slice(0, 4));
    expect((await sweep()).filter((id) => id.startsWith('bk-'))).toEqual(['bk-healthy']);
    expect(warned.map((w) => w.job)).toEqual(broken);
    expect([await chunksOf(db, 'bk-healthy'), await rowsOf(db, 'bk-healthy')]).toEqual([0, 2]);

    // Each broken job waits 3 sweeps, then 6, then 8 (the most): not retried (nor logged) every sweep.
    const triesOf = (id: string) => warned.filter((w) => w.job === id).map((w) => w.retryInSweeps);
    for (let i = 0; i < 20; i += 1) await sweep();
    expect(triesOf('bk-0')).toEqual([3, 6, 8, 8]);
    expect(warned.length).toBeLessThan(6 * 5);
    expect(await chunksOf(db, 'bk-0')).toBe(1);

    // A job fixed meanwhile is compacted at its next try and forgotten.
    await db.deleteFrom('job_targets').where('job_id', '=', 'bk-0').execute();
    for (let i = 0; i < 8; i += 1) await sweep();
    expect([await chunksOf(db, 'bk-0'), await rowsOf(db, 'bk-0')]).toEqual([0, 2]);
  });
});
