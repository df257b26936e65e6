import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { describeEachDialect, manualClock, useTestDatabase } from '../../test/helpers/db.js';
import { eventsOf, registerDeps, testBox } from '../../test/helpers/deps.js';
import { request } from '../../test/helpers/payloads.js';
import { getMasterCredentials, getMastersCredentials } from '../masters/repository.js';
import { registerMaster } from './service.js';

const uid = () => randomUUID().slice(0, 8);

describeEachDialect('registerMaster', (dialect) => {
  const t = useTestDatabase(dialect);

  it('creates a master with its minions and records registered + joined events', async () => {
    const clock = manualClock();
    const sn = `m-${uid()}`;

    const result = await registerMaster(
      registerDeps(t.current.db, clock),
      request(sn, [
        { sn: `${sn}-a`, status: 'running', ips: ['10.0.0.1'] },
        { sn: `${sn}-b`, status: 'stopped' },
      ]),
    );

    expect(result).toEqual({
      master: { sn, status: 'running', recovered: false, created: true },
      minions: { total: 2, joined: 2, left: 0, changed: 0 },
    });
    expect(await eventsOf(t.current.db, sn)).toEqual([
      ['master.registered', null],
      ['minion.joined', `${sn}-a`],
      ['minion.joined', `${sn}-b`],
    ]);
    const master = await t.current.db.selectFrom('masters').selectAll().where('sn', '=', sn).executeTakeFirstOrThrow();
    expect({ status: master.status, last_seen: master.last_seen, minion_count: master.minion_count }).toEqual({
      status: 'running',
      last_seen: clock.now,
      minion_count: 2,
    });
  });

  it('treats a running registration as a snapshot: joins, leaves and status changes', async () => {
    const clock = manualClock();
    const sn = `m-${uid()}`;
    const deps = registerDeps(t.current.db, clock);
    await registerMaster(
      deps,
      request(sn, [
        { sn: `${sn}-a`, status: 'running', ips: ['10.0.0.1'] },
        { sn: `${sn}-b`, status: 'running', ips: ['10.0.0.2'] },
      ]),
    );
    clock.advance(60_000);

    const result = await registerMaster(
      deps,
      request(sn, [
        { sn: `${sn}-b`, status: 'stopped', ips: ['10.0.0.2'] },
        { sn: `${sn}-c`, status: 'running', ips: ['10.0.0.3'] },
      ]),
    );

    expect(result.minions).toEqual({ total: 2, joined: 1, left: 1, changed: 1 });
    expect((await eventsOf(t.current.db, sn)).slice(3)).toEqual([
      ['minion.joined', `${sn}-c`],
      ['minion.status', `${sn}-b`],
      ['minion.left', `${sn}-a`],
    ]);
    const members = await t.current.db
      .selectFrom('master_minions')
      .select(['minion_sn', 'status'])
      .where('master_sn', '=', sn)
      .orderBy('minion_sn')
      .execute();
    expect(members).toEqual([
      { minion_sn: `${sn}-b`, status: 'stopped' },
      { minion_sn: `${sn}-c`, status: 'running' },
    ]);
    // A minion no master reports any more is gone, with its IPs.
    expect(await t.current.db.selectFrom('minions').select('sn').where('sn', '=', `${sn}-a`).execute()).toEqual([]);
    expect(await t.current.db.selectFrom('minion_ips').select('ip').where('minion_sn', '=', `${sn}-a`).execute()).toEqual([]);
  });

  it('keeps the minion set on a stopped registration and records master.stopped with the error', async () => {
    const clock = manualClock();
    const sn = `m-${uid()}`;
    const deps = registerDeps(t.current.db, clock);
    await registerMaster(deps, request(sn, [{ sn: `${sn}-a`, status: 'running', ips: ['10.0.0.1'] }]));
    clock.advance(1000);

    const result = await registerMaster(deps, request(sn, [], { status: 'stopped', error: 'salt-api: connection refused' }));

    expect(result).toEqual({
      master: { sn, status: 'stopped', recovered: false, created: false },
      // The set it keeps, not the (empty) list it sent.
      minions: { total: 1, joined: 0, left: 0, changed: 0 },
    });
    expect(await t.current.db.selectFrom('master_minions').select('minion_sn').where('master_sn', '=', sn).execute()).toEqual([
      { minion_sn: `${sn}-a` },
    ]);
    const master = await t.current.db.selectFrom('masters').selectAll().where('sn', '=', sn).executeTakeFirstOrThrow();
    expect({ status: master.status, error: master.error, minion_count: master.minion_count }).toEqual({
      status: 'stopped',
      error: 'salt-api: connection refused',
      minion_count: 1,
    });

    clock.advance(1000);
    const back = await registerMaster(deps, request(sn, [{ sn: `${sn}-a`, status: 'running', ips: ['10.0.0.1'] }]));
    expect(back.master.recovered).toBe(true);
    expect((await eventsOf(t.current.db, sn)).map(([kind]) => kind)).toEqual([
      'master.registered',
      'minion.joined',
      'master.stopped',
      'master.recovered',
    ]);
  });

  it('stores no minions for a stopped first registration, and says so (total 0) even if it listed some', async () => {
    const clock = manualClock();
    const sn = `m-${uid()}`;

    const result = await registerMaster(
      registerDeps(t.current.db, clock),
      request(sn, [{ sn: `${sn}-a`, status: 'running', ips: ['10.0.0.1'] }], { status: 'stopped', error: 'salt-api: timeout' }),
    );

    expect(result).toEqual({
      master: { sn, status: 'stopped', recovered: false, created: true },
      minions: { total: 0, joined: 0, left: 0, changed: 0 },
    });
    const master = await t.current.db.selectFrom('masters').select('minion_count').where('sn', '=', sn).executeTakeFirstOrThrow();
    expect(master.minion_count).toBe(0);
    expect(await t.current.db.selectFrom('master_minions').select('minion_sn').where('master_sn', '=', sn).execute()).toEqual([]);
  });

  it('writes nothing but last_seen for an identical re-send of 2,000 minions', async () => {
    const clock = manualClock();
    const sn = `m-${uid()}`;
    const deps = registerDeps(t.current.db, clock);
    const minions = Array.from({ length: 2000 }, (_, i) => ({
      sn: `${sn}-${i}`,
      status: 'running' as const,
      ips: [`10.1.${i >> 8}.${i & 255}`],
      saltversion: '3006.10',
    }));
    await registerMaster(deps, request(sn, minions));
    const eventCount = async () =>
      Number((await t.current.db.selectFrom('events').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    const before = await eventCount();
    clock.advance(30 * 60_000);

    const result = await registerMaster(deps, request(sn, minions));

    expect(result.minions).toEqual({ total: 2000, joined: 0, left: 0, changed: 0 });
    expect(await eventCount()).toBe(before);
    const stamps = await t.current.db
      .selectFrom('master_minions')
      .innerJoin('minions', 'minions.sn', 'master_minions.minion_sn')
      .select((eb) => [eb.fn.max('master_minions.updated_at').as('mm'), eb.fn.max('minions.updated_at').as('m')])
      .where('master_sn', '=', sn)
      .executeTakeFirstOrThrow();
    expect({ mm: Number(stamps.mm), m: Number(stamps.m) }).toEqual({ mm: clock.now - 30 * 60_000, m: clock.now - 30 * 60_000 });
    const master = await t.current.db.selectFrom('masters').select('last_seen').where('sn', '=', sn).executeTakeFirstOrThrow();
    expect(master.last_seen).toBe(clock.now);
  });

  it('lets the last entry win when one payload lists a minion twice', async () => {
    const clock = manualClock();
    const sn = `m-${uid()}`;

    const result = await registerMaster(
      registerDeps(t.current.db, clock),
      request(sn, [
        { sn: `${sn}-a`, status: 'running', ips: ['10.0.0.1'] },
        { sn: `${sn}-a`, status: 'stopped', ips: ['10.0.0.9', '10.0.0.9'] },
      ]),
    );

    expect(result.minions.joined).toBe(1);
    expect(
      await t.current.db.selectFrom('master_minions').select(['status', 'ips']).where('master_sn', '=', sn).execute(),
    ).toEqual([{ status: 'stopped', ips: '["10.0.0.9"]' }]);
  });

  it('stores the salt-api password sealed and hands it back only through getMasterCredentials', async () => {
    const clock = manualClock();
    const sn = `m-${uid()}`;

    await registerMaster(
      registerDeps(t.current.db, clock),
      request(sn, [], { options: { username: 'salt-api', password: 'pa55-w0rd!' } }),
    );

    const row = await t.current.db.selectFrom('masters').select(['username', 'password_enc']).where('sn', '=', sn).executeTakeFirstOrThrow();
    expect(row.username).toBe('salt-api');
    expect(row.password_enc).not.toContain('pa55-w0rd!');
    expect(await getMasterCredentials(t.current.db, testBox, sn)).toEqual({
      server: `http://${sn}:8001`,
      username: 'salt-api',
      password: 'pa55-w0rd!',
    });
    expect(await getMasterCredentials(t.current.db, testBox, 'no-such-master')).toBeUndefined();
    const several = await getMastersCredentials(t.current.db, testBox, [sn, 'no-such-master', sn]);
    expect([...several]).toEqual([[sn, { server: `http://${sn}:8001`, username: 'salt-api', password: 'pa55-w0rd!' }]]);
  });

  it('lets a minion belong to two masters and keeps it while one of them still reports it', async () => {
    const clock = manualClock();
    const id = uid();
    const deps = registerDeps(t.current.db, clock);
    const shared = [{ sn: `shared-${id}`, status: 'running' as const, ips: ['10.9.0.1'] }];
    await registerMaster(deps, request(`ha-a-${id}`, shared));
    await registerMaster(deps, request(`ha-b-${id}`, shared));

    await registerMaster(deps, request(`ha-a-${id}`, []));

    const members = await t.current.db.selectFrom('master_minions').select('master_sn').where('minion_sn', '=', `shared-${id}`).execute();
    expect(members).toEqual([{ master_sn: `ha-b-${id}` }]);
    expect(await t.current.db.selectFrom('minions').select('sn').where('sn', '=', `shared-${id}`).execute()).toHaveLength(1);
  });
});
