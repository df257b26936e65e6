#!/usr/bin/env node
// `pnpm bench`: every figure of issue 12 with the baseline it is judged against, measured in the
// same run, in one table. Each part also runs alone (see BENCHMARKS.md):
//   node packages/server/bench/reads.mjs     reads vs a bare Fastify floor and a fixed answer
//   node packages/server/bench/ingest.mjs    first registration vs identical re-send (and raw inserts)
//   node bench/agent.mjs                     agent CPU vs a bare client making the same calls
//   node packages/server/bench/herd.mjs      the cron herd on PostgreSQL behind nginx vs nginx before a bare server
//                                            (ACT2_BENCH_DB=sqlite: one instance on SQLite)
//   node packages/server/bench/sweep.mjs     the timeout sweep at 10,000 masters vs the raw UPDATE
// Flags: --minions N (reads, default 1000000, the issue's figure; 100000 for a quicker run), --no-herd (the herd takes
// ~3 minutes and needs nginx: apt-get install -y nginx-light); env as each part documents.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const args = process.argv.slice(2);
const minionsAt = args.indexOf('--minions');
const readMinions = minionsAt >= 0 ? args[minionsAt + 1] : '1000000';

async function part(script, extra = [], env = {}) {
  process.stderr.write(`running ${Object.entries(env).map(([k, v]) => `${k}=${v} `).join('')}${script} ${extra.join(' ')}\n`);
  const { stdout } = await run(process.execPath, [here(script), '--json', ...extra], { maxBuffer: 64 * 1024 * 1024, env: { ...process.env, ...env } });
  return JSON.parse(stdout.trim().split('\n').pop());
}

const reads = await part('../packages/server/bench/reads.mjs', ['--minions', readMinions]);
const ingest = await part('../packages/server/bench/ingest.mjs');
const agent = await part('./agent.mjs');
const sweep = await part('../packages/server/bench/sweep.mjs');
// The herds need nginx; without it the table says so instead of failing the other figures.
const herdOf = (dialect) =>
  args.includes('--no-herd') ? 'not run (--no-herd)' : part('../packages/server/bench/herd.mjs', [], { ACT2_BENCH_DB: dialect }).catch((err) => `not run: ${String(err.stderr ?? err).trim().split('\n').pop()}`);
const herd = await herdOf('postgres');
const sqliteHerd = await herdOf('sqlite');

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
  // The same re-send reaching an instance that has not seen this body (after a restart, or the other
  // instance behind nginx): no remembered body, the per-master digest of the normalised set decides.
  rows.push([
    `identical re-send of 10k minions to another instance (digest path), ${r.name}`,
    '≤ 10% of a first send',
    `${r.cold.toFixed(0)} ms (CPU ${((100 * r.coldCpu) / r.firstCpu).toFixed(1)}% of the first send's)`,
    `first send ${r.first.toFixed(0)} ms`,
    `${((100 * r.cold) / r.first).toFixed(1)}%`,
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

for (const [figure, goal, phases] of [
  ['cron herd, 1,000 masters × 1,000 new minions in 60 s, 2 instances on PostgreSQL behind nginx', '100% accepted, p99 ≤ 2 s', herd],
  ['cron herd, the same, 1 instance on SQLite behind nginx', 'keep p99 within 0.6–1.1 s (issue 12)', sqliteHerd],
]) {
  if (typeof phases === 'string') {
    rows.push([figure, goal, phases, '', '']);
    continue;
  }
  const first = phases.find((r) => r.name.startsWith('first'));
  const base = phases.find((r) => r.name.startsWith('baseline'));
  const steady = phases.find((r) => r.name.startsWith('steady'));
  rows.push([
    figure,
    goal,
    `${first.accepted}/${first.total} accepted, p99 ${fmt(first.latency.p99)} ms; steady re-send p99 ${fmt(steady.latency.p99)} ms (keep within 44–83 ms)`,
    base ? `nginx before a bare server: p99 ${fmt(base.latency.p99)} ms` : '',
    '',
  ]);
}
for (const r of sweep) {
  const kept = r.dialect === 'sqlite' ? 2.1 : 5.9;
  rows.push([
    `timeout sweep at ${fmt(r.masters)} masters, ${r.dialect}`,
    `keep ≤ ${kept} ms (issue 12)`,
    `${r.quiet.app.toFixed(2)} ms (nothing times out), ${r.stale.app.toFixed(2)} ms (${r.stale.stale} time out)`,
    `raw UPDATE … RETURNING ${r.quiet.bare.toFixed(2)} / ${r.stale.bare.toFixed(2)} ms`,
    `${(r.quiet.app / r.quiet.bare).toFixed(2)}× / ${(r.stale.app / r.stale.bare).toFixed(2)}×`,
  ]);
}
console.log('| figure | goal | measured | baseline in the same run | ratio |');
console.log('|---|---|---|---|---|');
for (const row of rows) console.log(`| ${row.join(' | ')} |`);
