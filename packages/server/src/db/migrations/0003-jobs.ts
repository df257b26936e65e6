import type { Kysely } from 'kysely';

// Frozen in time: this file must keep producing the same schema forever, so it uses
// Kysely<any> and imports nothing from the application. Indexed text columns are varchar(255)
// (MySQL cannot index unbounded text); big JSON stays text.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('jobs')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('fun', 'varchar(255)', (c) => c.notNull())
    .addColumn('arg', 'text', (c) => c.notNull())
    .addColumn('kwarg', 'text', (c) => c.notNull())
    .addColumn('call_enc', 'text', (c) => c.notNull())
    .addColumn('timeout_s', 'integer', (c) => c.notNull())
    .addColumn('requested_by', 'varchar(255)', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('deadline_at', 'bigint', (c) => c.notNull())
    .addColumn('finished_at', 'bigint')
    .addColumn('lease_owner', 'varchar(255)')
    .addColumn('lease_until', 'bigint')
    .execute();
  await db.schema.createIndex('jobs_created_idx').on('jobs').columns(['created_at', 'id']).execute();
  await db.schema.createIndex('jobs_status_idx').on('jobs').columns(['status', 'lease_until']).execute();

  await db.schema
    .createTable('job_targets')
    .addColumn('job_id', 'varchar(64)', (c) => c.notNull().references('jobs.id').onDelete('cascade'))
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('sn', 'varchar(255)', (c) => c.notNull())
    .addColumn('ip', 'varchar(64)')
    .addColumn('salt_id', 'text', (c) => c.notNull())
    .addColumn('candidates', 'text', (c) => c.notNull())
    .addColumn('outcome', 'varchar(32)', (c) => c.notNull())
    .addColumn('master_sn', 'varchar(255)')
    .addColumn('jid', 'varchar(64)')
    .addColumn('retcode', 'integer')
    .addColumn('success', 'integer')
    .addColumn('return_json', 'text')
    .addColumn('truncated', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('reason', 'text')
    .addColumn('started_at', 'bigint')
    .addColumn('finished_at', 'bigint')
    .addPrimaryKeyConstraint('job_targets_pk', ['job_id', 'seq'])
    .execute();
  // No index on master_sn: it is written for every target (twice), and PostgreSQL can only update a
  // row in place (HOT) when no indexed column changes. Which masters a job ran on is job_masters.
  await db.schema.createIndex('job_targets_sn_idx').on('job_targets').columns(['sn', 'job_id']).execute();

  await db.schema
    .createTable('job_masters')
    .addColumn('job_id', 'varchar(64)', (c) => c.notNull().references('jobs.id').onDelete('cascade'))
    .addColumn('master_sn', 'varchar(255)', (c) => c.notNull())
    .addPrimaryKeyConstraint('job_masters_pk', ['job_id', 'master_sn'])
    .execute();
  await db.schema.createIndex('job_masters_master_idx').on('job_masters').columns(['master_sn', 'job_id']).execute();

  await db.schema
    .createTable('job_attempts')
    .addColumn('job_id', 'varchar(64)', (c) => c.notNull().references('jobs.id').onDelete('cascade'))
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('n', 'integer', (c) => c.notNull())
    .addColumn('master_sn', 'varchar(255)', (c) => c.notNull())
    .addColumn('dispatch_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('ok', 'integer')
    .addColumn('reason', 'text')
    .addPrimaryKeyConstraint('job_attempts_pk', ['job_id', 'seq', 'n'])
    .execute();
  await db.schema.createIndex('job_attempts_dispatch_idx').on('job_attempts').column('dispatch_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['job_masters', 'job_attempts', 'job_targets', 'jobs']) await db.schema.dropTable(table).execute();
}
