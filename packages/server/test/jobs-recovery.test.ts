/**
 * Recovery of a dispatch an instance recorded but never settled (it died between writing the attempt
 * and writing salt's answer): the next instance asks the master's job cache for the dispatch's
 * metadata and follows the jid it finds, or marks the target `unknown`; it never dispatches again.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import type { JobStart } from '../src/jobs/follow-job.js';
import { insertChunks } from '../src/jobs/target-chunks.js';
import { createTestDatabase, describeEachDialect, type TestDatabase } from './helpers/db.js';
import { registerFleet, SALT_PASSWORD, startJobFleet, waitForJob, type JobFleet } from './helpers/job-fleet.js';

describeEachDialect('job recovery after an instance died mid-dispatch', (dialect) => {
  let database: TestDatabase;
  let fleet: JobFleet;
  let app: FastifyInstance | undefined;

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    fleet = await startJobFleet();
    const registrar = await buildApp(database.config(), { db: database.db, scheduler: false, jobRunner: false });
    await registerFleet(registrar, fleet);
    await registrar.close();
  });

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  afterAll(async () => {
    await fleet?.close();
    await database?.destroy();
  });

  /** A job created by an instance whose runner is off, then the dispatch "a dead instance" recorded. */
  async function jobWithInFlightDispatch(dispatchId: string): Promise<string> {
    const creator = await buildApp(database.config({ instanceId: 'dead-1' }), { db: database.db, scheduler: false, jobRunner: false });
    const res = await creator.inject({ method: 'POST', url: '/api/v1/jobs', payload: { target: { minions: ['c-001'] }, fun: 'test.ping', timeout_s: 30 } });
    await creator.close();
    const id = (res.json() as { id: string }).id;
    const now = Date.now();
    await database.db.updateTable('jobs').set({ status: 'running', lease_owner: 'dead-1', lease_until: now - 1 }).where('id', '=', id).execute();
    await database.db
      .insertInto('job_dispatches')
      .values({ job_id: id, dispatch_id: dispatchId, round: 1, master_sn: 'master-c', seqs: JSON.stringify([[0, 0]]), at: now, ok: null, reason: null, failures: null, jid: null })
      .execute();
    return id;
  }

  async function startSurvivor(): Promise<FastifyInstance> {
    app = await buildApp(database.config({ instanceId: 'survivor', jobPollIntervalMs: 50, jobLeaseMs: 1000 }), { db: database.db, scheduler: false });
    await app.ready();
    return app;
  }

  /** A job another instance (gone) finished a second ago; returns the `now` its times are relative to. */
  async function insertFinishedJob(id: string): Promise<number> {
    const now = Date.now();
    await database.db
      .insertInto('jobs')
      .values({ id, status: 'done', fun: 'test.ping', arg: '[]', kwarg: '{}', call_enc: 'x', timeout_s: 30, requested_by: 'op', created_at: now - 2_000, deadline_at: now + 28_000, finished_at: now - 1_000, lease_owner: 'dead-1', lease_until: null })
      .execute();
    return now;
  }
  const localAsyncCount = () => fleet.c.requests().filter((r) => r.calls.some((c) => c.client === 'local_async')).length;

  it('follows the jid salt recorded with the dispatch metadata, without dispatching again', async () => {
    const dispatchId = `d-${dialect}-found`;
    const id = await jobWithInFlightDispatch(dispatchId);
    // What the dead instance's local_async did reach salt with.
    const login = await fetch(`${fleet.c.url}/login`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify({ username: 'salt-api', password: SALT_PASSWORD, eauth: 'pam' }) });
    const token = login.headers.get('x-auth-token') ?? '';
    const sent = await fetch(fleet.c.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'x-auth-token': token },
      body: JSON.stringify([{ client: 'local_async', tgt: ['c-001'], tgt_type: 'list', fun: 'test.ping', metadata: { act2_job: id, act2_dispatch: dispatchId } }]),
    });
    const { jid } = ((await sent.json()) as { return: Array<{ jid: string }> }).return[0] ?? { jid: '' };
    const before = localAsyncCount();

    const survivor = await startSurvivor();
    const job = await waitForJob(survivor, id);

    expect(job.status).toBe('done');
    expect(job.targets[0]).toMatchObject({ outcome: 'returned', master: 'master-c', jid, return: true });
    expect(job.targets[0]?.attempts.map((a) => [a.master, a.ok])).toEqual([['master-c', true]]);
    expect(localAsyncCount()).toBe(before);
  });

  it('marks the target unknown, with the reason, when salt has no job with that metadata', async () => {
    const id = await jobWithInFlightDispatch(`d-${dialect}-missing`);
    const before = localAsyncCount();

    const survivor = await startSurvivor();
    const job = await waitForJob(survivor, id);

    expect(job.status).toBe('failed');
    expect(job.targets[0]?.outcome).toBe('unknown');
    expect(job.targets[0]?.reason).toMatch(/job cache has no job with act2_dispatch d-.*-missing: whether it ran is unknown/);
    expect(job.targets[0]?.attempts.map((a) => a.ok)).toEqual([false]);
    expect(localAsyncCount()).toBe(before);
  });

  it('a job whose creator died after storing it with its first dispatches, before calling salt: unknown, never dispatched', async () => {
    // The creator follows its own job from creation: its lease and first round are written with the job.
    const creator = await buildApp(database.config({ instanceId: 'dead-2' }), { db: database.db, scheduler: false });
    await creator.ready();
    // It "dies" between the commit and the local_async: following never starts.
    const id = await createJobNeverFollowed(creator);
    const stored = await database.db.selectFrom('jobs').select(['status', 'lease_owner']).where('id', '=', id).executeTakeFirstOrThrow();
    const inFlight = await database.db.selectFrom('job_dispatches').select(['master_sn', 'ok']).where('job_id', '=', id).execute();
    await database.db.updateTable('jobs').set({ lease_until: Date.now() - 1 }).where('id', '=', id).execute();
    const before = localAsyncCount();

    const survivor = await startSurvivor();
    const job = await waitForJob(survivor, id);

    expect(stored).toEqual({ status: 'running', lease_owner: 'dead-2' });
    expect(inFlight).toEqual([{ master_sn: 'master-c', ok: null }]);
    expect(job.status).toBe('failed');
    expect(job.targets[0]?.outcome).toBe('unknown');
    expect(job.targets[0]?.reason).toMatch(/an act2 instance stopped while dispatching to master-c, and that master's job cache has no job with act2_dispatch/);
    expect(localAsyncCount()).toBe(before);
  });

  it('a job created as its creator closes is handed back before the close ends (dispatches withdrawn, lease released), then dispatched once by the next follower, never unknown', async () => {
    const creator = await buildApp(database.config({ instanceId: 'closing-1' }), { db: database.db, scheduler: false });
    await creator.ready();
    const runner = creator.jobRunner;
    const adopt = runner.adopt;
    let start: JobStart | undefined;
    // The job is created (leased here, first round recorded); the instance begins closing before it is adopted.
    runner.adopt = (from) => {
      start = from;
      return Promise.resolve();
    };
    const res = await creator.inject({ method: 'POST', url: '/api/v1/jobs', payload: { target: { minions: ['c-001'] }, fun: 'test.ping', timeout_s: 30 } });
    const id = (res.json() as { id: string }).id;
    const closing = creator.close();
    // Closing has begun once no place can be reserved any more.
    while (runner.reserve()) {
      runner.unreserve();
      await sleep(1);
    }
    const before = localAsyncCount();

    await adopt(start!);
    const inFlight = await database.db.selectFrom('job_dispatches').select('dispatch_id').where('job_id', '=', id).execute();
    const lease = await database.db.selectFrom('jobs').select('lease_until').where('id', '=', id).executeTakeFirstOrThrow();
    await closing;
    const survivor = await startSurvivor();
    const job = await waitForJob(survivor, id);

    expect(inFlight).toEqual([]);
    expect(Number(lease.lease_until)).toBe(0);
    expect(job.status).toBe('done');
    expect(job.targets[0]).toMatchObject({ outcome: 'returned', return: true });
    expect(localAsyncCount()).toBe(before + 1);
  });

  it('a job whose follower stopped between its finish and the compaction of its chunks: the next instance\'s sweep compacts them, the job reads the same', async () => {
    const id = 'finished-not-compacted';
    const now = await insertFinishedJob(id);
    const answer = { outcome: 'returned', master_sn: 'master-c', jid: '20261130000000000042', retcode: 0, success: 1, return_json: 'true', truncated: 0, reason: null, started_at: now - 1_900, finished_at: now - 1_500 };
    await database.db
      .insertInto('job_target_chunks')
      .values({ job_id: id, chunk_id: 'd1', seqs: '[[0,1]]', n: 2, targets: JSON.stringify([[0, 'c-001', null, 'c-001', '["master-c"]'], [1, 'c-002', null, 'c-002', '["master-c"]']]), outcome: 'returned', patch: JSON.stringify(answer) })
      .execute();
    const registrar = await buildApp(database.config(), { db: database.db, scheduler: false, jobRunner: false });
    const before = (await registrar.inject({ url: `/api/v1/jobs/${id}` })).json() as { counts: unknown };
    await registrar.close();

    const survivor = await startSurvivor();
    const left = async () => (await database.db.selectFrom('job_target_chunks').select('chunk_id').where('job_id', '=', id).execute()).length;
    for (let i = 0; i < 100 && (await left()) > 0; i += 1) await sleep(50);
    const after = (await survivor.inject({ url: `/api/v1/jobs/${id}` })).json() as unknown;
    const rows = await database.db.selectFrom('job_targets').select(['seq', 'outcome', 'return_json']).where('job_id', '=', id).orderBy('seq').execute();

    expect(before.counts).toEqual({ returned: 2 });
    expect(await left()).toBe(0);
    expect(rows.map((r) => ({ ...r, seq: Number(r.seq) }))).toEqual([
      { seq: 0, outcome: 'returned', return_json: 'true' },
      { seq: 1, outcome: 'returned', return_json: 'true' },
    ]);
    expect(after).toEqual(before);
  });

  it('a full instance (every place reserved, nothing claimed) still sweeps: a finished job\'s chunks are compacted', async () => {
    const survivor = await startSurvivor();
    let reserved = 0;
    while (survivor.jobRunner.reserve()) reserved += 1;
    try {
      expect(reserved).toBeGreaterThan(0);
      const id = 'finished-while-full';
      await insertFinishedJob(id);
      await insertChunks(database.db, id, [{ chunkId: 'd1', targets: [[0, 'c-001', null, 'c-001', '["master-c"]']] }]);
      const left = async () => (await database.db.selectFrom('job_target_chunks').select('chunk_id').where('job_id', '=', id).execute()).length;
      for (let i = 0; i < 100 && (await left()) > 0; i += 1) await sleep(50);

      expect(survivor.jobRunner.reserve()).toBe(false);
      expect(await left()).toBe(0);
      const rows = await database.db.selectFrom('job_targets').select(['seq', 'outcome']).where('job_id', '=', id).execute();
      expect(rows.map((r) => ({ ...r, seq: Number(r.seq) }))).toEqual([{ seq: 0, outcome: 'pending' }]);
    } finally {
      for (; reserved > 0; reserved -= 1) survivor.jobRunner.unreserve();
    }
  });

  it('a job created here is leased from the clock read in the creating transaction, not from before its targets were resolved', async () => {
    // Each reading of the clock is 400 ms later than the one before (a slow resolution, say).
    let t = Date.now();
    const creator = await buildApp(database.config({ instanceId: 'slow-1', jobLeaseMs: 1000, jobPollIntervalMs: 50 }), { db: database.db, scheduler: false, clock: async () => (t += 400) });
    await creator.ready();
    const id = await createJobNeverFollowed(creator);

    const job = await database.db.selectFrom('jobs').select(['created_at', 'lease_until']).where('id', '=', id).executeTakeFirstOrThrow();
    const dispatch = await database.db.selectFrom('job_dispatches').select('at').where('job_id', '=', id).executeTakeFirstOrThrow();

    expect(Number(dispatch.at)).toBeGreaterThan(Number(job.created_at));
    expect(Number(job.lease_until)).toBe(Number(dispatch.at) + 1000);
    await database.db.updateTable('jobs').set({ status: 'done', lease_until: null }).where('id', '=', id).execute();
  });
});

/** POSTs a test.ping job for c-001 on `creator`, which stores it with its first dispatches but never follows it, then closes. */
async function createJobNeverFollowed(creator: FastifyInstance): Promise<string> {
  creator.jobRunner.adopt = () => Promise.resolve();
  const res = await creator.inject({ method: 'POST', url: '/api/v1/jobs', payload: { target: { minions: ['c-001'] }, fun: 'test.ping', timeout_s: 30 } });
  await creator.close();
  expect(res.statusCode).toBe(202);
  return (res.json() as { id: string }).id;
}
