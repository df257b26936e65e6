import type { Kysely } from 'kysely';
import { columnTypes } from './column-types.js';

// Frozen in time: this file must keep producing the same schema forever, so it uses
// Kysely<any> and imports nothing from the application. Indexed text columns are keys
// (VARCHAR(255) on MySQL, which cannot index TEXT).

export async function up(db: Kysely<any>): Promise<void> {
  const t = await columnTypes(db);

  // API tokens: only a SHA-256 of the secret is stored; `id` is the public handle (list, revoke, logs).
  await t
    .table(db.schema.createTable('api_tokens'))
    .addColumn('id', t.key, (c) => c.primaryKey())
    .addColumn('name', t.key, (c) => c.notNull().unique())
    .addColumn('token_hash', t.key, (c) => c.notNull().unique())
    .addColumn('scopes', t.key, (c) => c.notNull())
    .addColumn('idc', t.key)
    .addColumn('created_at', t.ms, (c) => c.notNull())
    .addColumn('last_used_at', t.ms)
    .addColumn('expires_at', t.ms)
    .addColumn('revoked_at', t.ms)
    .execute();

  // A master sn bound to its own key (a hash of it) by its first registration with a register token.
  await t
    .table(db.schema.createTable('master_keys'))
    .addColumn('sn', t.key, (c) => c.primaryKey())
    .addColumn('key_hash', t.key, (c) => c.notNull().unique())
    .addColumn('enrolled_by', t.key, (c) => c.notNull())
    .addColumn('created_at', t.ms, (c) => c.notNull())
    .execute();

  // One row, bumped by every revocation and rebind: instances poll it each second and drop their
  // cached credentials when it moves, so a good credential is looked up once, not per request.
  await t
    .table(db.schema.createTable('auth_epoch'))
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('epoch', t.ms, (c) => c.notNull())
    .execute();
  await db.insertInto('auth_epoch').values({ id: 1, epoch: 0 }).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('auth_epoch').execute();
  await db.schema.dropTable('master_keys').execute();
  await db.schema.dropTable('api_tokens').execute();
}
