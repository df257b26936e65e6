/**
 * Job routes under the auth plugin (`--auth tokens`, the default): they need a token with the `jobs`
 * scope, a token without it is refused with 403 before anything is stored or any master contacted,
 * and the audit records the token's name as `requested_by`.
 */
import { isFinishedJobStatus, type Job } from '@act2/shared';
import { expect, it } from 'vitest';
import { addToken, injectAs } from './helpers/auth.js';
import { describeEachDialect } from './helpers/db.js';
import { useJobWorld } from './helpers/job-fleet.js';

describeEachDialect('job routes need the jobs scope', (dialect) => {
  const tokens = { jobs: '', read: '', admin: '' };

  const world = useJobWorld(dialect, {
    config: { auth: 'tokens' },
    setup: async (database) => {
      tokens.jobs = await addToken(database.db, 'ops-alice', ['jobs']);
      tokens.read = await addToken(database.db, 'dashboards', ['read']);
      tokens.admin = await addToken(database.db, 'root-bob', ['admin']);
      return { registerToken: await addToken(database.db, 'agents', ['register']) };
    },
  });

  const body = { target: { minions: ['c-001'] }, fun: 'test.ping' };
  const contacted = () => world.fleet.a.requests().length + world.fleet.b.requests().length + world.fleet.c.requests().length;
  const jobCount = async () => Number((await world.database.db.selectFrom('jobs').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

  it('refuses a token without the jobs scope (403) and no token (401): nothing stored, no master contacted', async () => {
    const before = contacted();

    const wrongScope = await injectAs(world.app, tokens.read, { method: 'POST', url: '/api/v1/jobs', payload: body });
    const adminScope = await injectAs(world.app, tokens.admin, { method: 'POST', url: '/api/v1/jobs', payload: body });
    const none = await injectAs(world.app, undefined, { method: 'POST', url: '/api/v1/jobs', payload: body });
    const list = await injectAs(world.app, tokens.read, { method: 'GET', url: '/api/v1/jobs' });

    expect([wrongScope.statusCode, adminScope.statusCode, none.statusCode, list.statusCode]).toEqual([403, 403, 401, 403]);
    expect(wrongScope.json()).toMatchObject({ code: 'ACT2_FORBIDDEN' });
    expect(await jobCount()).toBe(0);
    await new Promise((r) => setTimeout(r, 200));
    expect(contacted()).toBe(before);
  });

  it('runs the job for a jobs token and records its name as requested_by', async () => {
    const created = await injectAs(world.app, tokens.jobs, { method: 'POST', url: '/api/v1/jobs', payload: body });
    expect(created.statusCode).toBe(202);
    const id = (created.json() as { id: string }).id;

    let job: Job | undefined;
    for (let i = 0; i < 200 && !isFinishedJobStatus(job?.status ?? ''); i += 1) {
      job = (await injectAs(world.app, tokens.jobs, { method: 'GET', url: `/api/v1/jobs/${id}` })).json() as Job;
      await new Promise((r) => setTimeout(r, 25));
    }
    const readerView = await injectAs(world.app, tokens.read, { method: 'GET', url: `/api/v1/jobs/${id}` });

    expect(job).toMatchObject({ status: 'done', requested_by: 'ops-alice' });
    expect(job?.targets[0]).toMatchObject({ outcome: 'returned', master: 'master-c' });
    expect(readerView.statusCode).toBe(403);
  });
});

