#!/usr/bin/env node
// Job benchmark: one job (test.ping) to 10,000 minions over 10 masters. Ten salt-api simulators run as
// their own processes (1,000 minions each, --time-scale 0), act2-server runs as its own process (the
// built entry, SQLite by default, or PostgreSQL with ACT2_BENCH_DB=postgres), and the benchmark posts
// one job and reads the server's log lines for when the last local_async was answered and when the
// job was stored finished. Baseline in the same run, against the same simulators: a bare client making
// the same salt-api calls (10 logins, 10 local_async in parallel, jobs.list_job per jid at the same
// poll interval until every minion returned), storing nothing. Minions answer at once (latency 0), so
// "last local_async answered → every return stored" is the time from the last salt return to a stored result.
//
//   npx -y pnpm@10 build && node packages/server/bench/jobs.mjs
//
// act2-server runs with --auth none: the cost of credential checks is the auth benchmark's subject.
// Env: ACT2_BENCH_MASTERS (10), ACT2_BENCH_MINIONS_PER_MASTER (1000), ACT2_BENCH_POLL (200ms),
// ACT2_BENCH_RUNS (3), ACT2_BENCH_WARMUP (2: jobs run first on both sides, not counted),
// ACT2_BENCH_DB (sqlite | postgres | mysql), ACT2_BENCH_PG / ACT2_BENCH_MYSQL (admin URLs),
// ACT2_BENCH_POOL (the server's --db-pool-size, 4), ACT2_BENCH_LATENCY_MS (each minion's return this many ms
// after the publish: `300`, or a spread `200-800`; default 0, every return at once), ACT2_BENCH_SERVER (another
// build's act2-server.js, e.g. main's, for an A/B with this script), ACT2_BENCH_COMPACTION (`expect`, the default:
// a run whose chunks are not compacted within 10 s of the finish fails; `none`: a build without 0010, or a spread
// latency that turns chunks into rows), ACT2_BENCH_FLOOR (1, the default: each run also posts the job to two
// floor servers, jobs-floor.mjs, the least a server can do for a dispatch with the registry in memory and in
// SQLite, and prints their figures beside act2's; 0: not).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { Agent } from 'undici';
import { saltPost } from './salt-post.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const MASTERS = Number(process.env.ACT2_BENCH_MASTERS ?? 10);
const PER_MASTER = Number(process.env.ACT2_BENCH_MINIONS_PER_MASTER ?? 1000);
const POLL = process.env.ACT2_BENCH_POLL ?? '200ms';
const POLL_MS = Number(/^(\d+)ms$/.exec(POLL)?.[1] ?? 200);
const RUNS = Number(process.env.ACT2_BENCH_RUNS ?? 3);
// Jobs run first and left out of the figures (both sides): the first two jobs of a fresh server take
// up to twice as long as the rest while V8 compiles its hot paths, and so do the bare client's first.
const WARMUP = Number(process.env.ACT2_BENCH_WARMUP ?? 2);
const DIALECT = process.env.ACT2_BENCH_DB ?? 'sqlite';
const PG_ADMIN = process.env.ACT2_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
const MYSQL_ADMIN = process.env.ACT2_BENCH_MYSQL ?? 'mysql://root@127.0.0.1:3306/test';
const LATENCY = /^(\d+)(?:-(\d+))?$/.exec(process.env.ACT2_BENCH_LATENCY_MS ?? '0');
if (!LATENCY) throw new Error('ACT2_BENCH_LATENCY_MS: ms or ms-ms');
const [LATENCY_LO, LATENCY_HI] = [Number(LATENCY[1]), Number(LATENCY[2] ?? LATENCY[1])];
const COMPACTION = process.env.ACT2_BENCH_COMPACTION ?? 'expect';
if (!['expect', 'none'].includes(COMPACTION)) throw new Error('ACT2_BENCH_COMPACTION: expect or none');
const FLOOR = (process.env.ACT2_BENCH_FLOOR ?? '1') !== '0';
const PASSWORD = 'bench-salt-pw';
const json = { 'content-type': 'application/json', accept: 'application/json' };
// The server logs `time` as ISO 8601 (logger.ts); older builds logged epoch ms.
const at = (line) => (typeof line.time === 'number' ? line.time : Date.parse(line.time));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const children = [];

function startChild(args, env = {}, nodeArgs = []) {
  const child = spawn(process.execPath, [...nodeArgs, ...args], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  children.push(child);
  let out = '';
  const lines = [];
  child.stdout.on('data', (chunk) => {
    out += chunk.toString();
    let nl;
    while ((nl = out.indexOf('\n')) >= 0) {
      lines.push(out.slice(0, nl));
      out = out.slice(nl + 1);
    }
  });
  const ready = (re) =>
    new Promise((resolve, reject) => {
      const timer = setInterval(() => {
        const hit = lines.map((l) => re.exec(l)).find(Boolean);
        if (hit) {
          clearInterval(timer);
          resolve(hit[1]);
        }
      }, 20);
      child.once('exit', (code) => reject(new Error(`${args[0]} exited ${code}`)));
    });
  return { child, lines, ready };
}

function rssKiB(pid, field) {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

// The bare client's HTTP: undici's own `request` on a keep-alive pool, as act2-server and the floors
// call salt-api (the global fetch adds its own per-request work).
const dispatcher = new Agent({ connections: 16, keepAliveTimeout: 30_000 });

async function saltLogin(url) {
  return (await saltPost(dispatcher, `${url}/login`, { username: 'salt-api', password: PASSWORD, eauth: 'pam' })).token;
}

async function saltRun(url, token, chunk) {
  return saltPost(dispatcher, url, [chunk], token);
}

/** The bare client: the same calls act2 makes (a token kept per master, like act2), nothing stored. */
const tokens = new Map();
async function bareJob(masters) {
  const t0 = performance.now();
  const dispatched = await Promise.all(
    masters.map(async (m) => {
      if (!tokens.has(m.url)) tokens.set(m.url, await saltLogin(m.url));
      const token = tokens.get(m.url);
      const { jid } = await saltRun(m.url, token, { client: 'local_async', tgt: m.ids, tgt_type: 'list', fun: 'test.ping', arg: [], kwarg: {}, metadata: { act2_job: 'bare' } });
      return { ...m, token, jid };
    }),
  );
  const dispatchMs = performance.now() - t0;
  const pending = new Set(dispatched);
  // Like act2: look up at once, then every poll interval.
  for (let first = true; pending.size > 0; first = false) {
    if (!first) await new Promise((r) => setTimeout(r, POLL_MS));
    await Promise.all(
      [...pending].map(async (m) => {
        const info = await saltRun(m.url, m.token, { client: 'runner', fun: 'jobs.list_job', jid: m.jid });
        if (Object.keys(info.Result ?? {}).length === m.ids.length) pending.delete(m);
      }),
    );
  }
  return { dispatchMs, totalMs: performance.now() - t0 };
}

/** One job through the floor server: POST → its last local_async answered (every master listed every minion). */
async function floorJob(floor, allIds) {
  const from = floor.lines.length;
  const t0 = Date.now();
  const res = await fetch(`${floor.url}/jobs`, { method: 'POST', headers: json, body: JSON.stringify({ target: { minions: allIds }, fun: 'test.ping', timeout_s: 120 }) });
  if (res.status !== 202) throw new Error(`floor: POST /jobs ${res.status}`);
  const { id } = await res.json();
  for (const giveUp = Date.now() + 30_000; ; ) {
    if (Date.now() > giveUp) throw new Error(`floor: job ${id} not dispatched within 30 s`);
    const lines = floor.lines.slice(from).map((l) => JSON.parse(l)).filter((l) => l.job === id);
    const failed = lines.find((l) => l.msg !== 'dispatched');
    if (failed) throw new Error(`floor: ${JSON.stringify(failed)}`);
    if (lines.length === MASTERS) {
      if (lines.reduce((n, l) => n + l.listed, 0) !== allIds.length) throw new Error('floor: not every minion listed');
      return Math.max(...lines.map(at)) - t0;
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function main() {
  const simCli = join(here, '../../salt-api-sim/dist/salt-api-sim.js');
  const serverCli = process.env.ACT2_BENCH_SERVER ?? join(here, '../dist/act2-server.js');
  const masters = [];
  for (let i = 0; i < MASTERS; i += 1) {
    const prefix = `m${String(i).padStart(2, '0')}-`;
    const width = Math.max(3, String(PER_MASTER).length);
    const ids = Array.from({ length: PER_MASTER }, (_, j) => `${prefix}${String(j + 1).padStart(width, '0')}`);
    // With a latency the simulator runs at 1/1000 (a simulated second is a real ms); a spread is the same for every run.
    const latency = LATENCY_HI > 0 ? ['--time-scale', '0.001', ...ids.flatMap((id, j) => ['--latency', `${id}=${LATENCY_LO + Math.round(((LATENCY_HI - LATENCY_LO) * ((j * 7919) % 1000)) / 999)}`])] : ['--time-scale', '0'];
    const sim = startChild([simCli, '--port', '0', '--minions', String(PER_MASTER), '--prefix', prefix, '--seed', prefix, ...latency, '--user', `salt-api:${PASSWORD}`]);
    const url = await sim.ready(/listening on (http:\S+)/);
    masters.push({ sn: `bench-master-${i}`, url, ids });
  }

  const dir = mkdtempSync(join(tmpdir(), 'act2-bench-jobs-'));
  let db = `sqlite:${join(dir, 'act2.sqlite')}`;
  let dropPg;
  if (DIALECT === 'postgres') {
    const name = `act2_bench_jobs_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: PG_ADMIN });
    await admin.connect();
    await admin.query(`create database ${name}`);
    await admin.end();
    const url = new URL(PG_ADMIN);
    url.pathname = `/${name}`;
    db = url.toString();
    dropPg = async () => {
      const c = new pg.Client({ connectionString: PG_ADMIN });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    };
  }
  if (DIALECT === 'mysql') {
    const name = `act2_bench_jobs_${randomBytes(4).toString('hex')}`;
    const admin = await mysql.createConnection({ uri: MYSQL_ADMIN });
    await admin.query(`create database ${name}`);
    await admin.end();
    const url = new URL(MYSQL_ADMIN);
    url.pathname = `/${name}`;
    db = url.toString();
    dropPg = async () => {
      const c = await mysql.createConnection({ uri: MYSQL_ADMIN });
      await c.query(`drop database if exists ${name}`);
      await c.end();
    };
  }
  const server = startChild(
    [serverCli, '--port', '0', '--host', '127.0.0.1', '--db', db, '--instance-id', 'bench', '--job-poll-interval', POLL, '--job-lease', '30s', '--db-pool-size', process.env.ACT2_BENCH_POOL ?? '4', '--auth', 'none', ...(process.env.ACT2_BENCH_DEBUG ? ['--log-level', 'debug'] : [])],
    { ACT2_SECRET_KEY: randomBytes(32).toString('hex') },
    // e.g. ACT2_BENCH_SERVER_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/act2-prof' to profile the server.
    (process.env.ACT2_BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean),
  );
  const act2 = await server.ready(/"url":"(http:[^"]+)"/);
  const floors = [];
  if (FLOOR) {
    writeFileSync(join(dir, 'masters.json'), JSON.stringify(masters));
    for (const lookup of ['memory', 'sqlite']) {
      const floor = startChild([join(here, 'jobs-floor.mjs'), join(dir, `floor-${lookup}.sqlite`), join(dir, 'masters.json'), PASSWORD, lookup]);
      floor.url = await floor.ready(/"url":"(http:[^"]+)"/);
      floors.push({ lookup, floor, dispatch: [] });
    }
  }
  try {
    for (const m of masters) {
      const minions = m.ids.map((id, j) => ({ sn: id, status: 'running', ips: [`10.${masters.indexOf(m)}.${j >> 8}.${j & 255}`] }));
      const res = await fetch(`${act2}/register`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ master: { sn: m.sn, server: m.url, status: 'running', idc: 'bench', type: 'salt', options: { username: 'salt-api', password: PASSWORD } }, minions }),
      });
      if (!res.ok) throw new Error(`register ${res.status}`);
    }
    const allIds = masters.flatMap((m) => m.ids);
    const results = { act2Dispatch: [], act2Total: [], act2Collect: [], act2Compacted: [], act2Chunks: [], bareDispatch: [], bareTotal: [], bareCollect: [] };
    const rssBefore = rssKiB(server.child.pid, 'VmRSS');
    async function bare() {
      const { dispatchMs, totalMs } = await bareJob(masters);
      results.bareDispatch.push(dispatchMs);
      results.bareTotal.push(totalMs);
      results.bareCollect.push(totalMs - dispatchMs);
    }

    async function act2Job(run) {
      const from = server.lines.length;
      const t0 = Date.now();
      const res = await fetch(`${act2}/api/v1/jobs`, { method: 'POST', headers: json, body: JSON.stringify({ target: { minions: allIds }, fun: 'test.ping', timeout_s: 120 }) });
      if (res.status !== 202) throw new Error(`POST /api/v1/jobs ${res.status}: ${await res.text()}`);
      const { id } = await res.json();
      const postMs = Date.now() - t0;
      for (;;) {
        const done = server.lines.slice(from).map((l) => JSON.parse(l)).find((l) => l.msg === 'job finished' && l.job === id);
        if (done) {
          const logs = server.lines.slice(from).map((l) => JSON.parse(l));
          const lastDispatch = Math.max(...logs.filter((l) => l.msg === 'dispatched' && l.job === id).map(at));
          results.act2Dispatch.push(lastDispatch - t0);
          results.act2Total.push(at(done) - t0);
          results.act2Collect.push(at(done) - lastDispatch);
          const created = logs.find((l) => l.msg === 'job created' && l.job === id);
          if (process.env.ACT2_BENCH_DEBUG) console.log(JSON.stringify({ postMs, created: at(created) - t0, resolveMs: created.resolveMs, storeMs: created.storeMs, dispatched: logs.filter((l) => l.msg === 'dispatched' && l.job === id).map((l) => [at(l) - t0, l.ms]), settled: logs.filter((l) => l.msg === 'dispatch settled').map((l) => [at(l) - t0, l.ms]), stored: logs.filter((l) => l.msg === 'returns stored').map((l) => [at(l) - t0, l.ms]), finished: at(done) - t0 }));
          if (done.status !== 'done') throw new Error(`job ended ${done.status}`);
          break;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      // Answers kept on chunks (0010) become rows after the finish: the time until that is done is
      // reported too, and the next run starts only after it. No compaction logged when one is expected
      // fails the run (a run is never silently left out of the figures).
      const lastDispatchAt = t0 + results.act2Dispatch.at(-1);
      for (const waitUntil = Date.now() + 10_000; COMPACTION === 'expect'; ) {
        const compacted = server.lines.slice(from).map((l) => JSON.parse(l)).find((l) => l.msg === 'chunks compacted' && l.job === id);
        if (compacted) {
          results.act2Compacted.push(at(compacted) - lastDispatchAt);
          results.act2Chunks.push(compacted.chunks);
          if (process.env.ACT2_BENCH_DEBUG) console.log(JSON.stringify({ compacted: at(compacted) - t0, chunks: compacted.chunks, ms: compacted.ms }));
          break;
        }
        if (Date.now() > waitUntil) throw new Error(`job ${run + 1} (counting ${WARMUP} warm-up): no 'chunks compacted' logged for job ${id} within 10 s of its finish (ACT2_BENCH_COMPACTION=none for a build or a latency without it)`);
        await new Promise((r) => setTimeout(r, 20));
      }
      const job = await (await fetch(`${act2}/api/v1/jobs/${id}`)).json();
      if (job.counts.returned !== allIds.length) throw new Error(`only ${job.counts.returned} returned`);
    }

    for (let run = 0; run < WARMUP + RUNS; run += 1) {
      const steps = [bare, () => act2Job(run), ...floors.map((f) => async () => f.dispatch.push(await floorJob(f.floor, allIds)))];
      // Each side goes first in turn: none always runs right after another's job on the shared cores.
      for (let i = 0; i < steps.length; i += 1) await steps[(run + i) % steps.length]();
    }
    for (const xs of [...Object.values(results), ...floors.map((f) => f.dispatch)]) xs.splice(0, WARMUP);
    const peak = rssKiB(server.child.pid, 'VmHWM');
    // The ratio of the medians, and the median of each run's own ratio (the host's speed drifts between runs).
    const row = (name, a, b) => `| ${name} | ${median(b).toFixed(0)} ms | ${median(a).toFixed(0)} ms | ${(median(a) / median(b)).toFixed(2)}× | ${median(a.map((x, i) => x / b[i])).toFixed(2)}× |`;
    console.log(`one test.ping job to ${allIds.length} minions over ${MASTERS} masters, ${DIALECT}, poll ${POLL}, minion latency ${LATENCY_HI > 0 ? `${LATENCY_LO}-${LATENCY_HI}` : 0} ms, median of ${RUNS} after ${WARMUP} warm-up jobs`);
    console.log('| phase | bare client | act2-server | ratio | per-run ratio (median) |');
    console.log('|---|---|---|---|---|');
    console.log(row('POST → last local_async answered', results.act2Dispatch, results.bareDispatch));
    for (const f of floors) console.log(row(`floor server (jobs-floor.mjs), pairs ${f.lookup === 'memory' ? 'in a Map' : 'read from SQLite'}, job stored in SQLite: POST → last local_async answered`, f.dispatch, results.bareDispatch));
    console.log(row('last local_async answered → every return stored', results.act2Collect, results.bareCollect));
    console.log(row('POST → every return stored (job finished)', results.act2Total, results.bareTotal));
    if (results.act2Compacted.length > 0) console.log(row('last local_async answered → chunks compacted into rows (after the finish)', results.act2Compacted, results.bareCollect));
    console.log(`act2-server RSS: ${(rssBefore / 1024).toFixed(0)} MiB before the jobs, peak ${(peak / 1024).toFixed(0)} MiB`);
    const runs = (xs) => xs.map((x) => x.toFixed(0)).join(', ');
    for (const f of floors) console.log(`act2 / floor (${f.lookup}) dispatch: ${(median(results.act2Dispatch) / median(f.dispatch)).toFixed(2)}×; runs: floor dispatch ${runs(f.dispatch)}`);
    console.log(`runs: act2 dispatch ${runs(results.act2Dispatch)}; bare dispatch ${runs(results.bareDispatch)}; total ${runs(results.act2Total)}; bare total ${runs(results.bareTotal)}`);
    console.log(`runs: act2 stored ${runs(results.act2Collect)}; bare stored ${runs(results.bareCollect)}; act2 compacted ${runs(results.act2Compacted)} (chunks: ${results.act2Chunks.join(', ')})`);
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await dispatcher.close();
    await new Promise((r) => setTimeout(r, 300));
    rmSync(dir, { recursive: true, force: true });
    await dropPg?.();
  }
}

await main();
