/** Sessions and tokens: what dies when, and which credential wins. */
import { afterEach, describe, expect, it } from 'vitest';
import { generateMinions } from '../src/index.js';
import { call, cookieId, login, pageMessage, startSim, type TestSim } from './helpers.js';

const STATUS = [{ client: 'runner', fun: 'manage.status' }];
const minions = generateMinions({ count: 3, seed: 'sessions' });
let running: TestSim[] = [];

async function sim(options: Parameters<typeof startSim>[0] = {}): Promise<TestSim> {
  const s = await startSim({ minions, ...options });
  running.push(s);
  return s;
}

afterEach(async () => {
  await Promise.all(running.map((s) => s.sim.close()));
  running = [];
});

describe('sessions', () => {
  it('login gives the session id in the body, X-Auth-Token and the cookie, with a 12 h Salt token', async () => {
    const { url } = await sim();

    const res = await call(url, '/login', { body: { username: 'salt-api', password: 'salt-api', eauth: 'pam' } });
    const [ret] = (res.json() as { return: Array<Record<string, unknown>> }).return;

    expect(res.status).toBe(200);
    expect(ret?.token).toMatch(/^[0-9a-f]{40}$/);
    expect(res.headers.get('x-auth-token')).toBe(ret?.token);
    expect(cookieId(res)).toBe(ret?.token);
    expect(Number(ret?.expire) - Number(ret?.start)).toBeCloseTo(43_200, 3);
    expect(ret?.perms).toEqual(['.*', '@jobs', '@runner', '@wheel']);
  });

  it('authenticates by the session cookie alone, and the header wins over the cookie', async () => {
    const { url } = await sim();
    const token = await login(url);

    const byCookie = await call(url, '/', { cookie: token, body: STATUS });
    const badHeader = await call(url, '/', { cookie: token, token: 'f'.repeat(40), body: STATUS });
    const badCookie = await call(url, '/', { cookie: 'f'.repeat(40), token, body: STATUS });

    expect(byCookie.status).toBe(200);
    expect(badHeader.status).toBe(401);
    expect(badCookie.status).toBe(200);
  });

  it('restart() kills every login token, like restarting salt-api; logging in again works', async () => {
    const { sim: s, url } = await sim();
    const token = await login(url);

    await s.restart();
    const after = await call(url, '/', { token, body: STATUS });
    const again = await call(url, '/', { token: await login(url), body: STATUS });

    expect(after.status).toBe(401);
    expect(pageMessage(after.text)).toBe('No permission -- see authorization schemes');
    expect(cookieId(after)).not.toBe(token);
    expect(again.status).toBe(200);
  });

  it('logout clears the token and expires the cookie', async () => {
    const { url } = await sim();
    const token = await login(url);

    const out = await call(url, '/logout', { method: 'POST', token });
    const after = await call(url, '/', { token, body: STATUS });

    expect(out.json()).toEqual({ return: 'Your token has been cleared' });
    expect(out.headers.get('set-cookie')).not.toContain('Max-Age');
    expect(after.status).toBe(401);
  });

  it('a login that presents a live session keeps its id (CherryPy reuses the session)', async () => {
    const { url } = await sim();
    const token = await login(url);

    const res = await call(url, '/login', { token, body: { username: 'salt-api', password: 'salt-api', eauth: 'file' } });

    expect(res.headers.get('x-auth-token')).toBe(token);
  });

  it('sessions expire after 10 h idle; use keeps them alive', async () => {
    let now = Date.UTC(2026, 10, 22);
    const { url } = await sim({ clock: () => now });
    const idle = await login(url);
    const busy = await login(url);

    now += 5 * 3600_000;
    const touched = await call(url, '/', { token: busy, body: STATUS });
    now += 5 * 3600_000 + 1000;

    expect(touched.status).toBe(200);
    expect((await call(url, '/', { token: idle, body: STATUS })).status).toBe(401);
    expect((await call(url, '/', { token: busy, body: STATUS })).status).toBe(200);
  });

  it('the Salt token behind a live session expires after 12 h: runner and local answer 401', async () => {
    let now = Date.UTC(2026, 10, 22);
    const { url } = await sim({ clock: () => now });
    const token = await login(url);

    for (let h = 0; h < 3; h++) {
      now += 4 * 3600_000 + 60_000;
      await call(url, '/', { token, body: [{ client: 'local', tgt: 'nothing', fun: 'test.ping' }] });
    }
    const runner = await call(url, '/', { token, body: STATUS });
    const local = await call(url, '/', { token, body: [{ client: 'local', tgt: '*', fun: 'test.ping' }] });

    expect(runner.status).toBe(401);
    expect(pageMessage(runner.text)).toBe('Authentication failure of type "token" occurred.');
    expect(pageMessage(local.text)).toBe('Authentication error occurred.');
  });

  it('raw Salt tokens from /token work in /run, survive a salt-api restart, and are not session ids', async () => {
    const { sim: s, url } = await sim();
    const minted = await call(url, '/token', { body: [{ username: 'salt-api', password: 'salt-api', eauth: 'pam' }] });
    const saltToken = String((minted.json() as Array<{ token: string }>)[0]?.token);

    await s.restart();
    const run = await call(url, '/run', { body: [{ ...STATUS[0], token: saltToken }] });
    const asHeader = await call(url, '/', { token: saltToken, body: STATUS });

    expect(saltToken).toMatch(/^[0-9a-f]{64}$/);
    expect(run.status).toBe(200);
    expect(asHeader.status).toBe(401);
  });

  it('sessions belong to one simulator (one salt-api process)', async () => {
    const a = await sim();
    const b = await sim();
    const token = await login(a.url);

    expect((await call(b.url, '/', { token, body: STATUS })).status).toBe(401);
  });
});
