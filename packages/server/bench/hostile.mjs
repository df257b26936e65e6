#!/usr/bin/env node
// Hostile-payload and responsiveness benchmark (issue 11, findings 1 and 2). The built act2-server
// runs in its own process on SQLite (auth off) with its default limits (16 MiB body, 200,000 minions); each
// payload is sent once while /healthz is polled every 10 ms on another connection. Measured from
// /proc: the server's CPU time for the request and its peak RSS while it runs.
//
//   npx -y pnpm@10 --filter @act2/server build && node packages/server/bench/hostile.mjs
//
// Part 1: the worst payloads within the body limit (each must cost < 1 s CPU, < 300 MB).
// Part 2: one valid 300,000-minion registration (body limit raised to 64 MiB for it), with /healthz
// every 10 ms and a small registration of another master every 200 ms sent meanwhile (both must
// answer within 100 ms); first the same probes for a few seconds against the idle server (the
// baseline, same run, same load), then the big registration first time and re-sent identical.
// Each line prints p50/p99/max of both probes.
// Env: ACT2_BENCH_BIG_MINIONS (default 300000), ACT2_BENCH_ONLY=1|2, ACT2_BENCH_DB=sqlite|postgres
// (part 2 on a fresh PostgreSQL database under ACT2_BENCH_PG, default
// postgres://postgres@127.0.0.1:5432/test), ACT2_BENCH_SERVER (another built act2-server.js, e.g.
// main's, to compare), ACT2_BENCH_SERVER_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"),
// ACT2_BENCH_LOOP_MONITOR=1 (the server's longest synchronous step in CPU time, see loop-monitor.mjs).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import pg from 'pg';
import { Client } from 'undici';

const SERVER = process.env.ACT2_BENCH_SERVER ?? fileURLToPath(new URL('../dist/act2-server.js', import.meta.url));
const DB = process.env.ACT2_BENCH_DB ?? 'sqlite';
const PG_ADMIN = process.env.ACT2_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
const BASELINE_MS = 4_000;
const LOOP_MONITOR = process.env.ACT2_BENCH_LOOP_MONITOR === '1';
const MONITOR_FILE = join(tmpdir(), `act2-bench-loop-${process.pid}.json`);
const BIG = Number(process.env.ACT2_BENCH_BIG_MINIONS ?? 300_000);
const ONLY = process.env.ACT2_BENCH_ONLY;
const TICK_MS = 1000 / 100; // USER_HZ

async function startServer(db, args = []) {
  const nodeArgs = (process.env.ACT2_BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  if (LOOP_MONITOR) nodeArgs.push('--import', fileURLToPath(new URL('./loop-monitor.mjs', import.meta.url)));
  const child = spawn(process.execPath, [...nodeArgs, SERVER, '--port', '0', '--host', '127.0.0.1', '--auth', 'none', '--db', db, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ACT2_LOOP_MONITOR_FILE: MONITOR_FILE },
  });
  let out = '';
  const url = await new Promise((resolve, reject) => {
    const onData = (chunk) => {
      out += chunk;
      const match = /"url":"(http:[^"]+)"/.exec(out);
      if (match) {
        child.stdout.off('data', onData);
        // Keep draining the request log so the server never blocks on a full pipe.
        child.stdout.resume();
        resolve(match[1]);
      }
    };
    child.stdout.on('data', onData);
    child.once('exit', (code) => reject(new Error(`server exited (${code}): ${out}`)));
  });
  return { child, url };
}

const cpuMs = (pid) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
};
/** The main thread's time on a CPU and waiting for one (ms), from /proc/<pid>/schedstat. */
const mainThreadSched = (pid) => {
  const [run, wait] = readFileSync(`/proc/${pid}/schedstat`, 'utf8').trim().split(' ').map(Number);
  return { run: run / 1e6, wait: wait / 1e6 };
};
const rssMb = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;

const percentile = (xs, q) => {
  if (xs.length === 0) return 0;
  const sorted = [...xs].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]);
};

const latencies = (prefix, times) => ({
  [`${prefix}Answered`]: times.length,
  [`${prefix}P50Ms`]: percentile(times, 0.5),
  [`${prefix}P99Ms`]: percentile(times, 0.99),
  [`${prefix}MaxMs`]: percentile(times, 1),
  [`${prefix}Over100Ms`]: times.filter((t) => t > 100).length,
});

/** /healthz every 10 ms until `isDone()`; the latencies. */
async function probeHealth(url, isDone) {
  const health = new Client(url);
  const times = [];
  while (!isDone()) {
    const started = performance.now();
    const r = await health.request({ method: 'GET', path: '/healthz' });
    await r.body.dump();
    times.push(performance.now() - started);
    await new Promise((res) => setTimeout(res, 10));
  }
  await health.close();
  return times;
}

/** Starts (and with `stop`, ends and reads) the server's loop monitor; see loop-monitor.mjs. */
async function loopMonitor(server, stop = false) {
  if (!LOOP_MONITOR) return {};
  if (stop) rmSync(MONITOR_FILE, { force: true });
  server.child.kill('SIGUSR2');
  if (!stop) return {};
  for (let i = 0; i < 100 && !existsSync(MONITOR_FILE); i += 1) await new Promise((r) => setTimeout(r, 20));
  return { mainThreadLoop: JSON.parse(readFileSync(MONITOR_FILE, 'utf8')) };
}

/** The probes of part 2 against the idle server for {@link BASELINE_MS}: what "answered at once" costs here, now. */
async function baseline(server) {
  await loopMonitor(server);
  const until = performance.now() + BASELINE_MS;
  const isDone = () => performance.now() >= until;
  const [health, small] = await Promise.all([probeHealth(server.url, isDone), smallRegistrations(server.url, isDone, 'baseline')]);
  return { payload: 'baseline: idle server, same probes', wallMs: BASELINE_MS, ...latencies('healthz', health), during: small, ...(await loopMonitor(server, true)) };
}

/** Sends `request` on its own connection while polling /healthz; returns what it cost the server. */
async function measure(server, request, extra) {
  const pid = server.child.pid;
  const client = new Client(server.url, { bodyTimeout: 600_000, headersTimeout: 600_000 });
  const rssBefore = rssMb(pid);
  await loopMonitor(server);
  const cpuBefore = cpuMs(pid);
  const schedBefore = mainThreadSched(pid);
  let peak = rssBefore;
  let done = false;
  const sampler = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 5);
  const prober = probeHealth(server.url, () => done);
  const started = performance.now();
  const extraResult = extra ? extra(() => done) : undefined;
  const response = await client.request({ method: 'POST', path: '/register', headers: request.headers, body: request.body });
  const text = await response.body.text();
  const wallMs = performance.now() - started;
  done = true;
  const healthTimes = await prober;
  clearInterval(sampler);
  const result = {
    payload: request.name,
    bytes: request.body.length,
    status: response.statusCode,
    code: response.statusCode === 200 ? 'ok' : JSON.parse(text).code,
    answerBytes: Buffer.byteLength(text),
    wallMs: Math.round(wallMs),
    serverCpuMs: Math.round(cpuMs(pid) - cpuBefore),
    // The main thread (the event loop): its CPU time, and how long it waited, runnable, for a CPU.
    mainThreadCpuMs: Math.round(mainThreadSched(pid).run - schedBefore.run),
    mainThreadRunnableWaitMs: Math.round(mainThreadSched(pid).wait - schedBefore.wait),
    peakRssMb: Math.round(peak),
    rssGrowthMb: Math.round(peak - rssBefore),
    ...latencies('healthz', healthTimes),
    ...(extraResult ? { during: await extraResult } : {}),
    ...(await loopMonitor(server, true)),
  };
  await client.close();
  return result;
}

const JSON_HEADERS = { 'content-type': 'application/json' };
const LIMIT = 16 * 1024 * 1024;
const MASTER = '"master":{"sn":"bench","server":"http://bench:8001","status":"running","idc":"b","type":"salt"}';
const fill = (unit, room) => unit.repeat(Math.floor(room / unit.length) - 1);

function hostilePayloads() {
  const room = LIMIT - MASTER.length - 32;
  const wrap = (inner) => `{${MASTER},"minions":[${inner}]}`;
  const list = [
    ['1,000,000 empty minions (the issue: 3 MB)', wrap(`${'{},'.repeat(999_999)}{}`)],
    ['16 MiB of empty minions', wrap(`${fill('{},', room)}{}`)],
    ['16 MiB of nesting', `${'['.repeat(LIMIT / 2 - 8)}${']'.repeat(LIMIT / 2 - 8)}`],
    ['199,999 empty minions (under every limit: validation stops early)', wrap(`${'{},'.repeat(199_998)}{}`)],
    ['199,999 minions with every field wrong', wrap(`${'{"sn":1,"status":2,"ips":3},'.repeat(199_998)}{}`)],
    ['16 MiB of numbers in 200,000-element arrays', wrap(Array.from({ length: Math.floor(room / 400_002) }, () => `[${'0,'.repeat(199_999)}0]`).join(','))],
    ['16 MiB of distinct short strings', (() => {
      const parts = [];
      let length = 0;
      for (let i = 0; length < room - 16_384; i += 1) {
        const group = Array.from({ length: 1000 }, (_, j) => `"${(i * 1000 + j).toString(36)}"`).join(',');
        parts.push(`[${group}]`);
        length += group.length + 3;
      }
      return wrap(parts.join(','));
    })()],
    ['16 MiB of objects with 256 distinct member names each', (() => {
      const parts = [];
      let length = 0;
      for (let i = 0; length < room - 16_384; i += 1) {
        const object = `{${Array.from({ length: 256 }, (_, j) => `"k${i}_${j}":0`).join(',')}}`;
        parts.push(object);
        length += object.length + 1;
      }
      return wrap(parts.join(','));
    })()],
    ['one 16 MiB string', `{"master":{"sn":"${'x'.repeat(room)}"},"minions":[]}`],
  ];
  const out = list.map(([name, body]) => ({ name, headers: JSON_HEADERS, body: Buffer.from(body) }));
  out.push({ name: 'gzip bomb (20 MiB of whitespace in 20 KB)', headers: { ...JSON_HEADERS, 'content-encoding': 'gzip' }, body: gzipSync(Buffer.alloc(20 * 1024 * 1024, 0x20)) });
  for (const p of out) if (p.headers['content-encoding'] === undefined && p.body.length > LIMIT) throw new Error(`${p.name} is over the body limit`);
  return out;
}

function bigRegistration(count, prefix = 'big') {
  return {
    master: { sn: `${prefix}-master`, server: 'http://big:8001', status: 'running', idc: 'b', type: 'salt' },
    minions: Array.from({ length: count }, (_, i) => ({ sn: `${prefix}-${String(i).padStart(6, '0')}`, status: 'running', ips: [`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`] })),
  };
}

/** A small registration of another master (`sn`), sent every 200 ms while the big one runs. */
async function smallRegistrations(url, isDone, sn = 'small') {
  const client = new Client(url);
  const times = [];
  await new Promise((r) => setTimeout(r, 300));
  for (let n = 0; !isDone(); n += 1) {
    const body = JSON.stringify({ master: { sn, server: 'http://small:8001', status: 'running', idc: 's', type: 'salt' }, minions: [{ sn: `${sn}-${n % 3}`, status: 'running', ips: ['10.9.9.9'] }] });
    const started = performance.now();
    const r = await client.request({ method: 'POST', path: '/register', headers: JSON_HEADERS, body });
    await r.body.dump();
    if (r.statusCode !== 200) throw new Error(`small registration answered ${r.statusCode}`);
    times.push(performance.now() - started);
    await new Promise((res) => setTimeout(res, 200));
  }
  await client.close();
  return latencies('small', times);
}

/** A fresh database for part 2: a SQLite file in `dir`, or a new PostgreSQL database (dropped by `drop`). */
async function freshDatabase(dir) {
  if (DB === 'sqlite') return { db: join(dir, 'act2.sqlite'), args: [], drop: async () => {} };
  const admin = new pg.Client({ connectionString: PG_ADMIN });
  await admin.connect();
  const name = `act2_bench_hostile_${process.pid}`;
  await admin.query(`drop database if exists ${name} with (force)`);
  await admin.query(`create database ${name}`);
  const url = new URL(PG_ADMIN);
  url.pathname = `/${name}`;
  return {
    db: url.toString(),
    // A shared database needs the key every instance shares; any will do here.
    args: ['--secret-key', '11'.repeat(32)],
    drop: async () => {
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}

const dir = mkdtempSync(join(tmpdir(), 'act2-bench-hostile-'));
try {
  if (ONLY !== '2') {
    const server = await startServer(join(dir, 'one.sqlite'), []);
    try {
      console.log('Part 1: worst payloads within the 16 MiB body limit (SQLite, default limits)');
      for (const payload of hostilePayloads()) console.log(JSON.stringify(await measure(server, payload)));
    } finally {
      server.child.kill('SIGTERM');
    }
  }
  if (ONLY !== '1') {
    const database = await freshDatabase(dir);
    const server = await startServer(database.db, [...database.args, '--body-limit', '64mb', '--max-minions', String(Math.max(BIG, 200_000))]);
    try {
      console.log(`Part 2: one valid ${BIG}-minion registration (${DB}, ${SERVER}), idle baseline, first time then identical re-send; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
      console.log(JSON.stringify(await baseline(server)));
      for (const label of ['first', 'again']) {
        const body = Buffer.from(JSON.stringify(bigRegistration(BIG)));
        const result = await measure(server, { name: `${BIG} minions (${label})`, headers: JSON_HEADERS, body }, (isDone) =>
          smallRegistrations(server.url, isDone),
        );
        console.log(JSON.stringify(result));
      }
      console.log(`load average after: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
    } finally {
      server.child.kill('SIGTERM');
      await new Promise((r) => server.child.once('exit', r));
      await database.drop();
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
