/**
 * Salt jobs end to end: an act2-server app on a real database, masters that are salt-api simulators
 * speaking the captured protocol (an HA pair and a lone master), jobs followed by the app's runner.
 */
import type { Job, JobList, JobSummary, MinionDetail } from '@act2/shared';
import { expect, it } from 'vitest';
import { describeEachDialect } from './helpers/db.js';
import { capturingLogger, type JobFleet, runJob, SALT_PASSWORD, useJobWorld, waitForJob } from './helpers/job-fleet.js';

const localAsyncCalls = (fleet: JobFleet) => ({
  a: fleet.a.requests().filter((r) => r.calls.some((c) => c.client === 'local_async')).length,
  b: fleet.b.requests().filter((r) => r.calls.some((c) => c.client === 'local_async')).length,
  c: fleet.c.requests().filter((r) => r.calls.some((c) => c.client === 'local_async')).length,
});

describeEachDialect('salt jobs', (dialect) => {
  const captured = capturingLogger();

  const world = useJobWorld(dialect, {
    fleet: { maxEventSize: 64 * 1024 },
    config: { jobSaltTimeoutMs: 5000, jobOutputLimitBytes: 2048, jobFunctions: ['test.*', 'cmd.run', 'grains.item'] },
    logger: captured.logger,
  });

  it('routes each target to the first running master GET /api/v1/minions/{sn} lists, one local_async per master', async () => {
    const before = localAsyncCalls(world.fleet);
    const detail = (await world.app.inject({ url: '/api/v1/minions/ha-001' })).json() as MinionDetail;

    const job = await runJob(world.app, { target: { minions: ['ha-001', 'ha-002', 'c-001'] }, fun: 'test.ping' });

    expect(detail.masters.map((m) => m.sn)).toEqual(['master-a', 'master-b']);
    expect(job.status).toBe('done');
    expect(job.targets.map((t) => [t.sn, t.outcome, t.master, t.return, t.retcode, t.success])).toEqual([
      ['ha-001', 'returned', 'master-a', true, 0, true],
      ['ha-002', 'returned', 'master-a', true, 0, true],
      ['c-001', 'returned', 'master-c', true, 0, true],
    ]);
    expect(job.targets[0]?.jid).toMatch(/^\d{20}$/);
    expect(job.targets[0]?.jid).toBe(job.targets[1]?.jid);
    expect(localAsyncCalls(world.fleet)).toEqual({ a: before.a + 1, b: before.b, c: before.c + 1 });
  });

  it('stores a fleet-wide answer once per chunk and compacts the chunks into rows after the finish: every target returned with its return, found by the minion filter', async () => {
    const minions = ['ha-001', 'ha-002', 'ha-003', 'c-001', 'c-002', 'c-003'];

    const job = await runJob(world.app, { target: { minions }, fun: 'test.ping' });
    // The compaction follows the finish, in its own transaction: waited for.
    const compactedLine = () => captured.lines.map((l) => JSON.parse(l) as { msg: string; job?: string; chunks?: number }).find((l) => l.msg === 'chunks compacted' && l.job === job.id);
    for (let i = 0; i < 100 && !compactedLine(); i += 1) await new Promise((resolve) => setTimeout(resolve, 50));
    const compacted = compactedLine();
    const left = await world.database.db.selectFrom('job_target_chunks').select('chunk_id').where('job_id', '=', job.id).execute();
    const rows = await world.database.db.selectFrom('job_targets').select('seq').where('job_id', '=', job.id).execute();
    const byMinion = (await world.app.inject({ url: '/api/v1/jobs?minion=c-002&limit=1000' })).json() as JobList;

    expect(job.status).toBe('done');
    expect(job.counts).toEqual({ returned: 6 });
    expect(job.targets.map((t) => [t.sn, t.outcome, t.return, t.retcode, t.success])).toEqual(minions.map((sn) => [sn, 'returned', true, 0, true]));
    // Both masters' answers were kept on their chunk until the finish (one per master), then became rows.
    expect(compacted?.chunks).toBe(2);
    expect(left).toEqual([]);
    expect(rows).toHaveLength(6);
    expect(byMinion.items.find((j) => j.id === job.id)?.counts).toEqual({ returned: 6 });
  });

  it('routes to the fresher running master even when its name sorts last', async () => {
    const register = (sn: string) =>
      world.app.inject({
        method: 'POST',
        url: '/register',
        payload: {
          master: { sn, server: world.fleet.c.url, status: 'running', idc: 'idc-1', type: 'salt', options: { username: 'salt-api', password: SALT_PASSWORD } },
          minions: [{ sn: 'ROUTE-1', id: 'c-001', status: 'running', ips: ['10.5.0.1'] }],
        },
      });
    await register('route-a');
    await new Promise((r) => setTimeout(r, 20));
    await register('route-z');
    const detail = (await world.app.inject({ url: '/api/v1/minions/ROUTE-1' })).json() as MinionDetail;

    const job = await runJob(world.app, { target: { minions: ['ROUTE-1'] }, fun: 'test.ping' });

    expect(detail.masters.map((m) => m.sn)).toEqual(['route-z', 'route-a']);
    expect(job.targets[0]).toMatchObject({ outcome: 'returned', master: detail.masters[0]?.sn });
    expect(job.targets[0]?.attempts.map((a) => a.master)).toEqual(['route-z']);
  });

  it('fails over inside the HA pair when the first master is down, keeping both attempts', async () => {
    world.fleet.a.setMasterDown('hang');
    try {
      const job = await runJob(world.app, { target: { minions: ['ha-003'] }, fun: 'cmd.run', arg: ['echo hi'] });

      const [target] = job.targets;
      expect(target?.outcome).toBe('returned');
      expect(target?.master).toBe('master-b');
      expect(target?.return).toBe('hi');
      expect(target?.attempts.map((a) => [a.master, a.ok])).toEqual([
        ['master-a', false],
        ['master-b', true],
      ]);
      expect(target?.attempts[0]?.reason).toMatch(/HTTP 500.*An unexpected error occurred/);
    } finally {
      world.fleet.a.setMasterDown(false);
    }
  });

  it('a master slow to answer its local_async holds back neither the other masters’ dispatches nor their first lookup', async () => {
    // Like a stopped master's 500 after 15 s: master-a answers after 3 s (published), master-c at once.
    world.fleet.a.setDispatchReplyDelay(3000);
    try {
      const started = Date.now();
      const created = await world.app.inject({ method: 'POST', url: '/api/v1/jobs', payload: { target: { minions: ['ha-001', 'c-002'] }, fun: 'test.ping' } });
      const id = (created.json() as JobSummary).id;
      let job: Job;
      do {
        await new Promise((r) => setTimeout(r, 25));
        job = (await world.app.inject({ url: `/api/v1/jobs/${id}` })).json() as Job;
      } while (job.targets.find((t) => t.sn === 'c-002')?.outcome !== 'returned' && Date.now() - started < 10_000);
      const returnedAfter = Date.now() - started;
      const done = await waitForJob(world.app, id);

      expect(returnedAfter).toBeLessThan(1_500);
      expect(done.targets.map((t) => [t.sn, t.outcome, t.master])).toEqual([
        ['ha-001', 'returned', 'master-a'],
        ['c-002', 'returned', 'master-c'],
      ]);
    } finally {
      world.fleet.a.setDispatchReplyDelay(0);
    }
  });

  it.each([
    ['503 Salt Master is not available (no IPC)', () => world.fleet.a.setMasterDown('no-ipc'), /ACT2_SALT_UNAVAILABLE: salt-api answered 503 .*Salt Master is not available/],
    ["3006's Client disabled", () => world.fleet.a.setClientsEnabled(['runner']), /ACT2_SALT_CLIENT_DISABLED: .*'local_async' client disabled/],
  ] as const)('fails over on %s too', async (_name, breakA, reason) => {
    breakA();
    try {
      const job = await runJob(world.app, { target: { minions: ['ha-002'] }, fun: 'test.ping' });

      expect(job.targets[0]?.attempts.map((a) => [a.master, a.ok])).toEqual([
        ['master-a', false],
        ['master-b', true],
      ]);
      expect(job.targets[0]?.attempts[0]?.reason).toMatch(reason);
    } finally {
      world.fleet.a.setMasterDown(false);
      world.fleet.a.setClientsEnabled(['local', 'local_async', 'local_batch', 'local_subset', 'runner', 'runner_async', 'wheel', 'wheel_async']);
    }
  });

  it('keeps one salt-api session per master and logs in again once after each salt-api restart', async () => {
    const logins = () => world.fleet.a.requests().filter((r) => r.path === '/login').length;
    await runJob(world.app, { target: { minions: ['ha-001'] }, fun: 'test.ping' });
    const before = logins();

    await runJob(world.app, { target: { minions: ['ha-001'] }, fun: 'test.ping' });
    const cached = logins();
    await world.fleet.a.restart();
    const first = await runJob(world.app, { target: { minions: ['ha-001'] }, fun: 'test.ping' });
    const once = logins();
    await world.fleet.a.restart();
    const second = await runJob(world.app, { target: { minions: ['ha-001'] }, fun: 'test.ping' });

    expect([cached, once, logins()]).toEqual([before, before + 1, before + 2]);
    for (const job of [first, second]) {
      expect(job.targets[0]).toMatchObject({ outcome: 'returned', master: 'master-a' });
      expect(job.targets[0]?.attempts.map((a) => [a.master, a.ok])).toEqual([['master-a', true]]);
    }
  });

  it('fails over when a master refuses the session again right after logging in again', async () => {
    const logins = () => world.fleet.a.requests().filter((r) => r.path === '/login').length;
    const before = logins();
    world.fleet.a.setSessionsRefused(true);
    try {
      const job = await runJob(world.app, { target: { minions: ['ha-002'] }, fun: 'test.ping' });

      expect(logins()).toBe(before + 1);
      expect(job.targets[0]).toMatchObject({ outcome: 'returned', master: 'master-b' });
      expect(job.targets[0]?.attempts.map((a) => [a.master, a.ok])).toEqual([
        ['master-a', false],
        ['master-b', true],
      ]);
      expect(job.targets[0]?.attempts[0]?.reason).toMatch(/^ACT2_SALT_UNAUTHORIZED: salt-api refused the session/);
    } finally {
      world.fleet.a.setSessionsRefused(false);
    }
  });

  it('a minion whose key no candidate master has ends dispatch_failed after trying each', async () => {
    const job = await runJob(world.app, { target: { minions: ['ghost-1'] }, fun: 'test.ping' });

    expect(job.status).toBe('failed');
    expect(job.targets[0]?.outcome).toBe('dispatch_failed');
    expect(job.targets[0]?.attempts.map((a) => [a.master, a.ok])).toEqual([
      ['master-a', false],
      ['master-b', false],
    ]);
    expect(job.targets[0]?.attempts[0]?.reason).toMatch(/did not list ghost-1/);
  });

  it('targets nobody reports, IPs several minions claim and minions without a running master get their own outcome', async () => {
    await world.app.inject({
      method: 'POST',
      url: '/register',
      payload: { master: { sn: 'master-d', server: 'http://127.0.0.1:9', status: 'stopped', idc: 'idc-1', type: 'salt', error: 'salt-api down' }, minions: [] },
    });
    await world.app.inject({
      method: 'POST',
      url: '/register',
      payload: { master: { sn: 'master-e', server: 'http://127.0.0.1:9', status: 'running', idc: 'idc-1', type: 'salt' }, minions: [{ sn: 'e-001', status: 'running', ips: ['10.7.0.1'] }] },
    });
    await world.app.inject({ method: 'POST', url: '/register', payload: { master: { sn: 'master-e', server: 'http://127.0.0.1:9', status: 'stopped', idc: 'idc-1', type: 'salt' }, minions: [] } });

    const byIp = await runJob(world.app, { target: { ips: ['10.9.0.2', '10.8.0.3', '10.1.2.3'] }, fun: 'test.ping' });
    const bySn = await runJob(world.app, { target: { minions: ['e-001', 'nobody'] }, fun: 'test.ping' });

    expect(byIp.status).toBe('partial');
    expect(byIp.targets.map((t) => [t.sn, t.ip, t.outcome])).toEqual([
      ['c-002', '10.9.0.2', 'returned'],
      ['10.8.0.3', '10.8.0.3', 'ambiguous'],
      ['10.1.2.3', '10.1.2.3', 'unknown_target'],
    ]);
    expect(byIp.targets[1]?.reason).toContain('c-003, ha-003');
    expect(bySn.status).toBe('failed');
    expect(bySn.targets.map((t) => [t.sn, t.outcome, t.attempts.length])).toEqual([
      ['e-001', 'no_master', 0],
      ['nobody', 'unknown_target', 0],
    ]);
  });

  it('targets salt by the minion id the agent reported when the sn is a serial', async () => {
    await world.app.inject({
      method: 'POST',
      url: '/register',
      payload: {
        master: { sn: 'master-s', server: world.fleet.c.url, status: 'running', idc: 'idc-1', type: 'salt', options: { username: 'salt-api', password: SALT_PASSWORD } },
        minions: [{ sn: 'SERIAL-C2', id: 'c-002', status: 'running', ips: ['10.6.0.2'] }],
      },
    });

    const job = await runJob(world.app, { target: { minions: ['SERIAL-C2'] }, fun: 'grains.item', arg: ['id'] });

    expect(job.targets.map((t) => [t.sn, t.outcome, t.master, t.return])).toEqual([['SERIAL-C2', 'returned', 'master-s', { id: 'c-002' }]]);
  });

  it('keeps non-zero retcodes, cuts outputs at --job-output-limit and flags salt’s VALUE_TRIMMED', async () => {
    const job = await runJob(world.app, { target: { minions: ['c-001'] }, fun: 'cmd.run', arg: ['exit 3'] });
    const long = await runJob(world.app, { target: { minions: ['c-002'] }, fun: 'cmd.run', arg: ['seq 1 1000'] });
    const huge = await runJob(world.app, { target: { minions: ['c-003'] }, fun: 'cmd.run', arg: ['seq 1 20000'] });

    expect(job.targets[0]).toMatchObject({ outcome: 'returned', retcode: 3, success: false, return: '', truncated: false });
    expect(long.targets[0]?.truncated).toBe(true);
    expect(long.targets[0]?.return).toBe(Array.from({ length: 1000 }, (_, i) => i + 1).join('\n').slice(0, 2048));
    expect(huge.targets[0]).toMatchObject({ outcome: 'returned', return: 'VALUE_TRIMMED', truncated: true, retcode: 0 });
  });

  it('a minion that never returns is no_return after timeout_s', async () => {
    world.fleet.c.setMinionLatency('c-002', Number.POSITIVE_INFINITY);
    try {
      const job = await runJob(world.app, { target: { minions: ['c-001', 'c-002'] }, fun: 'test.ping', timeout_s: 1 });

      expect(job.status).toBe('partial');
      expect(job.targets.map((t) => [t.sn, t.outcome])).toEqual([
        ['c-001', 'returned'],
        ['c-002', 'no_return'],
      ]);
      expect(job.targets[1]?.jid).toMatch(/^\d{20}$/);
      expect(job.targets[1]?.reason).toMatch(/no return from master-c within timeout_s \(1 s\)/);
    } finally {
      world.fleet.c.setMinionLatency('c-002', 0);
    }
  });

  it('shows a published target’s master, jid and start while salt has not returned it, and keeps them with its return', async () => {
    world.fleet.c.setMinionLatency('c-002', 1500);
    try {
      const res = await world.app.inject({ method: 'POST', url: '/api/v1/jobs', payload: { target: { minions: ['c-001', 'c-002'] }, fun: 'test.ping' } });
      const id = (res.json() as { id: string }).id;
      let running: Job | undefined;
      for (let i = 0; i < 200 && !running; i += 1) {
        const job = (await world.app.inject({ url: `/api/v1/jobs/${id}` })).json() as Job;
        if (job.targets[0]?.outcome === 'returned' && job.targets[1]?.outcome === 'pending') running = job;
        else await new Promise((r) => setTimeout(r, 20));
      }

      const pending = running?.targets[1];
      expect(pending).toMatchObject({ outcome: 'pending', master: 'master-c' });
      expect(pending?.jid).toMatch(/^\d{20}$/);
      expect(pending?.jid).toBe(running?.targets[0]?.jid);
      expect(pending?.started_at).not.toBeNull();
      expect(pending?.attempts.map((a) => [a.master, a.ok, a.reason])).toEqual([['master-c', true, null]]);
      const done = await waitForJob(world.app, id);
      expect(done.targets[1]).toMatchObject({ outcome: 'returned', master: 'master-c', jid: pending?.jid, started_at: pending?.started_at, return: true });
    } finally {
      world.fleet.c.setMinionLatency('c-002', 0);
    }
  });

  it('refuses a function outside --job-functions with 403 before any master is contacted', async () => {
    const requests = world.fleet.a.requests().length + world.fleet.b.requests().length + world.fleet.c.requests().length;

    const res = await world.app.inject({ method: 'POST', url: '/api/v1/jobs', payload: { target: { minions: ['c-001'] }, fun: 'state.apply' } });

    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ code: 'ACT2_FORBIDDEN' });
    await new Promise((r) => setTimeout(r, 200));
    expect(world.fleet.a.requests().length + world.fleet.b.requests().length + world.fleet.c.requests().length).toBe(requests);
  });

  it.each([
    ['both minions and ips', { target: { minions: ['c-001'], ips: ['10.9.0.1'] }, fun: 'test.ping' }],
    ['no target', { target: { minions: [] }, fun: 'test.ping' }],
    ['a fun that is not a salt function name', { target: { minions: ['c-001'] }, fun: 'rm -rf /' }],
    ['timeout_s over a day', { target: { minions: ['c-001'] }, fun: 'test.ping', timeout_s: 86_401 }],
  ])('refuses a request with %s (400)', async (_name, payload) => {
    const res = await world.app.inject({ method: 'POST', url: '/api/v1/jobs', payload });

    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'ACT2_VALIDATION' });
  });

  it('audits who, what and where with secret-looking kwargs masked; no password in responses, events or logs', async () => {
    const job = await runJob(world.app, { target: { minions: ['c-001'] }, fun: 'test.ping', arg: ['db_password=arg-secret-42'], kwarg: { api_token: 'kw-secret-42', verbose: true } });
    const events = await world.app.inject({ url: '/api/v1/events?kind=job.created&limit=1000' });
    const finished = await world.app.inject({ url: '/api/v1/events?kind=job.finished&limit=1000' });
    const list = await world.app.inject({ url: '/api/v1/jobs?limit=1000' });

    expect(job).toMatchObject({ requested_by: 'anonymous', fun: 'test.ping', arg: ['db_password=***'], kwarg: { api_token: '***', verbose: true } });
    expect(events.json().items.some((e: { detail: { job_id: string } }) => e.detail.job_id === job.id)).toBe(true);
    expect(finished.json().items.some((e: { detail: { job_id: string; status: string } }) => e.detail.job_id === job.id && e.detail.status === 'done')).toBe(true);
    const everything = [JSON.stringify(job), events.body, finished.body, list.body, captured.lines.join('')].join('\n');
    expect(captured.lines.some((l) => l.includes('"msg":"dispatched"'))).toBe(true);
    for (const secret of [SALT_PASSWORD, 'arg-secret-42', 'kw-secret-42']) {
      expect(everything).not.toContain(secret);
    }
    const stored = await world.database.db.selectFrom('jobs').select(['arg', 'kwarg', 'call_enc']).where('id', '=', job.id).executeTakeFirstOrThrow();
    expect(JSON.stringify(stored)).not.toContain('secret-42');
  });

  it('lists jobs newest first with status, master, minion and since filters, paginated', async () => {
    const all = (await world.app.inject({ url: '/api/v1/jobs?limit=1000' })).json() as JobList;
    const onB = (await world.app.inject({ url: '/api/v1/jobs?master=master-b&limit=1000' })).json() as JobList;
    const ghost = (await world.app.inject({ url: '/api/v1/jobs?minion=ghost-1' })).json() as JobList;
    const failed = (await world.app.inject({ url: '/api/v1/jobs?status=failed&limit=1000' })).json() as JobList;
    const future = (await world.app.inject({ url: `/api/v1/jobs?since=${new Date(Date.now() + 60_000).toISOString()}` })).json() as JobList;
    const first = (await world.app.inject({ url: '/api/v1/jobs?limit=2' })).json() as JobList;
    const second = (await world.app.inject({ url: `/api/v1/jobs?limit=2&cursor=${first.next_cursor}` })).json() as JobList;

    expect(all.items.length).toBeGreaterThanOrEqual(9);
    const created = all.items.map((j) => j.created_at);
    expect(created).toEqual([...created].sort().reverse());
    // The four failover jobs, newest first: refused session, client-disabled and no-IPC (test.ping), then the 500 one (cmd.run).
    expect(onB.items.map((j) => j.fun)).toEqual(['test.ping', 'test.ping', 'test.ping', 'cmd.run']);
    expect(ghost.items).toHaveLength(1);
    expect(failed.items.every((j) => j.status === 'failed')).toBe(true);
    expect(failed.items.length).toBeGreaterThanOrEqual(2);
    expect(future.items).toEqual([]);
    expect([...first.items, ...second.items].map((j) => j.id)).toEqual(all.items.slice(0, 4).map((j) => j.id));
    expect((await world.app.inject({ url: '/api/v1/jobs/no-such-job' })).statusCode).toBe(404);
  });

  it('answers 202 at once with the job summary: targets resolved, counted per outcome', async () => {
    const res = await world.app.inject({ method: 'POST', url: '/api/v1/jobs', payload: { target: { minions: ['c-001', 'nobody'] }, fun: 'test.ping' } });
    const body = res.json() as JobSummary;

    expect(res.statusCode).toBe(202);
    expect(body).toMatchObject({ status: 'running', timeout_s: 300, counts: { pending: 1, unknown_target: 1 }, requested_by: 'anonymous', finished_at: null });
    expect(body).not.toHaveProperty('targets');
  });

  // Last: the master registered here becomes the first candidate of ha-002.
  it('fails over when a master refuses its stored credentials (401 on login)', async () => {
    await world.app.inject({
      method: 'POST',
      url: '/register',
      payload: {
        master: { sn: 'master-w', server: world.fleet.a.url, status: 'running', idc: 'idc-1', type: 'salt', options: { username: 'salt-api', password: 'not-the-password' } },
        minions: [{ sn: 'ha-002', status: 'running', ips: ['10.8.0.2'] }],
      },
    });

    const job = await runJob(world.app, { target: { minions: ['ha-002'] }, fun: 'test.ping' });

    expect(job.targets[0]?.attempts.map((a) => [a.master, a.ok])).toEqual([
      ['master-w', false],
      ['master-a', true],
    ]);
    expect(job.targets[0]?.attempts[0]?.reason).toMatch(/^ACT2_SALT_LOGIN_REFUSED: salt-api refused the login for user salt-api/);
    expect(job.targets[0]?.attempts[0]?.reason).not.toContain('not-the-password');
  });
});

describeEachDialect('salt jobs: the first lookups of a round', (dialect) => {
  // A poll interval long enough to tell "waited for the round" from "looked up at once".
  const world = useJobWorld(dialect, { config: { jobPollIntervalMs: 1500, jobLeaseMs: 6000 } });
  const lookups = (fleet: JobFleet) => fleet.c.requests().filter((r) => r.calls.some((c) => c.fun === 'jobs.list_job')).length;
  const dispatches = (fleet: JobFleet) => fleet.c.requests().filter((r) => r.calls.some((c) => c.client === 'local_async')).length;

  it('wait until every master of the round answered its local_async (within one poll interval)', async () => {
    world.fleet.a.setDispatchReplyDelay(600);
    try {
      const before = { lookups: lookups(world.fleet), dispatches: dispatches(world.fleet) };
      const created = await world.app.inject({ method: 'POST', url: '/api/v1/jobs', payload: { target: { minions: ['ha-001', 'c-002'] }, fun: 'test.ping' } });
      const id = (created.json() as JobSummary).id;
      const started = Date.now();
      while (dispatches(world.fleet) === before.dispatches && Date.now() - started < 5_000) await new Promise((r) => setTimeout(r, 10));
      // master-c has answered; master-a answers ~600 ms after it was asked.
      await new Promise((r) => setTimeout(r, 250));
      const whileAWasSilent = lookups(world.fleet) - before.lookups;
      const done = await waitForJob(world.app, id);

      expect(whileAWasSilent).toBe(0);
      expect(lookups(world.fleet) - before.lookups).toBeGreaterThanOrEqual(1);
      expect(done.targets.map((t) => [t.sn, t.outcome, t.master])).toEqual([
        ['ha-001', 'returned', 'master-a'],
        ['c-002', 'returned', 'master-c'],
      ]);
    } finally {
      world.fleet.a.setDispatchReplyDelay(0);
    }
  });
});

describeEachDialect('salt jobs: a master that has not answered its local_async yet', (dialect) => {
  const world = useJobWorld(dialect, { config: { jobPollIntervalMs: 300, jobLeaseMs: 6000 } });

  /** Posts a test.ping to ha-001 and c-002; `c002`: c-002's outcome once it returned, or `withinMs` after the post. */
  async function postWatchingC002(withinMs: number): Promise<{ id: string; c002: string | undefined }> {
    const posted = Date.now();
    const created = await world.app.inject({ method: 'POST', url: '/api/v1/jobs', payload: { target: { minions: ['ha-001', 'c-002'] }, fun: 'test.ping' } });
    const id = (created.json() as JobSummary).id;
    let outcome: string | undefined;
    while (Date.now() - posted < withinMs) {
      const job = (await world.app.inject({ method: 'GET', url: `/api/v1/jobs/${id}` })).json() as Job;
      outcome = job.targets.find((t) => t.sn === 'c-002')?.outcome;
      if (outcome === 'returned') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    return { id, c002: outcome };
  }

  it("holds back none of the other masters' later returns: their jids are looked up every poll interval meanwhile", async () => {
    // master-a answers its local_async 3 s after the publish; c-002 returns ~0.7 s after its own, after
    // master-c's first lookup (which waits at most one poll interval for master-a, then finds nothing).
    world.fleet.a.setDispatchReplyDelay(3_000);
    world.fleet.c.setMinionLatency('c-002', 700);
    try {
      const { id, c002 } = await postWatchingC002(2_500);
      const done = await waitForJob(world.app, id);

      // Stored while master-a still held its answer back (it answers at ~3 s).
      expect(c002).toBe('returned');
      expect(done.targets.map((t) => [t.sn, t.outcome, t.master])).toEqual([
        ['ha-001', 'returned', 'master-a'],
        ['c-002', 'returned', 'master-c'],
      ]);
    } finally {
      world.fleet.a.setDispatchReplyDelay(0);
      world.fleet.c.setMinionLatency('c-002', 0);
    }
  });

  it('stores no return past timeout_s while it waits: what had not returned by then ends no_return', async () => {
    // timeout_s 1: c-002 returns at ~1.5 s, while master-a still holds its answer back (until ~2.5 s).
    world.fleet.a.setDispatchReplyDelay(2_500);
    world.fleet.c.setMinionLatency('c-002', 1_500);
    try {
      const done = await runJob(world.app, { target: { minions: ['ha-001', 'c-002'] }, fun: 'test.ping', timeout_s: 1 });

      expect(done.targets.find((t) => t.sn === 'c-002')).toMatchObject({ outcome: 'no_return', master: 'master-c' });
    } finally {
      world.fleet.a.setDispatchReplyDelay(0);
      world.fleet.c.setMinionLatency('c-002', 0);
    }
  });

  it("nor in a failover round: an earlier round's jids are looked up while the next master has not answered", async () => {
    // Round 1: master-a refuses at once (503), master-c publishes; c-002 returns after master-c's first
    // lookup. Round 2: ha-001 fails over to master-b, which answers its local_async 3 s later.
    world.fleet.a.setMasterDown('no-ipc');
    world.fleet.b.setDispatchReplyDelay(3_000);
    world.fleet.c.setMinionLatency('c-002', 700);
    try {
      const { id, c002 } = await postWatchingC002(2_500);
      const done = await waitForJob(world.app, id);

      // Stored while master-b still held its answer back (it answers at ~3 s).
      expect(c002).toBe('returned');
      expect(done.targets.map((t) => [t.sn, t.outcome, t.master, t.attempts.map((a) => [a.master, a.ok])])).toEqual([
        ['ha-001', 'returned', 'master-b', [['master-a', false], ['master-b', true]]],
        ['c-002', 'returned', 'master-c', [['master-c', true]]],
      ]);
    } finally {
      world.fleet.a.setMasterDown(false);
      world.fleet.b.setDispatchReplyDelay(0);
      world.fleet.c.setMinionLatency('c-002', 0);
    }
  });
});
