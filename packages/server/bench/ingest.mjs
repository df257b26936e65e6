#!/usr/bin/env node
// Ingest benchmark: one 10,000-minion registration on SQLite and on PostgreSQL, first time and
// identical re-send, through the full HTTP stack (JSON parse, validation, transaction) with
// fastify inject. A bare 10,000-row insert with the same driver, measured in the same run, is
// the baseline the numbers compare against.
//
//   npx -y pnpm@10 --filter @act2/server build && node packages/server/bench/ingest.mjs
//
// Env: ACT2_BENCH_PG (admin URL, default postgres://postgres@127.0.0.1:5432/test), ACT2_BENCH_MINIONS, ACT2_BENCH_RUNS.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { sql } from 'kysely';
import { buildApp, createDb, runMigrations, serverConfig } from '../dist/index.js';

const MINIONS = Number(process.env.ACT2_BENCH_MINIONS ?? 10_000);
const RUNS = Number(process.env.ACT2_BENCH_RUNS ?? 3);
const PG_ADMIN = process.env.ACT2_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
const KEY = randomBytes(32).toString('hex');

function registration(masterSn, prefix) {
  return JSON.stringify({
    master: { sn: masterSn, server: 'http://127.0.0.1:8001', status: 'running', idc: 'bench', type: 'salt', options: { username: 'salt-api', password: 'pw' } },
    minions: Array.from({ length: MINIONS }, (_, i) => ({
      sn: `${prefix}-${String(i).padStart(6, '0')}`,
      status: i % 17 === 0 ? 'stopped' : 'running',
      ips: [`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, `172.16.${(i >> 8) & 255}.${i & 255}`],
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

/** A bare insert of MINIONS rows shaped like master_minions, batched like the server, in one transaction. */
async function baseline(db) {
  await db.schema.createTable('bench_baseline').ifNotExists()
    .addColumn('sn', 'text', (c) => c.primaryKey()).addColumn('status', 'text').addColumn('ips', 'text').addColumn('updated_at', 'bigint')
    .execute();
  const times = [];
  for (let run = 0; run < RUNS; run += 1) {
    await db.deleteFrom('bench_baseline').execute();
    const rows = Array.from({ length: MINIONS }, (_, i) => ({ sn: `b${run}-${i}`, status: 'running', ips: '["10.0.0.1"]', updated_at: Date.now() }));
    times.push(await timed(() => db.transaction().execute(async (trx) => {
      for (let i = 0; i < rows.length; i += 500) await trx.insertInto('bench_baseline').values(rows.slice(i, i + 500)).execute();
    })));
  }
  await db.schema.dropTable('bench_baseline').execute();
  return median(times);
}

async function bench(name, dbUrl) {
  const db = createDb({ db: dbUrl, dbPoolSize: 4 });
  await runMigrations(db);
  const app = await buildApp(serverConfig({ db: dbUrl, secretKey: KEY, port: 0 }), { db, scheduler: false });
  await app.ready();
  const post = async (body) => {
    const response = await app.inject({ method: 'POST', url: '/register', headers: { 'content-type': 'application/json' }, payload: body });
    if (response.statusCode !== 200) throw new Error(`${response.statusCode} ${response.body}`);
    return response.json();
  };
  try {
    // Warm-up: JIT, prepared statement caches, connection pool.
    await post(registration('warmup', 'warm'));
    await post(registration('warmup', 'warm'));

    const bare = await baseline(db);
    const first = [];
    const resend = [];
    for (let run = 0; run < RUNS; run += 1) {
      const body = registration(`bench-${run}`, `m${run}`);
      first.push(await timed(() => post(body)));
      let result;
      resend.push(await timed(async () => (result = await post(body))));
      if (result.minions.joined + result.minions.changed + result.minions.left !== 0) throw new Error('re-send was not identical');
    }
    return { name, bare, first: median(first), resend: median(resend) };
  } finally {
    await app.close();
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

const admin = new pg.Client({ connectionString: PG_ADMIN, connectionTimeoutMillis: 2000 });
let pgUp = true;
try {
  await admin.connect();
} catch {
  pgUp = false;
  console.warn(`PostgreSQL at ${PG_ADMIN} does not answer: skipping it`);
}
if (pgUp) {
  const name = `act2_bench_${randomBytes(4).toString('hex')}`;
  await admin.query(`create database ${name}`);
  try {
    const url = new URL(PG_ADMIN);
    url.pathname = `/${name}`;
    results.push(await bench('postgres', url.toString()));
  } finally {
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}

console.log(`\none registration of ${MINIONS} minions (2 IPs each), median of ${RUNS}, POST /register via inject:`);
console.log('dialect   | bare 10k-row insert | first registration | identical re-send');
for (const r of results) {
  console.log(`${r.name.padEnd(9)} | ${ms(r.bare).padStart(19)} | ${ms(r.first).padStart(18)} | ${ms(r.resend).padStart(17)}`);
}
