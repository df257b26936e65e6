import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { describeEachDialect, useTestDatabase } from '../../test/helpers/db.js';
import { PreparedRegistry } from './dialects/prepared-registry.js';
import { preparedQuery } from './prepared.js';

const minionsSince = preparedQuery('act2_test_minions_since', ['since', 'prefix'], (db, p) =>
  db
    .selectFrom('minions')
    .select('sn')
    .where('updated_at', '>=', p.since as unknown as number)
    .where('sn', 'like', p.prefix)
    // A constant of the query: kept as compiled, not taken from the call's values.
    .where('first_seen', '>', 0)
    .orderBy('sn'),
);

describeEachDialect('a prepared query', (dialect) => {
  const t = useTestDatabase(dialect);

  it('fills each call with its own values, and keeps the constants of the query', async () => {
    const db = t.current.db;
    await db
      .insertInto('minions')
      .values([
        { sn: 'a-1', first_seen: 1, updated_at: 10 },
        { sn: 'a-2', first_seen: 1, updated_at: 20 },
        { sn: 'b-1', first_seen: 1, updated_at: 30 },
        { sn: 'a-0', first_seen: 0, updated_at: 30 },
      ])
      .execute();

    const first = await minionsSince(db, { since: 15, prefix: 'a-%' });
    const second = await minionsSince(db, { since: 0, prefix: '%' });

    expect(first.map((r) => r.sn)).toEqual(['a-2']);
    expect(second.map((r) => r.sn)).toEqual(['a-1', 'a-2', 'b-1']);
  });

  if (dialect === 'postgres') {
    it('is a named statement of the connection on PostgreSQL, parsed once however often it runs', async () => {
      const statements = await t.current.db.connection().execute(async (conn) => {
        for (let i = 0; i < 3; i++) await minionsSince(conn, { since: i, prefix: '%' });
        const { rows } = await sql<{ name: string }>`select name from pg_prepared_statements where name like 'act2_test_%'`.execute(conn);
        return rows.map((r) => r.name);
      });

      expect(statements).toEqual(['act2_test_minions_since']);
    });
  }
});

it('refuses one statement name for two texts (PostgreSQL would run the first text)', () => {
  const registry = new PreparedRegistry();
  registry.register('q', 'select 1');
  registry.register('q', 'select 1');

  expect(() => registry.register('q', 'select 2')).toThrow(/two different texts/);
  expect([registry.nameOf('select 1'), registry.nameOf('select 2')]).toEqual(['q', undefined]);
});
