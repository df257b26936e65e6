import { MAX_ERROR_ISSUES } from '@act2/shared';
import { describe, expect, it } from 'vitest';
import { PIECEWISE_ABOVE } from '../src/http/body.js';
import { postRegister, useTestApp } from './helpers/app.js';
import { describeEachDialect } from './helpers/db.js';
import { dbDigest } from './helpers/digest.js';
import { captureLogger } from './helpers/log.js';
import { payload } from './helpers/payloads.js';

// Regression tests for issue 11's findings 1, 3, 4, 7, 8 and 9 (5 and 6: client-abort and
// db-outage tests; 2: large-registration; 10: serve-lock).

const MAX_MINIONS = 1_000;
const KIB = 1024;

describeEachDialect('hostile requests', (dialect) => {
  const log = captureLogger('info');
  const t = useTestApp(dialect, { config: { maxMinions: MAX_MINIONS }, logger: log.logger });
  const postRaw = (body: string) =>
    t.current.app.inject({ method: 'POST', url: '/register', headers: { 'content-type': 'application/json' }, payload: body });
  const master = '"master":{"sn":"m","server":"http://m:8001","status":"running","idc":"i","type":"salt"}';

  it('1: a million empty minions is refused before parsing, in a small answer, and changes nothing', async () => {
    await postRegister(t.current.app, payload('seed', [{ sn: 'seed-1', status: 'running' }]));
    const before = await dbDigest(t.current.database.db);
    const started = performance.now();

    const response = await postRaw(`{${master},"minions":[${'{},'.repeat(999_999)}{}]}`);

    // The structure pass stops at minion MAX_MINIONS + 1 and names the limit.
    expect([response.statusCode, response.json().code]).toEqual([413, 'ACT2_TOO_MANY_MINIONS']);
    expect(response.body.length).toBeLessThan(KIB);
    // Parsing it used to take seconds and gigabytes; the structure check is one pass over 3 MB.
    expect(performance.now() - started).toBeLessThan(1_500);
    expect(await dbDigest(t.current.database.db)).toBe(before);
  });

  it('1: more minions than --max-minions is a 413 with its own code', async () => {
    const minions = Array.from({ length: MAX_MINIONS + 1 }, (_, i) => ({ sn: `m-${i}`, status: 'running' as const }));

    const response = await postRegister(t.current.app, payload('too-many', minions));

    expect([response.statusCode, response.json().code]).toEqual([413, 'ACT2_TOO_MANY_MINIONS']);
    expect(response.json().message).toContain(`at most ${MAX_MINIONS} minions`);
  });

  it('1: a hopeless payload stops validating early and lists a few dozen issues plus a count', async () => {
    const before = await dbDigest(t.current.database.db);

    const response = await postRaw(`{${master},"minions":[${'{},'.repeat(MAX_MINIONS - 1)}{}]}`);

    const body = response.json();
    expect([response.statusCode, body.code, body.incomplete]).toEqual([400, 'ACT2_VALIDATION', true]);
    expect(body.issues).toHaveLength(MAX_ERROR_ISSUES);
    expect(body.issues[0]).toEqual({ path: 'minions.0.sn', message: expect.any(String) });
    expect(body.more_issues).toBeGreaterThan(0);
    expect(body.message).toMatch(/validation stopped after 30 invalid minions \(\d+ not checked\)/);
    expect(response.body.length).toBeLessThan(8 * KIB);
    expect(await dbDigest(t.current.database.db)).toBe(before);
  });

  it('1: every error list is bounded, whatever route produced it', async () => {
    const query = Array.from({ length: 500 }, (_, i) => `junk${i}=1`).join('&');

    const response = await t.current.app.inject({ url: `/api/v1/masters?${query}` });

    expect([response.statusCode, response.json().issues.length, response.json().more_issues]).toEqual([400, MAX_ERROR_ISSUES, 500 - MAX_ERROR_ISSUES]);
    expect(response.body.length).toBeLessThan(8 * KIB);
  });

  it('3: lone surrogates are refused naming the field, so two sns can no longer collide', async () => {
    const before = await dbDigest(t.current.database.db);

    const responses = await Promise.all([
      postRegister(t.current.app, payload('r2-\ud800', [], { server: 'http://r2:8001' })),
      postRegister(t.current.app, payload('r2-\udc00', [], { server: 'http://r2:8001' })),
      postRegister(t.current.app, payload('r3', [{ sn: 'x\ud800', status: 'running' }])),
      postRegister(t.current.app, payload('r4', [], { idc: '\udfff' })),
    ]);

    expect(responses.map((r) => [r.statusCode, r.json().issues.map((i: { path: string }) => i.path)])).toEqual([
      [400, ['master.sn']],
      [400, ['master.sn']],
      [400, ['minions.0.sn']],
      [400, ['master.idc']],
    ]);
    expect(await dbDigest(t.current.database.db)).toBe(before);
  });

  it('3: a lone surrogate in a path or query parameter is a 400, not a lookup of something else', async () => {
    const responses = await Promise.all(
      ['/api/v1/masters/r2-%ED%A0%80', '/api/v1/masters/r2-%ud800', '/api/v1/masters?idc=%ED%A0%80', '/api/v1/minions?master=a%ED%B0%80'].map((url) =>
        t.current.app.inject({ url }),
      ),
    );
    // Invalid UTF-8 is refused as bad encoding, or decodes to U+FFFD (well-formed, matching nothing).
    expect(responses.map((r) => r.statusCode)).toEqual([400, 400, 200, 200]);
    expect(responses.slice(2).map((r) => r.json().items)).toEqual([[], []]);
  });

  it('4: master.server must be an http(s) URL without credentials', async () => {
    const before = await dbDigest(t.current.database.db);
    const servers = ['file:///etc/passwd', 'javascript:alert(1)', 'not a url', 'http://user:hunter2@salt:8001'];

    const responses = await Promise.all(servers.map((server, i) => postRegister(t.current.app, payload(`url-${i}`, [], { server }))));

    expect(responses.map((r) => [r.statusCode, r.json().issues[0].path])).toEqual(servers.map(() => [400, 'master.server']));
    expect(responses[3]!.body).not.toContain('hunter2');
    expect(await dbDigest(t.current.database.db)).toBe(before);
  });

  it('7: the request log names the route and known filters, never the raw query string', async () => {
    await t.current.app.inject({ url: '/api/v1/masters?status=running&api_token=SUPERSECRET-1' });
    await t.current.app.inject({ url: '/api/v1/minions?SUPERSECRET-2=x' });

    const lines = log.lines().filter((l) => l.msg === 'request completed' && typeof l.route === 'string' && l.route.startsWith('/api/v1/m'));
    expect(log.text()).not.toContain('SUPERSECRET');
    expect(lines.slice(-2).map((l) => [l.route, l.query, l.statusCode])).toEqual([
      ['/api/v1/masters', { status: 'running' }, 400],
      ['/api/v1/minions', undefined, 400],
    ]);
  });

  it('8: an unknown query parameter is a 400 naming it; since takes a date or any ISO 8601 date-time', async () => {
    const typo = await t.current.app.inject({ url: '/api/v1/masters?stauts=stopped' });
    const lookup = await t.current.app.inject({ url: '/api/v1/lookup?ip=10.0.0.1&verbose=1' });
    const dates = await Promise.all(
      ['2026-11-30', '2026-11-30T10:00Z', '2026-11-30T18:00:00.5+08:00', '20261130T100000Z'].map((since) =>
        t.current.app.inject({ url: `/api/v1/events?since=${encodeURIComponent(since)}` }),
      ),
    );
    const bad = await t.current.app.inject({ url: '/api/v1/events?since=2026-02-30' });

    expect([typo.statusCode, typo.json().issues]).toEqual([400, [{ path: 'stauts', message: 'unknown parameter' }]]);
    expect(typo.json().message).toContain('stauts');
    expect([lookup.statusCode, lookup.json().issues[0].path]).toEqual([400, 'verbose']);
    expect(dates.map((r) => r.statusCode)).toEqual([200, 200, 200, 200]);
    expect([bad.statusCode, bad.json().issues[0].path]).toEqual([400, 'since']);
  });

  it('8: since=<date> filters from midnight UTC of that day', async () => {
    t.current.clock.set(Date.UTC(2026, 10, 29, 23, 59));
    await postRegister(t.current.app, payload('since-a', []));
    t.current.clock.set(Date.UTC(2026, 10, 30, 0, 1));
    await postRegister(t.current.app, payload('since-b', []));

    const response = await t.current.app.inject({ url: '/api/v1/events?since=2026-11-30&kind=master.registered' });

    expect(response.json().items.map((e: { master_sn: string }) => e.master_sn)).toEqual(['since-b']);
  });

  it('9: a wrong method is a 405 with Allow; an unknown path stays a 404', async () => {
    const cases = await Promise.all([
      t.current.app.inject({ method: 'GET', url: '/register' }),
      t.current.app.inject({ method: 'DELETE', url: '/api/v1/masters' }),
      t.current.app.inject({ method: 'PUT', url: '/api/v1/masters/some-sn' }),
      t.current.app.inject({ method: 'POST', url: '/healthz' }),
      t.current.app.inject({ method: 'GET', url: '/api/v1/nothing' }),
    ]);

    expect(cases.map((r) => [r.statusCode, r.headers.allow, r.json().code])).toEqual([
      [405, 'POST', 'ACT2_METHOD_NOT_ALLOWED'],
      [405, 'GET, HEAD', 'ACT2_METHOD_NOT_ALLOWED'],
      // A master can also be retired by hand (DELETE, scope admin).
      [405, 'DELETE, GET, HEAD', 'ACT2_METHOD_NOT_ALLOWED'],
      [405, 'GET, HEAD', 'ACT2_METHOD_NOT_ALLOWED'],
      [404, undefined, 'ACT2_NOT_FOUND'],
    ]);
  });
});

// --max-minions at or above the structure check's floor for arrays (1,024), as by default (200,000):
// the top-level minions array is counted against --max-minions by the structure pass itself, so
// the answer names it (it used to be ACT2_BODY_TOO_COMPLEX, "an array with more than N elements").
describe('1: --max-minions above 1,024', () => {
  const LIMIT = 2_000;
  const t = useTestApp('sqlite', { config: { maxMinions: LIMIT } });
  const post = (body: string) => t.current.app.inject({ method: 'POST', url: '/register', headers: { 'content-type': 'application/json' }, payload: body });
  const minion = (i: number) => ({ sn: `m-${i}`, status: 'running' as const });
  const tooMany = `A registration may list at most ${LIMIT} minions (got more than ${LIMIT}); raise --max-minions on the server`;

  it('one minion over the limit is 413 ACT2_TOO_MANY_MINIONS naming --max-minions (small body)', async () => {
    const response = await postRegister(t.current.app, payload('over', Array.from({ length: LIMIT + 1 }, (_, i) => minion(i))));

    expect([response.statusCode, response.json().code, response.json().message]).toEqual([413, 'ACT2_TOO_MANY_MINIONS', tooMany]);
  });

  it('the same over 1 MiB, parsed in pieces on the main thread', async () => {
    const body = JSON.stringify({ pad: 'x'.repeat(PIECEWISE_ABOVE), ...payload('over', Array.from({ length: LIMIT + 1 }, (_, i) => minion(i))) });
    expect(body.length).toBeGreaterThan(PIECEWISE_ABOVE);

    const response = await post(body);

    expect([response.statusCode, response.json().code, response.json().message]).toEqual([413, 'ACT2_TOO_MANY_MINIONS', tooMany]);
  });

  it('exactly the limit passes the structure check; any other over-long array stays ACT2_BODY_TOO_COMPLEX', async () => {
    const atLimit = await postRegister(t.current.app, payload('at', Array.from({ length: LIMIT }, (_, i) => minion(i))));
    const ips = await postRegister(t.current.app, payload('ips', [{ sn: 'x', status: 'running', ips: Array.from({ length: LIMIT + 1 }, () => '10.0.0.1') }]));
    const nested = await post(`{"master":{"minions":[${'1,'.repeat(LIMIT)}1]},"minions":[]}`);
    const topArray = await post(`[${'1,'.repeat(LIMIT)}1]`);

    expect(atLimit.statusCode).toBe(200);
    for (const response of [ips, nested, topArray]) {
      expect([response.statusCode, response.json().code, response.json().message]).toEqual([
        413,
        'ACT2_BODY_TOO_COMPLEX',
        `Request body has an array with more than ${LIMIT} elements`,
      ]);
    }
  });
});
