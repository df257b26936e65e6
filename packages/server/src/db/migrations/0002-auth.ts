import type { Kysely } from 'kysely';

// Frozen in time: this file must keep producing the same schema forever, so it uses
// Kysely<any> and imports nothing from the application. Indexed text columns are varchar(255)
// so that MySQL can index them.

export async function up(db: Kysely<any>): Promise<void> {
  // API tokens: only a SHA-256 of the secret is stored; `id` is the public handle (list, revoke, logs).
  await db.schema
    .createTable('api_tokens')
    .addColumn('id', 'varchar(255)', (c) => c.primaryKey())
    .addColumn('name', 'varchar(255)', (c) => c.notNull().unique())
    .addColumn('token_hash', 'varchar(255)', (c) => c.notNull().unique())
    .addColumn('scopes', 'varchar(255)', (c) => c.notNull())
    .addColumn('idc', 'varchar(255)')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_used_at', 'bigint')
    .addColumn('expires_at', 'bigint')
    .addColumn('revoked_at', 'bigint')
    .execute();

  // A master sn bound to its own key (a hash of it) by its first registration with a register token.
  await db.schema
    .createTable('master_keys')
    .addColumn('sn', 'varchar(255)', (c) => c.primaryKey())
    .addColumn('key_hash', 'varchar(255)', (c) => c.notNull().unique())
    .addColumn('enrolled_by', 'varchar(255)', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  // One row, bumped by every revocation and rebind: instances poll it each second and drop their
  // cached credentials when it moves, so a good credential is looked up once, not per request.
  await db.schema
    .createTable('auth_epoch')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('epoch', 'bigint', (c) => c.notNull())
    .execute();
  await db.insertInto('auth_epoch').values({ id: 1, epoch: 0 }).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('auth_epoch').execute();
  await db.schema.dropTable('master_keys').execute();
  await db.schema.dropTable('api_tokens').execute();
}
