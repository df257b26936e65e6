import { gzipSync } from 'node:zlib';
import { Writable } from 'node:stream';
import { ErrorBody, RegisterResponse } from '@act2/shared';
import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { createLogger } from '../logger.js';
import { postRegister, useTestApp } from '../../test/helpers/app.js';
import { describeEachDialect } from '../../test/helpers/db.js';
import { manyMinions, originalHeartbeatPayload, payload } from '../../test/helpers/payloads.js';

const PASSWORD = 'Tr0ub4dor&3-salt';
const BODY_LIMIT = 64 * 1024;

describeEachDialect('POST /register', (dialect) => {
  const logLines: string[] = [];
  const logger = createLogger({
    level: 'trace',
    destination: new Writable({
      write(chunk: Buffer, _enc, done) {
        logLines.push(chunk.toString());
        done();
      },
    }),
  });
  const t = useTestApp(dialect, { config: { bodyLimitBytes: BODY_LIMIT, trustProxy: ['127.0.0.1'] }, logger });
  const inject = (headers: Record<string, string>, body: string | Buffer) =>
    t.current.app.inject({ method: 'POST', url: '/register', headers, payload: body });

  it('accepts the payload the original heartbeat.py builds', async () => {
    const response = await postRegister(t.current.app, originalHeartbeatPayload(PASSWORD));

    expect(response.statusCode).toBe(200);
    expect(RegisterResponse.parse(response.json())).toEqual({
      master: { sn: '4C4C4544-0042-3510-8052-B4C04F384B32', status: 'running', recovered: false, created: true },
      minions: { total: 3, joined: 3, left: 0, changed: 0 },
    });
    const detail = await t.current.app.inject({ url: '/api/v1/masters/4C4C4544-0042-3510-8052-B4C04F384B32' });
    expect(detail.json().minions).toEqual([
      { sn: 'web-01', status: 'running', ips: ['10.0.0.11', '172.17.0.1'] },
      { sn: 'web-02', status: 'stopped', ips: [] },
      { sn: 'web-03', status: 'running', ips: ['10.0.0.13'] },
    ]);
  });

  it('accepts application/json with a charset and a gzip-encoded body', async () => {
    const body = JSON.stringify(payload('gz-master', [{ sn: 'gz-1', status: 'running', ips: ['10.5.0.1'] }]));

    const plain = await inject({ 'content-type': 'application/json; charset=utf-8' }, body);
    const gzipped = await inject({ 'content-type': 'application/json', 'content-encoding': 'gzip' }, gzipSync(body));

    expect([plain.statusCode, gzipped.statusCode]).toEqual([200, 200]);
    expect(gzipped.json().master.created).toBe(false);
  });

  it('answers 400 naming the failing field, and writes nothing', async () => {
    const body = payload('bad-master', manyMinions(5));
    (body.minions[3] as { ips: unknown }).ips = ['10.0.0.300'];

    const response = await postRegister(t.current.app, body);

    expect(response.statusCode).toBe(400);
    const error = ErrorBody.parse(response.json());
    expect(error.code).toBe('ACT2_VALIDATION');
    expect(error.issues?.map((i) => i.path)).toEqual(['minions.3.ips.0']);
    expect((await t.current.app.inject({ url: '/api/v1/masters/bad-master' })).statusCode).toBe(404);
  });

  it('answers 400 naming the field for a NUL or control character, never a 500', async () => {
    const nulSn = payload('nul\u0000master', []);
    const nulError = payload('nul-error', [], { status: 'stopped', error: 'salt-api: \u0000' });
    const nulMinion = payload('nul-minion', [{ sn: 'minion-1', status: 'running', os: 'Linux\u0000' }]);
    const escIdc = payload('esc-idc', [], { idc: 'idc\u001b' });

    const responses = await Promise.all([nulSn, nulError, nulMinion, escIdc].map((body) => postRegister(t.current.app, body)));

    expect(responses.map((r) => [r.statusCode, r.json().code, r.json().issues?.map((i: { path: string }) => i.path)])).toEqual([
      [400, 'ACT2_VALIDATION', ['master.sn', 'master.server']],
      [400, 'ACT2_VALIDATION', ['master.error']],
      [400, 'ACT2_VALIDATION', ['minions.0.os']],
      [400, 'ACT2_VALIDATION', ['master.idc']],
    ]);
  });

  it('logs each rejected registration at warn with the client IP (X-Forwarded-For only from a trusted proxy) and the sn', async () => {
    const body = payload('warned-master', manyMinions(3));
    (body.minions[1] as { status: unknown }).status = 'sleeping';

    const fromAgent = await t.current.app.inject({
      method: 'POST',
      url: '/register',
      payload: body,
      remoteAddress: '10.8.0.1',
      headers: { 'x-forwarded-for': '192.0.2.66' },
    });
    const viaProxy = await t.current.app.inject({
      method: 'POST',
      url: '/register',
      payload: 'a=b',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': '192.0.2.77' },
    });

    expect([fromAgent.statusCode, viaProxy.statusCode]).toEqual([400, 415]);
    const rejected = logLines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line.msg === 'registration rejected' && ['10.8.0.1', '192.0.2.77'].includes(line.ip as string));
    expect(rejected.map(({ level, code, status, ip, sn, issues }) => ({ level, code, status, ip, sn, issues }))).toEqual([
      { level: 40, code: 'ACT2_VALIDATION', status: 400, ip: '10.8.0.1', sn: 'warned-master', issues: [{ path: 'minions.1.status', message: expect.any(String) }] },
      { level: 40, code: 'ACT2_UNSUPPORTED_MEDIA_TYPE', status: 415, ip: '192.0.2.77', sn: undefined, issues: undefined },
    ]);
  });

  it('answers 400 for malformed JSON and an empty body', async () => {
    const broken = await inject({ 'content-type': 'application/json' }, '{"master": ');
    const empty = await inject({ 'content-type': 'application/json' }, '');

    expect([broken.statusCode, broken.json().code, empty.statusCode, empty.json().code]).toEqual([400, 'ACT2_VALIDATION', 400, 'ACT2_VALIDATION']);
  });

  it('answers 415 for other content types and encodings', async () => {
    const body = JSON.stringify(payload('x', []));

    const responses = await Promise.all([
      inject({ 'content-type': 'text/plain' }, body),
      inject({ 'content-type': 'application/x-www-form-urlencoded' }, 'a=b'),
      inject({ 'content-type': 'application/json', 'content-encoding': 'br' }, body),
    ]);

    expect(responses.map((r) => [r.statusCode, r.json().code])).toEqual([
      [415, 'ACT2_UNSUPPORTED_MEDIA_TYPE'],
      [415, 'ACT2_UNSUPPORTED_MEDIA_TYPE'],
      [415, 'ACT2_UNSUPPORTED_MEDIA_TYPE'],
    ]);
  });

  it('answers 413 for a body over the limit, plain or as a gzip bomb', async () => {
    const big = JSON.stringify(payload('big', manyMinions(3000)));
    // Small on the wire, far over the limit once inflated.
    const bomb = gzipSync(Buffer.concat([Buffer.from('{"master":{"sn":"'), Buffer.alloc(50 * BODY_LIMIT, 0x61), Buffer.from('"}}')]));

    const plain = await inject({ 'content-type': 'application/json' }, big);
    const zipped = await inject({ 'content-type': 'application/json', 'content-encoding': 'gzip' }, bomb);

    expect(bomb.length).toBeLessThan(BODY_LIMIT);
    expect([plain.statusCode, plain.json().code]).toEqual([413, 'ACT2_BODY_TOO_LARGE']);
    expect([zipped.statusCode, zipped.json().code]).toEqual([413, 'ACT2_BODY_TOO_LARGE']);
  });

  it('answers 400 ACT2_BAD_ENCODING for a body that is not gzip', async () => {
    const response = await inject({ 'content-type': 'application/json', 'content-encoding': 'gzip' }, 'not gzip at all');

    expect([response.statusCode, response.json().code]).toEqual([400, 'ACT2_BAD_ENCODING']);
  });

  it('never returns the password from any read API and never logs it', async () => {
    const sn = '4C4C4544-0042-3510-8052-B4C04F384B32';
    const urls = [
      '/api/v1/masters',
      `/api/v1/masters/${sn}`,
      '/api/v1/minions',
      '/api/v1/minions/web-01',
      '/api/v1/lookup?ip=10.0.0.11',
      '/api/v1/events?limit=1000',
    ];
    const bad = originalHeartbeatPayload(PASSWORD);
    (bad.minions[0] as { ips: unknown }).ips = 'nope';

    const bodies = [
      (await postRegister(t.current.app, originalHeartbeatPayload(PASSWORD))).body,
      (await postRegister(t.current.app, bad)).body,
      ...(await Promise.all(urls.map((url) => t.current.app.inject({ url })))).map((r) => r.body),
    ];

    expect(bodies.filter((b) => b.includes(PASSWORD))).toEqual([]);
    expect(logLines.length).toBeGreaterThan(urls.length);
    expect(logLines.filter((line) => line.includes(PASSWORD))).toEqual([]);
    expect(logLines.filter((line) => line.includes('"request completed"')).length).toBeGreaterThan(urls.length);
  });

  it('writes nothing when the registration fails half way, and answers a generic 500', async () => {
    // The last step of a registration (its events) fails for this one master.
    if (dialect === 'sqlite') {
      await sql`create trigger boom before insert on events when new.master_sn = 'boom-master' begin select raise(abort, 'boom secret detail'); end`.execute(t.current.database.db);
    } else if (dialect === 'mysql') {
      await sql`create trigger boom before insert on events for each row begin if new.master_sn = 'boom-master' then signal sqlstate '45000' set message_text = 'boom secret detail'; end if; end`.execute(t.current.database.db);
    } else {
      await sql`create function act2_boom() returns trigger language plpgsql as $$ begin if new.master_sn = 'boom-master' then raise exception 'boom secret detail'; end if; return new; end $$`.execute(t.current.database.db);
      await sql`create trigger boom before insert on events for each row execute function act2_boom()`.execute(t.current.database.db);
    }

    const response = await postRegister(t.current.app, payload('boom-master', [{ sn: 'boom-minion', status: 'running', ips: ['10.66.0.1'] }]));

    expect([response.statusCode, response.json()]).toEqual([500, { code: 'ACT2_INTERNAL', message: 'Internal server error' }]);
    const db = t.current.database.db;
    expect(await db.selectFrom('masters').select('sn').where('sn', '=', 'boom-master').execute()).toEqual([]);
    expect(await db.selectFrom('minions').select('sn').where('sn', '=', 'boom-minion').execute()).toEqual([]);
    expect(await db.selectFrom('minion_ips').select('ip').where('minion_sn', '=', 'boom-minion').execute()).toEqual([]);
  });

  it('serves POST /api/v1/register (the original act2 path) as the same route as /register', async () => {
    const body = payload('alias-master', manyMinions(2));

    const first = await t.current.app.inject({ method: 'POST', url: '/api/v1/register', payload: body });
    const again = await postRegister(t.current.app, body);
    const invalid = payload('alias-rejected', manyMinions(2));
    (invalid.minions[0] as { status: unknown }).status = 'sleeping';
    const bad = await t.current.app.inject({ method: 'POST', url: '/api/v1/register', payload: invalid });

    expect([first.statusCode, again.statusCode]).toEqual([200, 200]);
    expect(first.json().master).toEqual({ sn: 'alias-master', status: 'running', recovered: false, created: true });
    expect(again.json().master.created).toBe(false);
    expect(bad.statusCode).toBe(400);
    expect(ErrorBody.parse(bad.json()).code).toBe('ACT2_VALIDATION');
    expect(logLines.map((line) => JSON.parse(line) as Record<string, unknown>).some((line) => line.msg === 'registration rejected' && line.sn === 'alias-rejected')).toBe(true);
  });

  it('answers unknown routes with a JSON 404', async () => {
    const response = await t.current.app.inject({ url: '/nope' });

    expect([response.statusCode, response.json().code]).toEqual([404, 'ACT2_NOT_FOUND']);
  });
});
