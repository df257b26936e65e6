#!/usr/bin/env node
// `pnpm bench`: every figure of issue 12 with the baseline it is judged against, measured in the
// same run, in one table. Each part also runs alone (see BENCHMARKS.md):
//   node packages/server/bench/reads.mjs     reads vs a bare Fastify floor and a fixed answer
//   node packages/server/bench/ingest.mjs    first registration vs identical re-send (and raw inserts)
//   node bench/agent.mjs                     agent CPU vs a bare client making the same calls
//   node packages/server/bench/herd.mjs      the cron herd on PostgreSQL behind nginx vs nginx before a bare server
// Flags: --minions N (reads, default 100000; the issue's figure is 1000000), --no-herd (the herd takes
// ~3 minutes and needs nginx: apt-get install -y nginx-light); env as each part documents.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const args = process.argv.slice(2);
const minionsAt = args.indexOf('--minions');
const readMinions = minionsAt >= 0 ? args[minionsAt + 1] : '100000';

async function part(script, extra = []) {
  process.stderr.write(`running ${script} ${extra.join(' ')}\n`);
  const { stdout } = await run(process.execPath, [here(script), '--json', ...extra], { maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(stdout.trim().split('\n').pop());
}

const reads = await part('../packages/server/bench/reads.mjs', ['--minions', readMinions]);
const ingest = await part('../packages/server/bench/ingest.mjs');
const agent = await part('./agent.mjs');
// The herd needs nginx; without it the table says so instead of failing the other figures.
const herd = args.includes('--no-herd') ? 'not run (--no-herd)' : await part('../packages/server/bench/herd.mjs').catch((err) => `not run: ${String(err.stderr ?? err).trim().split('\n').pop()}`);

const fmt = (n) => Math.round(n).toLocaleString('en-US');
const rows = [];
for (const r of reads) {
  const goal = r.dialect === 'sqlite' ? 10 : 20;
  for (const [route, app, floor, paired] of [['GET /minions/{sn}', r.appSn, r.floorSn, r.pairedSn], ['GET /lookup?ip=', r.appIp, r.floorIp, r.pairedIp]]) {
    rows.push([
      `${route}, ${fmt(r.minions)} minions, ${r.dialect}`,
      `≥ 0.8× floor, p99 ≤ ${goal} ms`,
      `${fmt(app.rps)} req/s, p99 ${app.p99} ms, ${fmt(app.cpuUs)} µs CPU/req`,
      `floor ${fmt(floor.rps)} req/s (${fmt(floor.cpuUs)} µs CPU/req); bare fixed ${fmt(r.fixed.rps)}`,
      `${(app.rps / floor.rps).toFixed(2)}× floor (per round: median ${paired === null ? 'n/a' : `${paired.toFixed(2)}×`})`,
    ]);
  }
}
for (const r of ingest) {
  if (r.name === 'mysql') continue;
  rows.push([
    `identical re-send of 10k minions, ${r.name}`,
    '≤ 10% of a first send',
    `${r.resend.toFixed(0)} ms`,
    `first send ${r.first.toFixed(0)} ms (raw driver inserts ${r.raw.toFixed(0)} ms)`,
    `${((100 * r.resend) / r.first).toFixed(1)}%`,
  ]);
}
const live = agent.results.find((r) => r.source === 'live');
rows.push([
  `agent, one run, ${fmt(agent.minions)}-minion master (live grains)`,
  '≤ 1.5× bare client CPU',
  `${live.cpuMs.toFixed(0)} ms CPU, peak RSS ${live.rssMiB.toFixed(0)} MiB`,
  `bare client ${agent.raw.cpuMs.toFixed(0)} ms CPU, ${agent.raw.rssMiB.toFixed(0)} MiB`,
  `${(live.cpuMs / agent.raw.cpuMs).toFixed(2)}×`,
]);

if (typeof herd === 'string') {
  rows.push(['cron herd, 1,000 masters × 1,000 new minions in 60 s, 2 instances on PostgreSQL behind nginx', '100% accepted, p99 ≤ 2 s', herd, '', '']);
} else {
  const first = herd.find((r) => r.name.startsWith('first'));
  const base = herd.find((r) => r.name.startsWith('baseline'));
  const steady = herd.find((r) => r.name.startsWith('steady'));
  rows.push([
    'cron herd, 1,000 masters × 1,000 new minions in 60 s, 2 instances on PostgreSQL behind nginx',
    '100% accepted, p99 ≤ 2 s',
    `${first.accepted}/${first.total} accepted, p99 ${fmt(first.latency.p99)} ms (steady re-send p99 ${fmt(steady.latency.p99)} ms)`,
    base ? `nginx before a bare server: p99 ${fmt(base.latency.p99)} ms` : '',
    base ? `${(first.latency.p99 / base.latency.p99).toFixed(1)}× baseline p99` : '',
  ]);
}
console.log('| figure | goal | measured | baseline in the same run | ratio |');
console.log('|---|---|---|---|---|');
for (const row of rows) console.log(`| ${row.join(' | ')} |`);
