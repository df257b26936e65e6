import { PostgresAdapter, type Kysely } from 'kysely';

// Frozen in time: this file must keep producing the same schema forever, so it uses
// Kysely<any> and imports nothing from the application.

export async function up(db: Kysely<any>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;

  await db.schema
    .createTable('masters')
    .addColumn('sn', 'text', (c) => c.primaryKey())
    .addColumn('server', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('idc', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('username', 'text')
    .addColumn('password_enc', 'text')
    .addColumn('error', 'text')
    .addColumn('agent_version', 'text')
    .addColumn('agent_hostname', 'text')
    .addColumn('interval_s', 'integer')
    .addColumn('minion_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('first_seen', 'bigint', (c) => c.notNull())
    .addColumn('last_seen', 'bigint', (c) => c.notNull())
    .addColumn('status_changed_at', 'bigint', (c) => c.notNull())
    .execute();
  // The timeout sweep's predicate.
  await db.schema.createIndex('masters_last_seen_idx').on('masters').column('last_seen').execute();

  await db.schema
    .createTable('minions')
    .addColumn('sn', 'text', (c) => c.primaryKey())
    .addColumn('first_seen', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('master_minions')
    .addColumn('master_sn', 'text', (c) => c.notNull().references('masters.sn').onDelete('cascade'))
    .addColumn('minion_sn', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('ips', 'text', (c) => c.notNull())
    .addColumn('attrs', 'text')
    .addColumn('joined_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('master_minions_pk', ['master_sn', 'minion_sn'])
    .execute();
  await db.schema.createIndex('master_minions_minion_idx').on('master_minions').column('minion_sn').execute();

  await db.schema
    .createTable('minion_ips')
    .addColumn('master_sn', 'text', (c) => c.notNull())
    .addColumn('minion_sn', 'text', (c) => c.notNull())
    .addColumn('ip', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('minion_ips_pk', ['master_sn', 'minion_sn', 'ip'])
    .execute();
  await db.schema.createIndex('minion_ips_ip_idx').on('minion_ips').column('ip').execute();

  await db.schema
    .createTable('events')
    .addColumn('id', postgres ? 'bigserial' : 'integer', (c) => (postgres ? c.primaryKey() : c.primaryKey().autoIncrement()))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('master_sn', 'text', (c) => c.notNull())
    .addColumn('minion_sn', 'text')
    .addColumn('instance_id', 'text', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('detail', 'text')
    .execute();
  await db.schema.createIndex('events_master_idx').on('events').columns(['master_sn', 'id']).execute();
  await db.schema.createIndex('events_at_idx').on('events').column('at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['events', 'minion_ips', 'master_minions', 'minions', 'masters']) {
    await db.schema.dropTable(table).execute();
  }
}
