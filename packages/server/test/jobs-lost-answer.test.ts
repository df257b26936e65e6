/**
 * A local_async whose answer never arrives (our timeout, or the connection dropped after the request
 * went out) may still have been published. Before failing over, act2 asks that master's job cache for
 * the dispatch's metadata: a job found there is followed, never sent to the other master as well.
 */
import type { Job } from '@act2/shared';
import { beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from './helpers/db.js';
import { runJob, SALT_PASSWORD, useJobWorld, type JobFleet } from './helpers/job-fleet.js';

describeEachDialect('a dispatch whose answer was lost', (dialect) => {
  const world = useJobWorld(dialect, { config: { jobSaltTimeoutMs: 300 } });
  beforeAll(() => world.fleet.a.setDispatchReplyDelay(1000));

  /** The jids in this master's job cache whose metadata names the act2 job. */
  async function jobsOnMaster(sim: JobFleet['a'], jobId: string): Promise<string[]> {
    const login = await fetch(`${sim.url}/login`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify({ username: 'salt-api', password: SALT_PASSWORD, eauth: 'pam' }) });
    const token = ((await login.json()) as { return: Array<{ token: string }> }).return[0]?.token ?? '';
    const res = await fetch(sim.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'x-auth-token': token },
      body: JSON.stringify([{ client: 'runner', fun: 'jobs.list_jobs', search_metadata: { act2_job: jobId } }]),
    });
    return Object.keys(((await res.json()) as { return: Array<Record<string, unknown>> }).return[0] ?? {});
  }

  const published = (sim: JobFleet['a']) => sim.requests().filter((r) => r.calls.some((c) => c.client === 'local_async') && r.status === 200).length;

  it('follows the job the timed-out master published instead of running it on the other master too', async () => {
    const onB = published(world.fleet.b);

    const job = await runJob(world.app, { target: { minions: ['ha-001'] }, fun: 'test.ping' });

    expect(job.targets[0]).toMatchObject({ outcome: 'returned', master: 'master-a', return: true });
    expect(job.targets[0]?.attempts.map((a) => [a.master, a.ok])).toEqual([['master-a', true]]);
    expect(published(world.fleet.b)).toBe(onB);
  });

  it('fails over when the job cache shows nothing was published', async () => {
    const job = await runJob(world.app, { target: { minions: ['ghost-1'] }, fun: 'test.ping' });

    expect(job.targets[0]?.attempts.map((a) => [a.master, a.ok])).toEqual([
      ['master-a', false],
      ['master-b', false],
    ]);
    expect(job.targets[0]?.attempts[0]?.reason).toMatch(/ACT2_SALT_TIMEOUT: .*\(not in its job cache: not published\)/);
  });

  it('fails over when the job cache cannot be asked either, saying the job may have run on the first master', async () => {
    world.fleet.a.setClientsEnabled(['local', 'local_async']);
    let job: Job;
    try {
      job = await runJob(world.app, { target: { minions: ['ha-002'] }, fun: 'test.ping' });

      expect(job.targets[0]).toMatchObject({ outcome: 'returned', master: 'master-b' });
      expect(job.targets[0]?.attempts.map((a) => [a.master, a.ok])).toEqual([
        ['master-a', false],
        ['master-b', true],
      ]);
      expect(job.targets[0]?.attempts[0]?.reason).toMatch(/^ACT2_SALT_TIMEOUT: .* may have run on master-a \(its job cache could not be asked either: ACT2_SALT_CLIENT_DISABLED: /);
    } finally {
      world.fleet.a.setClientsEnabled(['local', 'local_async', 'local_batch', 'local_subset', 'runner', 'runner_async', 'wheel', 'wheel_async']);
    }
    // The trade-off the reason warns about: master-a's job cache has this job too (it ran on both masters).
    expect(await jobsOnMaster(world.fleet.a, job.id)).toHaveLength(1);
  });
});
