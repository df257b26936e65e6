#!/usr/bin/env node
// Auth overhead benchmark: steady-state registrations with auth off (`--auth none`) against auth
// on, every master registering with its own key as agents do after enrollment. Two apps on one
// database, the full server path (routing, the auth hook, JSON parse, validation, the transaction)
// through fastify's inject: the socket layer is identical for both and would only add noise.
//
// The two modes are interleaved request by request (off, on, off, on, …) and each request's wall
// time and CPU time (process.cpuUsage) is added to its mode: on a shared, loaded machine, drift and
// other processes then hit both modes alike, which alternating whole rounds did not achieve.
// Worst case for auth: small registrations (identical re-sends of 50 minions, ~1 ms each), where
// a fixed cost per request weighs most. A key found valid stays cached until the auth epoch moves
// (a revocation or rebind anywhere; polled every --auth-cache), so the steady state costs a hash
// and a Map lookup. ACT2_BENCH_AUTH_CACHE=0 shows the cost without any cache (a lookup per request).
//
//   npx -y pnpm@10 --filter @act2/server build && node packages/server/bench/auth.mjs
//
// Env: ACT2_BENCH_PG (admin URL), ACT2_BENCH_MASTERS (default 100), ACT2_BENCH_MINIONS (per master,
// default 50), ACT2_BENCH_PASSES (registrations of every master per mode, default 30),
// ACT2_BENCH_AUTH_CACHE (ms, default 1000; 0: no credential cache).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { buildApp, createDb, createToken, runMigrations, serverConfig } from '../dist/index.js';

const MASTERS = Number(process.env.ACT2_BENCH_MASTERS ?? 100);
const MINIONS = Number(process.env.ACT2_BENCH_MINIONS ?? 50);
const PASSES = Number(process.env.ACT2_BENCH_PASSES ?? 30);
const AUTH_CACHE_MS = Number(process.env.ACT2_BENCH_AUTH_CACHE ?? 1000);
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

async function timedRegister(app, i, key, into) {
  const headers = { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) };
  const cpu = process.cpuUsage();
  const started = performance.now();
  const res = await app.inject({ method: 'POST', url: '/register', headers, payload: BODIES[i] });
  const wallMs = performance.now() - started;
  into.wallMs += wallMs;
  into.walls.push(wallMs);
  const used = process.cpuUsage(cpu);
  into.cpuMs += (used.user + used.system) / 1000;
  into.n += 1;
  if (res.statusCode !== 200) throw new Error(`registration failed: ${res.statusCode} ${res.body}`);
}

async function bench(label, dbUrl) {
  const db = createDb({ db: dbUrl, dbPoolSize: 4 });
  await runMigrations(db);
  const { token } = await createToken(db, { name: 'bench-agents', scopes: ['register'] }, Date.now());
  const base = { db: dbUrl, port: 0, secretKey: KEY, logLevel: 'silent', dbPoolSize: 4 };
  const off = await buildApp(serverConfig({ ...base, auth: 'none', instanceId: 'bench-off' }), { db, scheduler: false });
  const on = await buildApp(serverConfig({ ...base, auth: 'tokens', authCacheMs: AUTH_CACHE_MS, instanceId: 'bench-on' }), { db, scheduler: false });
  try {
    // Enroll every master once: the register token returns each one's key.
    const keys = [];
    for (let i = 0; i < MASTERS; i += 1) {
      const res = await on.inject({ method: 'POST', url: '/register', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, payload: BODIES[i] });
      keys.push(res.json().master_key);
    }
    const stats = () => ({ wallMs: 0, cpuMs: 0, n: 0, walls: [] });
    const warm = stats();
    for (let i = 0; i < MASTERS; i += 1) {
      await timedRegister(off, i, undefined, warm);
      await timedRegister(on, i, keys[i], warm);
    }
    const offStats = stats();
    const onStats = stats();
    for (let pass = 0; pass < PASSES; pass += 1) {
      for (let i = 0; i < MASTERS; i += 1) {
        // Which mode goes first alternates too.
        if ((pass + i) % 2 === 0) {
          await timedRegister(off, i, undefined, offStats);
          await timedRegister(on, i, keys[i], onStats);
        } else {
          await timedRegister(on, i, keys[i], onStats);
          await timedRegister(off, i, undefined, offStats);
        }
      }
    }
    // Throughput from the mean time per registration without the slowest 2% of either side: a WAL
    // checkpoint or an fsync stall lands on whichever registration happens to trigger it.
    const rate = (s) => {
      const kept = [...s.walls].sort((a, b) => a - b).slice(0, Math.ceil(s.walls.length * 0.98));
      return (1000 * kept.length) / kept.reduce((a, b) => a + b, 0);
    };
    const rawRate = (s) => (1000 * s.n) / s.wallMs;
    const cpu = (s) => s.cpuMs / s.n;
    console.log(
      `${label.padEnd(10)} registrations/s  off ${rate(offStats).toFixed(0)}  on ${rate(onStats).toFixed(0)}  (on/off ${((100 * rate(onStats)) / rate(offStats)).toFixed(1)}%)   ` +
        `CPU ms/registration  off ${cpu(offStats).toFixed(3)}  on ${cpu(onStats).toFixed(3)}  (+${((100 * (cpu(onStats) - cpu(offStats))) / cpu(offStats)).toFixed(1)}%)`,
    );
    console.log(`           untrimmed: off ${rawRate(offStats).toFixed(0)}  on ${rawRate(onStats).toFixed(0)} registrations/s (on/off ${((100 * rawRate(onStats)) / rawRate(offStats)).toFixed(1)}%)`);
  } finally {
    await on.close();
    await off.close();
    await db.destroy();
  }
}

console.log(`${MASTERS} masters x ${MINIONS} minions, identical re-sends, ${PASSES} passes per mode, interleaved request by request, --auth-cache ${AUTH_CACHE_MS} ms`);
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
