#!/usr/bin/env node
// Read benchmark: GET /api/v1/minions/{sn} and GET /api/v1/lookup?ip= of act2-server on a
// database of N minions (SQLite with the statistics act2-server keeps, then PostgreSQL after ANALYZE), under load from a second process
// (load.mjs, autocannon, 50 connections). Two baselines measured in the same run, interleaved
// round by round with the server: the floor, a bare Fastify route running the same SQL prepared
// once with the raw driver (better-sqlite3 statement / pg named statement), and a bare Fastify
// route with a fixed answer. Medians of the rounds, and the median of each round's app / floor ratio
// (the two measured back to back, in turns first: the host's speed drifts by a third within minutes).
//
//   npx -y pnpm@10 --filter @act2/server build && node packages/server/bench/reads.mjs [--minions 1000000]
//
// Env: ACT2_BENCH_PG (admin URL, default postgres://postgres@127.0.0.1:5432/test),
// ACT2_BENCH_READ_SECONDS (per measurement, default 4), ACT2_BENCH_RUNS (rounds, default 4),
// ACT2_BENCH_DIALECTS (default sqlite,postgres), ACT2_BENCH_FLOOR_MMAP=0 (the SQLite floor reads with
// SQLite's defaults instead of act2-server's memory map), ACT2_BENCH_SKEW (uniform, the default, or zipf:
// which minions are asked, see load.mjs). --json prints the results as one JSON line.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pino from 'pino';
import { buildApp, createDb, createLogger, serverConfig } from '../dist/index.js';
import { bareServers, importDatabase } from './reads-parts.mjs';
import { withPostgresDatabase, withSqliteFile } from './scratch-databases.mjs';

const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : fallback;
};
const MINIONS = Number(flag('--minions', process.env.ACT2_BENCH_MINIONS ?? 100_000));
const SECONDS = Number(process.env.ACT2_BENCH_READ_SECONDS ?? 4);
// Even, so app and floor each go first in half the rounds.
const RUNS = Number(process.env.ACT2_BENCH_RUNS ?? 4);
const CONNECTIONS = 50;
const PG_ADMIN = process.env.ACT2_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
const DIALECTS = (process.env.ACT2_BENCH_DIALECTS ?? 'sqlite,postgres').split(',');
const SKEW = process.env.ACT2_BENCH_SKEW ?? 'uniform';
const POOL = 4;
const LOAD = fileURLToPath(new URL('./load.mjs', import.meta.url));
const run = promisify(execFile);

async function load(url, kind) {
  const cpu = process.cpuUsage();
  const { stdout } = await run(process.execPath, [LOAD, JSON.stringify({ url, kind, n: MINIONS, seconds: SECONDS, connections: CONNECTIONS, skew: SKEW })]);
  const result = JSON.parse(stdout.trim().split('\n').pop());
  if (result.bad > 0) throw new Error(`${url} (${kind}): ${result.bad} failed requests of ${result.total}`);
  // The server's CPU per request (this process serves; the load is another process): steadier
  // than req/s on a machine others share.
  const used = process.cpuUsage(cpu);
  return { ...result, cpuUs: (used.user + used.system) / result.total };
}

const median = (xs) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

async function bench(dialect, url) {
  const started = performance.now();
  await importDatabase(dialect, url, MINIONS);
  const importMs = performance.now() - started;

  const db = createDb({ db: url, dbPoolSize: POOL });
  // Logging as the real server does (level info, synchronous writes), into /dev/null.
  const logger = createLogger({ level: 'info', destination: pino.destination({ dest: '/dev/null', sync: true }) });
  const app = await buildApp(serverConfig({ db: url, secretKey: randomBytes(32).toString('hex'), port: 0, auth: 'none', dbPoolSize: POOL }), {
    db,
    logger,
    scheduler: false,
  });
  const appUrl = await app.listen({ host: '127.0.0.1', port: 0 });
  const bare = await bareServers(dialect, url, POOL);
  const figures = { fixed: [], floorSn: [], appSn: [], floorIp: [], appIp: [] };
  try {
    // Warm-up: JIT, statement caches, pools.
    await load(appUrl, 'sn');
    await load(bare.floor, 'sn');
    for (let round = 0; round < RUNS; round += 1) {
      figures.fixed.push(await load(bare.fixed, 'fixed'));
      // App and floor back to back, in turns first (the host drifts by a third within minutes).
      for (const [kind, floorName, appName] of [['sn', 'floorSn', 'appSn'], ['ip', 'floorIp', 'appIp']]) {
        const pair = [[floorName, bare.floor], [appName, appUrl]];
        if (round % 2 === 1) pair.reverse();
        for (const [name, url] of pair) figures[name].push(await load(url, kind));
      }
      const last = (name) => `${Math.round(figures[name].at(-1).rps)}/${Math.round(figures[name].at(-1).cpuUs)}µs`;
      process.stderr.write(`${dialect} round ${round + 1}: req/s / CPU per request: fixed ${last('fixed')}, floor sn ${last('floorSn')}, app sn ${last('appSn')}, floor ip ${last('floorIp')}, app ip ${last('appIp')}\n`);
    }
  } finally {
    await app.close();
    await db.destroy();
    await bare.close();
  }
  const summary = Object.fromEntries(
    Object.entries(figures).map(([name, runs]) => [name, { rps: median(runs.map((r) => r.rps)), p99: median(runs.map((r) => r.p99)), cpuUs: median(runs.map((r) => r.cpuUs)) }]),
  );
  // The paired figure: each round's app / floor (measured back to back), median over the rounds.
  const paired = (app, floor) => median(figures[app].map((r, i) => r.rps / figures[floor][i].rps));
  return { dialect, minions: MINIONS, importMs, ...summary, pairedSn: paired('appSn', 'floorSn'), pairedIp: paired('appIp', 'floorIp') };
}

const results = [];
if (DIALECTS.includes('sqlite')) results.push(await withSqliteFile('act2-reads', (url) => bench('sqlite', url)));
if (DIALECTS.includes('postgres')) {
  const postgres = await withPostgresDatabase(PG_ADMIN, 'act2-reads', (url) => bench('postgres', url), { optional: true });
  if (postgres) results.push(postgres);
}

const fmt = (n) => Math.round(n).toLocaleString('en-US');
if (args.includes('--json')) {
  process.stdout.write(`${JSON.stringify(results)}\n`);
} else {
  console.log(`reads: ${CONNECTIONS} connections, ${SECONDS} s per measurement, median of ${RUNS} rounds`);
  console.log('| dialect | minions | route | act2-server req/s | p99 ms | CPU µs/req | floor req/s | p99 ms | CPU µs/req | ratio to floor (req/s) | per-round ratio, median | bare fixed req/s |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of results) {
    for (const [route, app, floor, paired] of [['minions/{sn}', r.appSn, r.floorSn, r.pairedSn], ['lookup?ip=', r.appIp, r.floorIp, r.pairedIp]]) {
      console.log(
        `| ${r.dialect} | ${fmt(r.minions)} | ${route} | ${fmt(app.rps)} | ${app.p99} | ${fmt(app.cpuUs)} | ${fmt(floor.rps)} | ${floor.p99} | ${fmt(floor.cpuUs)} | ${(app.rps / floor.rps).toFixed(2)} | ${paired.toFixed(2)} | ${fmt(r.fixed.rps)} |`,
      );
    }
  }
}
