import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, describe } from 'vitest';
import type { Clock } from '../../src/clock.js';
import { serverConfig, type ServerConfig } from '../../src/config.js';
import { createDb } from '../../src/db/create-db.js';
import type { Database } from '../../src/db/database.js';
import { runMigrations } from '../../src/db/migrate.js';

export type { DialectName } from '../../src/db/dialects/index.js';
import type { DialectName } from '../../src/db/dialects/index.js';

/** The machine's PostgreSQL (trust auth); tests create and drop their own databases on it. */
export const PG_ADMIN_URL = process.env.ACT2_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
/** A fixed key so tests never create key files they do not mean to. */
export const TEST_SECRET_KEY = 'a1'.repeat(32);

async function probePostgres(): Promise<boolean> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The machine's MariaDB or MySQL (root, no password); tests create and drop their own databases on it. */
export const MYSQL_ADMIN_URL = process.env.ACT2_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';

async function probeMysql(): Promise<boolean> {
  try {
    const connection = await mysql.createConnection({ uri: MYSQL_ADMIN_URL, connectTimeout: 2000 });
    try {
      await connection.query('select 1');
      return true;
    } finally {
      await connection.end().catch(() => undefined);
    }
  } catch {
    return false;
  }
}

const CI = process.env.CI === 'true';
export const pgAvailable = await probePostgres();
export const mysqlAvailable = await probeMysql();
if (!pgAvailable && !CI) {
  console.warn(`[act2-server tests] PostgreSQL at ${PG_ADMIN_URL} does not answer: PostgreSQL tests are SKIPPED`);
}
if (!mysqlAvailable && !CI) {
  console.warn(`[act2-server tests] MariaDB/MySQL at ${MYSQL_ADMIN_URL} does not answer: MySQL tests are SKIPPED`);
}

/** Whether PostgreSQL tests run: always with CI=true (and then fail loudly if PG is down). */
export const runPostgres = pgAvailable || CI;
/** Whether MySQL/MariaDB tests run: always with CI=true (and then fail loudly if it is down). */
export const runMysql = mysqlAvailable || CI;

/** Whether this dialect's tests run here. */
export function dialectRuns(dialect: DialectName): boolean {
  return dialect === 'sqlite' || (dialect === 'postgres' ? runPostgres : runMysql);
}

/** Every dialect the test suites run on. */
export const ALL_DIALECTS: readonly DialectName[] = ['sqlite', 'postgres', 'mysql'];
/** The dialects several act2-server instances can share (a SQLite file has one process). */
export const SHARED_DIALECTS: readonly DialectName[] = ['postgres', 'mysql'];

/** Runs the same suite once per dialect (or per dialect of `dialects`). */
export function describeEachDialect(
  name: string,
  suite: (dialect: DialectName) => void,
  dialects: readonly DialectName[] = ALL_DIALECTS,
): void {
  describe.each([...dialects])(`${name} [%s]`, (dialect) => {
    if (!dialectRuns(dialect)) {
      describe.skip(`${dialect} unavailable`, () => suite(dialect));
      return;
    }
    suite(dialect);
  });
}

/** The same suite on each database several instances can share (PostgreSQL, MySQL). */
export function describeEachSharedDialect(name: string, suite: (dialect: DialectName) => void): void {
  describeEachDialect(name, suite, SHARED_DIALECTS);
}

/** Describe block for PostgreSQL-only suites. */
export const describePostgres = runPostgres ? describe : describe.skip;

export interface TestDatabase {
  dialect: DialectName;
  /** The `--db` value. */
  url: string;
  db: Kysely<Database>;
  /**
   * A server config pointing at this database, with test-friendly defaults. Auth is off
   * (`auth: 'none'`) unless the test asks for `auth: 'tokens'`: suites about something else
   * need no credentials; the auth suites (src/auth/) turn it on.
   */
  config(overrides?: Partial<ServerConfig>): ServerConfig;
  /** Another pool on the same database (for several app instances). */
  open(poolSize?: number): Kysely<Database>;
  destroy(): Promise<void>;
}

/** A fresh database: a file in a new tmp dir, or a uniquely named PostgreSQL or MySQL database. */
export async function createTestDatabase(dialect: DialectName, options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const opened: Array<Kysely<Database>> = [];
  let url: string;
  let cleanup: () => Promise<void>;
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'act2-server-test-'));
    url = `sqlite:${join(dir, 'act2.sqlite')}`;
    cleanup = async () => rmSync(dir, { recursive: true, force: true });
  } else if (dialect === 'postgres') {
    const name = `act2_test_${randomBytes(6).toString('hex')}`;
    await adminQuery(`create database ${name}`);
    const target = new URL(PG_ADMIN_URL);
    target.pathname = `/${name}`;
    url = target.toString();
    cleanup = async () => adminQuery(`drop database if exists ${name} with (force)`);
  } else {
    const name = `act2_test_${randomBytes(6).toString('hex')}`;
    await mysqlAdminQuery(`create database ${name}`);
    const target = new URL(MYSQL_ADMIN_URL);
    target.pathname = `/${name}`;
    url = target.toString();
    cleanup = async () => mysqlAdminQuery(`drop database if exists ${name}`);
  }
  const open = (poolSize = 4) => {
    const db = createDb({ db: url, dbPoolSize: poolSize });
    opened.push(db);
    return db;
  };
  const db = open();
  if (options.migrate !== false) await runMigrations(db);
  return {
    dialect,
    url,
    db,
    open,
    config: (overrides = {}) =>
      serverConfig({ db: url, port: 0, host: '127.0.0.1', secretKey: TEST_SECRET_KEY, instanceId: 'test-1', dbPoolSize: 4, auth: 'none', ...overrides }),
    destroy: async () => {
      await Promise.all(opened.map((d) => d.destroy().catch(() => undefined)));
      await cleanup();
    },
  };
}

async function adminQuery(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

async function mysqlAdminQuery(text: string): Promise<void> {
  const connection = await mysql.createConnection({ uri: MYSQL_ADMIN_URL });
  try {
    await connection.query(text);
  } finally {
    await connection.end();
  }
}

/** A clock tests move by hand. */
export interface ManualClock extends Clock {
  set(ms: number): void;
  advance(ms: number): void;
  readonly now: number;
}

export function manualClock(start = Date.UTC(2026, 0, 1)): ManualClock {
  let now = start;
  const clock = (async () => now) as unknown as ManualClock;
  Object.defineProperty(clock, 'now', { get: () => now });
  clock.set = (ms) => {
    now = ms;
  };
  clock.advance = (ms) => {
    now += ms;
  };
  return clock;
}

/** Creates a fresh database before the suite and drops it after; read `.current` inside tests. */
export function useTestDatabase(dialect: DialectName): { readonly current: TestDatabase } {
  let current: TestDatabase | undefined;
  beforeAll(async () => {
    current = await createTestDatabase(dialect);
  });
  afterAll(async () => {
    await current?.destroy();
  });
  return {
    get current() {
      if (!current) throw new Error('test database not ready');
      return current;
    },
  };
}
