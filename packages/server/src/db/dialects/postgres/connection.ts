import { PostgresDialect, type Kysely } from 'kysely';
import pg from 'pg';
import type { Database, DbOrTrx } from '../../database.js';
import { registerPoolStats } from '../../pool-stats.js';
import type { ConnectionOptions } from '../dialect.js';
import { PoolHandles } from '../pool-handles.js';
import type { PreparedRegistry } from '../prepared-registry.js';

const PG_INT8_OID = 20;

const pools = new PoolHandles<pg.Pool>();

/** A pg pool on `url` with act2-server's session limits; the pool reconnects on its own. */
export function openPostgres(url: string, options: ConnectionOptions, hot: PreparedRegistry): Kysely<Database> {
  const pool = new pg.Pool({
    Client: namedStatementClient(hot),
    connectionString: url,
    max: options.poolSize,
    // Server-side limits, set per session: a stuck query or a lock held by a hung instance ends in
    // an error (503, the agent retries) instead of holding a pool connection for ever. A session
    // idle inside a transaction (an instance frozen mid-registration) is ended, releasing its locks.
    statement_timeout: options.statementTimeoutMs,
    lock_timeout: options.lockTimeoutMs,
    idle_in_transaction_session_timeout: options.statementTimeoutMs,
    // Fail fast while the database is down so requests get a 503 instead of hanging.
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    // Epoch-millisecond bigints and counts fit a JS number; pg would return them as strings.
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === PG_INT8_OID ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format)) as never,
    },
  });
  // A connection that drops emits 'error' on its client; with no listener that would crash the
  // process. Idle clients report through the pool, checked-out ones through their own listener;
  // the pool then discards the broken client and connects afresh when the database is back.
  pool.on('error', (err) => options.log?.warn({ err }, 'idle database connection failed'));
  pool.on('connect', (client) => {
    client.on('error', (err) => options.log?.warn({ err }, 'database connection failed'));
  });
  return registerPoolStats(pools.open({ dialect: new PostgresDialect({ pool }) }, pool), () => ({
    total: pool.totalCount,
    idle: pool.idleCount,
    waiting: pool.waitingCount,
  }));
}

/**
 * Runs a hot statement as its named statement on any connection of the pool, as Kysely's driver
 * would (the same pool, session settings, type parsers and errors), without its executor: no
 * query id, connection wrapper or extra promises per read. Undefined (the caller goes through
 * Kysely) for an instance bound to one connection or a transaction, whose reads must run on it.
 */
export function runPreparedPostgres(db: DbOrTrx, name: string, sql: string, parameters: readonly unknown[]): Promise<unknown[]> | undefined {
  const pool = pools.of(db);
  if (pool === undefined) return undefined;
  return pool.query({ name, text: sql, values: parameters as unknown[] }).then((result) => result.rows as unknown[]);
}

/**
 * A pg client that runs the hot statements as named prepared statements: pg parses and plans
 * each once per connection (it remembers which names a connection has prepared), then only binds
 * and executes. Kysely calls `query(text, values)`; other texts go through unchanged.
 */
function namedStatementClient(hot: PreparedRegistry): typeof pg.Client {
  return class NamedStatementClient extends pg.Client {
    override query(config: unknown, values?: unknown, callback?: unknown): never {
      if (typeof config === 'string' && Array.isArray(values) && callback === undefined) {
        const name = hot.nameOf(config);
        if (name !== undefined) return (super.query as unknown as (c: unknown) => never)({ name, text: config, values });
      }
      return (super.query as unknown as (c: unknown, v: unknown, cb: unknown) => never)(config, values, callback);
    }
  } as typeof pg.Client;
}
