import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { describeEachDialect, useTestDatabase } from '../../../test/helpers/db.js';
import { createDb } from '../create-db.js';
import { classifyDbError, DIALECTS, dialectOf } from './index.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const FILE_SET = ['connection.ts', 'errors.ts', 'index.ts'];

describe('the dialect registry', () => {
  it('registers every dialect folder, and every folder has the same file set', () => {
    const folders = readdirSync(HERE).filter((name) => statSync(join(HERE, name)).isDirectory());

    expect(folders.sort()).toEqual(Object.keys(DIALECTS).sort());
    for (const folder of folders) {
      const files = readdirSync(join(HERE, folder)).filter((file) => !file.endsWith('.test.ts'));
      expect([folder, files.sort()]).toEqual([folder, FILE_SET]);
    }
  });
});

describeEachDialect('the dialect interface', (dialect) => {
  const t = useTestDatabase(dialect);
  const d = () => dialectOf(t.current.db);

  it('is the dialect the --db value named', () => {
    expect(d().name).toBe(dialect);
  });

  it('keeps sns that differ in case or trailing space apart, and orders them by bytes', async () => {
    const db = t.current.db;
    const sns = ['Web-01', 'web-01', 'web-01 ', 'é-01', 'Z-01'];
    await db.insertInto('minions').values(sns.map((sn) => ({ sn, first_seen: 1, updated_at: 1 }))).execute();

    const exact = await db.selectFrom('minions').select('sn').where('sn', '=', 'web-01').execute();
    const ordered = await db.selectFrom('minions').select('sn').where('sn', 'in', sns).orderBy(d().byteOrder('sn')).execute();
    const plain = await db.selectFrom('minions').select('sn').where('sn', 'in', sns).orderBy('sn').execute();

    expect(exact).toEqual([{ sn: 'web-01' }]);
    expect(ordered.map((r) => r.sn)).toEqual([...sns].sort());
    // The column's own collation sorts the same way (cursor pagination relies on it): PostgreSQL aside,
    // whose database collation is the server's choice.
    if (dialect !== 'postgres') expect(plain.map((r) => r.sn)).toEqual([...sns].sort());
  });

  it('matches a column against a list bound as one value: byte-exact, quotes intact, empty list matches nothing', async () => {
    const db = t.current.db;
    const sns = ['1-Web', '1-web', '1-web ', '1-é', `1-o'brien "x"`, ...Array.from({ length: 3000 }, (_, i) => `1-n-${i}`)];
    await d().insertMany(db, 'minions', sns.map((sn) => ({ sn, first_seen: 1, updated_at: 1 })));

    const some = await db.selectFrom('minions').select('sn').where(d().oneOf('sn', ['1-web', `1-o'brien "x"`, '1-é', '1-nobody'])).orderBy(d().byteOrder('sn')).execute();
    const many = await db.selectFrom('minions').select((eb) => eb.fn.countAll<number>().as('n')).where(d().oneOf('sn', sns.slice(5))).executeTakeFirstOrThrow();
    const none = await db.selectFrom('minions').select('sn').where(d().oneOf('sn', [])).execute();

    expect(some.map((r) => r.sn)).toEqual([`1-o'brien "x"`, '1-web', '1-é']);
    expect(Number(many.n)).toBe(3000);
    expect(none).toEqual([]);
  });

  it('joins a group’s rows into one text, a line per row, its values tab-separated', async () => {
    const db = t.current.db;
    const sns = Array.from({ length: 2500 }, (_, i) => `2-${String(i).padStart(4, '0')}-${i % 3 === 0 ? 'é' : 'x'}`);
    await d().insertMany(db, 'minions', sns.map((sn, i) => ({ sn, first_seen: i % 2, updated_at: i })));
    const lines = d().joinedRows([sql.ref('sn'), sql<string>`cast(updated_at as char(20))`]);
    if (dialect === 'mysql') {
      expect(lines).toBeUndefined();
      return;
    }
    const rows = await db.selectFrom('minions').select(['first_seen', lines!.as('lines')]).where(d().oneOf('sn', sns)).groupBy('first_seen').execute();
    const seen = new Map<string, number>();
    for (const row of rows) {
      for (const line of row.lines.split('\n')) {
        const [sn, at, ...rest] = line.split('\t');
        expect(rest).toEqual([]);
        seen.set(sn!, Number(at));
      }
    }
    expect(seen.size).toBe(sns.length);
    for (const [i, one] of sns.entries()) expect(seen.get(one)).toBe(i);
  });

  it('stores epoch milliseconds exactly and reads the database clock, not a frozen transaction start', async () => {
    const db = t.current.db;
    const ms = Date.UTC(2026, 10, 30, 12, 34, 56, 789);
    await db.insertInto('minions').values({ sn: 'clock-1', first_seen: ms, updated_at: ms + 1 }).execute();
    const row = await db.selectFrom('minions').select(['first_seen', 'updated_at']).where('sn', '=', 'clock-1').executeTakeFirstOrThrow();

    const [first, second] = await db.transaction().execute(async (trx) => {
      const a = await d().now(trx);
      await new Promise((resolve) => setTimeout(resolve, 30));
      return [a, await d().now(trx)];
    });

    expect([Number(row.first_seen), Number(row.updated_at)]).toEqual([ms, ms + 1]);
    expect(Math.abs(first! - Date.now())).toBeLessThan(5_000);
    expect(second! - first!).toBeGreaterThanOrEqual(20);
  });

  it('upserts: inserts new rows and overwrites only the named columns of existing ones', async () => {
    const db = t.current.db;
    await d().upsert(db, 'minions', [{ sn: 'up-1', first_seen: 1, updated_at: 1 }], ['sn'], ['updated_at']);

    await d().upsert(db, 'minions', [{ sn: 'up-1', first_seen: 2, updated_at: 2 }, { sn: 'up-2', first_seen: 3, updated_at: 3 }], ['sn'], ['updated_at']);

    const rows = await db.selectFrom('minions').select(['sn', 'first_seen', 'updated_at']).where('sn', 'like', 'up-%').orderBy('sn').execute();
    expect(rows.map((r) => [r.sn, Number(r.first_seen), Number(r.updated_at)])).toEqual([
      ['up-1', 1, 2],
      ['up-2', 3, 3],
    ]);
  });

  it('inserts if absent, telling whether it did, without spoiling the transaction', async () => {
    const row = { sn: 'ia-1', first_seen: 1, updated_at: 1 };

    const [first, second, after] = await t.current.db.transaction().execute(async (trx) => [
      await d().insertIfAbsent(trx, 'minions', row, ['sn']),
      await d().insertIfAbsent(trx, 'minions', { ...row, first_seen: 2 }, ['sn']),
      await trx.selectFrom('minions').select('first_seen').where('sn', '=', 'ia-1').executeTakeFirst(),
    ]);

    expect([first, second, Number(after?.first_seen)]).toEqual([true, false, 1]);
  });

  it('inserts many rows in few statements, types, text that looks like JSON and byte-distinct keys intact', async () => {
    const db = t.current.db;
    // More rows than one multi-row VALUES statement may bind (30,000 parameters / 3 columns).
    const rows = Array.from({ length: 12_345 }, (_, i) => ({ sn: i === 0 ? 'many-\u00e9 ' : `many-${String(i).padStart(5, '0')}`, first_seen: 1_764_504_000_000 + i, updated_at: i % 2 }));
    rows.push({ sn: 'many-["json"]', first_seen: 2 ** 53 - 1, updated_at: 0 });

    await db.transaction().execute((trx) => d().insertMany(trx, 'minions', rows));
    await d().insertMany(db, 'minions', []);

    const read = await db.selectFrom('minions').select(['sn', 'first_seen', 'updated_at']).where('sn', 'like', 'many-%').execute();
    expect(read).toHaveLength(rows.length);
    const bySn = new Map(read.map((r) => [r.sn, r]));
    for (const row of [rows[0]!, rows[1]!, rows[12_344]!, rows.at(-1)!]) {
      const got = bySn.get(row.sn);
      expect([got?.sn, Number(got?.first_seen), Number(got?.updated_at)]).toEqual([row.sn, row.first_seen, row.updated_at]);
    }
  });

  it('returns generated ids', async () => {
    const event = { kind: 'master.registered' as const, master_sn: 'id-m', minion_sn: null, instance_id: 'x', at: 1, detail: null };

    const a = await d().insertReturningId(t.current.db, 'events', event);
    const b = await d().insertReturningId(t.current.db, 'events', event);

    const ids = await t.current.db.selectFrom('events').select('id').where('master_sn', '=', 'id-m').orderBy('id').execute();
    expect(ids.map((r) => Number(r.id))).toEqual([a, b]);
    expect(b).toBeGreaterThan(a);
  });

  it('updates conditionally and returns exactly the rows it changed, read after the change', async () => {
    const db = t.current.db;
    await db.insertInto('minions').values([1, 2, 3].map((i) => ({ sn: `ur-${i}`, first_seen: i, updated_at: i }))).execute();

    const run = () =>
      db.transaction().execute((trx) =>
        d().updateReturning(trx, {
          table: 'minions',
          set: { updated_at: 100 },
          where: (eb) => eb.and([eb('sn', 'like', 'ur-%'), eb('first_seen', '<', 3), eb('updated_at', '<>', 100)]),
          key: 'sn',
          returning: ['sn', 'updated_at', 'first_seen'],
        }),
      );
    const first = await run();
    const second = await run();

    expect(first.map((r) => [r.sn, Number(r.updated_at), Number(r.first_seen)]).sort()).toEqual([
      ['ur-1', 100, 1],
      ['ur-2', 100, 2],
    ]);
    expect(second).toEqual([]);
  });

  it('reports the rows a conditional update matched, the same way on every dialect', async () => {
    const db = t.current.db;
    await db.insertInto('minions').values({ sn: 'cu-1', first_seen: 1, updated_at: 5 }).execute();
    const update = (from: number, to: number) =>
      db.updateTable('minions').set({ updated_at: to }).where('sn', '=', 'cu-1').where('updated_at', '=', from).executeTakeFirst();

    const won = await update(5, 6);
    const lost = await update(5, 7);
    const unchanged = await update(6, 6);

    expect([won.numUpdatedRows, lost.numUpdatedRows, unchanged.numUpdatedRows]).toEqual([1n, 0n, 1n]);
  });

  it('classifies a unique violation', async () => {
    const db = t.current.db;
    await db.insertInto('minions').values({ sn: 'dup-1', first_seen: 1, updated_at: 1 }).execute();

    const err = await db.insertInto('minions').values({ sn: 'dup-1', first_seen: 1, updated_at: 1 }).execute().catch((e: unknown) => e);

    expect(classifyDbError(err)).toBe('unique');
  });

  if (dialect === 'sqlite') return;

  it('runs migration work of instances starting together one after the other', async () => {
    const pools = [t.current.db, t.current.open(2), t.current.open(2)];
    const spans: Array<[number, number]> = [];

    await Promise.all(
      pools.map((db) =>
        d().withMigrationLock(db, async () => {
          const start = performance.now();
          await new Promise((resolve) => setTimeout(resolve, 100));
          spans.push([start, performance.now()]);
        }),
      ),
    );

    spans.sort((a, b) => a[0] - b[0]);
    expect(spans.slice(1).filter(([start], i) => start < spans[i]![1])).toEqual([]);
  });

  it('classifies a deadlock as retry', async () => {
    const db = t.current.db;
    const other = t.current.open(2);
    await db.insertInto('minions').values(['dl-a', 'dl-b'].map((sn) => ({ sn, first_seen: 1, updated_at: 1 }))).execute();
    let bothLocked!: () => void;
    let count = 0;
    const barrier = new Promise<void>((resolve) => (bothLocked = resolve));
    const lockBoth = (kysely: typeof db, first: string, second: string) =>
      kysely.transaction().execute(async (trx) => {
        await trx.updateTable('minions').set({ updated_at: 2 }).where('sn', '=', first).execute();
        if (++count === 2) bothLocked();
        await barrier;
        await trx.updateTable('minions').set({ updated_at: 3 }).where('sn', '=', second).execute();
      });

    const results = await Promise.allSettled([lockBoth(db, 'dl-a', 'dl-b'), lockBoth(other, 'dl-b', 'dl-a')]);

    const failures = results.flatMap((r) => (r.status === 'rejected' ? [classifyDbError(r.reason)] : []));
    expect(failures).toEqual(['retry']);
  });

  it('classifies a database that does not answer as unavailable', async () => {
    const url = new URL(t.current.url);
    url.port = '1';
    const db = createDb({ db: url.toString(), dbPoolSize: 2 });
    try {
      const err = await sql`select 1`.execute(db).catch((e: unknown) => e);

      expect(classifyDbError(err)).toBe('unavailable');
    } finally {
      await db.destroy();
    }
  });
});
