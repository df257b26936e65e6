import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { postRegister, useTestApp } from '../../test/helpers/app.js';
import { describeEachDialect, manualClock, useTestDatabase } from '../../test/helpers/db.js';
import { eventsOf, registerDeps, TIMEOUT_MS } from '../../test/helpers/deps.js';
import { payload, request } from '../../test/helpers/payloads.js';
import { registerMaster } from '../register/service.js';
import { purge, PURGE_BATCH } from './purge.js';
import { sweepTimeouts } from './timeout-sweep.js';

const DAY = 86_400_000;
const PURGE_AFTER = 30 * DAY;

describeEachDialect('purge', (dialect) => {
  const t = useTestDatabase(dialect);
  const settings = (now: number, overrides: Partial<Parameters<typeof purge>[1]> = {}) => ({
    now,
    purgeAfterMs: PURGE_AFTER,
    eventsRetentionMs: 0,
    instanceId: 'purger-1',
    ...overrides,
  });
  const count = async (table: 'masters' | 'minions' | 'master_minions' | 'minion_ips', column: 'sn' | 'master_sn', value: string) =>
    (await t.current.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).where(column as never, '=', value as never).executeTakeFirstOrThrow()).n;

  it('deletes a master gone longer than --purge-after with its memberships, and the minions only it reported', async () => {
    const clock = manualClock();
    const deps = registerDeps(t.current.db, clock);
    const p = `p-${randomUUID().slice(0, 8)}`;
    await registerMaster(deps, request(`${p}-gone`, [{ sn: `${p}-shared`, status: 'running', ips: ['10.9.0.1'] }, { sn: `${p}-own`, status: 'running', ips: ['10.9.0.2'] }]));
    await registerMaster(deps, request(`${p}-alive`, [{ sn: `${p}-shared`, status: 'running', ips: ['10.9.0.1'] }]));
    await registerMaster(deps, request(`${p}-stopped`, [], { status: 'stopped' }));
    clock.advance(TIMEOUT_MS + 1);
    await registerMaster(deps, request(`${p}-alive`, [{ sn: `${p}-shared`, status: 'running', ips: ['10.9.0.1'] }]));
    await sweepTimeouts(t.current.db, { now: clock.now, masterTimeoutMs: TIMEOUT_MS, instanceId: 's' });
    const timedOutAt = clock.now;

    const early = await purge(t.current.db, settings(timedOutAt + PURGE_AFTER));
    clock.set(timedOutAt + PURGE_AFTER + 1);
    await registerMaster(deps, request(`${p}-alive`, [{ sn: `${p}-shared`, status: 'running', ips: ['10.9.0.1'] }]));
    const result = await purge(t.current.db, settings(clock.now));

    expect(early.masters.filter((m) => m.sn.startsWith(p))).toEqual([]);
    // The stopped one has been stopped since before the timeout: longer than --purge-after too.
    expect(result.masters.filter((m) => m.sn.startsWith(p)).sort((a, b) => a.sn.localeCompare(b.sn))).toEqual([
      { sn: `${p}-gone`, minions: [`${p}-own`] },
      { sn: `${p}-stopped`, minions: [] },
    ]);
    expect(await count('masters', 'sn', `${p}-gone`)).toBe(0);
    expect(await count('master_minions', 'master_sn', `${p}-gone`)).toBe(0);
    expect(await count('minion_ips', 'master_sn', `${p}-gone`)).toBe(0);
    expect(await count('minions', 'sn', `${p}-own`)).toBe(0);
    expect(await count('minions', 'sn', `${p}-shared`)).toBe(1);
    expect(await count('master_minions', 'master_sn', `${p}-alive`)).toBe(1);
    expect((await eventsOf(t.current.db, `${p}-gone`)).slice(-2)).toEqual([
      ['master.purged', null],
      ['minion.purged', `${p}-own`],
    ]);
  });

  it('never purges with --purge-after 0, and keeps a master that came back', async () => {
    const clock = manualClock();
    const sn = `p0-${randomUUID().slice(0, 8)}`;
    await registerMaster(registerDeps(t.current.db, clock), request(sn, [], { status: 'stopped' }));

    const never = await purge(t.current.db, settings(clock.now + 400 * DAY, { purgeAfterMs: 0 }));
    clock.advance(PURGE_AFTER + 1);
    await registerMaster(registerDeps(t.current.db, clock), request(sn, []));
    const back = await purge(t.current.db, settings(clock.now));

    expect(never.masters.map((m) => m.sn)).not.toContain(sn);
    expect(back.masters.map((m) => m.sn)).not.toContain(sn);
    expect(await count('masters', 'sn', sn)).toBe(1);
  });

  it('purges each master exactly once when several instances purge at the same time, in batches of 25', async () => {
    const clock = manualClock();
    const prefix = `pc-${randomUUID().slice(0, 8)}`;
    const sns = Array.from({ length: 2 * PURGE_BATCH + 7 }, (_, i) => `${prefix}-${String(i).padStart(3, '0')}`);
    for (const sn of sns) {
      await registerMaster(registerDeps(t.current.db, clock), request(sn, [{ sn: `${sn}-minion`, status: 'running', ips: [] }]));
      // Stopped: keeps its minion.
      await registerMaster(registerDeps(t.current.db, clock), request(sn, [], { status: 'stopped' }));
    }
    const pools = dialect === 'postgres' ? [t.current.db, t.current.open(), t.current.open()] : [t.current.db, t.current.db];
    const now = clock.now + PURGE_AFTER + 1;

    const results = await Promise.all(pools.flatMap((db, i) => [0, 1].map(() => purge(db, settings(now, { instanceId: `p-${i}` })))));

    const ours = results.flatMap((r) => r.masters.map((m) => m.sn)).filter((sn) => sn.startsWith(prefix));
    expect(ours.sort()).toEqual(sns);
    const events = await t.current.db.selectFrom('events').select(['kind']).where('master_sn', 'like', `${prefix}-%`).where('kind', 'in', ['master.purged', 'minion.purged']).execute();
    expect(events.filter((e) => e.kind === 'master.purged')).toHaveLength(sns.length);
    expect(events.filter((e) => e.kind === 'minion.purged')).toHaveLength(sns.length);
  });

  it('deletes events older than --events-retention, and only those', async () => {
    const clock = manualClock(Date.UTC(2020, 0, 1));
    const sn = `pe-${randomUUID().slice(0, 8)}`;
    await registerMaster(registerDeps(t.current.db, clock), request(sn, [{ sn: `${sn}-m`, status: 'running', ips: [] }]));
    clock.advance(3_600_000);
    await registerMaster(registerDeps(t.current.db, clock), request(sn, [], { status: 'stopped' }));

    const result = await purge(t.current.db, settings(clock.now + 90 * DAY - 1_800_000, { purgeAfterMs: 0, eventsRetentionMs: 90 * DAY }));

    expect(result.events).toBeGreaterThanOrEqual(2);
    expect(await eventsOf(t.current.db, sn)).toEqual([['master.stopped', null]]);
  });
});

describeEachDialect('DELETE /api/v1/masters/{sn}', (dialect) => {
  const t = useTestApp(dialect);

  it('retires a master by hand (scope admin), once, recorded as master.purged', async () => {
    const sn = `del-${randomUUID().slice(0, 8)}`;
    await postRegister(t.current.app, payload(sn, [{ sn: `${sn}-m`, status: 'running', ips: ['10.8.0.1'] }]));

    const first = await t.current.app.inject({ method: 'DELETE', url: `/api/v1/masters/${sn}` });
    const second = await t.current.app.inject({ method: 'DELETE', url: `/api/v1/masters/${sn}` });
    const after = await t.current.app.inject({ url: `/api/v1/masters/${sn}` });
    const events = await t.current.app.inject({ url: `/api/v1/events?master=${sn}&kind=master.purged` });

    expect([first.statusCode, second.statusCode, after.statusCode]).toEqual([200, 404, 404]);
    expect(first.json()).toEqual({ sn, minions_purged: 1 });
    expect(events.json().items).toEqual([expect.objectContaining({ kind: 'master.purged', detail: expect.objectContaining({ reason: 'api' }) })]);
    const route = t.current.app.routeTable().find((r) => r.method === 'DELETE' && r.url === '/api/v1/masters/:sn');
    expect(route?.scope).toBe('admin');
  });
});
