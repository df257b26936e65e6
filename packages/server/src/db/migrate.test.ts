import { expect, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDatabase, describeEachDialect } from '../../test/helpers/db.js';
import { runMigrations } from './migrate.js';

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
        ['0005-master-key-idc', 'Success'],
      ]);
      const applied = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(database.db);
      expect(applied.rows.map((r) => r.name)).toEqual(['0001-initial', '0002-auth', '0005-master-key-idc']);
      expect(await runMigrations(database.db)).toEqual([]);
      expect(await database.db.selectFrom('masters').select('sn').execute()).toEqual([]);
    } finally {
      await database.destroy();
    }
  });
});
