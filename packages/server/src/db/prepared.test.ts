import { sql, type KyselyPlugin } from 'kysely';
import { expect, it, vi } from 'vitest';
import { describeEachDialect, useTestDatabase } from '../../test/helpers/db.js';
import { dialectOf } from './dialects/index.js';
import { PreparedRegistry } from './dialects/prepared-registry.js';
import { preparedQuery, type ResultObserver } from './prepared.js';

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

  it('runs on the driver for the pool (plugins still see each result), through Kysely on a transaction or one connection', async () => {
    const db = t.current.db;
    await db.insertInto('minions').values({ sn: 'p-1', first_seen: 1, updated_at: 10 }).execute();
    const seen: unknown[] = [];
    const recording: KyselyPlugin = {
      transformQuery: (args) => args.node,
      transformResult: async (args) => {
        seen.push(args.result.rows);
        return args.result;
      },
    };
    const withPlugin = db.withPlugin(recording);
    const runPrepared = vi.spyOn(dialectOf(db), 'runPrepared');
    try {
      const direct = await minionsSince(withPlugin, { since: 0, prefix: 'p-%' });
      const inTransaction = await withPlugin.transaction().execute(async (trx) => minionsSince(trx, { since: 0, prefix: 'p-%' }));
      const onConnection = await withPlugin.connection().execute(async (conn) => minionsSince(conn, { since: 0, prefix: 'p-%' }));

      expect([direct, inTransaction, onConnection]).toEqual([[{ sn: 'p-1' }], [{ sn: 'p-1' }], [{ sn: 'p-1' }]]);
      // Every result reached the plugin (the outage tracker relies on it), whichever way it ran.
      expect(seen.filter((rows) => JSON.stringify(rows) === '[{"sn":"p-1"}]')).toHaveLength(3);
      const used = runPrepared.mock.results.map((r) => r.value !== undefined);
      // MySQL has no direct path; the others take it for the pool only.
      expect(used).toEqual(dialect === 'mysql' ? [false, false, false] : [true, false, false]);
    } finally {
      runPrepared.mockRestore();
    }
  });

  it('answers with the rows themselves on SQLite when every plugin only observes results, else with a promise', async () => {
    const db = t.current.db;
    await db.insertInto('minions').values({ sn: 'o-1', first_seen: 1, updated_at: 10 }).execute();
    const observed: unknown[] = [];
    const observing: KyselyPlugin & ResultObserver = {
      transformQuery: (args) => args.node,
      transformResult: async (args) => args.result,
      observeResult: (result) => void observed.push(result.rows),
    };

    const answer = minionsSince(db.withPlugin(observing), { since: 0, prefix: 'o-%' });

    expect(Array.isArray(answer)).toBe(dialect === 'sqlite');
    expect(await answer).toEqual([{ sn: 'o-1' }]);
    // Seen once, by whichever of the two hooks the path took.
    expect(observed).toEqual(dialect === 'mysql' ? [] : [[{ sn: 'o-1' }]]);
  });

  it("never shows a pool read another transaction's uncommitted rows", async () => {
    const db = t.current.db;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let inserted!: () => void;
    const insertedNow = new Promise<void>((resolve) => (inserted = resolve));
    let open = true;
    const writer = db.transaction().execute(async (trx) => {
      await trx.insertInto('minions').values({ sn: 'u-1', first_seen: 1, updated_at: 10 }).execute();
      inserted();
      await gate;
    });
    await insertedNow;
    let readWhileOpen: boolean | undefined;
    // On SQLite the read waits for the transaction (one connection); elsewhere it runs beside it.
    const read = Promise.resolve(minionsSince(db, { since: 0, prefix: 'u-%' })).then((rows) => {
      readWhileOpen = open;
      return rows;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    open = false;
    release();
    await writer;
    const rows = await read;

    expect(readWhileOpen ? rows : []).toEqual([]);
    expect(await minionsSince(db, { since: 0, prefix: 'u-%' })).toEqual([{ sn: 'u-1' }]);
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
