import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { postRegister } from './helpers/app.js';
import { createTestDatabase, describeEachSharedDialect, manualClock, type DialectName, type TestDatabase } from './helpers/db.js';
import { payload } from './helpers/payloads.js';

/** The session's statement and lock limits, as the server reports them. */
const SESSION_LIMITS: Record<Exclude<DialectName, 'sqlite'>, ReturnType<typeof sql<{ statement_timeout: string; lock_timeout: string }>>> = {
  postgres: sql`select current_setting('statement_timeout') as statement_timeout, current_setting('lock_timeout') as lock_timeout`,
  // MariaDB's max_statement_time (seconds); MySQL's would be max_execution_time (ms).
  mysql: sql`select concat(@@max_statement_time, 's') as statement_timeout, concat(@@innodb_lock_wait_timeout, 's') as lock_timeout`,
};
const DEFAULT_LIMITS = {
  postgres: { statement_timeout: '1min', lock_timeout: '30s' },
  mysql: { statement_timeout: '60.000000s', lock_timeout: '30s' },
};

describeEachSharedDialect('statement and lock timeouts', (dialect) => {
  if (dialect === 'sqlite') throw new Error('SQLite has no lock timeout');
  let database: TestDatabase;
  let app: FastifyInstance;

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    // The app opens its own pool from the config, as in production, with a short lock timeout.
    app = await buildApp(database.config({ dbLockTimeoutMs: 300 }), { clock: manualClock(), scheduler: false });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await database?.destroy();
  });

  it('sets a statement and a lock timeout on every connection (defaults 60 s and 30 s)', async () => {
    const { rows } = await SESSION_LIMITS[dialect].execute(database.db);

    expect(rows).toEqual([DEFAULT_LIMITS[dialect]]);
  });

  it('answers 503 with Retry-After when a registration waits too long for a lock, instead of hanging', async () => {
    expect((await postRegister(app, payload('locked-master', []))).statusCode).toBe(200);
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    // Another session holds the master's row lock (a hung instance mid-registration).
    const holder = database.db.transaction().execute(async (trx) => {
      await trx.selectFrom('masters').select('sn').where('sn', '=', 'locked-master').forUpdate().execute();
      locked();
      await released;
    });
    await isLocked;

    try {
      const response = await postRegister(app, payload('locked-master', []));

      expect([response.statusCode, response.json().code, response.headers['retry-after']]).toEqual([503, 'ACT2_DB_UNAVAILABLE', '5']);
    } finally {
      release();
      await holder;
    }
  });
});
