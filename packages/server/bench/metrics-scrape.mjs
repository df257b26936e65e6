#!/usr/bin/env node
// What /metrics costs the server during a cron herd. act2-server runs as its own process on
// SQLite (so database work counts as server CPU too); its CPU is read from /proc/<pid>/stat.
//
//  1. seed: MASTERS masters of MINIONS minions each;
//  2. scrape cost: on the otherwise idle server, a scrape that misses the 5 s gauge cache (DB
//     queries) and one that hits it, CPU ms each (median of SCRAPES);
//  3. herd: every master re-registers within HERD_S seconds (some minions change), as a fleet
//     whose cron fires at once with --splay; the server's CPU over the herd, and the same herd
//     again while /metrics is scraped every second (15 times Prometheus' usual 15 s).
//  Result: scrape CPU per 15 s (one cache-missing scrape) as a share of the server's CPU in the herd.
//
//   npx -y pnpm@10 --filter @act2/server build && nice node packages/server/bench/metrics-scrape.mjs
//
// Env: ACT2_BENCH_MASTERS (1000), ACT2_BENCH_MINIONS (50), ACT2_BENCH_HERD_S (20), ACT2_BENCH_SCRAPES (4).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MASTERS = Number(process.env.ACT2_BENCH_MASTERS ?? 1000);
const MINIONS = Number(process.env.ACT2_BENCH_MINIONS ?? 50);
const HERD_S = Number(process.env.ACT2_BENCH_HERD_S ?? 20);
const SCRAPES = Number(process.env.ACT2_BENCH_SCRAPES ?? 4);
const CACHE_MS = 5_000;
const TICKS = 100; // USER_HZ on Linux

const entry = fileURLToPath(new URL('../dist/act2-server.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'act2-metrics-bench-'));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** CPU ms of the main thread (JS and SQLite run there), in nanosecond precision. */
function mainThreadMs(pid) {
  return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
}

/** CPU ms (user + system, every thread) the process has used so far, in 10 ms ticks. */
function cpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS;
}

function body(m, round) {
  return JSON.stringify({
    master: { sn: `bench-m-${m}`, server: 'http://127.0.0.1:8001', status: 'running', idc: `idc-${m % 8}`, type: 'salt' },
    agent: { version: '0.1.0', hostname: `m${m}` },
    minions: Array.from({ length: MINIONS }, (_, i) => ({
      sn: `bench-m-${m}-${i}`,
      // A few minions flip each round: a herd is not only identical re-sends.
      status: (i + round) % 13 === 0 ? 'stopped' : 'running',
      ips: [`10.${m >> 8}.${m & 255}.${i}`],
    })),
  });
}

async function register(url, m, round) {
  const res = await fetch(`${url}/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body(m, round) });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`register answered ${res.status}`);
}

/** Every master once, spread evenly over `seconds`, at most 16 in flight (a herd with splay). */
async function herd(url, round, seconds) {
  const gap = (seconds * 1000) / MASTERS;
  const start = Date.now();
  const inflight = new Set();
  for (let m = 0; m < MASTERS; m += 1) {
    const due = start + m * gap;
    if (due > Date.now()) await sleep(due - Date.now());
    while (inflight.size >= 16) await Promise.race(inflight);
    const p = register(url, m, round).finally(() => inflight.delete(p));
    inflight.add(p);
  }
  await Promise.all(inflight);
  return (Date.now() - start) / 1000;
}

async function scrape(url) {
  const res = await fetch(`${url}/metrics`);
  const text = await res.text();
  if (res.status !== 200 || !text.includes('act2_masters')) throw new Error(`scrape answered ${res.status}`);
  return text.length;
}

const child = spawn(process.execPath, [entry, '--port', '0', '--host', '127.0.0.1', '--db', join(dir, 'act2.sqlite'), '--log-level', 'info', '--allow-anonymous-register', '--metrics-allow', '127.0.0.1/32'], {
  // Logging at info, as in production: every request line is part of the server's cost.
  stdio: ['ignore', 'pipe', 'inherit'],
  env: { ...process.env, ACT2_SECRET_KEY: randomBytes(32).toString('hex') },
});
try {
  const url = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (c) => {
      if (out.length < 100_000) out += c;
      const found = /"url":"(http:[^"]+)"/.exec(out);
      if (found) resolve(found[1]);
    });
    child.once('exit', (code) => reject(new Error(`server exited ${code}: ${out}`)));
    setTimeout(() => reject(new Error(`no url in: ${out}`)), 15_000);
  });
  const pid = child.pid;

  console.log(`seeding ${MASTERS} masters × ${MINIONS} minions…`);
  await herd(url, 0, 0);

  const missCosts = [];
  const hitCosts = [];
  let bytes = 0;
  for (let i = 0; i < SCRAPES; i += 1) {
    await sleep(CACHE_MS + 100);
    let before = mainThreadMs(pid);
    bytes = await scrape(url);
    missCosts.push(mainThreadMs(pid) - before);
    before = mainThreadMs(pid);
    await scrape(url);
    hitCosts.push(mainThreadMs(pid) - before);
  }
  const miss = median(missCosts);
  const hit = median(hitCosts);

  let before = cpuMs(pid);
  const quietS = await herd(url, 1, HERD_S);
  const herdCpu = cpuMs(pid) - before;

  let scrapes = 0;
  let stop = false;
  const scraping = (async () => {
    while (!stop) {
      await scrape(url);
      scrapes += 1;
      await sleep(1000);
    }
  })();
  before = cpuMs(pid);
  const busyS = await herd(url, 2, HERD_S);
  stop = true;
  await scraping;
  const herdScrapedCpu = cpuMs(pid) - before;

  const cpuPer15s = (herdCpu / quietS) * 15;
  console.log(`\n/metrics response: ${(bytes / 1024).toFixed(1)} KiB`);
  console.log(`scrape CPU, idle server: ${miss.toFixed(1)} ms missing the gauge cache (DB queries), ${hit.toFixed(1)} ms hitting it (main thread, median of ${SCRAPES})`);
  console.log(`herd: ${MASTERS} registrations in ${quietS.toFixed(1)} s: server CPU ${herdCpu.toFixed(0)} ms (${((herdCpu / (quietS * 1000)) * 100).toFixed(1)}% of a core)`);
  console.log(`herd while scraping every 1 s (${scrapes} scrapes): server CPU ${herdScrapedCpu.toFixed(0)} ms in ${busyS.toFixed(1)} s`);
  console.log(`one scrape per 15 s during the herd: ${miss.toFixed(1)} ms of ${cpuPer15s.toFixed(0)} ms server CPU = ${((miss / cpuPer15s) * 100).toFixed(2)}%`);
} finally {
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
}
