#!/usr/bin/env node
// The cron herd on PostgreSQL behind nginx: MASTERS masters × MINIONS new minions each, every
// registration within SPREAD_S seconds (every master's cron fires at :00/:30, with jitter), against
// 2 act2-server instances (the built dist entry, each its own process, --auth none) sharing one
// PostgreSQL database, behind nginx running the shipped deploy/nginx/act2.conf
// (packages/server/test/helpers/nginx.ts renders it, as the HA test does).
//
//  baseline  the same herd (same bodies, same spread) through the same nginx setup in front of a
//            bare node server that reads and gunzips each body and answers a fixed 200: what the
//            load generator, gzip transport and nginx cost by themselves, so the server's share of
//            the latency is the difference. (A single instance without nginx would mix proxy cost
//            with halved server capacity; the bare upstream isolates the proxy alone.)
//  first     the herd: every master registers MINIONS minions the database has never seen.
//  steady    an identical re-send by the same masters (the state every 30 min after the first).
//
// Each phase prints accepted/total, p50/p95/p99/max latency (from the scheduled send, so time
// queued in the client counts), status counts, each upstream's share (nginx access log), the
// servers' own durations (their request log), PostgreSQL wait events sampled every 200 ms from
// pg_stat_activity, and the load average. The load generator is its own process (undici Pool).
//
//   npx -y pnpm@10 bench:herd        (builds first; needs nginx: apt-get install -y nginx-light)
//
// ACT2_BENCH_DB=sqlite runs the same herd against one instance on a SQLite file (a file has one
// act2-server process), behind the same nginx; no wait-event sampling there.
// Env: ACT2_BENCH_DB (postgres | sqlite), ACT2_BENCH_PG (admin URL, default postgres://postgres@127.0.0.1:5432/postgres),
// ACT2_BENCH_MASTERS (1000), ACT2_BENCH_MINIONS (1000), ACT2_BENCH_SPREAD_S (60),
// ACT2_BENCH_POOL (--db-pool-size per instance, default 10), ACT2_BENCH_CONNECTIONS (load
// generator's connections to nginx, 64), ACT2_BENCH_BASELINE (bare | none), ACT2_BENCH_SEED.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import pg from 'pg';
import { Pool } from 'undici';

const MASTERS = Number(process.env.ACT2_BENCH_MASTERS ?? 1000);
const MINIONS = Number(process.env.ACT2_BENCH_MINIONS ?? 1000);
const SPREAD_S = Number(process.env.ACT2_BENCH_SPREAD_S ?? 60);
const POOL = Number(process.env.ACT2_BENCH_POOL ?? 10);
const CONNECTIONS = Number(process.env.ACT2_BENCH_CONNECTIONS ?? 64);
const BASELINE = process.env.ACT2_BENCH_BASELINE ?? 'bare';
const SEED = Number(process.env.ACT2_BENCH_SEED ?? Date.now() % 1_000_000);
const PG_ADMIN = process.env.ACT2_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DIALECT = process.env.ACT2_BENCH_DB ?? 'postgres';
if (!['postgres', 'sqlite'].includes(DIALECT)) throw new Error('ACT2_BENCH_DB: postgres or sqlite');
// The agent gzips (level 1) every body from 64 KiB on (packages/agent/src/report/report-client.ts).
const GZIP_THRESHOLD = 64 * 1024;

const self = fileURLToPath(import.meta.url);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');

/** A small deterministic PRNG (mulberry32): the same seed gives the same schedule and bodies. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function stats(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return { n: sorted.length, p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99), max: sorted.at(-1) ?? NaN };
}

const fmt = (s) => `p50 ${s.p50?.toFixed(0)} / p95 ${s.p95?.toFixed(0)} / p99 ${s.p99?.toFixed(0)} / max ${s.max?.toFixed(0)} ms`;

// ---------------------------------------------------------------------------------------------
// Load generator (own process): `herd.mjs loadgen` with its job as JSON in ACT2_HERD_JOB.

/** One master's body as the salt agent sends it: sn, status, 2 ips, id, uuid, os, saltversion. */
function registration(m, run) {
  const minions = [];
  for (let i = 0; i < MINIONS; i += 1) {
    const n = m * MINIONS + i;
    const id = `herd${run}-m${m}-n${String(i).padStart(4, '0')}.dc${m % 8}.example.com`;
    minions.push({
      sn: id,
      status: i % 23 === 0 ? 'stopped' : 'running',
      ips: [`10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`, `172.16.${(n >> 8) & 255}.${n & 255}`],
      id,
      uuid: `4c4c4544-${String(m).padStart(4, '0')}-3510-8056-${String(n).padStart(12, '0')}`,
      os: 'Rocky Linux 9.4',
      saltversion: '3006.10',
    });
  }
  return {
    master: { sn: `herd${run}-master-${m}`, server: `http://salt-${m}.example.com:8000`, status: 'running', idc: `idc-${m % 8}`, type: 'salt' },
    minions,
    schema_version: 1,
    agent: { version: '0.1.0', hostname: `salt-${m}.example.com` },
    interval_s: 1800,
  };
}

async function loadgen() {
  const job = JSON.parse(process.env.ACT2_HERD_JOB);
  const random = rng(job.seed);
  const bodies = [];
  let raw = 0;
  let sent = 0;
  for (let m = 0; m < MASTERS; m += 1) {
    const json = Buffer.from(JSON.stringify(registration(m, job.run)));
    const gzip = json.length >= GZIP_THRESHOLD;
    const body = gzip ? gzipSync(json, { level: 1 }) : json;
    raw += json.length;
    sent += body.length;
    bodies.push({ body, gzip });
  }
  // Each master's cron fires at a uniformly jittered moment of the spread, in random order.
  const offsets = Array.from({ length: MASTERS }, () => random() * job.spreadS * 1000);
  const pool = new Pool(job.url, { connections: job.connections, keepAliveTimeout: 30_000 });
  const latencies = [];
  const statuses = {};
  let accepted = 0;
  const start = performance.now() + 200;
  const send = async (m) => {
    const due = start + offsets[m];
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    const { body, gzip } = bodies[m];
    const headers = { 'content-type': 'application/json', accept: 'application/json', 'user-agent': 'act2-heartbeat/0.1.0 herd-bench' };
    if (gzip) headers['content-encoding'] = 'gzip';
    let status;
    try {
      const res = await pool.request({ path: '/register', method: 'POST', headers, body, headersTimeout: 130_000, bodyTimeout: 130_000 });
      await res.body.text();
      status = String(res.statusCode);
    } catch (error) {
      status = error.code ?? 'error';
    }
    // From the scheduled send: time spent queued for one of the client's connections counts.
    latencies.push(performance.now() - due);
    statuses[status] = (statuses[status] ?? 0) + 1;
    if (status === '200') accepted += 1;
  };
  await Promise.all(Array.from({ length: MASTERS }, (_, m) => send(m)));
  const wallS = (performance.now() - start) / 1000;
  await pool.close();
  process.stdout.write(JSON.stringify({ accepted, total: MASTERS, statuses, latency: stats(latencies), wallS, rawBytes: raw / MASTERS, sentBytes: sent / MASTERS }));
}

// ---------------------------------------------------------------------------------------------
// Bare upstream (own process): reads and gunzips the body, answers a fixed registration answer.

function bare() {
  const answer = JSON.stringify({ master: { sn: 'x', status: 'running', recovered: false, created: true }, minions: { total: MINIONS, joined: MINIONS, left: 0, changed: 0 } });
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const json = req.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body;
      JSON.parse(json.toString());
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(answer) });
      res.end(answer);
    });
  });
  server.keepAliveTimeout = 65_000;
  server.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${server.address().port}` })}\n`));
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}

// ---------------------------------------------------------------------------------------------
// Orchestrator.

/** The nginx helper of the HA test, compiled on the fly (node 20 runs no TypeScript). */
async function nginxHelper(dir) {
  const { transform } = await import('esbuild');
  const source = fileURLToPath(new URL('../test/helpers/nginx.ts', import.meta.url));
  const { code } = await transform(readFileSync(source, 'utf8'), {
    loader: 'ts',
    format: 'esm',
    // The helper finds deploy/nginx/act2.conf relative to its own location.
    define: { 'import.meta.url': JSON.stringify(pathToFileURL(source).href) },
  });
  const out = join(dir, 'nginx-helper.mjs');
  writeFileSync(out, code);
  return import(pathToFileURL(out).href);
}

/** Starts a child and resolves with the url it prints (`"url":"http://…"`), its output teed to `logPath`. */
function startChild(args, logPath, env = {}) {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  const log = createWriteStream(logPath);
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (c) => {
      if (out.length < 100_000) out += c;
      const found = /"url":"(http:[^"]+)"/.exec(out);
      if (found) {
        child.stdout.off('data', onData);
        resolve({ child, url: found[1], logPath });
      }
    };
    child.stdout.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited ${code}: ${out}`)));
    setTimeout(() => reject(new Error(`no url in: ${out}`)), 30_000);
  });
}

async function stopChild({ child }) {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(10_000)]);
  if (child.exitCode === null) child.kill('SIGKILL');
}

function runLoadgen(job) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [self, 'loadgen'], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ACT2_HERD_JOB: JSON.stringify(job) } });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`load generator exited ${code}: ${out}`))));
  });
}

/** Samples pg_stat_activity of `database` every 200 ms: counts of (state, wait event) among busy backends. */
function startSampler(client, database) {
  let counts = new Map();
  let samples = 0;
  let busyMax = 0;
  let stop = false;
  const loop = (async () => {
    while (!stop) {
      try {
        const { rows } = await client.query(
          `select coalesce(wait_event_type, 'CPU') as type, coalesce(wait_event, '-') as event, state, count(*)::int as n
             from pg_stat_activity where datname = $1 and pid <> pg_backend_pid() and state <> 'idle' group by 1, 2, 3`,
          [database],
        );
        samples += 1;
        let busy = 0;
        for (const r of rows) {
          const key = `${r.state}: ${r.type}/${r.event}`;
          counts.set(key, (counts.get(key) ?? 0) + r.n);
          busy += r.n;
        }
        busyMax = Math.max(busyMax, busy);
      } catch {
        // A sample lost is not a reason to stop the run.
      }
      await sleep(200);
    }
  })();
  return {
    /** What was seen since the last call, and reset. */
    take() {
      const result = { samples, busyMax, counts: [...counts.entries()].sort((a, b) => b[1] - a[1]) };
      counts = new Map();
      samples = 0;
      busyMax = 0;
      return result;
    },
    async stop() {
      stop = true;
      await loop;
    },
  };
}

/** Request durations (ms) of /register lines a server logged after byte `from` of its log. */
function serverDurations(logPath, from) {
  const text = readFileSync(logPath, 'utf8').slice(from);
  const ms = [];
  for (const line of text.split('\n')) {
    if (!line.includes('"route":"/register"')) continue;
    try {
      const entry = JSON.parse(line);
      if (typeof entry.durationMs === 'number') ms.push(entry.durationMs);
    } catch {
      // Not a JSON line.
    }
  }
  return ms;
}

function upstreamShares(lines) {
  const shares = {};
  const rt = [];
  for (const line of lines) {
    const upstream = /upstream=(\S+)/.exec(line)?.[1] ?? '?';
    shares[upstream] = (shares[upstream] ?? 0) + 1;
    const t = /rt=([\d.]+)/.exec(line)?.[1];
    if (t) rt.push(Number(t) * 1000);
  }
  return { shares, rt: stats(rt) };
}

/** CPU ms (user + system, every thread) a process has used so far, in 10 ms ticks. */
function cpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function phase(name, { nginx, servers, sampler, job }) {
  const cpuFrom = servers.map((s) => cpuMs(s.child.pid));
  const logFrom = servers.map((s) => readFileSync(s.logPath, 'utf8').length);
  const nginxFrom = nginx.accessLog().length;
  const loadBefore = load();
  sampler?.take();
  const result = await runLoadgen(job);
  const waits = sampler?.take();
  const { shares, rt } = upstreamShares(nginx.accessLog().slice(nginxFrom));
  const perServer = servers.map((s, i) => ({ url: s.url, ms: stats(serverDurations(s.logPath, logFrom[i])), cpuMs: cpuMs(s.child.pid) - cpuFrom[i] }));
  const loadAfter = load();
  console.log(`\n## ${name}`);
  console.log(`accepted ${result.accepted}/${result.total} in ${result.wallS.toFixed(1)} s; status ${JSON.stringify(result.statuses)}`);
  console.log(`client latency: ${fmt(result.latency)}   (body ${(result.rawBytes / 1024).toFixed(0)} KiB, sent ${(result.sentBytes / 1024).toFixed(0)} KiB gzip level 1)`);
  console.log(`nginx request_time: ${fmt(rt)}`);
  console.log(`upstream shares: ${Object.entries(shares).map(([u, n]) => `${u} ${((n / Math.max(1, result.total)) * 100).toFixed(1)}%`).join(', ')}`);
  for (const s of perServer) {
    if (s.ms.n > 0) console.log(`server ${s.url} own duration (${s.ms.n} requests): ${fmt(s.ms)}; CPU ${(s.cpuMs / 1000).toFixed(1)} s = ${(s.cpuMs / s.ms.n).toFixed(0)} ms per registration`);
  }
  if (waits) {
    console.log(`pg_stat_activity (${waits.samples} samples, most busy backends at once ${waits.busyMax}): ${waits.counts.slice(0, 8).map(([k, n]) => `${k} ${n}`).join('; ')}`);
  }
  console.log(`load average before ${loadBefore}, after ${loadAfter}`);
  return { name, ...result, rt, shares, perServer, waits, loadBefore, loadAfter };
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'act2-herd-'));
  const { findNginx, startNginx } = await nginxHelper(dir);
  const binary = findNginx();
  if (!binary) throw new Error('nginx not found: apt-get update && apt-get install -y nginx-light');
  const sqlite = DIALECT === 'sqlite';
  const database = sqlite ? join(dir, 'herd.sqlite') : `act2_herd_${process.pid}_${randomBytes(3).toString('hex')}`;
  const admin = sqlite ? undefined : new pg.Client({ connectionString: PG_ADMIN });
  await admin?.connect();
  await admin?.query(`create database ${database}`);
  const dbUrl = sqlite ? new URL(`sqlite:${database}`) : new URL(PG_ADMIN);
  if (!sqlite) dbUrl.pathname = `/${database}`;
  const instances = sqlite ? ['a'] : ['a', 'b'];
  const cleanup = [];
  const results = [];
  console.log(`herd: ${MASTERS} masters × ${MINIONS} new minions within ${SPREAD_S} s; ${instances.length} instance(s) on ${DIALECT}, --db-pool-size ${POOL}, database ${database}; ${CONNECTIONS} client connections; seed ${SEED}; logs in ${dir}`);
  try {
    const entry = fileURLToPath(new URL('../dist/act2-server.js', import.meta.url));
    if (BASELINE === 'bare') {
      const upstream = await startChild([self, 'bare'], join(dir, 'bare.log'));
      cleanup.push(() => stopChild(upstream));
      const proxy = await startNginx(binary, [upstream.url.replace('http://', '')]);
      cleanup.push(() => proxy.close());
      results.push(await phase('baseline: nginx → bare fixed-answer server', { nginx: proxy, servers: [], job: { url: proxy.url, seed: SEED, run: 0, spreadS: SPREAD_S, connections: CONNECTIONS } }));
    }
    const servers = [];
    for (const name of instances) {
      // One after the other: the first migrates the new database.
      const server = await startChild(
        [entry, '--port', '0', '--host', '127.0.0.1', '--db', dbUrl.href, '--auth', 'none', '--trust-proxy', '127.0.0.1', '--db-pool-size', String(POOL), '--instance-id', `herd-${name}`, '--log-level', 'info'],
        join(dir, `server-${name}.log`),
        { ACT2_SECRET_KEY: randomBytes(32).toString('hex') },
      );
      servers.push(server);
      cleanup.push(() => stopChild(server));
    }
    const nginx = await startNginx(binary, servers.map((s) => s.url.replace('http://', '')));
    cleanup.push(() => nginx.close());
    let sampling;
    if (!sqlite) {
      const sampler = new pg.Client({ connectionString: dbUrl.href });
      await sampler.connect();
      sampling = startSampler(sampler, database);
      cleanup.push(async () => {
        await sampling.stop();
        await sampler.end();
      });
    }
    const job = { url: nginx.url, seed: SEED + 1, run: 1, spreadS: SPREAD_S, connections: CONNECTIONS };
    const who = sqlite ? '1 instance on SQLite' : '2 instances';
    results.push(await phase(`first herd: ${who} behind nginx, every minion new`, { nginx, servers, sampler: sampling, job }));
    results.push(await phase('steady herd: identical re-send by the same masters', { nginx, servers, sampler: sampling, job: { ...job, seed: SEED + 2 } }));
  } finally {
    for (const fn of cleanup.reverse()) await fn().catch((e) => console.error(String(e)));
    await admin?.query(`drop database if exists ${database} with (force)`).catch((e) => console.error(String(e)));
    await admin?.end();
  }
  console.log('\n| phase | accepted | p50 | p95 | p99 | max | load avg (1/5/15 min, after) |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of results) {
    console.log(`| ${r.name} | ${r.accepted}/${r.total} | ${r.latency.p50.toFixed(0)} ms | ${r.latency.p95.toFixed(0)} ms | ${r.latency.p99.toFixed(0)} ms | ${r.latency.max.toFixed(0)} ms | ${r.loadAfter} |`);
  }
  const first = results.find((r) => r.name.startsWith('first'));
  const base = results.find((r) => r.name.startsWith('baseline'));
  if (first && base) console.log(`first herd p99 / baseline p99: ${(first.latency.p99 / base.latency.p99).toFixed(1)}×`);
  if (first) console.log(`goal (100% accepted, p99 <= 2000 ms): ${first.accepted === first.total && first.latency.p99 <= 2000 ? 'met' : 'NOT met'}`);
  if (process.env.ACT2_BENCH_KEEP_LOGS !== '1') rmSync(dir, { recursive: true, force: true });
  // `--json`: the phases as the last line, for bench/all.mjs (`pnpm bench`).
  if (process.argv.includes('--json')) console.log(JSON.stringify(results.map((r) => ({ name: r.name, accepted: r.accepted, total: r.total, latency: r.latency }))));
}

if (process.argv[2] === 'loadgen') await loadgen();
else if (process.argv[2] === 'bare') bare();
else await main();
