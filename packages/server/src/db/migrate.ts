import { Migrator, sql, type Kysely, type MigrationResult } from 'kysely';
import type { Database } from './database.js';
import { dialectOf } from './create-db.js';
import { migrations } from './migrations/index.js';

/** Arbitrary constant naming act2-server's migration lock among PostgreSQL advisory locks. */
const MIGRATION_LOCK_KEY = 0x61637432; // "act2"

/**
 * Brings the schema to the latest migration. Safe when several instances start at once on one
 * PostgreSQL: a session advisory lock, held on its own connection, lets one instance migrate
 * while the others wait and then find nothing left to do.
 */
export async function runMigrations(db: Kysely<Database>): Promise<MigrationResult[]> {
  if (dialectOf(db) === 'sqlite') return migrate(db);
  return db.connection().execute(async (lockConnection) => {
    await sql`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`.execute(lockConnection);
    try {
      return await migrate(db);
    } finally {
      await sql`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`.execute(lockConnection);
    }
  });
}

async function migrate(db: Kysely<Database>): Promise<MigrationResult[]> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error;
  return results ?? [];
}
