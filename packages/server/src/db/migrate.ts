import { Migrator, type Kysely, type Migration, type MigrationResult } from 'kysely';
import type { Database } from './database.js';
import { dialectOf } from './dialects/index.js';
import { migrations } from './migrations/index.js';

/**
 * Brings the schema to the latest migration. Safe when several instances start at once on one
 * shared database: the dialect's migration lock lets one instance migrate while the others wait
 * and then find nothing left to do.
 */
export async function runMigrations(db: Kysely<Database>, list: Record<string, Migration> = migrations): Promise<MigrationResult[]> {
  return dialectOf(db).withMigrationLock(db, () => migrate(db, list));
}

async function migrate(db: Kysely<Database>, list: Record<string, Migration>): Promise<MigrationResult[]> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrationsFor(db, list) } });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error;
  return results ?? [];
}

/**
 * The migrations as they are run on `db`. Kysely wraps each one in a transaction only where its
 * adapter says DDL is transactional (PostgreSQL); SQLite's DDL is transactional too, so there each
 * migration runs in its own transaction: one that fails part-way leaves nothing behind. (MariaDB and
 * MySQL commit at every DDL statement: a migration that converts rows is written to be run again.)
 */
export function migrationsFor(db: Kysely<Database>, list: Record<string, Migration> = migrations): Record<string, Migration> {
  if (dialectOf(db).name !== 'sqlite') return list;
  return Object.fromEntries(
    Object.entries(list).map(([name, m]) => {
      const { down } = m;
      const wrapped: Migration = { up: (d) => d.transaction().execute((trx) => m.up(trx)) };
      if (down) wrapped.down = (d) => d.transaction().execute((trx) => down(trx));
      return [name, wrapped];
    }),
  );
}
