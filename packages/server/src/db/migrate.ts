import { Migrator, type Kysely, type MigrationResult } from 'kysely';
import type { Database } from './database.js';
import { dialectOf } from './dialects/index.js';
import { migrations } from './migrations/index.js';

/**
 * Brings the schema to the latest migration. Safe when several instances start at once on one
 * shared database: the dialect's migration lock lets one instance migrate while the others wait
 * and then find nothing left to do.
 */
export async function runMigrations(db: Kysely<Database>): Promise<MigrationResult[]> {
  return dialectOf(db).withMigrationLock(db, () => migrate(db));
}

async function migrate(db: Kysely<Database>): Promise<MigrationResult[]> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error;
  return results ?? [];
}
