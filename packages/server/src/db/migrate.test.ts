import { expect, it } from 'vitest';
import { Migrator, sql, type Migration } from 'kysely';
import { untyped } from './dialects/untyped.js';
import { getJob } from '../jobs/repository.js';
import { createTestDatabase, describeEachDialect } from '../../test/helpers/db.js';
import { migrationsFor, runMigrations } from './migrate.js';
import { migrations } from './migrations/index.js';

/** The database without the application's types: job_attempts (before 0007) is not in them. */
type Loose = ReturnType<typeof untyped>;

/** The migrations up to 0007: its tests migrate down from it. */
const through0007 = Object.fromEntries(Object.entries(migrations).filter(([name]) => name <= '0007-job-dispatches'));

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
        ['0008-job-targets-fillfactor', 'Success'],
        ['0009-job-target-chunks', 'Success'],
        ['0010-job-target-chunk-patch', 'Success'],
      ]);
      const applied = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(database.db);
      expect(applied.rows.map((r) => r.name)).toEqual(['0001-initial', '0002-auth', '0003-jobs', '0004-operator', '0005-master-key-idc', '0006-minion-digest', '0007-job-dispatches', '0008-job-targets-fillfactor', '0009-job-target-chunks', '0010-job-target-chunk-patch']);
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

  it('0007 turns the attempt rows of earlier jobs into one row per dispatch, shown the same way, and down() brings them back', async () => {
    const database = await createTestDatabase(dialect, { migrate: false });
    try {
      // Tables of the schema before 0007 (job_attempts) are not in the application's types.
      const db = untyped(database.db);
      const migrator = new Migrator({ db, provider: { getMigrations: async () => through0007 } });
      expect((await migrator.migrateTo('0006-minion-digest')).error).toBeUndefined();
      await db
        .insertInto('jobs')
        .values({ id: 'j1', status: 'running', fun: 'test.ping', arg: '[]', kwarg: '{}', call_enc: 'x', timeout_s: 60, requested_by: 'op', created_at: 50, deadline_at: 60_050 })
        .execute();
      const target = (seq: number, jid: string | null, master: string | null) => ({
        job_id: 'j1', seq, sn: `m-${seq}`, salt_id: `m-${seq}`, candidates: '[]', outcome: 'pending', jid, master_sn: master, started_at: jid ? 210 : null,
      });
      await db.insertInto('job_targets').values([target(0, 'J1', 'master-b'), target(1, null, null), target(2, 'J2', 'master-c'), target(3, 'J2', 'master-c'), target(4, null, null)]).execute();
      const attempt = (seq: number, n: number, master: string, dispatch: string, at: number, ok: number | null, reason: string | null) => ({ job_id: 'j1', seq, n, master_sn: master, dispatch_id: dispatch, at, ok, reason });
      const before = [
        attempt(0, 1, 'master-a', 'd1', 100, 0, 'refused'),
        attempt(1, 1, 'master-a', 'd1', 100, 0, 'refused'),
        attempt(0, 2, 'master-b', 'd2', 200, 1, null),
        attempt(1, 2, 'master-b', 'd2', 200, 0, 'not listed'),
        attempt(2, 1, 'master-c', 'd3', 200, 1, null),
        attempt(3, 1, 'master-c', 'd3', 200, 1, null),
        attempt(4, 1, 'master-c', 'd4', 300, null, null),
      ];
      await db.insertInto('job_attempts').values(before).execute();

      // To the latest: the application reads the tables of every migration (0008 and 0009 convert nothing).
      await runMigrations(database.db);

      const dispatches = await db.selectFrom('job_dispatches').select(['dispatch_id', 'round', 'master_sn', 'seqs', 'at', 'ok', 'reason', 'failures', 'jid']).orderBy('dispatch_id').execute();
      expect(dispatches.map((d) => ({ ...d, round: Number(d.round), at: Number(d.at), ok: d.ok === null ? null : Number(d.ok) }))).toEqual([
        { dispatch_id: 'd1', round: 1, master_sn: 'master-a', seqs: '[[0,1]]', at: 100, ok: 0, reason: 'refused', failures: null, jid: null },
        { dispatch_id: 'd2', round: 2, master_sn: 'master-b', seqs: '[[0,1]]', at: 200, ok: 1, reason: null, failures: '[["not listed",[[1,1]]]]', jid: 'J1' },
        { dispatch_id: 'd3', round: 2, master_sn: 'master-c', seqs: '[[2,3]]', at: 200, ok: 1, reason: null, failures: null, jid: 'J2' },
        { dispatch_id: 'd4', round: 3, master_sn: 'master-c', seqs: '[[4,4]]', at: 300, ok: null, reason: null, failures: null, jid: null },
      ]);
      const job = await getJob(database.db, 'j1');
      expect(job?.targets.map((t) => t.attempts.map((a) => [a.master, a.ok, a.reason, Date.parse(a.at)]))).toEqual([
        [['master-a', false, 'refused', 100], ['master-b', true, null, 200]],
        [['master-a', false, 'refused', 100], ['master-b', false, 'not listed', 200]],
        [['master-c', true, null, 200]],
        [['master-c', true, null, 200]],
        [['master-c', null, null, 300]],
      ]);

      expect((await new Migrator({ db, provider: { getMigrations: async () => migrationsFor(db) } }).migrateTo('0006-minion-digest')).error).toBeUndefined();
      const restored = await db.selectFrom('job_attempts').selectAll().orderBy('dispatch_id').orderBy('seq').execute();
      expect(restored.map((a) => ({ ...a, seq: Number(a.seq), n: Number(a.n), at: Number(a.at), ok: a.ok === null ? null : Number(a.ok) }))).toEqual(
        [...before].sort((x, y) => x.dispatch_id.localeCompare(y.dispatch_id) || x.seq - y.seq),
      );
    } finally {
      await database.destroy();
    }
  });

  /** A database at 0006 (before job_dispatches), typed loosely: job_attempts is not in the application's types. */
  async function at0006(database: Awaited<ReturnType<typeof createTestDatabase>>): Promise<Loose> {
    const db = untyped(database.db);
    expect((await new Migrator({ db, provider: { getMigrations: async () => migrationsFor(db, through0007) } }).migrateTo('0006-minion-digest')).error).toBeUndefined();
    return db;
  }

  async function insertJob(db: Loose, id: string, targets: number, publishedAs: (seq: number) => [string, string] | null = () => null): Promise<void> {
    await db
      .insertInto('jobs')
      .values({ id, status: 'running', fun: 'test.ping', arg: '[]', kwarg: '{}', call_enc: 'x', timeout_s: 60, requested_by: 'op', created_at: 50, deadline_at: 60_050 })
      .execute();
    const rows = Array.from({ length: targets }, (_, seq) => {
      const published = publishedAs(seq);
      return { job_id: id, seq, sn: `m-${seq}`, salt_id: `m-${seq}`, candidates: '[]', outcome: 'pending', jid: published?.[0] ?? null, master_sn: published?.[1] ?? null, started_at: published ? 100 : null };
    });
    for (let i = 0; i < rows.length; i += 500) await db.insertInto('job_targets').values(rows.slice(i, i + 500)).execute();
  }

  const attempt = (job: string, seq: number, n: number, master: string, dispatch: string, at: number, ok: number | null, reason: string | null) => ({
    job_id: job, seq, n, master_sn: master, dispatch_id: dispatch, at, ok, reason,
  });

  const numbers = <T extends Record<string, unknown>>(row: T) =>
    Object.fromEntries(Object.entries(row).map(([k, v]) => [k, ['seq', 'n', 'at', 'round', 'ok', 'started_at'].includes(k) && v !== null ? Number(v) : v]));

  /** 0007 with its `nth` INSERT into `table` failing (a crash, a dropped connection part-way through the conversion). */
  function failingAt(table: string, nth: number): Record<string, Migration> {
    const failing = (db: Loose): Loose => {
      let calls = 0;
      return new Proxy(db, {
        get(target, property) {
          if (property === 'insertInto') {
            return (into: string) => {
              if (into === table && ++calls === nth) throw new Error(`simulated crash at INSERT ${nth} into ${table}`);
              return target.insertInto(into);
            };
          }
          const value: unknown = Reflect.get(target, property);
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        },
      });
    };
    const m0007 = migrations['0007-job-dispatches']!;
    return { ...through0007, '0007-job-dispatches': { up: (db) => m0007.up(failing(db)), down: (db) => m0007.down!(failing(db)) } };
  }
  it('0007 up() and down() can be run again after failing part-way through the conversion', async () => {
    const database = await createTestDatabase(dialect, { migrate: false });
    try {
      const db = await at0006(database);
      const before: Array<ReturnType<typeof attempt>> = [];
      for (const job of ['j1', 'j2', 'j3']) {
        await insertJob(db, job, 2, (seq) => (seq === 1 ? [`${job}-J`, 'master-b'] : null));
        before.push(attempt(job, 0, 1, 'master-a', `${job}-d1`, 100, 0, 'refused'), attempt(job, 1, 1, 'master-a', `${job}-d1`, 100, 0, 'refused'));
        before.push(attempt(job, 1, 2, 'master-b', `${job}-d2`, 200, 1, null), attempt(job, 0, 2, 'master-c', `${job}-d3`, 200, null, null));
      }
      await db.insertInto('job_attempts').values(before).execute();

      await expect(runMigrations(database.db, failingAt('job_dispatches', 2))).rejects.toThrow(/simulated crash/);
      const tables = (await db.introspection.getTables()).map((t) => t.name);
      // SQLite runs each migration in a transaction: nothing of 0007 is left. MariaDB keeps what it wrote (DDL commits there).
      if (dialect !== 'mysql') expect(tables).not.toContain('job_dispatches');
      else expect(await db.selectFrom('job_dispatches').select('job_id').distinct().execute()).toEqual([{ job_id: 'j1' }]);
      expect(tables).toContain('job_attempts');

      expect((await runMigrations(database.db, through0007)).map((r) => [r.migrationName, r.status])).toEqual([['0007-job-dispatches', 'Success']]);
      const dispatches = await db.selectFrom('job_dispatches').select(['job_id', 'dispatch_id', 'round', 'ok', 'jid']).orderBy('job_id').orderBy('dispatch_id').execute();
      expect(dispatches.map(numbers)).toEqual(
        ['j1', 'j2', 'j3'].flatMap((job) => [
          { job_id: job, dispatch_id: `${job}-d1`, round: 1, ok: 0, jid: null },
          { job_id: job, dispatch_id: `${job}-d2`, round: 2, ok: 1, jid: `${job}-J` },
          { job_id: job, dispatch_id: `${job}-d3`, round: 2, ok: null, jid: null },
        ]),
      );

      const down = async (list: Record<string, Migration>) => (await new Migrator({ db, provider: { getMigrations: async () => migrationsFor(db, list) } }).migrateDown()).error;
      expect(await down(failingAt('job_attempts', 2))).toBeInstanceOf(Error);
      expect(await down(through0007)).toBeUndefined();
      const restored = await db.selectFrom('job_attempts').selectAll().orderBy('job_id').orderBy('seq').orderBy('n').execute();
      const order = (x: (typeof before)[number], y: (typeof before)[number]) => x.job_id.localeCompare(y.job_id) || x.seq - y.seq || x.n - y.n;
      expect(restored.map(numbers)).toEqual([...before].sort(order));
    } finally {
      await database.destroy();
    }
  });

  it('0007 keeps each target its own reason when salt answered a dispatch without listing its targets (ok 0, several reasons)', async () => {
    const database = await createTestDatabase(dialect, { migrate: false });
    try {
      const db = await at0006(database);
      await insertJob(db, 'j1', 2);
      const before = [
        attempt('j1', 0, 1, 'master-a', 'd1', 100, 0, 'salt on master-a did not list m-0'),
        attempt('j1', 1, 1, 'master-a', 'd1', 100, 0, 'salt on master-a did not list m-1'),
      ];
      await db.insertInto('job_attempts').values(before).execute();

      await runMigrations(database.db);

      const dispatches = await db.selectFrom('job_dispatches').select(['ok', 'reason', 'failures', 'jid']).execute();
      expect(dispatches.map(numbers)).toEqual([
        { ok: 0, reason: null, failures: '[["salt on master-a did not list m-0",[[0,0]]],["salt on master-a did not list m-1",[[1,1]]]]', jid: null },
      ]);
      const job = await getJob(database.db, 'j1');
      expect(job?.targets.map((t) => t.attempts.map((a) => [a.ok, a.reason]))).toEqual([[[false, 'salt on master-a did not list m-0']], [[false, 'salt on master-a did not list m-1']]]);

      expect((await new Migrator({ db, provider: { getMigrations: async () => migrationsFor(db) } }).migrateTo('0006-minion-digest')).error).toBeUndefined();
      expect((await db.selectFrom('job_attempts').selectAll().orderBy('seq').execute()).map(numbers)).toEqual(before);
    } finally {
      await database.destroy();
    }
  });

  it('0007 finds a dispatch\'s jid on any target it published there, and keeps apart two rounds made in the same millisecond', async () => {
    const database = await createTestDatabase(dialect, { migrate: false });
    try {
      const db = await at0006(database);
      // seq 0, the first target aa-round-2 published, has no jid in its row; seq 1 has it.
      await insertJob(db, 'j1', 2, (seq) => (seq === 1 ? ['J2', 'master-b'] : null));
      await db.insertInto('job_attempts').values([
        // Round 2 failed over in the same millisecond as round 1; its dispatch id sorts first.
        attempt('j1', 0, 1, 'master-a', 'zz-round-1', 100, 0, 'refused'),
        attempt('j1', 1, 1, 'master-a', 'zz-round-1', 100, 0, 'refused'),
        attempt('j1', 0, 2, 'master-b', 'aa-round-2', 100, 1, null),
        attempt('j1', 1, 2, 'master-b', 'aa-round-2', 100, 1, null),
      ]).execute();

      await runMigrations(database.db);

      const dispatches = await db.selectFrom('job_dispatches').select(['dispatch_id', 'round', 'jid']).orderBy('round').execute();
      expect(dispatches.map(numbers)).toEqual([
        { dispatch_id: 'zz-round-1', round: 1, jid: null },
        { dispatch_id: 'aa-round-2', round: 2, jid: 'J2' },
      ]);
      const job = await getJob(database.db, 'j1');
      expect(job?.targets.map((t) => [t.jid, t.master, t.attempts.map((a) => [a.master, a.ok])])).toEqual([
        ['J2', 'master-b', [['master-a', false], ['master-b', true]]],
        ['J2', 'master-b', [['master-a', false], ['master-b', true]]],
      ]);
    } finally {
      await database.destroy();
    }
  });

  it('0007 converts many jobs and a 20,000-target job in bounded time (no quadratic step)', async () => {
    const database = await createTestDatabase(dialect, { migrate: false });
    try {
      const db = await at0006(database);
      // More jobs than one page of job ids (100), and one large job whose targets all failed on one master.
      const small = Array.from({ length: 130 }, (_, i) => `j${String(i).padStart(3, '0')}`);
      for (const job of small) await insertJob(db, job, 1);
      const rows = small.map((job) => attempt(job, 0, 1, 'master-a', `${job}-d1`, 100, 0, 'refused'));
      await insertJob(db, 'big', 20_000);
      for (let seq = 0; seq < 20_000; seq += 1) rows.push(attempt('big', seq, 1, 'master-a', 'big-d1', 100, 0, seq % 2 === 0 ? 'refused' : 'not listed'));
      for (let i = 0; i < rows.length; i += 500) await db.insertInto('job_attempts').values(rows.slice(i, i + 500)).execute();

      const started = Date.now();
      await runMigrations(database.db, through0007);
      const ms = Date.now() - started;

      expect(Number((await db.selectFrom('job_dispatches').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n)).toBe(131);
      const big = await db.selectFrom('job_dispatches').select(['ok', 'reason', 'failures']).where('job_id', '=', 'big').executeTakeFirstOrThrow();
      expect(Number(big.ok)).toBe(0);
      expect(JSON.parse(big.failures as string).map(([reason, ranges]: [string, unknown[]]) => [reason, ranges.length])).toEqual([['refused', 10_000], ['not listed', 10_000]]);
      // 19 s at 60,000 targets before (an array copied per attempt); a few hundred ms now.
      expect(ms).toBeLessThan(15_000);
    } finally {
      await database.destroy();
    }
  }, 60_000);

  it('0007 down() gives a published target that has not returned its jid, master and start back (the code before 0007 would dispatch it again)', async () => {
    const database = await createTestDatabase(dialect);
    try {
      const db = untyped(database.db);
      // As the application leaves them since 0007: a published target's jid, master and start are in its dispatch row until it returns.
      await insertJob(db, 'j1', 5, (seq) => (seq === 4 ? ['J4', 'master-b'] : null));
      await db.updateTable('job_targets').set({ outcome: 'returned', started_at: 300, finished_at: 400 }).where('seq', '=', 4).execute();
      const dispatch = (id: string, round: number, master: string, seqs: string, at: number, ok: number | null, jid: string | null, failures: string | null) => ({
        job_id: 'j1', dispatch_id: id, round, master_sn: master, seqs, at, ok, reason: ok === 0 ? 'refused' : null, failures, jid,
      });
      await db
        .insertInto('job_dispatches')
        .values([
          // seq 0 failed on master-a, then published on master-b; seq 1 published on master-a; seq 2 not listed by master-a.
          dispatch('d1', 1, 'master-a', '[[1,2]]', 100, 1, 'J1', '[["not listed",[[2,2]]]]'),
          dispatch('d2', 1, 'master-c', '[[0,0]]', 100, 0, null, null),
          dispatch('d3', 2, 'master-b', '[[0,0],[4,4]]', 300, 1, 'J4', null),
          // seq 3: in flight (not settled yet).
          dispatch('d4', 2, 'master-c', '[[3,3]]', 300, null, null, null),
        ])
        .execute();

      // The database was migrated to the latest: down through 0008, then 0007.
      expect((await new Migrator({ db, provider: { getMigrations: async () => migrationsFor(db) } }).migrateTo('0006-minion-digest')).error).toBeUndefined();

      const targets = await db.selectFrom('job_targets').select(['seq', 'outcome', 'jid', 'master_sn', 'started_at']).orderBy('seq').execute();
      expect(targets.map(numbers)).toEqual([
        { seq: 0, outcome: 'pending', jid: 'J4', master_sn: 'master-b', started_at: 300 },
        { seq: 1, outcome: 'pending', jid: 'J1', master_sn: 'master-a', started_at: 100 },
        { seq: 2, outcome: 'pending', jid: null, master_sn: null, started_at: null },
        { seq: 3, outcome: 'pending', jid: null, master_sn: null, started_at: null },
        { seq: 4, outcome: 'returned', jid: 'J4', master_sn: 'master-b', started_at: 300 },
      ]);
      const attempts = await db.selectFrom('job_attempts').select(['seq', 'n', 'master_sn', 'ok', 'reason']).orderBy('seq').orderBy('n').execute();
      expect(attempts.map(numbers)).toEqual([
        { seq: 0, n: 1, master_sn: 'master-c', ok: 0, reason: 'refused' },
        { seq: 0, n: 2, master_sn: 'master-b', ok: 1, reason: null },
        { seq: 1, n: 1, master_sn: 'master-a', ok: 1, reason: null },
        { seq: 2, n: 1, master_sn: 'master-a', ok: 0, reason: 'not listed' },
        { seq: 3, n: 1, master_sn: 'master-c', ok: null, reason: null },
        { seq: 4, n: 1, master_sn: 'master-b', ok: 1, reason: null },
      ]);
    } finally {
      await database.destroy();
    }
  });

  it('0008 leaves room in job_targets pages on PostgreSQL (outcome updates stay on their page), down() restores the default; run twice is harmless', async () => {
    const database = await createTestDatabase(dialect, { migrate: false });
    try {
      await runMigrations(database.db, through0007);
      const options = async () => {
        if (dialect !== 'postgres') return null;
        const { rows } = await sql<{ reloptions: string[] | null }>`select reloptions from pg_class where relname = 'job_targets'`.execute(database.db);
        return rows[0]?.reloptions ?? null;
      };
      const m0008 = migrations['0008-job-targets-fillfactor']!;

      const old = await options();
      await runMigrations(database.db);
      await m0008.up(database.db);
      const migrated = await options();
      await m0008.down!(database.db);
      await m0008.down!(database.db);
      const reverted = await options();

      expect(old).toBeNull();
      expect(migrated).toEqual(dialect === 'postgres' ? ['fillfactor=45'] : null);
      expect(reverted).toBeNull();
    } finally {
      await database.destroy();
    }
  });

  it('0009 down() turns the chunks left into their pending job_targets rows (the code before 0009 reads only rows); up() and down() run twice are harmless', async () => {
    const database = await createTestDatabase(dialect);
    try {
      const db = database.db;
      await db
        .insertInto('jobs')
        .values({ id: 'j9', status: 'running', fun: 'test.ping', arg: '[]', kwarg: '{}', call_enc: 'x', timeout_s: 60, requested_by: 'op', created_at: 50, deadline_at: 60_050, finished_at: null, lease_owner: null, lease_until: null })
        .execute();
      await db.insertInto('job_targets').values({ job_id: 'j9', seq: 0, sn: 'm-0', ip: null, salt_id: 'm-0', candidates: '[]', outcome: 'no_master', reason: 'none running', finished_at: 50 }).execute();
      await db
        .insertInto('job_target_chunks')
        .values([
          { job_id: 'j9', chunk_id: 'd1', seqs: '[[1,2]]', n: 2, targets: JSON.stringify([[1, 'm-1', '10.0.0.1', 'm-1', '["a"]'], [2, `o'b "2"`, null, 'id-2', '["a","b"]']]) },
          { job_id: 'j9', chunk_id: 'd2', seqs: '[[3,3]]', n: 1, targets: JSON.stringify([[3, 'm-3', '10.0.0.3', 'm-3', '["b"]']]) },
        ])
        .execute();
      const before = await getJob(db, 'j9');
      const m0009 = migrations['0009-job-target-chunks']!;

      expect((await new Migrator({ db, provider: { getMigrations: async () => migrationsFor(db) } }).migrateTo('0008-job-targets-fillfactor')).error).toBeUndefined();
      await m0009.down!(db);
      const targets = await db.selectFrom('job_targets').select(['seq', 'sn', 'ip', 'salt_id', 'candidates', 'outcome']).where('job_id', '=', 'j9').orderBy('seq').execute();
      const tables = (await db.introspection.getTables()).map((x) => x.name);
      await runMigrations(db);
      await m0009.up(db);
      const after = await getJob(db, 'j9');

      expect(targets.map((x) => ({ ...x, seq: Number(x.seq) }))).toEqual([
        { seq: 0, sn: 'm-0', ip: null, salt_id: 'm-0', candidates: '[]', outcome: 'no_master' },
        { seq: 1, sn: 'm-1', ip: '10.0.0.1', salt_id: 'm-1', candidates: '["a"]', outcome: 'pending' },
        { seq: 2, sn: `o'b "2"`, ip: null, salt_id: 'id-2', candidates: '["a","b"]', outcome: 'pending' },
        { seq: 3, sn: 'm-3', ip: '10.0.0.3', salt_id: 'm-3', candidates: '["b"]', outcome: 'pending' },
      ]);
      expect(tables).not.toContain('job_target_chunks');
      expect(after).toEqual(before);
    } finally {
      await database.destroy();
    }
  });
  it('0010 down() turns the patched chunks into their job_targets rows, the patch in each, and keeps the pending ones as chunks; up() and down() run twice are harmless', async () => {
    const database = await createTestDatabase(dialect);
    try {
      const db = database.db;
      await db
        .insertInto('jobs')
        .values({ id: 'j10', status: 'running', fun: 'test.ping', arg: '[]', kwarg: '{}', call_enc: 'x', timeout_s: 60, requested_by: 'op', created_at: 50, deadline_at: 60_050, finished_at: null, lease_owner: null, lease_until: null })
        .execute();
      const returned = { outcome: 'returned', master_sn: 'a', jid: '20261130000000000001', retcode: 0, success: 1, return_json: 'true', truncated: 0, reason: null, started_at: 60, finished_at: 70 };
      await db
        .insertInto('job_target_chunks')
        .values([
          { job_id: 'j10', chunk_id: 'd1', seqs: '[[1,2]]', n: 2, targets: JSON.stringify([[1, 'm-1', '10.0.0.1', 'm-1', '["a"]'], [2, `o'b "2"`, null, 'id-2', '["a","b"]']]), outcome: 'returned', patch: JSON.stringify(returned) },
          { job_id: 'j10', chunk_id: 'd2', seqs: '[[3,3]]', n: 1, targets: JSON.stringify([[3, 'm-3', '10.0.0.3', 'm-3', '["b"]']]), outcome: 'pending', patch: null },
        ])
        .execute();
      const before = await getJob(db, 'j10');
      const m0010 = migrations['0010-job-target-chunk-patch']!;

      expect((await new Migrator({ db, provider: { getMigrations: async () => migrationsFor(db) } }).migrateTo('0009-job-target-chunks')).error).toBeUndefined();
      await m0010.down!(db);
      const targets = await db.selectFrom('job_targets').select(['seq', 'sn', 'outcome', 'master_sn', 'retcode', 'return_json', 'finished_at']).where('job_id', '=', 'j10').orderBy('seq').execute();
      const chunks = await untyped(db).selectFrom('job_target_chunks').selectAll().where('job_id', '=', 'j10').execute();
      await runMigrations(db);
      await m0010.up(db);
      const after = await getJob(db, 'j10');

      expect(targets.map((x) => ({ ...x, seq: Number(x.seq), retcode: Number(x.retcode), finished_at: Number(x.finished_at) }))).toEqual([
        { seq: 1, sn: 'm-1', outcome: 'returned', master_sn: 'a', retcode: 0, return_json: 'true', finished_at: 70 },
        { seq: 2, sn: `o'b "2"`, outcome: 'returned', master_sn: 'a', retcode: 0, return_json: 'true', finished_at: 70 },
      ]);
      // The pending chunk stays a chunk, as the code of 0009 reads it; the columns are gone.
      expect(chunks.map((c) => Object.keys(c as object).sort())).toEqual([['chunk_id', 'job_id', 'n', 'seqs', 'targets']]);
      expect(after).toEqual(before);
      expect(after?.counts).toEqual({ pending: 1, returned: 2 });
    } finally {
      await database.destroy();
    }
  });
});
