import type { Kysely } from 'kysely';
import { columnTypes } from './column-types.js';

// Frozen in time: this file must keep producing the same schema forever, so it uses
// Kysely<any> and imports nothing from the application.

export async function up(db: Kysely<any>): Promise<void> {
  const t = await columnTypes(db);

  // The purge's predicate: masters long in timeout/stopped.
  await db.schema.createIndex('masters_status_changed_idx').on('masters').columns(['status', 'status_changed_at']).execute();
  // Webhook enqueueing scans recent events of a few kinds.
  await db.schema.createIndex('events_kind_at_idx').on('events').columns(['kind', 'at']).execute();

  // One row per configured webhook URL: how far its events have been enqueued.
  await t
    .table(db.schema.createTable('webhook_endpoints'))
    .addColumn('url_key', t.key, (c) => c.primaryKey())
    .addColumn('url', t.text, (c) => c.notNull())
    .addColumn('created_at', t.ms, (c) => c.notNull())
    .addColumn('scanned_until', t.ms, (c) => c.notNull())
    .execute();

  // One row per (event, URL): the unique key makes each event enqueued once, whichever instance saw it.
  await t
    .table(db.schema.createTable('webhook_deliveries'))
    .addColumn('id', t.id, t.idColumn)
    .addColumn('event_id', 'bigint', (c) => c.notNull())
    .addColumn('url_key', t.key, (c) => c.notNull())
    .addColumn('kind', t.key, (c) => c.notNull())
    .addColumn('master_sn', t.key, (c) => c.notNull())
    .addColumn('status', t.key, (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', t.ms, (c) => c.notNull())
    .addColumn('lease_until', t.ms)
    .addColumn('leased_by', t.key)
    .addColumn('last_status', 'integer')
    .addColumn('last_error', t.text)
    .addColumn('created_at', t.ms, (c) => c.notNull())
    .addColumn('delivered_at', t.ms)
    .addUniqueConstraint('webhook_deliveries_event_url_uq', ['event_id', 'url_key'])
    .execute();
  await db.schema.createIndex('webhook_deliveries_due_idx').on('webhook_deliveries').columns(['status', 'next_attempt_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('webhook_deliveries').execute();
  await db.schema.dropTable('webhook_endpoints').execute();
  await db.schema.dropIndex('events_kind_at_idx').on('events').execute();
  await db.schema.dropIndex('masters_status_changed_idx').on('masters').execute();
}
