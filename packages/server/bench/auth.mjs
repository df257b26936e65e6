#!/usr/bin/env node
// Auth overhead benchmark: steady-state registrations with auth off (`--auth none`) against auth
// on, every master registering with its own key as agents do after enrollment (a hash, a cached
// key lookup, and the binding check inside the registration's transaction). The full server path
// (routing, the auth hook, JSON parse, validation, the transaction) through fastify's inject, so
// the socket layer, identical for both, does not drown the difference on a loaded machine.
// Rounds alternate off/on; per round: registrations per second (sequential, wall clock) and CPU
// milliseconds per registration (process.cpuUsage, less sensitive to other processes' load).
// The figure is the median over rounds of each on/off pair.
//
//   npx -y pnpm@10 --filter @act2/server build && node packages/server/bench/auth.mjs
//
// Env: ACT2_BENCH_PG (admin URL), ACT2_BENCH_MASTERS (default 100), ACT2_BENCH_MINIONS (per master,
// default 50), ACT2_BENCH_ROUNDS (default 9), ACT2_BENCH_REPEAT (registrations of each master per round, default 5).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { buildApp, createDb, createToken, runMigrations, serverConfig } from '../dist/index.js';

const MASTERS = Number(process.env.ACT2_BENCH_MASTERS ?? 100);
const MINIONS = Number(process.env.ACT2_BENCH_MINIONS ?? 50);
const ROUNDS = Number(process.env.ACT2_BENCH_ROUNDS ?? 9);
/** Each round registers every master this many times: long enough that one GC pause does not decide it. */
const REPEAT = Number(process.env.ACT2_BENCH_REPEAT ?? 5);
const PG_ADMIN = process.env.ACT2_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
const KEY = randomBytes(32).toString('hex');

function body(i) {
  const sn = `BENCH-${String(i).padStart(4, '0')}`;
  return JSON.stringify({
    master: { sn, server: 'http://127.0.0.1:8001', status: 'running', idc: 'bench', type: 'salt' },
    minions: Array.from({ length: MINIONS }, (_, m) => ({ sn: `${sn}-m${m}`, status: 'running', ips: [`10.${i & 255}.${m >> 8}.${m & 255}`] })),
  });
}
const BODIES = Array.from({ length: MASTERS }, (_, i) => body(i));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Every master registers REPEAT times (identical re-sends); returns [registrations/s, CPU ms per registration]. */
async function round(app, keys) {
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let n = 0; n < MASTERS * REPEAT; n += 1) {
    const i = n % MASTERS;
    const headers = { 'content-type': 'application/json', ...(keys ? { authorization: `Bearer ${keys[i]}` } : {}) };
    const res = await app.inject({ method: 'POST', url: '/register', headers, payload: BODIES[i] });
    if (res.statusCode !== 200) throw new Error(`registration failed: ${res.statusCode} ${res.body}`);
  }
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  return [(MASTERS * REPEAT) / seconds, (used.user + used.system) / 1000 / (MASTERS * REPEAT)];
}

async function bench(label, dbUrl) {
  const db = createDb({ db: dbUrl, dbPoolSize: 4 });
  await runMigrations(db);
  const { token } = await createToken(db, { name: 'bench-agents', scopes: ['register'] }, Date.now());
  const base = { db: dbUrl, port: 0, secretKey: KEY, logLevel: 'silent', dbPoolSize: 4 };
  const off = await buildApp(serverConfig({ ...base, auth: 'none', instanceId: 'bench-off' }), { db, scheduler: false });
  const on = await buildApp(serverConfig({ ...base, auth: 'tokens', instanceId: 'bench-on' }), { db, scheduler: false });
  // A route that does nothing but pass the auth hook: what auth itself costs a request, isolated.
  for (const app of [off, on]) app.post('/bench-noop', { config: { scope: 'register' } }, async () => ({}));
  try {
    // Enroll every master once: the register token returns each one's key.
    const keys = [];
    for (let i = 0; i < MASTERS; i += 1) {
      const res = await on.inject({ method: 'POST', url: '/register', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, payload: BODIES[i] });
      keys.push(res.json().master_key);
    }
    await round(off, undefined);
    await round(on, keys);
    const offRounds = [];
    const onRounds = [];
    for (let r = 0; r < ROUNDS; r += 1) {
      // Alternate which goes first, so neither always follows the other's load.
      if (r % 2 === 0) {
        offRounds.push(await round(off, undefined));
        onRounds.push(await round(on, keys));
      } else {
        onRounds.push(await round(on, keys));
        offRounds.push(await round(off, undefined));
      }
    }
    const noop = async (app, key) => {
      const started = performance.now();
      for (let n = 0; n < 5000; n += 1) {
        await app.inject({ method: 'POST', url: '/bench-noop', headers: key ? { authorization: `Bearer ${key}` } : {} });
      }
      return ((performance.now() - started) * 1000) / 5000;
    };
    const noopOff = [];
    const noopOn = [];
    for (let r = 0; r < ROUNDS; r += 1) {
      noopOff.push(await noop(off, undefined));
      noopOn.push(await noop(on, keys[r % MASTERS]));
    }
    const rate = (rs) => median(rs.map((x) => x[0]));
    const cpu = (rs) => median(rs.map((x) => x[1]));
    const rateRatio = median(onRounds.map((x, i) => x[0] / offRounds[i][0]));
    const cpuRatio = median(onRounds.map((x, i) => x[1] / offRounds[i][1]));
    console.log(
      `${label.padEnd(10)} reg/s off ${rate(offRounds).toFixed(0)} on ${rate(onRounds).toFixed(0)} (on/off ${(100 * rateRatio).toFixed(1)}%)   ` +
        `CPU ms/reg off ${cpu(offRounds).toFixed(3)} on ${cpu(onRounds).toFixed(3)} (on/off ${(100 * cpuRatio).toFixed(1)}%)`,
    );
    const authUs = median(noopOn.map((x, i) => x - noopOff[i]));
    const regUs = 1e6 / rate(offRounds);
    console.log(
      `           the auth hook alone (no-op route): ${median(noopOff).toFixed(1)} µs/request off, ${median(noopOn).toFixed(1)} µs on: ` +
        `+${authUs.toFixed(1)} µs, ${((100 * authUs) / regUs).toFixed(2)}% of a registration (${regUs.toFixed(0)} µs)`,
    );
  } finally {
    await on.close();
    await off.close();
    await db.destroy();
  }
}

console.log(`${MASTERS} masters x ${MINIONS} minions, identical re-sends, ${ROUNDS} alternating rounds of ${MASTERS * REPEAT} registrations`);
const dir = mkdtempSync(join(tmpdir(), 'act2-bench-auth-'));
try {
  await bench('SQLite', `sqlite:${join(dir, 'act2.sqlite')}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const name = `act2_bench_auth_${randomBytes(4).toString('hex')}`;
const admin = new pg.Client({ connectionString: PG_ADMIN });
await admin.connect();
try {
  await admin.query(`create database ${name}`);
  const url = new URL(PG_ADMIN);
  url.pathname = `/${name}`;
  await bench('PostgreSQL', url.toString());
} finally {
  await admin.query(`drop database if exists ${name} with (force)`);
  await admin.end();
}
