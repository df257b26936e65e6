import type { Kysely } from 'kysely';
import { columnTypes } from './column-types.js';

// Frozen in time: this file must keep producing the same schema forever, so it uses
// Kysely<any> and imports nothing from the application.

export async function up(db: Kysely<any>): Promise<void> {
  const t = await columnTypes(db);

  await t
    .table(db.schema.createTable('jobs'))
    .addColumn('id', t.key, (c) => c.primaryKey())
    .addColumn('status', t.key, (c) => c.notNull())
    .addColumn('fun', t.key, (c) => c.notNull())
    .addColumn('arg', t.json, (c) => c.notNull())
    .addColumn('kwarg', t.json, (c) => c.notNull())
    .addColumn('call_enc', t.json, (c) => c.notNull())
    .addColumn('timeout_s', 'integer', (c) => c.notNull())
    .addColumn('requested_by', t.key, (c) => c.notNull())
    .addColumn('created_at', t.ms, (c) => c.notNull())
    .addColumn('deadline_at', t.ms, (c) => c.notNull())
    .addColumn('finished_at', t.ms)
    .addColumn('lease_owner', t.key)
    .addColumn('lease_until', t.ms)
    .execute();
  await db.schema.createIndex('jobs_created_idx').on('jobs').columns(['created_at', 'id']).execute();
  // The runner's "unfinished and not leased" predicate.
  await db.schema.createIndex('jobs_status_idx').on('jobs').columns(['status', 'lease_until']).execute();

  await t
    .table(db.schema.createTable('job_targets'))
    .addColumn('job_id', t.key, (c) => c.notNull().references('jobs.id').onDelete('cascade'))
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('sn', t.key, (c) => c.notNull())
    .addColumn('ip', t.key)
    .addColumn('salt_id', t.text, (c) => c.notNull())
    .addColumn('candidates', t.json, (c) => c.notNull())
    .addColumn('outcome', t.key, (c) => c.notNull())
    .addColumn('master_sn', t.key)
    .addColumn('jid', t.key)
    .addColumn('retcode', 'integer')
    .addColumn('success', 'integer')
    .addColumn('return_json', t.json)
    .addColumn('truncated', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('reason', t.text)
    .addColumn('started_at', t.ms)
    .addColumn('finished_at', t.ms)
    .addPrimaryKeyConstraint('job_targets_pk', ['job_id', 'seq'])
    .execute();
  // No index on master_sn: it is written for every target, and PostgreSQL can only update a row in
  // place (HOT) when no indexed column changes. Which masters a job ran on is job_masters.
  await db.schema.createIndex('job_targets_sn_idx').on('job_targets').columns(['sn', 'job_id']).execute();

  await t
    .table(db.schema.createTable('job_attempts'))
    .addColumn('job_id', t.key, (c) => c.notNull().references('jobs.id').onDelete('cascade'))
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('n', 'integer', (c) => c.notNull())
    .addColumn('master_sn', t.key, (c) => c.notNull())
    .addColumn('dispatch_id', t.key, (c) => c.notNull())
    .addColumn('at', t.ms, (c) => c.notNull())
    .addColumn('ok', 'integer')
    .addColumn('reason', t.text)
    .addPrimaryKeyConstraint('job_attempts_pk', ['job_id', 'seq', 'n'])
    .execute();
  await db.schema.createIndex('job_attempts_dispatch_idx').on('job_attempts').column('dispatch_id').execute();

  await t
    .table(db.schema.createTable('job_masters'))
    .addColumn('job_id', t.key, (c) => c.notNull().references('jobs.id').onDelete('cascade'))
    .addColumn('master_sn', t.key, (c) => c.notNull())
    .addPrimaryKeyConstraint('job_masters_pk', ['job_id', 'master_sn'])
    .execute();
  await db.schema.createIndex('job_masters_master_idx').on('job_masters').columns(['master_sn', 'job_id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['job_masters', 'job_attempts', 'job_targets', 'jobs']) await db.schema.dropTable(table).execute();
}
