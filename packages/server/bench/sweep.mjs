#!/usr/bin/env node
// The timeout sweep at 10,000 masters (issue 12: "keep it there"): `sweepTimeouts` as every instance runs
// it each interval (one conditional UPDATE … RETURNING of the masters silent too long, and their
// `master.timeout` events, in one transaction), on SQLite and PostgreSQL. Two cases: a quiet fleet (nothing
// times out: the sweep of almost every interval) and 1% of the masters timing out at once. Baseline in the
// same run: the raw driver running the same UPDATE (same condition, RETURNING) in a transaction, without the
// events, Kysely or the retry wrapper. Median of ACT2_BENCH_RUNS (51) sweeps each.
//
//   npx -y pnpm@10 --filter @act2/server build && node packages/server/bench/sweep.mjs [--json]
//
// Env: ACT2_BENCH_MASTERS (10000), ACT2_BENCH_RUNS (51), ACT2_BENCH_PG (admin URL), ACT2_BENCH_DIALECTS (sqlite,postgres).
import { performance } from 'node:perf_hooks';
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import { createDb, runMigrations, sweepTimeouts } from '../dist/index.js';
import { withPostgresDatabase, withSqliteFile } from './scratch-databases.mjs';

const MASTERS = Number(process.env.ACT2_BENCH_MASTERS ?? 10_000);
const RUNS = Number(process.env.ACT2_BENCH_RUNS ?? 51);
const PG_ADMIN = process.env.ACT2_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
const DIALECTS = (process.env.ACT2_BENCH_DIALECTS ?? 'sqlite,postgres').split(',');
const TIMEOUT_MS = 90 * 60_000;
const STALE = Math.max(1, Math.round(MASTERS / 100));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The same UPDATE the sweep's updateReturning runs, with the raw driver: `sql` and its parameters per dialect. */
const RAW_UPDATE = {
  sqlite: `update masters set status = 'timeout', status_changed_at = ? where status <> 'timeout' and last_seen < ? returning sn, last_seen`,
  postgres: `update masters set status = 'timeout', status_changed_at = $1 where status <> 'timeout' and last_seen < $2 returning sn, last_seen`,
};

async function bench(dialect, url) {
  const db = createDb({ db: url, dbPoolSize: 4 });
  await runMigrations(db);
  const now = Date.now();
  const rows = Array.from({ length: MASTERS }, (_, i) => ({
    sn: `master-${String(i).padStart(5, '0')}`,
    server: 'http://127.0.0.1:8001',
    status: 'running',
    idc: 'bench',
    type: 'salt',
    minion_count: 1000,
    first_seen: now,
    last_seen: now,
    status_changed_at: now,
  }));
  for (let i = 0; i < rows.length; i += 500) await db.insertInto('masters').values(rows.slice(i, i + 500)).execute();
  // Before each timed sweep: every master fresh, and `stale` of them silent past the timeout.
  const reset = async (stale) => {
    await db.updateTable('masters').set({ status: 'running', last_seen: now }).execute();
    if (stale > 0) await db.updateTable('masters').set({ last_seen: now - TIMEOUT_MS - 1 }).where('sn', '<', `master-${String(stale).padStart(5, '0')}`).execute();
  };
  let raw;
  let close;
  if (dialect === 'sqlite') {
    const file = new SqliteDatabase(url.replace(/^sqlite:/, ''));
    const update = file.prepare(RAW_UPDATE.sqlite);
    const inTx = file.transaction((at, cutoff) => update.all(at, cutoff));
    raw = async (at) => inTx(at, at - TIMEOUT_MS).length;
    close = async () => file.close();
  } else {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    raw = async (at) => {
      await client.query('begin');
      const result = await client.query({ name: 'raw_sweep', text: RAW_UPDATE.postgres, values: [at, at - TIMEOUT_MS] });
      await client.query('commit');
      return result.rowCount;
    };
    close = () => client.end();
  }
  const out = { dialect, masters: MASTERS };
  try {
    for (const [name, stale] of [
      ['quiet', 0],
      ['stale', STALE],
    ]) {
      const app = [];
      const bare = [];
      for (let run = 0; run < RUNS; run += 1) {
        // Turns: the sweep and the raw UPDATE alternate which goes first.
        for (const side of run % 2 === 0 ? ['app', 'bare'] : ['bare', 'app']) {
          await reset(stale);
          const started = performance.now();
          const changed = side === 'app' ? (await sweepTimeouts(db, { now, masterTimeoutMs: TIMEOUT_MS, instanceId: 'bench' })).length : await raw(now);
          (side === 'app' ? app : bare).push(performance.now() - started);
          if (changed !== stale) throw new Error(`${dialect} ${name} ${side}: ${changed} masters changed, expected ${stale}`);
        }
      }
      out[name] = { stale, app: median(app), bare: median(bare) };
    }
  } finally {
    await close();
    await db.destroy();
  }
  return out;
}

const results = [];
if (DIALECTS.includes('sqlite')) results.push(await withSqliteFile('act2-sweep', (url) => bench('sqlite', url)));
if (DIALECTS.includes('postgres')) results.push(await withPostgresDatabase(PG_ADMIN, 'act2-sweep', (url) => bench('postgres', url)));

if (process.argv.includes('--json')) {
  process.stdout.write(`${JSON.stringify(results)}\n`);
} else {
  console.log(`timeout sweep at ${MASTERS} masters, median of ${RUNS} sweeps each`);
  console.log('| dialect | case | act2 sweepTimeouts | raw UPDATE … RETURNING | ratio |');
  console.log('|---|---|---|---|---|');
  for (const r of results) {
    for (const name of ['quiet', 'stale']) {
      const c = r[name];
      console.log(`| ${r.dialect} | ${name === 'quiet' ? 'nothing times out' : `${c.stale} time out`} | ${c.app.toFixed(2)} ms | ${c.bare.toFixed(2)} ms | ${(c.app / c.bare).toFixed(2)}× |`);
    }
  }
}
