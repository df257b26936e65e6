import { PostgresAdapter, sql, type Kysely } from 'kysely';

// Frozen in time, like every migration (see 0002-auth.ts).

/**
 * PostgreSQL: job_targets pages are filled to 45% only, so the update that stores each target's
 * outcome finds room on its own page and is a HOT update (no new index entries: no indexed column
 * changes). Filled to 100%, as inserted, every one of a 10,000-target job's outcome updates moved the
 * row to another page and added entries to both of its indexes (measured: 140 ms → 30 ms for 10,000
 * updates). The table takes about twice the pages. Only pages written after this migration are
 * affected. SQLite and InnoDB have no per-table fill factor (InnoDB rewrites a row in place when it
 * fits): nothing to do there.
 */
export async function up(db: Kysely<any>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
  await sql`alter table job_targets set (fillfactor = 45)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
  await sql`alter table job_targets reset (fillfactor)`.execute(db);
}
