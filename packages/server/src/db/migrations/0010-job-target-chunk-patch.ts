import type { Kysely } from 'kysely';
import { columnTypes } from './column-types.js';

// Frozen in time, like every migration (see 0002-auth.ts): the patch layout read by down() is a copy,
// on purpose, of what the application writes today (jobs/target-chunks.ts).

/**
 * A chunk may carry one answer given to every one of its targets (a fleet-wide test.ping: 1,000
 * minions returned `true`, retcode 0): the write stores it on the chunk instead of 1,000 rows.
 * `patch`: JSON `{outcome, master_sn, jid, retcode, success, return_json, truncated, reason,
 * started_at, finished_at}`, null while every target is pending; `outcome`: the patch's outcome, a
 * column so that counts per outcome stay one GROUP BY.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const t = await columnTypes(db);
  // Run again after a failure part-way (MariaDB commits DDL at once): a column already added is kept.
  const columns = await columnsOf(db);
  if (!columns.includes('outcome')) await db.schema.alterTable('job_target_chunks').addColumn('outcome', t.key, (c) => c.notNull().defaultTo('pending')).execute();
  if (!columns.includes('patch')) await db.schema.alterTable('job_target_chunks').addColumn('patch', t.json).execute();
}

/** Every patched chunk becomes its `job_targets` rows, each with the patch (the code before 0010 reads chunks as pending), then the columns go. */
export async function down(db: Kysely<any>): Promise<void> {
  const columns = await columnsOf(db);
  if (columns.includes('patch')) {
    for (;;) {
      const chunk = (await db
        .selectFrom('job_target_chunks')
        .select(['job_id', 'chunk_id', 'targets', 'patch'])
        .where('patch', 'is not', null)
        .orderBy('job_id')
        .orderBy('chunk_id')
        .limit(1)
        .executeTakeFirst()) as { job_id: string; chunk_id: string; targets: string; patch: string } | undefined;
      if (!chunk) break;
      const patch = JSON.parse(chunk.patch) as Record<string, string | number | null>;
      const rows = (JSON.parse(chunk.targets) as Array<[number, string, string | null, string, string]>).map(([seq, sn, ip, saltId, candidates]) => ({
        job_id: chunk.job_id,
        seq,
        sn,
        ip,
        salt_id: saltId,
        candidates,
        ...Object.fromEntries(PATCH_COLUMNS.map((c) => [c, patch[c] ?? (c === 'truncated' ? 0 : c === 'outcome' ? 'pending' : null)])),
      }));
      // As 0009's down(): on MariaDB a run again after a failure skips the rows already written.
      const known = new Set((await db.selectFrom('job_targets').select('seq').where('job_id', '=', chunk.job_id).execute()).map((r) => Number(r.seq)));
      const missing = rows.filter((r) => !known.has(r.seq));
      for (let i = 0; i < missing.length; i += BATCH) await db.insertInto('job_targets').values(missing.slice(i, i + BATCH)).execute();
      await db.deleteFrom('job_target_chunks').where('job_id', '=', chunk.job_id).where('chunk_id', '=', chunk.chunk_id).execute();
    }
    await db.schema.alterTable('job_target_chunks').dropColumn('patch').execute();
  }
  if (columns.includes('outcome')) await db.schema.alterTable('job_target_chunks').dropColumn('outcome').execute();
}

async function columnsOf(db: Kysely<any>): Promise<string[]> {
  const table = (await db.introspection.getTables()).find((t) => t.name === 'job_target_chunks');
  return table ? table.columns.map((c) => c.name) : [];
}

const PATCH_COLUMNS = ['outcome', 'master_sn', 'jid', 'retcode', 'success', 'return_json', 'truncated', 'reason', 'started_at', 'finished_at'] as const;

/** Rows per multi-row INSERT (16 bound parameters each). */
const BATCH = 200;
