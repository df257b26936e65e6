import { randomUUID } from 'node:crypto';
import { LookupResponse, MinionDetail, MinionList } from '@act2/shared';
import { expect, it } from 'vitest';
import { postRegister, useTestApp } from '../../test/helpers/app.js';
import { describeEachDialect } from '../../test/helpers/db.js';
import { TIMEOUT_MS } from '../../test/helpers/deps.js';
import { payload } from '../../test/helpers/payloads.js';

describeEachDialect('minions read API', (dialect) => {
  const t = useTestApp(dialect);
  const get = async (url: string) => t.current.app.inject({ url });
  const id = () => randomUUID().slice(0, 8);

  it('puts the live master first once the other of an HA pair times out (detail and lookup)', async () => {
    const x = id();
    const ip = `10.77.${parseInt(x.slice(0, 2), 16)}.${parseInt(x.slice(2, 4), 16)}`;
    const minions = [{ sn: `vm-${x}`, status: 'running' as const, ips: [ip] }];
    await postRegister(t.current.app, payload(`ha-a-${x}`, minions));
    t.current.clock.advance(60_000);
    await postRegister(t.current.app, payload(`ha-b-${x}`, minions));
    const before = MinionDetail.parse((await get(`/api/v1/minions/vm-${x}`)).json());
    // Both keep reporting for a while, then a goes silent while b reports on.
    t.current.clock.advance(TIMEOUT_MS - 120_000);
    await postRegister(t.current.app, payload(`ha-a-${x}`, minions));
    t.current.clock.advance(TIMEOUT_MS / 2);
    await postRegister(t.current.app, payload(`ha-b-${x}`, minions));
    t.current.clock.advance(TIMEOUT_MS / 2 + 1);

    const after = MinionDetail.parse((await get(`/api/v1/minions/vm-${x}`)).json());
    const lookup = LookupResponse.parse((await get(`/api/v1/lookup?ip=${ip}`)).json());

    expect(before.masters.map((m) => m.sn)).toEqual([`ha-b-${x}`, `ha-a-${x}`]);
    expect(after.masters.map((m) => [m.sn, m.status])).toEqual([
      [`ha-b-${x}`, 'running'],
      [`ha-a-${x}`, 'timeout'],
    ]);
    expect(after.status).toBe('running');
    expect(lookup.items.map((m) => m.masters.map((mm) => [mm.sn, mm.status]))).toEqual([
      [
        [`ha-b-${x}`, 'running'],
        [`ha-a-${x}`, 'timeout'],
      ],
    ]);
  });

  it('ranks running before stopped before timeout, then the freshest', async () => {
    const x = id();
    const minions = [{ sn: `vm-${x}`, status: 'running' as const, ips: [] }];
    await postRegister(t.current.app, payload(`old-${x}`, minions));
    t.current.clock.advance(TIMEOUT_MS + 1);
    await postRegister(t.current.app, payload(`stopped-${x}`, [], { status: 'stopped' }));
    await postRegister(t.current.app, payload(`run1-${x}`, minions));
    t.current.clock.advance(1000);
    await postRegister(t.current.app, payload(`run2-${x}`, minions));
    // stopped-x only keeps minions it reported while running
    await postRegister(t.current.app, payload(`stopped-${x}`, minions));
    await postRegister(t.current.app, payload(`stopped-${x}`, [], { status: 'stopped' }));

    const detail = MinionDetail.parse((await get(`/api/v1/minions/vm-${x}`)).json());

    expect(detail.masters.map((m) => m.sn)).toEqual([`run2-${x}`, `run1-${x}`, `stopped-${x}`, `old-${x}`]);
  });

  it('lists minions filtered by master, status and ip, page by page', async () => {
    const x = id();
    await postRegister(
      t.current.app,
      payload(`m-${x}`, [
        { sn: `${x}-1`, status: 'running', ips: ['10.88.0.1'] },
        { sn: `${x}-2`, status: 'stopped' },
        { sn: `${x}-3`, status: 'running', ips: ['10.88.0.3', '10.88.0.1'] },
      ]),
    );
    const list = async (query: string) => MinionList.parse((await get(`/api/v1/minions?master=m-${x}&${query}`)).json());

    const page1 = await list('limit=2');
    const page2 = await list(`limit=2&cursor=${page1.next_cursor}`);

    expect([...page1.items, ...page2.items].map((m) => m.sn)).toEqual([`${x}-1`, `${x}-2`, `${x}-3`]);
    expect(page2.next_cursor).toBeNull();
    expect((await list('status=stopped')).items.map((m) => m.sn)).toEqual([`${x}-2`]);
    expect((await list('status=running')).items.map((m) => m.sn)).toEqual([`${x}-1`, `${x}-3`]);
    expect((await list('ip=10.88.0.1')).items.map((m) => [m.sn, m.ips])).toEqual([
      [`${x}-1`, ['10.88.0.1']],
      [`${x}-3`, ['10.88.0.3', '10.88.0.1']],
    ]);
  });

  it('answers 404 for an unknown minion or IP and 400 for a malformed IP', async () => {
    const [minion, ip, bad] = await Promise.all([get('/api/v1/minions/nope'), get('/api/v1/lookup?ip=192.0.2.99'), get('/api/v1/lookup?ip=nope')]);

    expect([minion.statusCode, ip.statusCode, ip.json().code, bad.statusCode, bad.json().issues[0].path]).toEqual([
      404,
      404,
      'ACT2_NOT_FOUND',
      400,
      'ip',
    ]);
  });

  it('stores IPs in canonical form and finds them however they are written', async () => {
    const x = id();
    const sn = `v6-${x}`;
    await postRegister(t.current.app, payload(`m-${x}`, [{ sn, status: 'running', ips: ['2001:0DB8:0:0:0:0:0:00A1', '::ffff:10.99.0.1', '10.99.0.1'] }]));
    const found = async (ip: string) => {
      const response = await get(`/api/v1/lookup?ip=${encodeURIComponent(ip)}`);
      return response.statusCode === 200 ? LookupResponse.parse(response.json()).items.map((m) => m.sn) : response.statusCode;
    };
    const listed = async (ip: string) => MinionList.parse((await get(`/api/v1/minions?ip=${encodeURIComponent(ip)}`).then((r) => r.json()))).items.map((m) => m.sn);

    const detail = MinionDetail.parse((await get(`/api/v1/minions/${sn}`)).json());
    const lookups = await Promise.all(['2001:db8::a1', '2001:db8:0::00a1', '2001:DB8::A1', '10.99.0.1', '::ffff:10.99.0.1', '::ffff:a63:1'].map(found));

    expect(detail.ips).toEqual(['2001:db8::a1', '10.99.0.1']);
    expect(lookups).toEqual(Array(6).fill([sn]));
    expect(await listed('2001:0db8::a1')).toEqual([sn]);
  });
});
