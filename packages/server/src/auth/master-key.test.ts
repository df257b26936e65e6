import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { expect, it } from 'vitest';
import type { Database } from '../db/database.js';
import { runAdminCli } from '../admin/commands.js';
import { useTestApp } from '../../test/helpers/app.js';
import { addToken, injectAs } from '../../test/helpers/auth.js';
import { describeEachDialect } from '../../test/helpers/db.js';
import { payload } from '../../test/helpers/payloads.js';

const minion = (sn: string, ip: string) => ({ sn, status: 'running' as const, ips: [ip] });

/** Everything a registration of `sn` could touch, and what act2 would answer about `minionSn`. */
async function snapshot(app: FastifyInstance, db: Kysely<Database>, reader: string, sn: string, minionSn: string, ip: string) {
  return {
    master: await db.selectFrom('masters').selectAll().where('sn', '=', sn).executeTakeFirst(),
    memberships: await db.selectFrom('master_minions').selectAll().orderBy('master_sn').orderBy('minion_sn').execute(),
    ips: await db.selectFrom('minion_ips').selectAll().orderBy('master_sn').orderBy('minion_sn').orderBy('ip').execute(),
    events: await db.selectFrom('events').selectAll().orderBy('id').execute(),
    keys: await db.selectFrom('master_keys').selectAll().orderBy('sn').execute(),
    minion: (await injectAs(app, reader, { url: `/api/v1/minions/${minionSn}` })).json(),
    lookup: (await injectAs(app, reader, { url: `/api/v1/lookup?ip=${ip}` })).json(),
  };
}

describeEachDialect('a master bound to its own key', (dialect) => {
  const t = useTestApp(dialect, { config: { auth: 'tokens', authFailureLimit: 1000, allowAnonymousRegister: true } });
  const app = () => t.current.app;
  const db = () => t.current.database.db;
  const post = (credential: string | undefined, body: object) => injectAs(app(), credential, { method: 'POST', url: '/register', payload: body });

  it('first registration with a register token returns a key once; the key works, the token alone no longer does', async () => {
    const enroll = await addToken(db(), 'enroll-1', ['register']);

    const first = await post(enroll, payload('KEYED-1', [minion('k1-a', '10.1.0.1')]));
    const key = first.json().master_key as string;
    const withKey = await post(key, payload('KEYED-1', [minion('k1-a', '10.1.0.2')]));
    const tokenAgain = await post(enroll, payload('KEYED-1', [minion('k1-a', '10.1.0.3')]));

    expect(first.statusCode).toBe(200);
    expect(key).toMatch(/^act2k_/);
    expect([withKey.statusCode, withKey.json().master_key]).toEqual([200, undefined]);
    expect([tokenAgain.statusCode, tokenAgain.json().code]).toEqual([409, 'ACT2_MASTER_BOUND']);
    expect(tokenAgain.json().message).toContain('act2-server master rebind KEYED-1');
    const row = await db().selectFrom('master_keys').select(['sn', 'enrolled_by']).where('sn', '=', 'KEYED-1').executeTakeFirst();
    expect(row).toEqual({ sn: 'KEYED-1', enrolled_by: 'token:enroll-1' });
  });

  it('a forged registration for a bound master changes nothing: row, memberships, events, lookup order', async () => {
    const enroll = await addToken(db(), 'enroll-2', ['register']);
    const reader = await addToken(db(), 'reader-2', ['read']);
    // An HA pair reporting the same minion; VICTIM is freshest, so it is the first candidate.
    const victimKey = (await post(enroll, payload('VICTIM', [minion('shared-1', '10.2.0.1')]))).json().master_key as string;
    const attackerKey = (await post(enroll, payload('ATTACKER', [minion('shared-1', '10.2.0.1')]))).json().master_key as string;
    t.current.clock.advance(60_000);
    expect((await post(victimKey, payload('VICTIM', [minion('shared-1', '10.2.0.1')]))).statusCode).toBe(200);
    const before = await snapshot(app(), db(), reader, 'VICTIM', 'shared-1', '10.2.0.1');
    expect(before.minion.masters.map((m: { sn: string }) => m.sn)).toEqual(['VICTIM', 'ATTACKER']);
    t.current.clock.advance(60_000);

    // Every way to claim VICTIM without its key: redirect its salt-api, drop its minions, stop it.
    const forged = payload('VICTIM', [minion('evil-1', '10.66.0.1')], { server: 'http://evil.example:8001', options: { username: 'x', password: 'y' } });
    const attempts = [
      await post(enroll, forged),
      await post(attackerKey, forged),
      await post(undefined, forged),
      await post(enroll, { ...forged, master: { ...forged.master, status: 'stopped' } }),
      await post(attackerKey, payload('VICTIM', [], { status: 'stopped' })),
    ];

    expect(attempts.map((r) => [r.statusCode, r.json().code])).toEqual(Array(5).fill([409, 'ACT2_MASTER_BOUND']));
    expect(await snapshot(app(), db(), reader, 'VICTIM', 'shared-1', '10.2.0.1')).toEqual(before);
  });

  it('a master key registers only its own master; an unknown key is 401', async () => {
    const enroll = await addToken(db(), 'enroll-3', ['register']);
    const keyA = (await post(enroll, payload('OWN-A', []))).json().master_key as string;

    const otherUnbound = await post(keyA, payload('OWN-B', []));
    const unknown = await post(`act2k_${'Z'.repeat(43)}`, payload('OWN-A', []));
    const readWithKey = await injectAs(app(), keyA, { url: '/api/v1/masters' });

    expect([otherUnbound.statusCode, otherUnbound.json().code]).toEqual([409, 'ACT2_MASTER_BOUND']);
    expect(await db().selectFrom('masters').select('sn').where('sn', '=', 'OWN-B').execute()).toEqual([]);
    expect([unknown.statusCode, readWithKey.statusCode]).toEqual([401, 403]);
  });

  it('POST /api/v1/register (the original act2 path) guards like /register: a read token 403, another master\'s key 409', async () => {
    const enroll = await addToken(db(), 'enroll-alias', ['register']);
    const reader = await addToken(db(), 'reader-alias', ['read']);
    const keyA = (await post(enroll, payload('ALIAS-A', []))).json().master_key as string;
    const keyB = (await post(enroll, payload('ALIAS-B', [minion('alias-b1', '10.5.0.1')]))).json().master_key as string;

    const answers = [];
    for (const url of ['/register', '/api/v1/register']) {
      const asReader = await injectAs(app(), reader, { method: 'POST', url, payload: payload('ALIAS-NEW', []) });
      const otherBound = await injectAs(app(), keyA, { method: 'POST', url, payload: payload('ALIAS-B', [], { status: 'stopped' }) });
      const otherUnbound = await injectAs(app(), keyA, { method: 'POST', url, payload: payload('ALIAS-NEW', []) });
      answers.push([url, ...[asReader, otherBound, otherUnbound].map((r) => `${r.statusCode} ${r.json().code}`)]);
    }
    const own = await injectAs(app(), keyB, { method: 'POST', url: '/api/v1/register', payload: payload('ALIAS-B', [minion('alias-b1', '10.5.0.1')]) });

    expect(answers).toEqual([
      ['/register', '403 ACT2_FORBIDDEN', '409 ACT2_MASTER_BOUND', '409 ACT2_MASTER_BOUND'],
      ['/api/v1/register', '403 ACT2_FORBIDDEN', '409 ACT2_MASTER_BOUND', '409 ACT2_MASTER_BOUND'],
    ]);
    expect(own.statusCode).toBe(200);
    expect(await db().selectFrom('masters').select(['sn', 'status']).where('sn', 'in', ['ALIAS-B', 'ALIAS-NEW']).execute()).toEqual([{ sn: 'ALIAS-B', status: 'running' }]);
  });

  it('master rebind (admin CLI) releases the key: the old key is refused, the token enrolls a new one, and it is recorded', async () => {
    const enroll = await addToken(db(), 'enroll-4', ['register']);
    const oldKey = (await post(enroll, payload('REINSTALLED', [minion('r-1', '10.4.0.1')]))).json().master_key as string;
    const out: string[] = [];

    const code = await runAdminCli(['node', 'act2-server', 'master', 'rebind', 'REINSTALLED', '--db', t.current.database.url], {
      writeOut: (s) => out.push(s),
      writeErr: (s) => out.push(s),
    });
    // Past the lookup cache (1 s): every instance sees the release by then.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const old = await post(oldKey, payload('REINSTALLED', [minion('r-1', '10.4.0.1')]));
    const again = await post(enroll, payload('REINSTALLED', [minion('r-1', '10.4.0.1')]));

    expect(code).toBe(0);
    expect(out.join('')).toContain('released the key of master REINSTALLED (enrolled by token:enroll-4');
    expect(old.statusCode).toBe(401);
    expect(again.statusCode).toBe(200);
    expect(again.json().master_key).toMatch(/^act2k_/);
    expect(again.json().master_key).not.toBe(oldKey);
    const kinds = await db().selectFrom('events').select('kind').where('master_sn', '=', 'REINSTALLED').orderBy('id').execute();
    expect(kinds.map((k) => k.kind)).toEqual(['master.registered', 'minion.joined', 'master.rebind']);
  });

  it('the admin API (scope admin) lists tokens without secrets and rebinds a master, recording who did it', async () => {
    const enroll = await addToken(db(), 'enroll-7', ['register']);
    const admin = await addToken(db(), 'ops-admin', ['admin']);
    const reader = await addToken(db(), 'reader-7', ['read']);
    const oldKey = (await post(enroll, payload('HTTP-REBIND', []))).json().master_key as string;

    const asReader = await injectAs(app(), reader, { url: '/api/v1/tokens' });
    const list = await injectAs(app(), admin, { url: '/api/v1/tokens' });
    const rebindAsReader = await injectAs(app(), reader, { method: 'POST', url: '/api/v1/masters/HTTP-REBIND/rebind' });
    const rebind = await injectAs(app(), admin, { method: 'POST', url: '/api/v1/masters/HTTP-REBIND/rebind' });
    const again = await injectAs(app(), admin, { method: 'POST', url: '/api/v1/masters/HTTP-REBIND/rebind' });
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const old = await post(oldKey, payload('HTTP-REBIND', []));

    expect([asReader.statusCode, rebindAsReader.statusCode]).toEqual([403, 403]);
    expect(list.statusCode).toBe(200);
    const names = (list.json().items as Array<{ name: string; scopes: string[]; state: string }>).map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['enroll-7', 'ops-admin', 'reader-7']));
    for (const secret of [enroll, admin, reader]) expect(list.body).not.toContain(secret);
    expect(list.body).not.toContain('token_hash');
    expect(rebind.json()).toEqual({ sn: 'HTTP-REBIND', released: true, enrolled_by: 'token:enroll-7' });
    expect(again.json()).toEqual({ sn: 'HTTP-REBIND', released: false, enrolled_by: null });
    expect(old.statusCode).toBe(401);
    const event = await db().selectFrom('events').select('detail').where('master_sn', '=', 'HTTP-REBIND').where('kind', '=', 'master.rebind').executeTakeFirstOrThrow();
    expect(JSON.parse(event.detail ?? '{}')).toMatchObject({ by: 'token:ops-admin', enrolled_by: 'token:enroll-7' });
  });

  it('anonymous registrations (--allow-anonymous-register) are recorded as anonymous and never touch a bound master', async () => {
    const enroll = await addToken(db(), 'enroll-5', ['register']);
    await post(enroll, payload('BOUND-5', [minion('b5-1', '10.5.0.1')]));

    const legacy = await post(undefined, payload('LEGACY-5', [minion('l5-1', '10.5.1.1')]));
    const legacyAgain = await post(undefined, payload('LEGACY-5', [minion('l5-1', '10.5.1.1')]));
    const onBound = await post(undefined, payload('BOUND-5', []));
    const anonymousRead = await app().inject({ url: '/api/v1/masters' });

    expect([legacy.statusCode, legacy.json().master_key, legacyAgain.statusCode]).toEqual([200, undefined, 200]);
    expect([onBound.statusCode, onBound.json().code]).toEqual([409, 'ACT2_MASTER_BOUND']);
    expect(anonymousRead.statusCode).toBe(401);
    const registered = await db().selectFrom('events').select('detail').where('master_sn', '=', 'LEGACY-5').where('kind', '=', 'master.registered').executeTakeFirstOrThrow();
    expect(JSON.parse(registered.detail ?? '{}')).toEqual({ status: 'running', by: 'anonymous' });
    // An anonymous master is not bound: a register token may still enroll it (and then it is).
    const enrolled = await post(enroll, payload('LEGACY-5', [minion('l5-1', '10.5.1.1')]));
    expect(enrolled.json().master_key).toMatch(/^act2k_/);
    expect((await post(undefined, payload('LEGACY-5', []))).statusCode).toBe(409);
  });

  it('an idc-limited register token cannot take over an unbound master of another idc, nor can the key it enrolled move idc', async () => {
    const sh = await addToken(db(), 'agents-sh-8', ['register'], { idc: 'sh-01' });
    const reader = await addToken(db(), 'reader-8', ['read']);
    // BJ-8 is an existing, unbound master of idc bj-01 (an anonymous legacy agent registered it).
    expect((await post(undefined, payload('BJ-8', [minion('bj8-1', '10.8.0.1')], { idc: 'bj-01' }))).statusCode).toBe(200);
    const before = await snapshot(app(), db(), reader, 'BJ-8', 'bj8-1', '10.8.0.1');

    // The sh-01 token claims BJ-8 while saying sh-01: the stored master is of bj-01.
    const takeover = await post(sh, payload('BJ-8', [minion('evil-8', '10.66.8.1')], { idc: 'sh-01', server: 'http://evil.example:8001' }));

    expect([takeover.statusCode, takeover.json().code]).toEqual([403, 'ACT2_FORBIDDEN']);
    expect(takeover.json().message).toBe('The token "agents-sh-8" may only register masters of idc sh-01; master BJ-8 is of idc bj-01');
    expect(await snapshot(app(), db(), reader, 'BJ-8', 'bj8-1', '10.8.0.1')).toEqual(before);
    expect(await db().selectFrom('master_keys').selectAll().where('sn', '=', 'BJ-8').execute()).toEqual([]);

    // A key enrolled through the sh-01 token keeps its master in sh-01.
    const key = (await post(sh, payload('SH-8', [minion('sh8-1', '10.8.1.1')], { idc: 'sh-01' }))).json().master_key as string;
    expect(await db().selectFrom('master_keys').select(['sn', 'idc']).where('sn', '=', 'SH-8').execute()).toEqual([{ sn: 'SH-8', idc: 'sh-01' }]);
    const shBefore = await db().selectFrom('masters').selectAll().where('sn', '=', 'SH-8').executeTakeFirstOrThrow();
    const move = await post(key, payload('SH-8', [minion('sh8-1', '10.8.1.1')], { idc: 'bj-01' }));
    const stay = await post(key, payload('SH-8', [minion('sh8-1', '10.8.1.1')], { idc: 'sh-01' }));

    expect([move.statusCode, move.json().code]).toEqual([403, 'ACT2_FORBIDDEN']);
    expect(move.json().message).toBe('The key of master SH-8 was enrolled by a token of idc sh-01: it may not register it in idc bj-01');
    expect(stay.statusCode).toBe(200);
    expect((await db().selectFrom('masters').select('idc').where('sn', '=', 'SH-8').executeTakeFirstOrThrow()).idc).toBe(shBefore.idc);
    // A token without an idc enrolls a key without one: that master may move.
    const any = await addToken(db(), 'agents-any-8', ['register']);
    const free = (await post(any, payload('FREE-8', [], { idc: 'sh-01' }))).json().master_key as string;
    expect((await post(free, payload('FREE-8', [], { idc: 'bj-01' }))).statusCode).toBe(200);
  });

  it('token names are at most 200 characters, so a key enrolled by one fits enrolled_by (VARCHAR(255) on MySQL)', async () => {
    const cli = async (name: string) => {
      const err: string[] = [];
      const args = ['node', 'act2-server', 'token', 'create', '--name', name, '--scope', 'register', '--db', t.current.database.url];
      const code = await runAdminCli(args, { writeOut: () => undefined, writeErr: (s) => err.push(s) });
      return { code, err: err.join('') };
    };
    // Characters, not bytes or UTF-16 units: 200 CJK or emoji characters are a valid name too.
    const longest = `agents-${'字'.repeat(100)}${'😀'.repeat(93)}`;
    expect([...longest]).toHaveLength(200);

    const tooLong = await cli('n'.repeat(201));
    const fits = await cli(longest);
    const token = (await db().selectFrom('api_tokens').select('name').where('name', '=', longest).execute()).length;
    // The longest name enrolls a master: `token:<name>` is stored in full.
    const secret = await addToken(db(), `${longest.slice(0, -2)}x`, ['register']);
    const enrolled = await post(secret, payload('LONG-NAME', []));

    expect(tooLong.code).toBe(2);
    expect(tooLong.err).toContain('a token name is 1 to 200 characters (this one has 201)');
    expect(await db().selectFrom('api_tokens').select('id').where('name', '=', 'n'.repeat(201)).execute()).toEqual([]);
    expect([fits.code, token]).toEqual([0, 1]);
    expect(enrolled.statusCode).toBe(200);
    const row = await db().selectFrom('master_keys').select('enrolled_by').where('sn', '=', 'LONG-NAME').executeTakeFirstOrThrow();
    expect(row.enrolled_by).toBe(`token:${longest.slice(0, -2)}x`);
  });

  it('two instances enrolling one new sn at once: exactly one gets the key, the other 409', async () => {
    const enroll = await addToken(db(), 'enroll-6', ['register']);
    const results = await Promise.all([1, 2, 3].map(() => post(enroll, payload('RACE-6', [minion('race-1', '10.6.0.1')]))));

    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 409, 409]);
    expect(await db().selectFrom('master_keys').select('sn').where('sn', '=', 'RACE-6').execute()).toHaveLength(1);
  });
});
