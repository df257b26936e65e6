#!/usr/bin/env node
// How long the built simulator takes to serve a 20,000-minion master's answers.
// Run after `pnpm --filter @act2/salt-api-sim build`: node packages/salt-api-sim/bench/serve-20k.mjs
// The simulator runs as its own process (the CLI) so its CPU time (from /proc) excludes the client's.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const COUNT = Number(process.env.MINIONS ?? 20_000);
const cli = join(dirname(fileURLToPath(import.meta.url)), '../dist/salt-api-sim.js');
const port = 18000 + Math.floor(Math.random() * 1000);

const child = spawn(process.execPath, [cli, '--port', String(port), '--minions', String(COUNT), '--down', '50', '--time-scale', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
const started = performance.now();
await new Promise((resolve) => child.stdout.once('data', resolve));
const startupMs = performance.now() - started;
const url = `http://127.0.0.1:${port}`;

function cpuMs() {
  try {
    const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, USER_HZ = 100
  } catch {
    return NaN;
  }
}

async function post(path, body, token) {
  const cpu0 = cpuMs();
  const t0 = performance.now();
  const res = await fetch(url + path, { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json', ...(token ? { 'X-Auth-Token': token } : {}) }, body: JSON.stringify(body) });
  const bytes = (await res.arrayBuffer()).byteLength;
  return { status: res.status, token: res.headers.get('x-auth-token'), wallMs: performance.now() - t0, cpuMs: cpuMs() - cpu0, bytes };
}

try {
  const { token } = await post('/login', { username: 'salt-api', password: 'salt-api', eauth: 'pam' });
  const ids = Array.from({ length: COUNT }, (_, i) => `minion-${String(i + 1).padStart(Math.max(3, String(COUNT).length), '0')}`);
  const cases = [
    ['manage.status (kwarg timeouts)', [{ client: 'runner', fun: 'manage.status', kwarg: { timeout: 5, gather_job_timeout: 10 } }]],
    ['grains.item, list target of every id', [{ client: 'local', tgt: ids, tgt_type: 'list', fun: 'grains.item', arg: ['serialnumber', 'ip4_interfaces', 'ipv4', 'uuid'] }]],
    ['grains.item, tgt *', [{ client: 'local', tgt: '*', fun: 'grains.item', arg: ['serialnumber', 'ip4_interfaces', 'ipv4', 'uuid'] }]],
    ['cache.grains * (1st; the CLI prewarms the grains cache at start)', [{ client: 'runner', fun: 'cache.grains', tgt: '*' }]],
    ['cache.grains * (2nd)', [{ client: 'runner', fun: 'cache.grains', tgt: '*' }]],
  ];
  console.log(`simulator with ${COUNT} minions up in ${startupMs.toFixed(0)} ms`);
  for (const [name, body] of cases) {
    const r = await post('/', body, token);
    console.log(`${name}: HTTP ${r.status}, ${(r.bytes / 1e6).toFixed(1)} MB, wall ${r.wallMs.toFixed(0)} ms, simulator CPU ${r.cpuMs.toFixed(0)} ms`);
  }
} finally {
  child.kill('SIGTERM');
}
