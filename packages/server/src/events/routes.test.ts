import { randomUUID } from 'node:crypto';
import { EventList } from '@act2/shared';
import { expect, it } from 'vitest';
import { postRegister, useTestApp } from '../../test/helpers/app.js';
import { describeEachDialect } from '../../test/helpers/db.js';
import { payload } from '../../test/helpers/payloads.js';

describeEachDialect('events read API', (dialect) => {
  const t = useTestApp(dialect, { config: { instanceId: 'events-test' } });
  const list = async (query: string) => EventList.parse((await t.current.app.inject({ url: `/api/v1/events?${query}` })).json());

  it('lists one master’s events oldest first, filtered by kind and since, page by page', async () => {
    const sn = `m-${randomUUID().slice(0, 8)}`;
    await postRegister(t.current.app, payload(sn, [{ sn: `${sn}-a`, status: 'running' }, { sn: `${sn}-b`, status: 'running' }]));
    t.current.clock.advance(5000);
    const later = new Date(t.current.clock.now).toISOString();
    await postRegister(t.current.app, payload(sn, [{ sn: `${sn}-b`, status: 'stopped' }], { status: 'running' }));

    const all = await list(`master=${sn}`);
    const page1 = await list(`master=${sn}&limit=3`);
    const page2 = await list(`master=${sn}&limit=3&cursor=${page1.next_cursor}`);
    const joined = await list(`master=${sn}&kind=minion.joined`);
    const recent = await list(`master=${sn}&since=${encodeURIComponent(later)}`);

    expect(all.items.map((e) => [e.kind, e.minion_sn])).toEqual([
      ['master.registered', null],
      ['minion.joined', `${sn}-a`],
      ['minion.joined', `${sn}-b`],
      ['minion.status', `${sn}-b`],
      ['minion.left', `${sn}-a`],
    ]);
    expect([...page1.items, ...page2.items]).toEqual(all.items);
    expect(page2.next_cursor).toBeNull();
    expect(joined.items.map((e) => e.minion_sn)).toEqual([`${sn}-a`, `${sn}-b`]);
    expect(recent.items.map((e) => e.kind)).toEqual(['minion.status', 'minion.left']);
    expect(all.items[3]).toMatchObject({
      instance_id: 'events-test',
      at: later,
      detail: { status: 'stopped', previous_status: 'running', ips: [], previous_ips: [] },
    });
  });

  it('lists newest first with order=desc, the cursor paging towards older events', async () => {
    const sn = `d-${randomUUID().slice(0, 8)}`;
    await postRegister(t.current.app, payload(sn, [{ sn: `${sn}-a`, status: 'running' }, { sn: `${sn}-b`, status: 'running' }]));
    await postRegister(t.current.app, payload(sn, [], { status: 'stopped' }));

    const all = await list(`master=${sn}`);
    const page1 = await list(`master=${sn}&order=desc&limit=2`);
    const page2 = await list(`master=${sn}&order=desc&limit=2&cursor=${page1.next_cursor}`);

    expect([...page1.items, ...page2.items].map((e) => e.id)).toEqual(all.items.map((e) => e.id).reverse());
    expect(page1.items[0]?.kind).toBe('master.stopped');
    expect(page2.next_cursor).toBeNull();
  });

  it('rejects an unknown kind and a malformed since', async () => {
    const responses = await Promise.all(
      ['kind=master.exploded', 'since=yesterday'].map((q) => t.current.app.inject({ url: `/api/v1/events?${q}` })),
    );

    expect(responses.map((r) => [r.statusCode, r.json().issues[0].path])).toEqual([
      [400, 'kind'],
      [400, 'since'],
    ]);
  });

  it('rejects a tampered cursor whose id is not a safe non-negative integer', async () => {
    const cursors = [[1.5], [1e308], [-1], [2 ** 53]].map((key) => Buffer.from(JSON.stringify(key)).toString('base64url'));

    const responses = await Promise.all(cursors.map((c) => t.current.app.inject({ url: `/api/v1/events?cursor=${c}` })));

    expect(responses.map((r) => [r.statusCode, r.json().code, r.json().issues?.[0]?.path])).toEqual(
      cursors.map(() => [400, 'ACT2_VALIDATION', 'cursor']),
    );
  });
});
