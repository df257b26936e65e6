import { ErrorBody, TOKEN_PREFIX } from '@act2/shared';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../app.js';
import { useTestApp } from '../../test/helpers/app.js';
import { addToken, injectAs } from '../../test/helpers/auth.js';
import { createTestDatabase, describeEachDialect, manualClock } from '../../test/helpers/db.js';
import { captureLog } from '../../test/helpers/log.js';
import { payload } from '../../test/helpers/payloads.js';

const minion = (sn: string, ip: string) => ({ sn, status: 'running' as const, ips: [ip] });

describeEachDialect('API tokens and scopes', (dialect) => {
  const log = captureLog();
  // A high failure limit: this suite fails on purpose many times from one address.
  const t = useTestApp(dialect, { config: { auth: 'tokens', authFailureLimit: 1000 }, logger: log.logger });
  const app = () => t.current.app;
  const db = () => t.current.database.db;

  it('every route declares a scope, and every non-public one answers 401 without a credential', async () => {
    const routes = app().routeScopes();

    expect(routes.filter((r) => r.scope === undefined)).toEqual([]);
    // Public: health checks, and the pages and documents that hold no data (the console's files, the API description).
    const publicUrls = routes.filter((r) => r.scope === 'public').map((r) => r.url);
    expect(publicUrls).toEqual(expect.arrayContaining(['/healthz', '/readyz', '/openapi.json', '/docs', '/']));
    expect(publicUrls.filter((url) => !/^\/(healthz|readyz|openapi\.json|docs(\/.*)?|[\w.-]*)$/.test(url))).toEqual([]);
    for (const route of routes.filter((r) => r.scope !== 'public')) {
      const response = await app().inject({ method: route.method as 'GET', url: route.url.replace(/:(\w+)/g, 'x') });
      // HEAD answers have no body; the status says it all.
      const code = route.method === 'HEAD' ? 'ACT2_UNAUTHORIZED' : response.json().code;
      expect([route.method, route.url, response.statusCode, code]).toEqual([route.method, route.url, 401, 'ACT2_UNAUTHORIZED']);
    }
  });

  it('answers 401 in our JSON format with WWW-Authenticate, and logs the attempt without the credential', async () => {
    const bogus = `${TOKEN_PREFIX}${'A'.repeat(43)}`;

    const missing = await app().inject({ url: '/api/v1/masters' });
    const unknown = await injectAs(app(), bogus, { url: '/api/v1/masters' });
    const malformed = await app().inject({ url: '/api/v1/masters', headers: { authorization: 'Basic YWRtaW46YWRtaW4=' } });

    for (const response of [missing, unknown, malformed]) {
      expect(response.statusCode).toBe(401);
      expect(ErrorBody.parse(response.json()).code).toBe('ACT2_UNAUTHORIZED');
      expect(response.headers['www-authenticate']).toBe('Bearer realm="act2"');
    }
    const failures = log.entries().filter((e) => e.msg === 'authentication failed');
    expect(failures.slice(-3).map((e) => [e.reason, e.route, e.ip])).toEqual([
      ['missing', '/api/v1/masters', '127.0.0.1'],
      ['unknown-token', '/api/v1/masters', '127.0.0.1'],
      ['malformed', '/api/v1/masters', '127.0.0.1'],
    ]);
    expect(log.lines.join('')).not.toContain(bogus);
    expect(log.lines.join('')).not.toContain('YWRtaW46YWRtaW4=');
  });

  it('answers 403 for a token without the route scope, 200 with it', async () => {
    const register = await addToken(db(), 'scope-agents', ['register']);
    const read = await addToken(db(), 'scope-reader', ['read']);
    const admin = await addToken(db(), 'scope-admin', ['admin']);

    const readWithRegister = await injectAs(app(), register, { url: '/api/v1/masters' });
    const readWithAdmin = await injectAs(app(), admin, { url: '/api/v1/masters' });
    const registerWithRead = await injectAs(app(), read, { method: 'POST', url: '/register', payload: payload('scope-m', []) });
    const readWithRead = await injectAs(app(), read, { url: '/api/v1/masters' });
    const registerWithRegister = await injectAs(app(), register, { method: 'POST', url: '/register', payload: payload('scope-m', []) });

    expect([readWithRegister, readWithAdmin, registerWithRead].map((r) => [r.statusCode, r.json().code])).toEqual([
      [403, 'ACT2_FORBIDDEN'],
      [403, 'ACT2_FORBIDDEN'],
      [403, 'ACT2_FORBIDDEN'],
    ]);
    expect(registerWithRead.json().message).toBe('The token "scope-reader" does not have scope register');
    expect([readWithRead.statusCode, registerWithRegister.statusCode]).toEqual([200, 200]);
    // Refused before the body was looked at: the read token wrote nothing (the register token did).
    const events = await db().selectFrom('events').select(['kind', 'detail']).where('master_sn', '=', 'scope-m').execute();
    expect(events.map((e) => [e.kind, JSON.parse(e.detail ?? '{}').by])).toEqual([['master.registered', 'token:scope-agents']]);
  });

  it('refuses revoked and expired tokens, and records when a token was last used', async () => {
    const revoked = await addToken(db(), 'revoked-one', ['read']);
    await db().updateTable('api_tokens').set({ revoked_at: Date.now() }).where('name', '=', 'revoked-one').execute();
    const expiring = await addToken(db(), 'expiring-one', ['read'], { expiresAt: Date.now() + 60_000 });
    await db().updateTable('api_tokens').set({ expires_at: Date.now() - 1 }).where('name', '=', 'expiring-one').execute();
    const good = await addToken(db(), 'used-one', ['read']);

    const responses = await Promise.all([revoked, expiring].map((token) => injectAs(app(), token, { url: '/api/v1/events' })));
    const ok = await injectAs(app(), good, { url: '/api/v1/events' });
    await app().inject({ url: '/healthz' }); // lets the fire-and-forget last_used write land

    expect(responses.map((r) => r.statusCode)).toEqual([401, 401]);
    // Sent at once: their log lines come in either order.
    expect(log.entries().filter((e) => e.msg === 'authentication failed').slice(-2).map((e) => [e.reason, e.tokenName]).sort()).toEqual([
      ['expired', 'expiring-one'],
      ['revoked', 'revoked-one'],
    ]);
    expect(ok.statusCode).toBe(200);
    await expect.poll(async () => (await db().selectFrom('api_tokens').select('last_used_at').where('name', '=', 'used-one').executeTakeFirst())?.last_used_at).not.toBeNull();
  });

  it('keeps a register token limited to its idc: another idc gets 403 and nothing is written', async () => {
    const sh = await addToken(db(), 'agents-sh', ['register'], { idc: 'sh-01' });

    const own = await injectAs(app(), sh, { method: 'POST', url: '/register', payload: payload('sh-master', [minion('sh-m1', '10.9.0.1')], { idc: 'sh-01' }) });
    const other = await injectAs(app(), sh, { method: 'POST', url: '/register', payload: payload('bj-master', [minion('bj-m1', '10.9.0.2')], { idc: 'bj-01' }) });

    expect(own.statusCode).toBe(200);
    expect([other.statusCode, other.json()]).toEqual([
      403,
      { code: 'ACT2_FORBIDDEN', message: 'The token "agents-sh" may only register masters of idc sh-01, not bj-01' },
    ]);
    expect(await db().selectFrom('masters').select('sn').where('sn', '=', 'bj-master').execute()).toEqual([]);
    expect(await db().selectFrom('master_keys').select('sn').where('sn', '=', 'bj-master').execute()).toEqual([]);
  });

  it('never stores or logs a token or master key in clear', async () => {
    const register = await addToken(db(), 'clear-agents', ['register']);
    const read = await addToken(db(), 'clear-reader', ['read']);
    const first = await injectAs(app(), register, { method: 'POST', url: '/register', payload: payload('clear-master', [minion('clear-1', '10.8.0.1')]) });
    const key = first.json().master_key as string;
    await injectAs(app(), key, { method: 'POST', url: '/register', payload: payload('clear-master', [minion('clear-1', '10.8.0.2')]) });
    await injectAs(app(), register, { method: 'POST', url: '/register', payload: payload('clear-master', []) }); // 409
    await injectAs(app(), read, { url: '/api/v1/events?master=clear-master' });
    await injectAs(app(), key, { url: '/api/v1/masters' }); // 403

    expect(key).toMatch(/^act2k_[A-Za-z0-9_-]{43}$/);
    const tables = ['masters', 'minions', 'master_minions', 'minion_ips', 'events', 'api_tokens', 'master_keys'] as const;
    const dump = JSON.stringify(await Promise.all(tables.map((table) => db().selectFrom(table).selectAll().execute())));
    const logs = log.lines.join('');
    for (const secret of [register, read, key]) {
      expect(dump).not.toContain(secret);
      expect(logs).not.toContain(secret);
      // Not even the random part without its prefix.
      expect(dump).not.toContain(secret.slice(6));
      expect(logs).not.toContain(secret.slice(6));
    }
  });
});

describeEachDialect('auth defaults and guards', (dialect) => {
  it('secure by default: with no token, registrations and reads are refused and start-up says how to create one', async () => {
    const database = await createTestDatabase(dialect);
    const log = captureLog('warn');
    const app = await buildApp(database.config({ auth: 'tokens' }), { db: database.db, clock: manualClock(), scheduler: false, logger: log.logger });
    try {
      await app.ready();
      const register = await app.inject({ method: 'POST', url: '/register', payload: payload('nobody', []) });
      const read = await app.inject({ url: '/api/v1/masters' });
      const health = await app.inject({ url: '/healthz' });

      expect([register.statusCode, read.statusCode, health.statusCode]).toEqual([401, 401, 200]);
      const warning = log.entries().find((e) => String(e.msg).startsWith('no usable API token exists'));
      expect(warning?.command).toBe('act2-server token create --name agents --scope register --db <the same --db>');
      expect(await database.db.selectFrom('masters').select('sn').execute()).toEqual([]);
    } finally {
      await app.close();
      await database.destroy();
    }
  });

  it('--auth none lets requests through as principal none and warns at start', async () => {
    const database = await createTestDatabase(dialect);
    const log = captureLog('warn');
    const app = await buildApp(database.config({ auth: 'none' }), { db: database.db, clock: manualClock(), scheduler: false, logger: log.logger });
    app.get('/whoami', { config: { scope: 'read' } }, async (request) => request.principal);
    try {
      await app.ready();
      expect((await app.inject({ url: '/whoami' })).json()).toEqual({ kind: 'none' });
      expect(log.entries().map((e) => e.msg)).toContain(
        'authentication is OFF (--auth none): anyone who can reach this server can register, read and rewrite masters; use it for development only',
      );
    } finally {
      await app.close();
      await database.destroy();
    }
  });
});

describe('fail closed and the principal', () => {
  it('refuses a route that declares no scope, exposes the principal, and rejects an unknown scope at registration', async () => {
    const database = await createTestDatabase('sqlite');
    const app = await buildApp(database.config({ auth: 'tokens' }), { db: database.db, clock: manualClock(), scheduler: false });
    app.get('/forgot-scope', async () => ({ secret: 'data' }));
    app.get('/whoami', { config: { scope: 'jobs' } }, async (request) => request.principal);
    try {
      await app.ready();
      const token = await addToken(database.db, 'jobs-runner', ['jobs', 'read'], { idc: 'sh-01' });
      const id = (await database.db.selectFrom('api_tokens').select('id').where('name', '=', 'jobs-runner').executeTakeFirstOrThrow()).id;

      const forgot = await injectAs(app, token, { url: '/forgot-scope' });
      const whoami = await injectAs(app, token, { url: '/whoami' });

      expect([forgot.statusCode, forgot.json().code]).toEqual([403, 'ACT2_FORBIDDEN']);
      expect(whoami.json()).toEqual({ kind: 'token', tokenId: id, name: 'jobs-runner', scopes: ['jobs', 'read'], idc: 'sh-01' });
      expect(app.routeScopes().find((r) => r.url === '/forgot-scope')?.scope).toBeUndefined();
    } finally {
      await app.close();
    }
    const other = await buildApp(database.config({ auth: 'tokens' }), { db: database.db, clock: manualClock(), scheduler: false });
    expect(() => other.get('/bad', { config: { scope: 'everything' as never } }, async () => 'x')).toThrow('declares unknown scope "everything"');
    await other.close();
    await database.destroy();
  });
});

describeEachDialect('failed attempts are rate-limited per client address', (dialect) => {
  it('answers 429 with Retry-After after the limit, even to a good token, while other addresses go on', async () => {
    const database = await createTestDatabase(dialect);
    let now = 1_000_000;
    const app = await buildApp(database.config({ auth: 'tokens', authFailureLimit: 5 }), {
      db: database.db,
      clock: manualClock(),
      scheduler: false,
      authNow: () => now,
    });
    try {
      await app.ready();
      const good = await addToken(database.db, 'rl-reader', ['read']);
      const attacker = '198.51.100.7';
      const guess = (i: number) => `${TOKEN_PREFIX}${String(i).padStart(43, 'x')}`;

      const misses = [];
      for (let i = 0; i < 5; i += 1) misses.push((await injectAs(app, guess(i), { url: '/api/v1/masters', remoteAddress: attacker })).statusCode);
      const blocked = await injectAs(app, good, { url: '/api/v1/masters', remoteAddress: attacker });
      const bystander = await injectAs(app, good, { url: '/api/v1/masters', remoteAddress: '198.51.100.8' });
      now += 60_000;
      const later = await injectAs(app, good, { url: '/api/v1/masters', remoteAddress: attacker });

      expect(misses).toEqual([401, 401, 401, 401, 401]);
      expect([blocked.statusCode, blocked.json().code, blocked.headers['retry-after']]).toEqual([429, 'ACT2_RATE_LIMITED', '60']);
      expect(bystander.statusCode).toBe(200);
      expect(later.statusCode).toBe(200);
    } finally {
      await app.close();
      await database.destroy();
    }
  });

  it('counts forged registrations of a bound master as failures too', async () => {
    const database = await createTestDatabase(dialect);
    const app = await buildApp(database.config({ auth: 'tokens', authFailureLimit: 3 }), { db: database.db, clock: manualClock(), scheduler: false });
    try {
      await app.ready();
      const register = await addToken(database.db, 'rl-agents', ['register']);
      const enroll = await injectAs(app, register, { method: 'POST', url: '/register', payload: payload('rl-master', []) });
      const forged = [];
      for (let i = 0; i < 4; i += 1) {
        forged.push((await injectAs(app, register, { method: 'POST', url: '/register', payload: payload('rl-master', []), remoteAddress: '203.0.113.9' })).statusCode);
      }
      expect(enroll.statusCode).toBe(200);
      expect(forged).toEqual([409, 409, 409, 429]);
    } finally {
      await app.close();
      await database.destroy();
    }
  });
});
