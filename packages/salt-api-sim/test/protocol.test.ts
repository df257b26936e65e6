/** HTTP-level behaviour: logins, clients, content types, master down, the odd corners of CherryPy. */
import { afterEach, describe, expect, it } from 'vitest';
import { ALL_CLIENTS, generateMinions } from '../src/index.js';
import { call, cookieId, login, pageMessage, startSim, type TestSim } from './helpers.js';

let running: TestSim | undefined;
const STATUS = [{ client: 'runner', fun: 'manage.status' }];

async function setup(options: Parameters<typeof startSim>[0] = {}) {
  running = await startSim({ minions: generateMinions({ count: 2, seed: 'proto' }), ...options });
  return running;
}

afterEach(async () => {
  await running?.sim.close();
});

describe('login', () => {
  it('accepts a form post and a JSON array, answering YAML when asked', async () => {
    const { url } = await setup();

    const form = await call(url, '/login', { body: 'username=salt-api&password=salt-api&eauth=pam', contentType: 'application/x-www-form-urlencoded' });
    const yaml = await call(url, '/login', { body: [{ username: 'salt-api', password: 'salt-api', eauth: 'auto' }], accept: 'application/x-yaml' });

    expect(form.status).toBe(200);
    expect(yaml.headers.get('content-type')).toBe('application/x-yaml');
    expect(yaml.text).toMatch(/^return:\n- eauth: auto\n {2}expire: \d+\.\d+\n/);
  });

  it('pads credential failures like time_auth, fails unknown backends at once', async () => {
    const { url, delays } = await setup();
    const creds = { username: 'salt-api', password: 'wrong' };

    const wrong = await call(url, '/login', { body: { ...creds, eauth: 'file' } });
    const pam = await call(url, '/login', { body: { ...creds, eauth: 'pam' } });
    const unknown = await call(url, '/login', { body: { ...creds, eauth: 'nosuchbackend' } });
    const missing = await call(url, '/login', { body: creds });

    for (const res of [wrong, pam, unknown, missing]) {
      expect(res.status).toBe(401);
      expect(pageMessage(res.text)).toBe('Could not authenticate using provided credentials');
    }
    expect(delays).toHaveLength(2);
    expect(delays[0]).toBeGreaterThanOrEqual(750);
    expect(delays[0]).toBeLessThanOrEqual(1250);
    expect(delays[1]).toBe(2200);
  });

  it('answers GET /login with "Please log in" and a 500 JSON for an empty POST', async () => {
    const { url } = await setup();

    const get = await call(url, '/login');
    const empty = await call(url, '/login', { method: 'POST' });

    expect(get.json()).toEqual({ status: 200, return: 'Please log in' });
    expect(get.headers.get('www-authenticate')).toBe('Session');
    expect(empty.status).toBe(500);
  });
});

describe('POST / before and around the handler', () => {
  it('checks the session before it reads the body: garbage without a token is a 401', async () => {
    const { url } = await setup();

    const res = await call(url, '/', { body: '[{"client":', contentType: 'application/json' });

    expect(res.status).toBe(401);
    expect(cookieId(res)).toMatch(/^[0-9a-f]{40}$/);
  });

  it('maps bad bodies: 400 invalid JSON, 406 unknown type, 400 not a list, 500 for a non-dict chunk', async () => {
    const { url } = await setup();
    const token = await login(url);

    expect(pageMessage((await call(url, '/', { token, body: '[{"client":' })).text)).toBe('Invalid JSON document');
    expect((await call(url, '/', { token, body: '<x/>', contentType: 'application/xml' })).status).toBe(406);
    expect(pageMessage((await call(url, '/', { token, body: '"manage.status"' })).text)).toBe('Lowstates must be a list');
    expect(pageMessage((await call(url, '/', { token, method: 'POST' })).text)).toBe('Lowstates must be a list');
    expect((await call(url, '/', { token, body: ['manage.status'] })).status).toBe(500);
  });

  it('runs the chunks before refusing an unsupported Accept with 406 (capture 44)', async () => {
    const { url, sim } = await setup();
    const token = await login(url);

    const res = await call(url, '/', { token, body: [{ client: 'runner_async', fun: 'manage.status' }], accept: 'text/plain' });
    const jobs = (await call(url, '/jobs', { token })).json() as { return: Array<Record<string, { Function: string }>> };

    expect(res.status).toBe(406);
    expect(Object.values(jobs.return[0] ?? {}).map((j) => j.Function)).toContain('runner.manage.status');
    expect(sim.requests().at(-2)?.calls).toEqual([{ client: 'runner_async', fun: 'manage.status' }]);
  });

  it('reproduces 3006\'s "Client disabled" and can enable clients at run time', async () => {
    const { url, sim } = await setup({ clientsEnabled: [] });
    const token = await login(url);

    const disabled = await call(url, '/', { token, body: STATUS });
    sim.setClientsEnabled(['runner']);
    const enabled = await call(url, '/', { token, body: STATUS });
    const invalid = await call(url, '/', { token, body: [{ client: 'bogus', fun: 'x.y' }] });

    expect(disabled.status).toBe(400);
    expect(pageMessage(disabled.text)).toBe("Client disabled: 'runner'. Add to 'netapi_enable_clients' master config option to enable.");
    expect(enabled.status).toBe(200);
    expect(pageMessage(invalid.text)).toBe("Invalid client specified: 'bogus'");
  });

  it('returns one element per chunk, in order', async () => {
    const { url } = await setup();
    const token = await login(url);

    const res = await call(url, '/', { token, body: [...STATUS, { client: 'local', tgt: 'nothing', fun: 'test.ping' }] });

    expect((res.json() as { return: unknown[] }).return).toHaveLength(2);
  });
});

describe('master down', () => {
  it("'hang': login and runners answer 503 after 180 s, local calls 500 after 5 s (captures 71–73)", async () => {
    const { url, sim, delays } = await setup();
    const token = await login(url);
    sim.setMasterDown('hang');

    const loginRes = await call(url, '/login', { body: { username: 'salt-api', password: 'salt-api', eauth: 'pam' } });
    const runnerRes = await call(url, '/', { token, body: STATUS });
    const localRes = await call(url, '/', { token, body: [{ client: 'local', tgt: '*', fun: 'test.ping' }] });

    expect([loginRes.status, runnerRes.status, localRes.status]).toEqual([503, 503, 500]);
    expect(pageMessage(runnerRes.text)).toBe('Message timed out');
    expect(delays).toEqual([180_000, 180_000, 5_000]);
  });

  it("'no-ipc': 503 'Salt Master is not available.' at once; the session survives the master's return", async () => {
    const { url, sim, delays } = await setup();
    const token = await login(url);
    sim.setMasterDown('no-ipc');

    const down = await call(url, '/', { token, body: STATUS });
    sim.setMasterDown(false);
    const back = await call(url, '/', { token, body: STATUS });

    expect(pageMessage(down.text)).toBe('Salt Master is not available.');
    expect(back.status).toBe(200);
    expect(delays).toEqual([]);
  });

  it('a hung request ends when the client gives up or the simulator closes', async () => {
    running = await startSim({ minions: generateMinions({ count: 1 }), sleep: undefined, masterDown: 'hang' });
    const pending = call(running.url, '/login', { body: { username: 'salt-api', password: 'salt-api', eauth: 'pam' } });

    await new Promise((r) => setTimeout(r, 50));
    await running.sim.close();

    await expect(pending).rejects.toThrow();
  });
});

describe('other resources', () => {
  it('GET / lists every client salt knows, without a session cookie', async () => {
    const { url } = await setup();

    const res = await call(url, '/');

    expect(res.json()).toEqual({ return: 'Welcome', clients: [...ALL_CLIENTS] });
    expect(res.headers.get('set-cookie')).toBeNull();
  });

  it('GET /keys lists accepted keys unwrapped; /keys/<id> gives a fingerprint', async () => {
    const { url, sim } = await setup();
    const token = await login(url);
    const ids = sim.minions().map((m) => m.id);

    const keys = await call(url, '/keys', { token });
    const one = (await call(url, `/keys/${ids[0]}`, { token })).json() as { return: { minions: Record<string, string> } };

    expect(keys.json()).toEqual({ return: { minions: ids, minions_pre: [], minions_rejected: [], minions_denied: [], local: ['master.pem', 'master.pub'] } });
    expect(one.return.minions[ids[0] ?? '']).toMatch(/^([0-9a-f]{2}:){31}[0-9a-f]{2}$/);
  });

  it('wheel returns the wrapped event', async () => {
    const { url } = await setup();
    const token = await login(url);

    const res = await call(url, '/', { token, body: [{ client: 'wheel', fun: 'key.list_all' }] });
    const [ret] = (res.json() as { return: Array<{ tag: string; data: Record<string, unknown> }> }).return;

    expect(ret?.tag).toMatch(/^salt\/wheel\/\d{20}$/);
    expect(ret?.data).toMatchObject({ fun: 'wheel.key.list_all', user: 'salt-api', success: true });
  });

  it('answers HEAD, CORS preflights, unknown paths (404) and wrong methods (405) like CherryPy', async () => {
    const { url } = await setup();

    const head = await fetch(url, { method: 'HEAD' });
    const options = await fetch(new URL('/login', url), { method: 'OPTIONS', headers: { 'Access-Control-Request-Method': 'POST' } });
    const missing = await call(url, '/nope');
    const wrong = await call(url, '/logout');

    expect(head.status).toBe(200);
    expect(Number(head.headers.get('content-length'))).toBeGreaterThan(0);
    expect(options.headers.get('access-control-allow-methods')).toBe('GET, POST');
    expect(missing.status).toBe(404);
    expect(pageMessage(missing.text)).toBe("The path '/nope' was not found.");
    expect(wrong.status).toBe(405);
  });
});
