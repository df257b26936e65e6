/**
 * The lease check every follower write makes (jobs/follow-context.ts `guarded`): a shared lock on the
 * job's row, so the writes of several masters' answers run side by side, while a takeover waits for
 * them and every later check fails; a write that updates the job's row locks it exclusively from the
 * start, so the runner's lease renewal waiting on that row cannot deadlock with it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { claimableJobIds, claimJob, holdsLease, insertDispatches, renewLease, updateJob, withdrawUnsentJob } from '../src/jobs/repository.js';
import { createTestDatabase, describeEachSharedDialect, type TestDatabase } from './helpers/db.js';

describeEachSharedDialect('the job lease check', (dialect) => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
  });

  afterAll(async () => {
    await database?.destroy();
  });

  async function leasedJob(id: string, owner: string, leaseUntil: number): Promise<void> {
    await database.db
      .insertInto('jobs')
      .values({ id, status: 'running', fun: 'test.ping', arg: '[]', kwarg: '{}', call_enc: 'x', timeout_s: 60, requested_by: 'op', created_at: 1, deadline_at: 60_001, finished_at: null, lease_owner: owner, lease_until: leaseUntil })
      .execute();
  }

  it('lets two writes of the holder check it at once; a takeover waits for both, and the next check fails', async () => {
    const id = `lease-share-${dialect}`;
    await leasedJob(id, 'a', 1);
    const order: string[] = [];
    const other = database.open();
    try {
      let takeover: Promise<boolean> | undefined;
      await Promise.all(
        ['w1', 'w2'].map((name) =>
          database.db.transaction().execute(async (trx) => {
            expect(await holdsLease(trx, id, 'a')).toBe(true);
            order.push(`${name} checked`);
            // Both writes hold the check here at once; the expired lease is claimed meanwhile.
            while (order.filter((o) => o.endsWith('checked')).length < 2) await sleep(10);
            takeover ??= claimJob(other, id, 'b', 2, 60_000).then((won) => {
              order.push('takeover');
              return won;
            });
            await sleep(150);
            order.push(`${name} committed`);
          }),
        ),
      );

      expect(await takeover).toBe(true);
      expect(order.indexOf('takeover')).toBe(order.length - 1);
      expect(await database.db.transaction().execute((trx) => holdsLease(trx, id, 'a'))).toBe(false);
    } finally {
      await other.destroy();
    }
  });

  it('a write that updates the job locks it exclusively from the start: the lease renewal waits, nothing deadlocks', async () => {
    const id = `lease-update-${dialect}`;
    await leasedJob(id, 'a', 1);
    let renewal: Promise<boolean> | undefined;

    await database.db.transaction().execute(async (trx) => {
      expect(await holdsLease(trx, id, 'a', 'update')).toBe(true);
      renewal = renewLease(database.db, id, 'a', 5, 60_000);
      await sleep(150);
      await updateJob(trx, id, { status: 'done', finished_at: 7, lease_until: null });
    });

    expect(await renewal).toBe(true);
    const row = await database.db.selectFrom('jobs').select(['status', 'lease_until']).where('id', '=', id).executeTakeFirstOrThrow();
    expect([row.status, Number(row.lease_until)]).toEqual(['done', 60_005]);
  });

  it('a job created here but not sent when the instance closes: its unsent dispatches are withdrawn and the lease handed back, only by the holder', async () => {
    await leasedJob('w1', 'a', Date.now() + 60_000);
    await leasedJob('w2', 'b', Date.now() + 60_000);
    for (const id of ['w1', 'w2']) await insertDispatches(database.db, [{ job_id: id, dispatch_id: `${id}-d1`, round: 1, master_sn: 'master-c', seqs: [0, 1], at: 1 }]);

    await withdrawUnsentJob(database.db, 'w1', 'a');
    await withdrawUnsentJob(database.db, 'w2', 'a');

    const left = await database.db.selectFrom('job_dispatches').select('dispatch_id').where('job_id', 'in', ['w1', 'w2']).execute();
    expect(left).toEqual([{ dispatch_id: 'w2-d1' }]);
    // w1 is claimable at once, as a job created without a follower; w2 is still b's.
    const claimable = await claimableJobIds(database.db, Date.now(), 100);
    expect(claimable).toContain('w1');
    expect(claimable).not.toContain('w2');
  });
});
