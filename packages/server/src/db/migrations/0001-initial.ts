import type { Kysely } from 'kysely';
import { columnTypes } from './column-types.js';

// Frozen in time: this file must keep producing the same schema forever, so it uses
// Kysely<any> and imports nothing from the application.

export async function up(db: Kysely<any>): Promise<void> {
  const t = await columnTypes(db);

  await t
    .table(db.schema.createTable('masters'))
    .addColumn('sn', t.key, (c) => c.primaryKey())
    .addColumn('server', t.text, (c) => c.notNull())
    .addColumn('status', t.key, (c) => c.notNull())
    .addColumn('idc', t.key, (c) => c.notNull())
    .addColumn('type', t.key, (c) => c.notNull())
    .addColumn('username', t.text)
    .addColumn('password_enc', t.text)
    .addColumn('error', t.text)
    .addColumn('agent_version', t.key)
    .addColumn('agent_hostname', t.key)
    .addColumn('interval_s', 'integer')
    .addColumn('minion_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('first_seen', t.ms, (c) => c.notNull())
    .addColumn('last_seen', t.ms, (c) => c.notNull())
    .addColumn('status_changed_at', t.ms, (c) => c.notNull())
    .execute();
  // The timeout sweep's predicate.
  await db.schema.createIndex('masters_last_seen_idx').on('masters').column('last_seen').execute();

  await t
    .table(db.schema.createTable('minions'))
    .addColumn('sn', t.key, (c) => c.primaryKey())
    .addColumn('first_seen', t.ms, (c) => c.notNull())
    .addColumn('updated_at', t.ms, (c) => c.notNull())
    .execute();

  await t
    .table(db.schema.createTable('master_minions'))
    .addColumn('master_sn', t.key, (c) => c.notNull().references('masters.sn').onDelete('cascade'))
    .addColumn('minion_sn', t.key, (c) => c.notNull())
    .addColumn('status', t.key, (c) => c.notNull())
    .addColumn('ips', t.json, (c) => c.notNull())
    .addColumn('attrs', t.json)
    .addColumn('joined_at', t.ms, (c) => c.notNull())
    .addColumn('updated_at', t.ms, (c) => c.notNull())
    .addPrimaryKeyConstraint('master_minions_pk', ['master_sn', 'minion_sn'])
    .execute();
  await db.schema.createIndex('master_minions_minion_idx').on('master_minions').column('minion_sn').execute();

  await t
    .table(db.schema.createTable('minion_ips'))
    .addColumn('master_sn', t.key, (c) => c.notNull())
    .addColumn('minion_sn', t.key, (c) => c.notNull())
    .addColumn('ip', t.key, (c) => c.notNull())
    .addPrimaryKeyConstraint('minion_ips_pk', ['master_sn', 'minion_sn', 'ip'])
    .execute();
  await db.schema.createIndex('minion_ips_ip_idx').on('minion_ips').column('ip').execute();

  await t
    .table(db.schema.createTable('events'))
    .addColumn('id', t.id, t.idColumn)
    .addColumn('kind', t.key, (c) => c.notNull())
    .addColumn('master_sn', t.key, (c) => c.notNull())
    .addColumn('minion_sn', t.key)
    .addColumn('instance_id', t.key, (c) => c.notNull())
    .addColumn('at', t.ms, (c) => c.notNull())
    .addColumn('detail', t.json)
    .execute();
  await db.schema.createIndex('events_master_idx').on('events').columns(['master_sn', 'id']).execute();
  await db.schema.createIndex('events_at_idx').on('events').column('at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['events', 'minion_ips', 'master_minions', 'minions', 'masters']) {
    await db.schema.dropTable(table).execute();
  }
}
