import { randomUUID } from 'node:crypto';
import { ErrorBody, MasterDetail, MasterList } from '@act2/shared';
import { expect, it } from 'vitest';
import { postRegister, useTestApp } from '../../test/helpers/app.js';
import { describeEachDialect } from '../../test/helpers/db.js';
import { TIMEOUT_MS } from '../../test/helpers/deps.js';
import { payload } from '../../test/helpers/payloads.js';

describeEachDialect('masters read API', (dialect) => {
  const t = useTestApp(dialect);
  const get = async (url: string) => t.current.app.inject({ url });

  it('pages through masters with an opaque cursor', async () => {
    const idc = `idc-${randomUUID().slice(0, 8)}`;
    for (let i = 0; i < 5; i += 1) await postRegister(t.current.app, payload(`${idc}-m${i}`, [], { idc }));

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const response = await get(`/api/v1/masters?idc=${idc}&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      const page: MasterList = MasterList.parse(response.json());
      seen.push(...page.items.map((m) => m.sn));
      cursor = page.next_cursor;
      pages += 1;
    } while (cursor);

    expect(seen).toEqual([0, 1, 2, 3, 4].map((i) => `${idc}-m${i}`));
    expect(pages).toBe(3);
  });

  it('filters by status (as read now), idc and type', async () => {
    const idc = `idc-${randomUUID().slice(0, 8)}`;
    await postRegister(t.current.app, payload(`${idc}-old`, [], { idc }));
    t.current.clock.advance(TIMEOUT_MS / 2 + 1);
    await postRegister(t.current.app, payload(`${idc}-stopped`, [], { idc, status: 'stopped' }));
    await postRegister(t.current.app, payload(`${idc}-puppet`, [], { idc, type: 'puppet' }));
    t.current.clock.advance(TIMEOUT_MS / 2);
    const sns = async (query: string) => MasterList.parse((await get(`/api/v1/masters?idc=${idc}&${query}`)).json()).items.map((m) => m.sn);

    expect(await sns('status=timeout')).toEqual([`${idc}-old`]);
    expect(await sns('status=stopped')).toEqual([`${idc}-stopped`]);
    expect(await sns('status=running')).toEqual([`${idc}-puppet`]);
    expect(await sns('type=puppet')).toEqual([`${idc}-puppet`]);
  });

  it('returns a master with its minions and without credentials', async () => {
    const sn = `m-${randomUUID().slice(0, 8)}`;
    await postRegister(
      t.current.app,
      payload(sn, [{ sn: `${sn}-a`, status: 'running', ips: ['10.1.1.1'] }], { options: { username: 'u', password: 'p' } }),
    );

    const response = await get(`/api/v1/masters/${sn}`);

    const detail = MasterDetail.parse(response.json());
    expect(Object.keys(response.json()).sort()).toEqual(
      ['agent_version', 'error', 'first_seen', 'idc', 'last_seen', 'minion_count', 'minions', 'minions_running', 'server', 'sn', 'status', 'type'].sort(),
    );
    expect(detail).toEqual({
      sn,
      server: `http://${sn}:8001`,
      status: 'running',
      idc: 'idc-1',
      type: 'salt',
      last_seen: new Date(t.current.clock.now).toISOString(),
      first_seen: new Date(t.current.clock.now).toISOString(),
      error: null,
      minion_count: 1,
      minions_running: 1,
      agent_version: null,
      minions: [{ sn: `${sn}-a`, status: 'running', ips: ['10.1.1.1'] }],
    });
  });

  it('rejects bad query parameters and cursors with 400 naming them, unknown masters with 404', async () => {
    const tooMany = await get('/api/v1/masters?limit=1001');
    const badStatus = await get('/api/v1/masters?status=dead');
    const badCursor = await get('/api/v1/masters?cursor=bm9wZQ');
    const missing = await get('/api/v1/masters/nope');

    expect([tooMany, badStatus, badCursor].map((r) => [r.statusCode, r.json().issues?.[0]?.path])).toEqual([
      [400, 'limit'],
      [400, 'status'],
      [400, 'cursor'],
    ]);
    expect([missing.statusCode, missing.json().code]).toEqual([404, 'ACT2_NOT_FOUND']);
  });

  it('answers 400 for a NUL in a path parameter, a filter or a cursor, never a 500', async () => {
    const nulCursor = Buffer.from(JSON.stringify(['a\u0000'])).toString('base64url');
    const responses = await Promise.all(
      ['/api/v1/masters/a%00b', '/api/v1/masters?idc=%00', `/api/v1/masters?cursor=${nulCursor}`, '/api/v1/minions/%00', '/api/v1/minions?master=m%00', '/api/v1/events?master=%00'].map(get),
    );

    expect(responses.map((r) => [r.statusCode, r.json().issues?.[0]?.path])).toEqual([
      [400, 'sn'],
      [400, 'idc'],
      [400, 'cursor'],
      [400, 'sn'],
      [400, 'master'],
      [400, 'master'],
    ]);
  });

  it('serves a 255-character sn (ASCII or not) and answers framework routing errors with our error body', async () => {
    const ascii = `${'s'.repeat(250)}${randomUUID().slice(0, 5)}`;
    const wide = `${'主'.repeat(250)}${randomUUID().slice(0, 5)}`;
    for (const sn of [ascii, wide]) await postRegister(t.current.app, payload(sn, [{ sn, status: 'running' }], { server: 'http://m:8001' }));

    const found = await Promise.all(
      [`/api/v1/masters/${encodeURIComponent(ascii)}`, `/api/v1/masters/${encodeURIComponent(wide)}`, `/api/v1/minions/${encodeURIComponent(wide)}`].map(get),
    );
    const badUrl = await get('/api/v1/masters/%E0%A4%A');
    const tooLong = await get(`/api/v1/masters/${'x'.repeat(5000)}`);

    expect(found.map((r) => [r.statusCode, r.json().sn])).toEqual([
      [200, ascii],
      [200, wide],
      [200, wide],
    ]);
    expect([badUrl.statusCode, badUrl.json().code]).toEqual([400, 'ACT2_VALIDATION']);
    expect(ErrorBody.safeParse(badUrl.json()).success).toBe(true);
    // Over the router's limit (far over any 255-character sn): still our contract, not fastify's body.
    expect([tooLong.statusCode, Object.keys(tooLong.json()).sort()]).toEqual([414, ['code', 'message']]);
    expect(tooLong.json().code).toBe('ACT2_VALIDATION');
  });
});
