import type { Kysely } from 'kysely';
import { columnTypes } from './column-types.js';

// Frozen in time, like every migration (see 0002-auth.ts): the row layout written back by down() is
// a copy, on purpose, of what the application reads today (jobs/target-chunks.ts).

/**
 * The targets of a job's first dispatches, kept as one JSON document per dispatch until that
 * dispatch's first answer is stored: a job created and followed by the same instance writes ten of
 * these instead of 10,000 `job_targets` rows before salt-api is called, and each chunk becomes its
 * rows with the targets' outcomes already in them (one insert, not an insert and then an update).
 * `targets`: JSON `[[seq, sn, ip, salt_id, candidates], …]` (candidates as the JSON text job_targets
 * holds); `seqs`: their seq as ranges `[[first, last], …]`; `n`: how many.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const t = await columnTypes(db);
  // Run again after a failure part-way (MariaDB commits DDL at once): a table left by that run is kept.
  if (await hasTable(db, 'job_target_chunks')) return;
  await t
    .table(db.schema.createTable('job_target_chunks'))
    .addColumn('job_id', t.key, (c) => c.notNull().references('jobs.id').onDelete('cascade'))
    .addColumn('chunk_id', t.key, (c) => c.notNull())
    .addColumn('seqs', t.json, (c) => c.notNull())
    .addColumn('n', 'integer', (c) => c.notNull())
    .addColumn('targets', t.json, (c) => c.notNull())
    .addPrimaryKeyConstraint('job_target_chunks_pk', ['job_id', 'chunk_id'])
    .execute();
}

/** Every chunk left becomes its `job_targets` rows (targets still pending), then the table goes. */
export async function down(db: Kysely<any>): Promise<void> {
  if (!(await hasTable(db, 'job_target_chunks'))) return;
  for (;;) {
    const chunk = (await db.selectFrom('job_target_chunks').select(['job_id', 'chunk_id', 'targets']).orderBy('job_id').orderBy('chunk_id').limit(1).executeTakeFirst()) as
      | { job_id: string; chunk_id: string; targets: string }
      | undefined;
    if (!chunk) break;
    const rows = (JSON.parse(chunk.targets) as Array<[number, string, string | null, string, string]>).map(([seq, sn, ip, saltId, candidates]) => ({
      job_id: chunk.job_id,
      seq,
      sn,
      ip,
      salt_id: saltId,
      candidates,
      outcome: 'pending',
    }));
    // The migrator runs this in a transaction where DDL is transactional (PostgreSQL, SQLite); on
    // MariaDB a run again after a failure skips the rows already written (the primary key), so nothing
    // is inserted twice.
    const known = new Set((await db.selectFrom('job_targets').select('seq').where('job_id', '=', chunk.job_id).execute()).map((r) => Number(r.seq)));
    const missing = rows.filter((r) => !known.has(r.seq));
    for (let i = 0; i < missing.length; i += BATCH) await db.insertInto('job_targets').values(missing.slice(i, i + BATCH)).execute();
    await db.deleteFrom('job_target_chunks').where('job_id', '=', chunk.job_id).where('chunk_id', '=', chunk.chunk_id).execute();
  }
  await db.schema.dropTable('job_target_chunks').execute();
}

async function hasTable(db: Kysely<any>, name: string): Promise<boolean> {
  return (await db.introspection.getTables()).some((t) => t.name === name);
}

/** Rows per multi-row INSERT (7 bound parameters each). */
const BATCH = 500;
