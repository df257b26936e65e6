#!/usr/bin/env node
// Ingest benchmark: one 10,000-minion registration on SQLite, PostgreSQL and MariaDB/MySQL, first
// time and identical re-send, through the full HTTP stack (JSON parse, validation, transaction)
// with fastify inject. Two baselines measured in the same run: a bare 10,000-row insert through
// Kysely, and the same rows inserted with the raw driver (better-sqlite3, pg, mysql2) and no
// query builder at all.
//
//   npx -y pnpm@10 --filter @act2/server build && node packages/server/bench/ingest.mjs
//
// Env: ACT2_BENCH_PG (admin URL, default postgres://postgres@127.0.0.1:5432/test),
// ACT2_BENCH_MYSQL (admin URL, default mysql://root@127.0.0.1:3306/test), ACT2_BENCH_MINIONS, ACT2_BENCH_RUNS,
// ACT2_BENCH_FIELDS (minimal | full: the agent's full minion fields).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import SqliteDatabase from 'better-sqlite3';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { buildApp, createDb, runMigrations, serverConfig } from '../dist/index.js';

const MINIONS = Number(process.env.ACT2_BENCH_MINIONS ?? 10_000);
const RUNS = Number(process.env.ACT2_BENCH_RUNS ?? 3);
// full: every minion with the fields the salt agent sends (id, uuid, serial, os, saltversion), as a
// real master's body is (10,000 minions: ~2.6 MB, past the 1 MiB above which a worker parses it).
const FULL = process.env.ACT2_BENCH_FIELDS === 'full';
const PG_ADMIN = process.env.ACT2_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
const MYSQL_ADMIN = process.env.ACT2_BENCH_MYSQL ?? 'mysql://root@127.0.0.1:3306/test';
const BATCH = 500;
const KEY = randomBytes(32).toString('hex');

function registration(masterSn, prefix) {
  return JSON.stringify({
    master: { sn: masterSn, server: 'http://127.0.0.1:8001', status: 'running', idc: 'bench', type: 'salt', options: { username: 'salt-api', password: 'pw' } },
    minions: Array.from({ length: MINIONS }, (_, i) => ({
      sn: `${prefix}-${String(i).padStart(6, '0')}`,
      status: i % 17 === 0 ? 'stopped' : 'running',
      ips: [`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, `172.16.${(i >> 8) & 255}.${i & 255}`],
      ...(FULL
        ? {
            id: `${prefix}-${String(i).padStart(6, '0')}.dc1.example.com`,
            uuid: `4c4c4544-0042-3510-8056-${String(i).padStart(12, '0')}`,
            serial: `SN${String(i).padStart(10, '0')}`,
            os: 'CentOS Linux 7.9.2009',
            saltversion: '3006.10',
          }
        : {}),
    })),
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (x) => `${x.toFixed(1)} ms`;

async function timed(fn) {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

/**
 * Wall time and this process's CPU time (user + system, all threads: the database driver's and
 * GC's included) of one call. On a shared machine CPU time moves far less with other load than
 * wall time; a database server's own work (PostgreSQL, MariaDB) is in neither's CPU figure.
 */
async function timedWithCpu(fn) {
  const cpu = process.cpuUsage();
  const ms = await timed(fn);
  const used = process.cpuUsage(cpu);
  return { ms, cpuMs: (used.user + used.system) / 1000 };
}

const baselineRows = (run) =>
  Array.from({ length: MINIONS }, (_, i) => ({ sn: `b${run}-${i}`, status: 'running', ips: '["10.0.0.1"]', updated_at: Date.now() }));

/** A bare insert of MINIONS rows shaped like master_minions through Kysely, batched like the server, in one transaction. */
async function baseline(db) {
  // varchar: MySQL cannot make a TEXT column a primary key.
  await db.schema.createTable('bench_baseline').ifNotExists()
    .addColumn('sn', 'varchar(255)', (c) => c.primaryKey()).addColumn('status', 'text').addColumn('ips', 'text').addColumn('updated_at', 'bigint')
    .execute();
  const times = [];
  for (let run = 0; run < RUNS; run += 1) {
    await db.deleteFrom('bench_baseline').execute();
    const rows = baselineRows(run);
    times.push(await timed(() => db.transaction().execute(async (trx) => {
      for (let i = 0; i < rows.length; i += BATCH) await trx.insertInto('bench_baseline').values(rows.slice(i, i + BATCH)).execute();
    })));
  }
  await db.schema.dropTable('bench_baseline').execute();
  return median(times);
}

const RAW_TABLE = 'create table bench_raw (sn varchar(255) primary key, status text, ips text, updated_at bigint)';

/**
 * The same rows with the raw driver and no query builder, each database's usual fastest way in
 * one transaction: better-sqlite3 one prepared statement per row; pg and mysql2 multi-row
 * inserts of BATCH rows.
 */
const rawBaselines = {
  async sqlite(url) {
    const db = new SqliteDatabase(url.replace(/^sqlite:/, ''));
    try {
      db.exec(RAW_TABLE);
      const insert = db.prepare('insert into bench_raw (sn, status, ips, updated_at) values (?, ?, ?, ?)');
      const times = [];
      for (let run = 0; run < RUNS; run += 1) {
        db.exec('delete from bench_raw');
        const rows = baselineRows(run);
        times.push(await timed(async () => db.transaction(() => { for (const r of rows) insert.run(r.sn, r.status, r.ips, r.updated_at); })()));
      }
      db.exec('drop table bench_raw');
      return median(times);
    } finally {
      db.close();
    }
  },
  async postgres(url) {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(RAW_TABLE);
      const times = [];
      for (let run = 0; run < RUNS; run += 1) {
        await client.query('delete from bench_raw');
        const rows = baselineRows(run);
        times.push(await timed(async () => {
          await client.query('begin');
          for (let i = 0; i < rows.length; i += BATCH) {
            const batch = rows.slice(i, i + BATCH);
            const placeholders = batch.map((_, j) => `($${4 * j + 1}, $${4 * j + 2}, $${4 * j + 3}, $${4 * j + 4})`).join(', ');
            await client.query(`insert into bench_raw (sn, status, ips, updated_at) values ${placeholders}`, batch.flatMap((r) => [r.sn, r.status, r.ips, r.updated_at]));
          }
          await client.query('commit');
        }));
      }
      await client.query('drop table bench_raw');
      return median(times);
    } finally {
      await client.end();
    }
  },
  async mysql(url) {
    const connection = await mysql.createConnection({ uri: url });
    try {
      await connection.query(RAW_TABLE);
      const times = [];
      for (let run = 0; run < RUNS; run += 1) {
        await connection.query('delete from bench_raw');
        const rows = baselineRows(run);
        times.push(await timed(async () => {
          await connection.query('begin');
          for (let i = 0; i < rows.length; i += BATCH) {
            const batch = rows.slice(i, i + BATCH).map((r) => [r.sn, r.status, r.ips, r.updated_at]);
            await connection.query('insert into bench_raw (sn, status, ips, updated_at) values ?', [batch]);
          }
          await connection.query('commit');
        }));
      }
      await connection.query('drop table bench_raw');
      return median(times);
    } finally {
      await connection.end();
    }
  },
};

async function bench(name, dbUrl) {
  const db = createDb({ db: dbUrl, dbPoolSize: 4 });
  await runMigrations(db);
  const app = await buildApp(serverConfig({ db: dbUrl, secretKey: KEY, port: 0, auth: 'none' }), { db, scheduler: false });
  await app.ready();
  // A second server on the same database, which has never seen the bodies: what a re-send costs
  // the first time after a restart, or on another instance (no body known by its bytes there).
  const other = await buildApp(serverConfig({ db: dbUrl, secretKey: KEY, port: 0, auth: 'none' }), { db, scheduler: false });
  await other.ready();
  const post = async (body, to = app) => {
    const response = await to.inject({ method: 'POST', url: '/register', headers: { 'content-type': 'application/json' }, payload: body });
    if (response.statusCode !== 200) throw new Error(`${response.statusCode} ${response.body}`);
    return response.json();
  };
  try {
    // Warm-up: JIT, prepared statement caches, connection pool.
    await post(registration('warmup', 'warm'));
    await post(registration('warmup', 'warm'));
    await post(registration('warmup', 'warm'), other);

    const bare = await baseline(db);
    const raw = await rawBaselines[name](dbUrl);
    const first = [];
    const resend = [];
    const cold = [];
    for (let run = 0; run < RUNS; run += 1) {
      const body = registration(`bench-${run}`, `m${run}`);
      first.push(await timedWithCpu(() => post(body)));
      let result;
      cold.push(await timedWithCpu(async () => (result = await post(body, other))));
      if (result.minions.joined + result.minions.changed + result.minions.left !== 0) throw new Error('re-send was not identical');
      resend.push(await timedWithCpu(async () => (result = await post(body))));
      if (result.minions.joined + result.minions.changed + result.minions.left !== 0) throw new Error('re-send was not identical');
    }
    return {
      name,
      raw,
      bare,
      first: median(first.map((t) => t.ms)),
      resend: median(resend.map((t) => t.ms)),
      firstCpu: median(first.map((t) => t.cpuMs)),
      resendCpu: median(resend.map((t) => t.cpuMs)),
      cold: median(cold.map((t) => t.ms)),
      coldCpu: median(cold.map((t) => t.cpuMs)),
    };
  } finally {
    await app.close();
    await other.close();
    await db.destroy();
  }
}

const results = [];
const dir = mkdtempSync(join(tmpdir(), 'act2-bench-'));
try {
  results.push(await bench('sqlite', `sqlite:${join(dir, 'bench.sqlite')}`));
} finally {
  rmSync(dir, { recursive: true, force: true });
}

/** Runs `bench` on a fresh database on a server, when the server answers. */
async function onServer(name, adminUrl, { connect, create, drop }) {
  let admin;
  try {
    admin = await connect(adminUrl);
  } catch {
    console.warn(`${name} at ${adminUrl} does not answer: skipping it`);
    return;
  }
  const database = `act2_bench_${randomBytes(4).toString('hex')}`;
  await create(admin, database);
  try {
    const url = new URL(adminUrl);
    url.pathname = `/${database}`;
    results.push(await bench(name, url.toString()));
  } finally {
    await drop(admin, database);
    await admin.end();
  }
}

await onServer('postgres', PG_ADMIN, {
  connect: async (url) => {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
    await client.connect();
    return client;
  },
  create: (client, name) => client.query(`create database ${name}`),
  drop: (client, name) => client.query(`drop database if exists ${name} with (force)`),
});
await onServer('mysql', MYSQL_ADMIN, {
  connect: (url) => mysql.createConnection({ uri: url, connectTimeout: 2000 }),
  create: (connection, name) => connection.query(`create database ${name}`),
  drop: (connection, name) => connection.query(`drop database if exists ${name}`),
});

if (process.argv.includes('--json')) {
  process.stdout.write(`${JSON.stringify(results)}\n`);
} else {
  console.log(`\none registration of ${MINIONS} minions (2 IPs each${FULL ? ", every field the agent sends" : ""}), median of ${RUNS}, POST /register via inject:`);
  console.log('dialect   | raw driver 10k rows | Kysely 10k rows | first registration | identical re-send | re-send / first | raw / first | CPU: first, re-send, ratio | re-send not seen here before: wall, / first, CPU / first');
  for (const r of results) {
    console.log(
      `${r.name.padEnd(9)} | ${ms(r.raw).padStart(19)} | ${ms(r.bare).padStart(15)} | ${ms(r.first).padStart(18)} | ${ms(r.resend).padStart(17)} | ${`${((100 * r.resend) / r.first).toFixed(1)}%`.padStart(15)} | ${(r.raw / r.first).toFixed(2).padStart(11)} | ${ms(r.firstCpu)}, ${ms(r.resendCpu)}, ${((100 * r.resendCpu) / r.firstCpu).toFixed(1)}% | ${ms(r.cold)}, ${((100 * r.cold) / r.first).toFixed(1)}%, ${((100 * r.coldCpu) / r.firstCpu).toFixed(1)}%`,
    );
  }
}
