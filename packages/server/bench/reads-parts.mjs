// Parts of reads.mjs (also used by reads-profile.mjs): the database of N minions, generated inside
// the database, and the two baselines.
import SqliteDatabase from 'better-sqlite3';
import Fastify from 'fastify';
import pg from 'pg';
import { createDb, DEFAULT_SQLITE_MMAP_BYTES, runMigrations } from '../dist/index.js';

const PER_MASTER = 1_000;

/**
 * N minions m-0000000…, PER_MASTER per master, each running with two IPs (10.a.b.c, 172.16.b.c),
 * generated inside the database, then the planner's statistics (it must not depend on autovacuum).
 */
function importSql(dialect, now, minions) {
  const text = (e) => (dialect === 'postgres' ? `(${e})::text` : `(${e})`);
  const sn = dialect === 'postgres' ? `'m-' || lpad(i::text, 7, '0')` : `'m-' || substr('0000000' || i, -7, 7)`;
  const master = `'master-' || ${text(`i / ${PER_MASTER}`)}`;
  const ip10 = `'10.' || ${text('(i >> 16) & 255')} || '.' || ${text('(i >> 8) & 255')} || '.' || ${text('i & 255')}`;
  const ip172 = `'172.16.' || ${text('(i >> 8) & 255')} || '.' || ${text('i & 255')}`;
  const series = (n) =>
    dialect === 'postgres'
      ? `from generate_series(0, ${n - 1}) as s(i)`
      : `from (with recursive s(i) as (select 0 union all select i + 1 from s where i < ${n - 1}) select i from s)`;
  const masters = Math.ceil(minions / PER_MASTER);
  return [
    `insert into masters (sn, server, status, idc, type, minion_count, first_seen, last_seen, status_changed_at)
       select 'master-' || ${text('i')}, 'http://127.0.0.1:8001', 'running', 'bench', 'salt', ${PER_MASTER}, ${now}, ${now}, ${now} ${series(masters)}`,
    `insert into minions (sn, first_seen, updated_at) select ${sn}, ${now}, ${now} ${series(minions)}`,
    `insert into master_minions (master_sn, minion_sn, status, ips, joined_at, updated_at)
       select ${master}, ${sn}, 'running', '["' || ${ip10} || '","' || ${ip172} || '"]', ${now}, ${now} ${series(minions)}`,
    `insert into minion_ips (master_sn, minion_sn, ip) select ${master}, ${sn}, ${ip10} ${series(minions)}`,
    `insert into minion_ips (master_sn, minion_sn, ip) select ${master}, ${sn}, ${ip172} ${series(minions)}`,
    // What the planner then has: PostgreSQL, a full ANALYZE (autovacuum is off on these machines);
    // SQLite, the statistics act2-server itself keeps (`PRAGMA optimize` at open, see
    // db/dialects/sqlite/connection.ts: a limited analysis, no sqlite_stat4 samples).
    dialect === 'postgres' ? 'analyze' : 'pragma optimize=0x10002',
  ];
}

/** Migrates the empty database `url` and fills it with `minions` minions (then the planner's statistics). */
export async function importDatabase(dialect, url, minions) {
  const setup = createDb({ db: url, dbPoolSize: 2 });
  await runMigrations(setup);
  await setup.destroy();
  const now = Date.now();
  if (dialect === 'sqlite') {
    const raw = new SqliteDatabase(url.replace(/^sqlite:/, ''));
    raw.pragma('journal_mode = WAL');
    for (const statement of importSql(dialect, now, minions)) raw.exec(statement);
    raw.close();
  } else {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    for (const statement of importSql(dialect, now, minions)) await client.query(statement);
    await client.end();
  }
}

const DETAIL_COLUMNS =
  'mm.minion_sn, mm.status as minion_status, mm.ips, n.updated_at, m.sn, m.server, m.status, m.idc, m.type, m.last_seen ' +
  'from master_minions as mm inner join masters as m on m.sn = mm.master_sn inner join minions as n on n.sn = mm.minion_sn';
const floorSql = (param) => ({
  sn: `select ${DETAIL_COLUMNS} where mm.minion_sn = ${param}`,
  ip: `select ${DETAIL_COLUMNS} where mm.minion_sn in (select minion_ips.minion_sn from minion_ips where minion_ips.ip = ${param})`,
});

/** The floor and the fixed answer, each a bare Fastify app without logging. */
export async function bareServers(dialect, url, poolSize) {
  const floor = Fastify();
  const fixed = Fastify();
  fixed.get('/fixed', async () => ({ sn: 'm-0000001', status: 'running', ips: ['10.0.0.1'] }));
  let close;
  if (dialect === 'sqlite') {
    const db = new SqliteDatabase(url.replace(/^sqlite:/, ''), { readonly: true });
    // The floor reads the file through the same memory map as act2-server (--sqlite-mmap, 256 MiB by
    // default): the same database, read the same way. ACT2_BENCH_FLOOR_MMAP=0 gives it SQLite's own
    // defaults instead (read() into a 2 MiB cache), as the bench did until 2026-12-01.
    if (process.env.ACT2_BENCH_FLOOR_MMAP !== '0') db.pragma(`mmap_size = ${DEFAULT_SQLITE_MMAP_BYTES}`);
    const sql = floorSql('?');
    const sn = db.prepare(sql.sn);
    const ip = db.prepare(sql.ip);
    floor.get('/api/v1/minions/:sn', async (request) => sn.all(request.params.sn));
    floor.get('/api/v1/lookup', async (request) => ip.all(request.query.ip));
    close = () => db.close();
  } else {
    const pool = new pg.Pool({ connectionString: url, max: poolSize });
    pool.on('error', () => undefined);
    const sql = floorSql('$1');
    floor.get('/api/v1/minions/:sn', async (request) => (await pool.query({ name: 'floor_sn', text: sql.sn, values: [request.params.sn] })).rows);
    floor.get('/api/v1/lookup', async (request) => (await pool.query({ name: 'floor_ip', text: sql.ip, values: [request.query.ip] })).rows);
    close = async () => {
      await pool.end();
    };
  }
  return {
    floor: await floor.listen({ host: '127.0.0.1', port: 0 }),
    fixed: await fixed.listen({ host: '127.0.0.1', port: 0 }),
    close: async () => {
      await floor.close();
      await fixed.close();
      await close();
    },
  };
}

