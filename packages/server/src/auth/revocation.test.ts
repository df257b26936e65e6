import type { FastifyInstance } from 'fastify';
import { expect, it } from 'vitest';
import { buildApp } from '../app.js';
import { runAdminCli } from '../admin/commands.js';
import { injectAs } from '../../test/helpers/auth.js';
import { createTestDatabase, describeEachDialect, manualClock } from '../../test/helpers/db.js';
import { readAuthEpoch } from './epoch.js';
import { createToken, revokeToken } from './tokens.js';

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runAdminCli(['node', 'act2-server', ...args], { writeOut: (s) => out.push(s), writeErr: (s) => err.push(s) });
  return { code, out: out.join(''), err: err.join('') };
}

/** Milliseconds until `app` refuses `token`, polling every 50 ms for at most 5 s. */
async function msUntilRefused(app: FastifyInstance, token: string, since: number): Promise<number> {
  for (;;) {
    const response = await injectAs(app, token, { url: '/api/v1/masters' });
    if (response.statusCode === 401) return performance.now() - since;
    if (performance.now() - since > 5_000) return Number.POSITIVE_INFINITY;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describeEachDialect('revocation', (dialect) => {
  it('a token revoked with the CLI is refused by two running instances within 2 seconds', async () => {
    const database = await createTestDatabase(dialect);
    const config = database.config({ auth: 'tokens' });
    // Two instances, each with its own pool (and its own credential cache), on one database.
    const apps = [
      await buildApp({ ...config, instanceId: 'one' }, { db: database.db, clock: manualClock(), scheduler: false }),
      await buildApp({ ...config, instanceId: 'two' }, { db: database.open(2), clock: manualClock(), scheduler: false }),
    ];
    try {
      const created = await cli('token', 'create', '--name', 'soon-revoked', '--scope', 'read', '--db', database.url, '--json');
      const token = (JSON.parse(created.out) as { token: string }).token;
      // Both instances have the token cached as good.
      for (const app of apps) expect((await injectAs(app, token, { url: '/api/v1/masters' })).statusCode).toBe(200);

      const revoked = await cli('token', 'revoke', 'soon-revoked', '--db', database.url);
      const since = performance.now();
      const delays = await Promise.all(apps.map((app) => msUntilRefused(app, token, since)));

      expect(revoked.code).toBe(0);
      for (const ms of delays) expect(ms).toBeLessThan(2_000);
    } finally {
      await Promise.all(apps.map((app) => app.close()));
      await database.destroy();
    }
  });
});

describeEachDialect('the per-instance credential cache', (dialect) => {
  it('serves a good token without the database until the auth epoch moves, then looks it up again', async () => {
    const database = await createTestDatabase(dialect);
    const app = await buildApp(database.config({ auth: 'tokens' }), { db: database.db, clock: manualClock(), scheduler: false });
    try {
      const created = await cli('token', 'create', '--name', 'cached', '--scope', 'read', '--db', database.url, '--json');
      const token = (JSON.parse(created.out) as { token: string }).token;
      expect((await injectAs(app, token, { url: '/api/v1/masters' })).statusCode).toBe(200);

      // Behind the server's back (no epoch bump): the cached check still lets the token through…
      await database.db.deleteFrom('api_tokens').where('name', '=', 'cached').execute();
      const cached = await injectAs(app, token, { url: '/api/v1/masters' });
      // …until anything moves the epoch (here: an unrelated revocation), which every instance polls.
      await cli('token', 'create', '--name', 'other', '--scope', 'read', '--db', database.url);
      await cli('token', 'revoke', 'other', '--db', database.url);
      const since = performance.now();
      const ms = await msUntilRefused(app, token, since);

      expect(cached.statusCode).toBe(200);
      expect(ms).toBeLessThan(2_000);
    } finally {
      await app.close();
      await database.destroy();
    }
  });
});

describeEachDialect('revokeToken', (dialect) => {
  it('revokes and bumps the epoch in one transaction: a failing bump leaves the token usable, and revoking again bumps again', async () => {
    const database = await createTestDatabase(dialect);
    const db = database.db;
    try {
      await createToken(db, { name: 'atomic', scopes: ['read'] }, 1_000);
      const epoch0 = await readAuthEpoch(db);

      const first = await revokeToken(db, 'atomic', 2_000);
      const epoch1 = await readAuthEpoch(db);
      // Already revoked: the first revocation time stays, and the epoch moves again, so re-running
      // a revocation repairs an instance that missed it.
      const again = await revokeToken(db, 'atomic', 3_000);
      const epoch2 = await readAuthEpoch(db);

      expect([first.revokedAt, again.revokedAt]).toEqual([2_000, 2_000]);
      expect([epoch1 - epoch0, epoch2 - epoch1]).toEqual([1, 1]);

      // The bump fails (its table is gone): the revocation must not be half done.
      await createToken(db, { name: 'half', scopes: ['read'] }, 1_000);
      await db.schema.dropTable('auth_epoch').execute();
      await expect(revokeToken(db, 'half', 4_000)).rejects.toThrow();
      const half = await db.selectFrom('api_tokens').select('revoked_at').where('name', '=', 'half').executeTakeFirstOrThrow();
      expect(half.revoked_at).toBeNull();
    } finally {
      await database.destroy();
    }
  });
});
