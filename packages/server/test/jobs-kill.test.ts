/**
 * Two act2-server processes on one PostgreSQL (or MySQL/MariaDB); the one following a job is killed with SIGKILL while
 * a minion is still running it. The other resumes following when the lease runs out and finishes the
 * job; salt saw one local_async per target, never two.
 */
import { execFileSync, spawn, type ChildProcessByStdio } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { isFinishedJobStatus, type Job } from '@act2/shared';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, describeEachSharedDialect, TEST_SECRET_KEY, type TestDatabase } from './helpers/db.js';
import { addToken } from './helpers/auth.js';
import { SALT_PASSWORD, startJobFleet, type JobFleet } from './helpers/job-fleet.js';

const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
let buildDir = '';

// One build of the server entry for every dialect below (into node_modules/.cache, so its npm imports resolve).
beforeAll(() => {
  mkdirSync(join(PACKAGE_DIR, 'node_modules', '.cache'), { recursive: true });
  buildDir = mkdtempSync(join(PACKAGE_DIR, 'node_modules', '.cache', 'act2-server-kill-'));
  execFileSync('npx', ['tsup', '--out-dir', buildDir, '--silent'], { cwd: PACKAGE_DIR, stdio: 'pipe' });
}, 120_000);

afterAll(() => {
  if (buildDir) rmSync(buildDir, { recursive: true, force: true });
});

describeEachSharedDialect('a job survives kill -9 of the instance following it (2 processes, one database)', (dialect) => {
  let database: TestDatabase;
  let fleet: JobFleet;
  const tokens = { register: '', jobs: '' };
  /** The job as `url` reports it once finished (or after 20 s, unfinished: the test's expectations then say so). */
  const finishedJob = async (url: string, id: string): Promise<Job | undefined> => {
    let job: Job | undefined;
    for (let i = 0; i < 200; i += 1) {
      job = (await (await fetch(`${url}/api/v1/jobs/${id}`, { headers: { authorization: `Bearer ${tokens.jobs}` } })).json()) as Job;
      if (isFinishedJobStatus(job.status)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    return job;
  };
  const children = new Map<string, { child: ChildProcessByStdio<null, Readable, Readable>; url: string; stdout: () => string }>();

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    tokens.register = await addToken(database.db, 'agents', ['register']);
    tokens.jobs = await addToken(database.db, 'operator', ['jobs']);
    fleet = await startJobFleet();
    for (const id of ['kill-a', 'kill-b']) children.set(id, await start(id));
  }, 120_000);

  afterAll(async () => {
    for (const { child } of children.values()) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await fleet?.close();
    await database?.destroy();
  });

  async function start(instanceId: string) {
    const child = spawn(
      process.execPath,
      [
        join(buildDir, 'act2-server.js'),
        ...['--port', '0', '--host', '127.0.0.1', '--db', database.url, '--instance-id', instanceId, '--db-pool-size', '3'],
        ...['--job-poll-interval', '100ms', '--job-lease', '1s', '--job-salt-timeout', '5s'],
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ACT2_SECRET_KEY: TEST_SECRET_KEY } },
    );
    let stdout = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const found = /"url":"(http:[^"]+)"/.exec(stdout)?.[1];
        if (found) resolve(found);
      });
      child.on('exit', () => reject(new Error(`${instanceId} exited before listening: ${stdout}`)));
    });
    return { child, url, stdout: () => stdout };
  }

  const post = async (url: string, path: string, body: unknown, token: string) => {
    const res = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as unknown };
  };

  it('the other instance finishes the job and no target is dispatched twice', async () => {
    const a = children.get('kill-a')!;
    const b = children.get('kill-b')!;
    const master = { sn: 'master-c', server: fleet.c.url, status: 'running', idc: 'idc-1', type: 'salt', options: { username: 'salt-api', password: SALT_PASSWORD } };
    const minions = ['c-001', 'c-002', 'c-003'].map((sn, i) => ({ sn, status: 'running', ips: [`10.9.0.${i + 1}`] }));
    expect((await post(a.url, '/register', { master, minions }, tokens.register)).status).toBe(200);
    // c-002 answers after 3 real seconds: the job is still being followed when its follower dies.
    fleet.c.setMinionLatency('c-002', 3000);

    const created = await post(a.url, '/api/v1/jobs', { target: { minions: ['c-001', 'c-002', 'c-003'] }, fun: 'test.ping', timeout_s: 60 }, tokens.jobs);
    expect(created.status).toBe(202);
    const id = (created.body as { id: string }).id;
    let owner: string | null = null;
    for (let i = 0; i < 100 && owner === null; i += 1) {
      const row = await database.db.selectFrom('jobs').select('lease_owner').where('id', '=', id).executeTakeFirst();
      // Published: the dispatch row holds the jid (a target's own row gets it with its return).
      const dispatched = await database.db.selectFrom('job_dispatches').select('jid').where('job_id', '=', id).where('ok', '=', 1).execute();
      if (row?.lease_owner && dispatched.length === 1) owner = row.lease_owner;
      else await new Promise((r) => setTimeout(r, 50));
    }
    expect(owner).not.toBeNull();
    const victim = children.get(owner!)!;
    const survivor = owner === 'kill-a' ? b : a;
    victim.child.kill('SIGKILL');

    const job = await finishedJob(survivor.url, id);
    const finished = await database.db.selectFrom('events').select('instance_id').where('kind', '=', 'job.finished').execute();
    const published = fleet.c.requests().filter((r) => r.calls.some((c) => c.client === 'local_async'));

    expect(job?.status).toBe('done');
    expect(job?.targets.map((t) => [t.sn, t.outcome, t.attempts.length])).toEqual([
      ['c-001', 'returned', 1],
      ['c-002', 'returned', 1],
      ['c-003', 'returned', 1],
    ]);
    expect(published).toHaveLength(1);
    expect(finished.map((e) => e.instance_id)).toEqual([owner === 'kill-a' ? 'kill-b' : 'kill-a']);
  });
  it('killed with one chunk answered (its answer kept on the chunk) and one pending: the other instance finishes the job from the chunks, nothing dispatched twice, then compacts them', async () => {
    // The instance the test above killed is started again: two live instances.
    for (const [instanceId, c] of children) if (c.child.exitCode !== null || c.child.signalCode !== null) children.set(instanceId, await start(instanceId));
    const master = (sn: string, sim: typeof fleet.a) => ({ sn, server: sim.url, status: 'running', idc: 'idc-1', type: 'salt', options: { username: 'salt-api', password: SALT_PASSWORD } });
    const lone = ['c-001', 'c-002', 'c-003'];
    const ha = ['ha-001', 'ha-002', 'ha-003'];
    const first = children.get('kill-a')!;
    expect((await post(first.url, '/register', { master: master('master-a', fleet.a), minions: ha.map((sn, i) => ({ sn, status: 'running', ips: [`10.8.0.${i + 1}`] })) }, tokens.register)).status).toBe(200);
    for (const sn of lone) fleet.c.setMinionLatency(sn, 0);
    // Master A's minions answer after 3 real seconds: their chunk is still pending when the follower dies.
    for (const sn of ha) fleet.a.setMinionLatency(sn, 3000);
    const localAsync = () => [fleet.a, fleet.c].map((sim) => sim.requests().filter((r) => r.calls.some((c) => c.client === 'local_async')).length);
    const before = localAsync();

    try {
      const created = await post(first.url, '/api/v1/jobs', { target: { minions: [...ha, ...lone] }, fun: 'test.ping', timeout_s: 60 }, tokens.jobs);
      expect(created.status).toBe(202);
      const id = (created.body as { id: string }).id;
      const chunks = async () => (await database.db.selectFrom('job_target_chunks').select(['outcome']).where('job_id', '=', id).orderBy('outcome').execute()).map((c) => c.outcome);
      let owner: string | null = null;
      for (let i = 0; i < 100 && owner === null; i += 1) {
        const row = await database.db.selectFrom('jobs').select('lease_owner').where('id', '=', id).executeTakeFirst();
        if (row?.lease_owner && (await chunks()).join() === 'pending,returned') owner = row.lease_owner;
        else await new Promise((r) => setTimeout(r, 50));
      }
      expect(owner).not.toBeNull();
      const rowsAtKill = await database.db.selectFrom('job_targets').select('seq').where('job_id', '=', id).execute();
      const victim = children.get(owner!)!;
      const survivor = owner === 'kill-a' ? children.get('kill-b')! : first;
      victim.child.kill('SIGKILL');

      const job = await finishedJob(survivor.url, id);
      for (let i = 0; i < 100 && (await chunks()).length > 0; i += 1) await new Promise((r) => setTimeout(r, 50));
      const rows = await database.db.selectFrom('job_targets').select(['sn', 'outcome', 'return_json']).where('job_id', '=', id).orderBy('seq').execute();
      const finishedBy = (await database.db.selectFrom('events').select(['instance_id', 'detail']).where('kind', '=', 'job.finished').orderBy('id').execute()).filter(
        (e) => (JSON.parse(e.detail ?? '{}') as { job_id?: string }).job_id === id,
      );

      expect(rowsAtKill).toEqual([]);
      expect(job?.status).toBe('done');
      expect(job?.targets.map((t) => [t.sn, t.outcome, t.master, t.return, t.attempts.length])).toEqual([
        ...ha.map((sn) => [sn, 'returned', 'master-a', true, 1]),
        ...lone.map((sn) => [sn, 'returned', 'master-c', true, 1]),
      ]);
      expect(localAsync().map((n, i) => n - before[i]!)).toEqual([1, 1]);
      expect(finishedBy.map((e) => e.instance_id)).toHaveLength(1);
      expect(finishedBy[0]?.instance_id).toBe(owner === 'kill-a' ? 'kill-b' : 'kill-a');
      expect(await chunks()).toEqual([]);
      expect(rows).toEqual([...ha, ...lone].map((sn) => ({ sn, outcome: 'returned', return_json: 'true' })));
    } finally {
      for (const sn of ha) fleet.a.setMinionLatency(sn, 0);
    }
  });
});
