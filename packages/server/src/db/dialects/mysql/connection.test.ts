import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { describeEachDialect, useTestDatabase } from '../../../../test/helpers/db.js';
import { createDb } from '../../create-db.js';
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
