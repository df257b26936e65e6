import { Agent } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { capture, cherrypyPage, saltJson } from '../../../test/helpers/captures.js';
import { captureLogs } from '../../../test/helpers/logs.js';
import { startReplayServer } from '../../../test/helpers/replay-server.js';
import type { Expectation, ReplayServer } from '../../../test/helpers/replay-server.js';
import { createSaltClient } from '@act2/salt-api-client';
import type { Lowstate } from '@act2/salt-api-client';

const STATUS: Lowstate = { client: 'runner', fun: 'manage.status', kwarg: { timeout: 5, gather_job_timeout: 10 } };
const TOKEN_01 = 'f72c45c225d0cec0bd711080f880892c144f073b';
const login = (reply = capture('01')): Expectation => ({ method: 'POST', path: '/login', reply });
const root = (reply: Expectation['reply'], check?: Expectation['check']): Expectation => ({ method: 'POST', path: '/', reply, ...(check ? { check } : {}) });

let server: ReplayServer | undefined;
let agent: Agent | undefined;

afterEach(async () => {
  await agent?.close();
  await server?.close();
  server = undefined;
  agent = undefined;
});

async function clientFor(expectations: Expectation[], overrides: { user?: string; eauth?: string; timeoutMs?: number; baseUrl?: string } = {}) {
  server = await startReplayServer(expectations);
  agent = new Agent();
  return createSaltClient({
    baseUrl: overrides.baseUrl ?? server.url,
    username: overrides.user ?? 'apiuser',
    password: 'pw-123',
    eauth: overrides.eauth ?? 'file',
    dispatcher: agent,
    timeoutMs: overrides.timeoutMs ?? 5000,
    log: captureLogs().log,
    now: Date.now,
    userAgent: 'act2-heartbeat/test',
  });
}

describe('salt-api client', () => {
  it('logs in with a JSON body and sends the token as X-Auth-Token (captures 01, 10)', async () => {
    const client = await clientFor([
      {
        ...login(),
        check: (req) => {
          expect(req.json).toEqual({ username: 'apiuser', password: 'pw-123', eauth: 'file' });
          expect([req.headers['content-type'], req.headers.accept]).toEqual(['application/json', 'application/json']);
        },
      },
      root(capture('10'), (req) => {
        expect(req.headers['x-auth-token']).toBe(TOKEN_01);
        expect(req.json).toEqual([STATUS]);
      }),
    ]);
    await client.login();
    expect(await client.run(STATUS)).toEqual({ up: ['oracle-minion-1', 'oracle-minion-2', 'oracle-minion-3'], down: [] });
    server?.assertDone();
  });

  it('logs in with eauth pam (capture 65) and reads manage.status with one minion down (15)', async () => {
    const client = await clientFor([login(capture('65')), root(capture('15'), (req) => expect(req.headers['x-auth-token']).toBe('0ae9f9c594f5f33b6da8f97a4b5a5aa150ad7612'))], { eauth: 'pam' });
    await client.login();
    expect(await client.run(STATUS)).toEqual({ up: ['oracle-minion-1', 'oracle-minion-2'], down: ['oracle-minion-3'] });
    server?.assertDone();
  });

  it.each([
    ['05', 'file', 'salt-api refused the login for user apiuser (eauth file): Could not authenticate using provided credentials'],
    ['09', '', 'salt-api refused the login for user apiuser (eauth ): Could not authenticate using provided credentials'],
  ])('reports a refused login in one line (capture %s)', async (number, eauth, message) => {
    const client = await clientFor([login(capture(number))], { eauth });
    await expect(client.login()).rejects.toMatchObject({ code: 'ACT2_SALT_LOGIN_REFUSED', message });
    server?.assertDone();
  });

  it('returns grains.item and cache.grains results keyed by minion id (captures 14, 18, 13, 25)', async () => {
    const client = await clientFor([login(), root(capture('14')), root(capture('18')), root(capture('13')), root(capture('25'))]);
    await client.login();
    const results = [];
    for (let i = 0; i < 4; i += 1) results.push((await client.run({ client: 'local', fun: 'grains.item' })) as Record<string, unknown>);
    expect(results.map((r) => Object.keys(r).sort())).toEqual(Array(4).fill(['oracle-minion-1', 'oracle-minion-2', 'oracle-minion-3']));
    expect(results[1]?.['oracle-minion-3']).toBe(false);
    expect((results[3]?.['oracle-minion-3'] as { ipv4: string[] }).ipv4).toEqual(['127.0.0.1', '192.0.2.2']);
    server?.assertDone();
  });

  it('treats a 200 whose return[0] is a string as a runner failure, keeping the first line', async () => {
    const traceback = 'Exception occurred in runner manage.status: Traceback (most recent call last):\n  File "/usr/lib/salt/client/mixins.py", line 382, in low\n';
    const client = await clientFor([login(), root(saltJson({ return: [traceback] })), root(saltJson({ return: ['\nPassed invalid arguments: status() got an unexpected keyword argument\n\nUsage:\n'] }))]);
    await client.login();
    await expect(client.run(STATUS)).rejects.toMatchObject({
      code: 'ACT2_SALT_RUNNER_FAILED',
      message: 'salt-api runner manage.status failed: Exception occurred in runner manage.status: Traceback (most recent call last):',
    });
    await expect(client.run(STATUS)).rejects.toMatchObject({ message: 'salt-api runner manage.status failed: Passed invalid arguments: status() got an unexpected keyword argument' });
    server?.assertDone();
  });

  it("explains 3006's client-disabled 400 in one line (capture 49's page)", async () => {
    const page = cherrypyPage(400, 'Bad Request', "Client disabled: 'runner'. Add to 'netapi_enable_clients' master config option to enable.");
    const client = await clientFor([login(), root(page)]);
    await client.login();
    await expect(client.run(STATUS)).rejects.toMatchObject({
      code: 'ACT2_SALT_CLIENT_DISABLED',
      message: "salt-api has the 'runner' client disabled: add runner to netapi_enable_clients in the salt-master config (salt 3006+)",
    });
    server?.assertDone();
  });

  it('names the missing @runner permission without a needless second login (captures 30, 31)', async () => {
    // The replay server fails on any request beyond these two: an ACL refusal is not a dead session.
    const client = await clientFor([login(capture('30')), root(capture('31'))], { user: 'limited' });
    await client.login();
    await expect(client.run(STATUS)).rejects.toMatchObject({
      code: 'ACT2_SALT_FORBIDDEN',
      message: 'salt-api user limited lacks @runner permission in external_auth (needed for manage.status)',
    });
    server?.assertDone();
  });

  it("does not log in again on an 'Authorization error occurred.' 401 either (capture 32)", async () => {
    const client = await clientFor([login(capture('30')), root(capture('32'))], { user: 'limited' });
    await client.login();
    await expect(client.run({ client: 'local', fun: 'grains.item' })).rejects.toMatchObject({
      code: 'ACT2_SALT_FORBIDDEN',
      message: 'salt-api user limited may not call grains.item (check external_auth)',
    });
    server?.assertDone();
  });

  it('logs in again on a 401 it does not recognise (a proxy in front of salt-api)', async () => {
    const page = cherrypyPage(401, 'Unauthorized', 'Session expired');
    const client = await clientFor([login(), root(page), login(), root(capture('10'))]);
    await client.login();
    expect(await client.run(STATUS)).toMatchObject({ down: [] });
    server?.assertDone();
  });

  it('logs in again once when the session died (capture 27) and retries with the new token', async () => {
    const client = await clientFor([
      login(capture('65')),
      root(capture('27')),
      login(),
      root(capture('10'), (req) => expect(req.headers['x-auth-token']).toBe(TOKEN_01)),
      root(capture('27')),
    ]);
    await client.login();
    expect(await client.run(STATUS)).toMatchObject({ down: [] });
    // Only once per run: a second dead session is an error.
    await expect(client.run(STATUS)).rejects.toMatchObject({ code: 'ACT2_SALT_UNAUTHORIZED', message: 'salt-api refused the session for runner manage.status: No permission -- see authorization schemes' });
    server?.assertDone();
  });

  it('reports a master that is down (captures 74, 75) and a salt exception (41)', async () => {
    const client = await clientFor([login(capture('74')), login(), root(capture('75')), root(capture('41'))]);
    await expect(client.login()).rejects.toMatchObject({ code: 'ACT2_SALT_UNAVAILABLE', message: 'salt-api answered 503 to POST /login: Salt Master is not available.' });
    await client.login();
    await expect(client.run(STATUS)).rejects.toMatchObject({ code: 'ACT2_SALT_UNAVAILABLE', message: 'salt-api answered 503 to runner manage.status: Salt Master is not available.' });
    await expect(client.run({ client: 'runner', fun: 'manage.nosuchfn' })).rejects.toMatchObject({
      code: 'ACT2_SALT_HTTP',
      message: 'salt-api answered HTTP 500 to runner manage.nosuchfn: An unexpected error occurred',
    });
    server?.assertDone();
  });

  it('gives up on a hanging salt-api after the per-request timeout (capture 71 hangs 180 s)', async () => {
    const client = await clientFor([{ method: 'POST', path: '/login', reply: { hang: true } }], { timeoutMs: 150 });
    await expect(client.login()).rejects.toMatchObject({ code: 'ACT2_SALT_TIMEOUT', message: `salt-api at ${server?.url} gave POST /login no answer within 150ms (see --timeout)` });
    server?.assertDone();
  });

  it('reports connection refused and a 200 that is not JSON', async () => {
    const refused = await clientFor([], { baseUrl: 'http://127.0.0.1:9' });
    await expect(refused.login()).rejects.toMatchObject({ code: 'ACT2_SALT_UNREACHABLE', message: 'cannot reach salt-api at http://127.0.0.1:9: connection refused' });
    await server?.close();
    await agent?.close();
    const client = await clientFor([login({ status: 200, contentType: 'text/html', body: Buffer.from('<html>proxy</html>') })]);
    await expect(client.login()).rejects.toMatchObject({ code: 'ACT2_SALT_BAD_RESPONSE' });
    server?.assertDone();
  });
});
