import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { describeEachDialect, useTestDatabase } from '../../../../test/helpers/db.js';
import { createDb } from '../../create-db.js';
import { insertChunks } from '../../../jobs/target-chunks.js';
import { LARGE_VALUES_CHARS, usesBinaryProtocol } from './connection.js';
import { mysqlDialect } from './index.js';

describeEachDialect(
  'MySQL sessions',
  () => {
    const t = useTestDatabase('mysql');

    it('run READ COMMITTED in UTC and strict mode, with our lock, statement and idle limits, whatever the server defaults', async () => {
      const db = createDb({ db: t.current.url, dbPoolSize: 2, dbLockTimeoutMs: 2_500, dbStatementTimeoutMs: 20_000 });
      try {
        const { rows } = await sql<Record<string, string | number>>`
          select @@session.tx_isolation as isolation, @@session.time_zone as tz, @@session.sql_mode as mode,
                 @@session.innodb_lock_wait_timeout as lock_s, @@session.wait_timeout as idle_s,
                 @@session.max_statement_time as statement_s`.execute(db);

        expect(rows.map((r) => ({ ...r, lock_s: Number(r.lock_s), idle_s: Number(r.idle_s), statement_s: Number(r.statement_s) }))).toEqual([
          {
            isolation: 'READ-COMMITTED',
            tz: '+00:00',
            mode: 'STRICT_ALL_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION',
            lock_s: 3,
            idle_s: 20,
            statement_s: 20,
          },
        ]);
      } finally {
        await db.destroy();
      }
    });

    it('create InnoDB tables in utf8mb4 with a binary collation, whatever the database default', async () => {
      const { rows } = await sql<{ engine: string; collation: string }>`
        select engine, table_collation as collation from information_schema.tables
        where table_schema = database() and table_name in ('masters', 'minions', 'master_minions', 'minion_ips', 'events')`.execute(t.current.db);

      expect(rows).toHaveLength(5);
      expect(new Set(rows.map((r) => `${r.engine} ${r.collation}`))).toEqual(new Set([expect.stringMatching(/^InnoDB utf8mb4_(0900_|nopad_)?bin$/)]));
    });

    it('are ended by the server when idle inside a transaction, so a frozen instance releases its row locks', async () => {
      await t.current.db.insertInto('minions').values({ sn: 'frozen-1', first_seen: 1, updated_at: 1 }).execute();
      const frozen = createDb({ db: t.current.url, dbPoolSize: 2, dbStatementTimeoutMs: 2_000 });
      const waiter = createDb({ db: t.current.url, dbPoolSize: 2, dbLockTimeoutMs: 10_000 });
      let thaw!: () => void;
      const thawed = new Promise<void>((resolve) => (thaw = resolve));
      try {
        // An instance locks a row, then stops (a hung process): it sends nothing more.
        let locked!: () => void;
        const isLocked = new Promise<void>((resolve) => (locked = resolve));
        const holder = frozen
          .transaction()
          .execute(async (trx) => {
            await trx.selectFrom('minions').select('sn').where('sn', '=', 'frozen-1').forUpdate().execute();
            locked();
            await thawed;
            await trx.selectFrom('minions').select('sn').execute();
          })
          .catch((err: unknown) => err);
        await isLocked;
        const started = Date.now();

        const got = await waiter.transaction().execute((trx) => trx.selectFrom('minions').select('sn').where('sn', '=', 'frozen-1').forUpdate().execute());

        expect(got).toEqual([{ sn: 'frozen-1' }]);
        expect(Date.now() - started).toBeLessThan(8_000);
        thaw();
        expect(await holder).toBeInstanceOf(Error);
      } finally {
        thaw();
        await Promise.all([frozen.destroy(), waiter.destroy()]);
      }
    }, 15_000);

    it('keep the migration lock while migrations run longer than the idle limit', async () => {
      const db = createDb({ db: t.current.url, dbPoolSize: 3, dbStatementTimeoutMs: 2_000 });
      const probe = createDb({ db: t.current.url, dbPoolSize: 2 });
      try {
        const heldAfterIdle = await mysqlDialect.withMigrationLock(db, async () => {
          // Longer than the lock connection's wait_timeout (2 s) would allow it to sit idle.
          await new Promise((resolve) => setTimeout(resolve, 3_000));
          const { rows } = await sql<{ free: number }>`select is_free_lock('act2_server_migrations') as free`.execute(probe);
          return Number(rows[0]?.free) === 0;
        });

        expect(heldAfterIdle).toBe(true);
      } finally {
        await Promise.all([db.destroy(), probe.destroy()]);
      }
    }, 15_000);

    it('recover on their own after the server kills a connection', async () => {
      const db = createDb({ db: t.current.url, dbPoolSize: 2 });
      try {
        const { rows } = await sql<{ id: number }>`select connection_id() as id`.execute(db);
        await sql`kill connection ${sql.lit(Number(rows[0]!.id))}`.execute(t.current.db);
        await new Promise((resolve) => setTimeout(resolve, 100));

        const again = await sql<{ one: number }>`select 1 as one`.execute(db);

        expect(again.rows).toEqual([{ one: 1 }]);
      } finally {
        await db.destroy();
      }
    });
  },
  ['mysql'],
);

const big = 'x'.repeat(LARGE_VALUES_CHARS);

describe('which statements go over the binary protocol', () => {
  it('writes (INSERT, UPDATE) with at least LARGE_VALUES_CHARS of string values, nothing else', () => {
    expect(usesBinaryProtocol('insert into t (a) values (?)', [big])).toBe(true);
    expect(usesBinaryProtocol('  UPDATE t set a = ? where b = ?', [big.slice(1), 'y'])).toBe(true);
    expect(usesBinaryProtocol('insert into t (a, b, c) values (?, ?, ?)', [big.slice(1), 1, null])).toBe(false);
    expect(usesBinaryProtocol('insert into t (a, b, c) values (?, ?, ?)', [big, 1, null])).toBe(true);
    expect(usesBinaryProtocol('insert into t (a, b) values (?, ?)', [big.slice(LARGE_VALUES_CHARS / 2), big.slice(LARGE_VALUES_CHARS / 2)])).toBe(true);
    // Reads keep the text protocol (its row types), whatever they bind.
    expect(usesBinaryProtocol('select * from t where a = ?', [big])).toBe(false);
    expect(usesBinaryProtocol('delete from t where a = ?', [big])).toBe(false);
    // A value the binary protocol converts differently keeps the text protocol for the statement.
    expect(usesBinaryProtocol('insert into t (a, b) values (?, ?)', [big, true])).toBe(false);
    expect(usesBinaryProtocol('insert into t (a, b) values (?, ?)', [big, 1n])).toBe(false);
    expect(usesBinaryProtocol('insert into t (a, b) values (?, ?)', [big, Buffer.from('a')])).toBe(false);
    // More placeholders than a prepared statement takes.
    expect(usesBinaryProtocol('insert into t (a) values ?', [big, ...Array.from({ length: 65_534 }, () => 'a')])).toBe(true);
    expect(usesBinaryProtocol('insert into t (a) values ?', [big, ...Array.from({ length: 65_535 }, () => 'a')])).toBe(false);
    // MariaDB's INSERT … RETURNING gives rows.
    expect(usesBinaryProtocol('insert into t (a) values (?) returning id', [big])).toBe(false);
    expect(usesBinaryProtocol('insert into t (a) values (?)', [])).toBe(false);
  });
});

describeEachDialect(
  'large writes on MySQL/MariaDB',
  () => {
    const t = useTestDatabase('mysql');

    it('store large text byte for byte through a prepared statement, and leave none prepared on the server', async () => {
      // One connection: the session's statement counters are this pool's.
      const db = t.current.open(1);
      try {
        const status = async () => {
          const { rows } = await sql<{ Variable_name: string; Value: string }>`show session status where Variable_name in ('Com_stmt_prepare', 'Com_stmt_close', 'Prepared_stmt_count')`.execute(db);
          return Object.fromEntries(rows.map((r) => [r.Variable_name, Number(r.Value)]));
        };
        const before = await status();
        await db
          .insertInto('jobs')
          .values({ id: 'job-1', status: 'running', fun: 'test.ping', arg: '[]', kwarg: '{}', call_enc: 'x', timeout_s: 60, requested_by: 'op', created_at: 1_000, deadline_at: 61_000, finished_at: null, lease_owner: null, lease_until: null })
          .execute();
        // Every character the text protocol would escape, and some it would not.
        const awkward = `quote ' double " backslash \\ nul \u0000 newline \n tab \t ctrl-z \u001a é 中 😀`;
        const targets = Array.from({ length: 4_000 }, (_, seq): [number, string, string | null, string, string] => [seq, `m-${seq} ${awkward}`, seq % 2 ? null : '10.0.0.1', `id-${seq}`, '["master-1"]']);
        const chunks = [
          { chunkId: 'c-1', targets: targets.slice(0, 2_000) },
          { chunkId: 'c-2', targets: targets.slice(2_000) },
        ];
        const text = (c: { targets: unknown[] }) => JSON.stringify(c.targets);
        expect(chunks.reduce((n, c) => n + text(c).length, 0)).toBeGreaterThan(LARGE_VALUES_CHARS);

        await insertChunks(db, 'job-1', chunks);
        const mid = await status();
        const updated = await db.updateTable('job_target_chunks').set({ patch: big }).where('job_id', '=', 'job-1').where('chunk_id', '=', 'c-2').executeTakeFirst();

        expect(Number(updated.numUpdatedRows)).toBe(1);
        const rows = await db.selectFrom('job_target_chunks').select(['chunk_id', 'n', 'seqs', 'targets', 'patch']).where('job_id', '=', 'job-1').orderBy('chunk_id').execute();
        expect(rows.map((r) => [r.chunk_id, Number(r.n), r.seqs, r.targets, r.patch])).toEqual([
          ['c-1', 2_000, '[[0,1999]]', text(chunks[0]!), null],
          ['c-2', 2_000, '[[2000,3999]]', text(chunks[1]!), big],
        ]);
        const after = await status();
        // The insert and the update were prepared (the binary protocol), each closed after it ran.
        expect(mid.Com_stmt_prepare! - before.Com_stmt_prepare!).toBe(1);
        expect(after.Com_stmt_prepare! - before.Com_stmt_prepare!).toBe(2);
        expect(after.Com_stmt_close! - before.Com_stmt_close!).toBe(2);
      } finally {
        await db.destroy();
      }
    });
  },
  ['mysql'],
);
