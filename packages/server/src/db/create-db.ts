import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { DEFAULT_SQLITE_MMAP_BYTES, type ServerConfig } from '../config.js';
import type { Database } from './database.js';
import { DIALECTS, parseDbTarget, type DialectName } from './dialects/index.js';

export { dialectOf } from './dialects/index.js';

/** @deprecated the name of a dialect; repositories use `dialectOf(db)`'s methods instead. */
export type Dialect = DialectName;

export interface CreateDbOptions {
  /** Receives errors of idle connections (a restart of the database, a dropped link). */
  log?: Pick<Logger, 'warn'>;
}

/** Opens the database `config.db` names: a PostgreSQL or MySQL pool, or a SQLite file (directory created). */
export function createDb(
  config: Pick<ServerConfig, 'db'> & Partial<Pick<ServerConfig, 'dbPoolSize' | 'dbStatementTimeoutMs' | 'dbLockTimeoutMs' | 'sqliteMmapBytes'>>,
  options: CreateDbOptions = {},
): Kysely<Database> {
  const target = parseDbTarget(config.db);
  return DIALECTS[target.dialect].open(target.dialect === 'sqlite' ? target.file : target.url, {
    poolSize: config.dbPoolSize ?? 10,
    statementTimeoutMs: config.dbStatementTimeoutMs ?? 60_000,
    lockTimeoutMs: config.dbLockTimeoutMs ?? 30_000,
    sqliteMmapBytes: config.sqliteMmapBytes ?? DEFAULT_SQLITE_MMAP_BYTES,
    log: options.log,
  });
}
