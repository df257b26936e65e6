import { expect, it } from 'vitest';
import { Migrator, sql } from 'kysely';
import { createTestDatabase, describeEachDialect } from '../../test/helpers/db.js';
import { runMigrations } from './migrate.js';
import { migrations } from './migrations/index.js';

describeEachDialect('runMigrations', (dialect) => {
  it('migrates a fresh database once, even when several instances start at the same time', async () => {
    const database = await createTestDatabase(dialect, { migrate: false });
    try {
      // SQLite has one act2-server process per file; several instances share one PostgreSQL or MySQL database.
      const dbs = dialect !== 'sqlite' ? [database.db, database.open(), database.open(), database.open()] : [database.db, database.db];

      const results = await Promise.all(dbs.map((db) => runMigrations(db)));

      expect(results.flat().map((r) => [r.migrationName, r.status])).toEqual([
        ['0001-initial', 'Success'],
        ['0002-auth', 'Success'],
        ['0003-jobs', 'Success'],
        ['0004-operator', 'Success'],
        ['0005-master-key-idc', 'Success'],
        ['0006-minion-digest', 'Success'],
        ['0007-job-dispatches', 'Success'],
      ]);
      const applied = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(database.db);
      expect(applied.rows.map((r) => r.name)).toEqual(['0001-initial', '0002-auth', '0003-jobs', '0004-operator', '0005-master-key-idc', '0006-minion-digest', '0007-job-dispatches']);
      expect(await runMigrations(database.db)).toEqual([]);
      expect(await database.db.selectFrom('masters').select('sn').execute()).toEqual([]);
    } finally {
      await database.destroy();
    }
  });

  it('0005 gives keys enrolled before it the idc of the token that enrolled them', async () => {
    const database = await createTestDatabase(dialect, { migrate: false });
    try {
      const db = database.db;
      const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
      expect((await migrator.migrateTo('0002-auth')).error).toBeUndefined();
      const token = (name: string, idc: string | null) => ({ id: `tok_${name}`, name, token_hash: `hash-${name}`, scopes: 'register', idc, created_at: 1 });
      await sql`insert into api_tokens (id, name, token_hash, scopes, idc, created_at) values
        ${sql.join([token('agents-sh', 'sh-01'), token('agents-any', null)].map((t) => sql`(${t.id}, ${t.name}, ${t.token_hash}, ${t.scopes}, ${t.idc}, ${t.created_at})`))}`.execute(db);
      const key = (sn: string, by: string) => sql`(${sn}, ${`key-${sn}`}, ${by}, ${1})`;
      await sql`insert into master_keys (sn, key_hash, enrolled_by, created_at) values
        ${sql.join([key('SH', 'token:agents-sh'), key('ANY', 'token:agents-any'), key('GONE', 'token:deleted'), key('CERT', 'certificate:sh-01')])}`.execute(db);

      await runMigrations(db);

      const rows = await db.selectFrom('master_keys').select(['sn', 'idc']).orderBy('sn').execute();
      expect(rows).toEqual([
        { sn: 'ANY', idc: null },
        { sn: 'CERT', idc: null },
        { sn: 'GONE', idc: null },
        { sn: 'SH', idc: 'sh-01' },
      ]);
    } finally {
      await database.destroy();
    }
  });
});
