import type { Kysely } from 'kysely';
import type { Database } from './database.js';

/** Connections of a database pool, for metrics. */
export interface PoolStats {
  total: number;
  idle: number;
  /** Queries waiting for a free connection. */
  waiting: number;
}

const readers = new WeakMap<Kysely<Database>, () => PoolStats>();

/** Called by a dialect that opened a pool, so metrics can read it without knowing the driver. */
export function registerPoolStats(db: Kysely<Database>, read: () => PoolStats): Kysely<Database> {
  readers.set(db, read);
  return db;
}

/** The pool's connections now; undefined for SQLite, which has one handle. */
export function poolStats(db: Kysely<Database>): PoolStats | undefined {
  return readers.get(db)?.();
}
