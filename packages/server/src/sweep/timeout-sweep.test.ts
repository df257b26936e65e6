import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { describeEachDialect, manualClock, useTestDatabase } from '../../test/helpers/db.js';
import { eventsOf, registerDeps, TIMEOUT_MS } from '../../test/helpers/deps.js';
import { request } from '../../test/helpers/payloads.js';
import { getMasterDetail, listMasters } from '../masters/repository.js';
import { registerMaster } from '../register/service.js';
import { sweepTimeouts } from './timeout-sweep.js';

describeEachDialect('sweepTimeouts', (dialect) => {
  const t = useTestDatabase(dialect);
  const sweep = async (now: number, instanceId = 'sweeper-1') => {
    const rows = await sweepTimeouts(t.current.db, { now, masterTimeoutMs: TIMEOUT_MS, instanceId });
    return rows.map((r) => r.sn);
  };

  it('times a master out 1 ms past the timeout, not at exactly the timeout, and records it once', async () => {
    const clock = manualClock();
    const sn = `m-${randomUUID()}`;
    await registerMaster(registerDeps(t.current.db, clock), request(sn, []));
    const seen = clock.now;

    expect(await sweep(seen + TIMEOUT_MS)).not.toContain(sn);
    expect(await sweep(seen + TIMEOUT_MS + 1)).toContain(sn);
    expect(await sweep(seen + TIMEOUT_MS + 2)).not.toContain(sn);

    expect(await eventsOf(t.current.db, sn)).toEqual([
      ['master.registered', null],
      ['master.timeout', null],
    ]);
    const event = await t.current.db.selectFrom('events').selectAll().where('master_sn', '=', sn).where('kind', '=', 'master.timeout').executeTakeFirstOrThrow();
    expect({ instance_id: event.instance_id, at: event.at }).toEqual({ instance_id: 'sweeper-1', at: seen + TIMEOUT_MS + 1 });
  });

  it('brings a timed-out master back on its next registration (recovered)', async () => {
    const clock = manualClock();
    const sn = `m-${randomUUID()}`;
    const deps = registerDeps(t.current.db, clock);
    await registerMaster(deps, request(sn, [{ sn: `${sn}-a`, status: 'running' }]));
    clock.advance(TIMEOUT_MS + 1);
    await sweep(clock.now);

    const result = await registerMaster(deps, request(sn, [{ sn: `${sn}-a`, status: 'running' }]));

    expect(result.master).toEqual({ sn, status: 'running', recovered: true, created: false });
    expect((await eventsOf(t.current.db, sn)).map(([kind]) => kind)).toEqual([
      'master.registered',
      'minion.joined',
      'master.timeout',
      'master.recovered',
    ]);
    const row = await t.current.db.selectFrom('masters').select(['status', 'status_changed_at']).where('sn', '=', sn).executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'running', status_changed_at: clock.now });
  });

  it('reads an expired master as timeout before any sweep has run', async () => {
    const clock = manualClock();
    const sn = `m-${randomUUID()}`;
    await registerMaster(registerDeps(t.current.db, clock), request(sn, []));
    const seen = clock.now;

    const atTimeout = await getMasterDetail(t.current.db, sn, seen + TIMEOUT_MS, TIMEOUT_MS);
    const past = await getMasterDetail(t.current.db, sn, seen + TIMEOUT_MS + 1, TIMEOUT_MS);
    const timedOut = await listMasters(t.current.db, { status: 'timeout', limit: 1000 }, seen + TIMEOUT_MS + 1, TIMEOUT_MS);
    const running = await listMasters(t.current.db, { status: 'running', limit: 1000 }, seen + TIMEOUT_MS + 1, TIMEOUT_MS);

    expect([atTimeout?.status, past?.status]).toEqual(['running', 'timeout']);
    expect(timedOut.items.map((m) => m.sn)).toContain(sn);
    expect(running.items.map((m) => m.sn)).not.toContain(sn);
    const stored = await t.current.db.selectFrom('masters').select('status').where('sn', '=', sn).executeTakeFirstOrThrow();
    expect(stored.status).toBe('running');
  });

  it('records the missed timeout when a registration arrives before any sweep noticed it', async () => {
    const clock = manualClock();
    const sn = `m-${randomUUID()}`;
    const deps = registerDeps(t.current.db, clock);
    await registerMaster(deps, request(sn, []));
    clock.advance(TIMEOUT_MS + 1);

    const result = await registerMaster(deps, request(sn, [], { status: 'stopped' }));

    expect(result.master.recovered).toBe(true);
    expect(await sweep(clock.now)).not.toContain(sn);
    expect((await eventsOf(t.current.db, sn)).map(([kind]) => kind)).toEqual(['master.registered', 'master.timeout', 'master.recovered']);
  });

  it('transitions each master exactly once when several sweeps run at the same time', async () => {
    const clock = manualClock();
    const prefix = `c-${randomUUID().slice(0, 8)}`;
    const deps = registerDeps(t.current.db, clock);
    const sns = Array.from({ length: 40 }, (_, i) => `${prefix}-${i}`);
    for (const sn of sns) await registerMaster(deps, request(sn, []));
    // SQLite serves one process through one connection: concurrency there is interleaving on it.
    // (Several handles in ONE process would block each other: better-sqlite3 waits synchronously.)
    const pools = dialect !== 'sqlite' ? [t.current.db, t.current.open(), t.current.open()] : [t.current.db, t.current.db];
    const now = clock.now + TIMEOUT_MS + 1;

    const results = await Promise.all(
      pools.flatMap((db, i) => [0, 1].map(() => sweepTimeouts(db, { now, masterTimeoutMs: TIMEOUT_MS, instanceId: `s-${i}` }))),
    );

    const ours = results.flat().map((r) => r.sn).filter((sn) => sn.startsWith(prefix));
    expect(ours.sort()).toEqual([...sns].sort());
    const events = await t.current.db
      .selectFrom('events')
      .select('master_sn')
      .where('kind', '=', 'master.timeout')
      .where('master_sn', 'like', `${prefix}-%`)
      .execute();
    expect(events).toHaveLength(sns.length);
  });
});
