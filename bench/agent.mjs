// Benchmark: one act2-heartbeat run for a 20,000-minion salt-master against the simulator
// (simulated ping latency off), for both grains sources, with wall time and peak RSS of the agent
// process. Baselines measured in the same run, on the same simulator and server:
//   - node-startup: `node -e 0`, the floor of any cron-started process;
//   - raw-client: the same salt-api calls and the same POST done with bare fetch + JSON.parse and no
//     validation, filtering or logging, i.e. the I/O and parsing the agent cannot avoid.
// Every case runs once per round, baseline and agent in turn (see measureInterleaved).
// Usage (after `pnpm build`): node bench/agent.mjs [--minions 20000] [--down 200] [--runs 3] [--sources live,cache]
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { createSaltApiSim, generateMinions } from '../packages/salt-api-sim/dist/index.js';
import { serverConfig, startServer } from '../packages/server/dist/index.js';
import { runProcess } from './measure.mjs';

const { values } = parseArgs({
  options: {
    minions: { type: 'string', default: '20000' },
    down: { type: 'string', default: '200' },
    runs: { type: 'string', default: '3' },
    json: { type: 'boolean', default: false },
    sources: { type: 'string', default: 'live,cache' },
  },
});
const json = values.json;
// With --json the table goes to stderr and stdout carries one JSON line (for `pnpm bench`).
const log = (line) => (json ? process.stderr.write(`${line}\n`) : console.log(line));
const count = Number(values.minions);
const down = Number(values.down);
const runs = Number(values.runs);
const sources = values.sources.split(',');
const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const bundle = here('../packages/agent/dist/act2-heartbeat.js');
const rawClient = here('./raw-client.mjs');
const USER = 'salt-api';
const PASSWORD = 'bench-password';

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Runs every case once per round, `runs` rounds: the baseline and the agent take turns, so load
 * from elsewhere on a shared machine weighs on both alike. Medians per case.
 */
async function measureInterleaved(cases) {
  const samples = cases.map(() => []);
  for (let i = 0; i < runs; i += 1) {
    for (const [index, c] of cases.entries()) samples[index].push(await runProcess(c.args, c.env));
  }
  return cases.map((c, index) => {
    const s = samples[index];
    const result = { label: c.label, ms: median(s.map((x) => x.ms)), cpuMs: median(s.map((x) => x.cpuMs)), rssMiB: Math.max(...s.map((x) => x.rssMiB)) };
    log(`  ${c.label.padEnd(28)} ${result.ms.toFixed(0).padStart(7)} ms   CPU ${result.cpuMs.toFixed(0).padStart(6)} ms   peak RSS ${result.rssMiB.toFixed(0).padStart(5)} MiB`);
    return result;
  });
}

const dataDir = mkdtempSync(join(tmpdir(), 'act2-bench-db-'));
const minions = generateMinions({ count, down, seed: 'bench', prefix: 'node-' });
const sim = createSaltApiSim({ minions, users: [{ name: USER, password: PASSWORD, eauth: 'pam', perms: ['.*', '@runner'] }], timeScale: 0 });
const saltUrl = await sim.listen({ port: 0, host: '127.0.0.1' });
const server = await startServer(
  serverConfig({ db: join(dataDir, 'act2.sqlite'), port: 0, host: '127.0.0.1', logLevel: 'warn', auth: 'none', secretKey: randomBytes(32).toString('hex') }),
);

log(`act2-heartbeat benchmark: ${count} minions (${down} down), simulated ping latency off, median of ${runs} runs`);
const agentArgs = (source, sn) => [
  bundle,
  '--salt-server', saltUrl,
  '--act2-server', server.url,
  '--idc', 'bench',
  '--master-sn', sn,
  '--grains-source', source,
  '--ping-timeout', '1s',
  '--gather-job-timeout', '1s',
];
const env = { ACT2_SALT_PASSWORD: PASSWORD };
try {
  // The first run of each source registers the master; the others are identical re-sends.
  const [startup, raw, ...measured] = await measureInterleaved([
    { label: 'baseline: node startup', args: ['-e', '0'], env: {} },
    { label: 'baseline: raw fetch client', args: [rawClient, saltUrl, server.url, 'RAW-BENCH'], env },
    ...sources.map((source) => ({ label: `agent --grains-source ${source}`, args: agentArgs(source, `BENCH-${source}`), env })),
  ]);
  const results = measured.map((r, index) => ({ source: sources[index], ...r }));
  log('\n  vs baseline (raw fetch client):');
  for (const r of results) {
    log(
      `  ${r.source.padEnd(6)} ${(r.cpuMs / raw.cpuMs).toFixed(2)}× CPU, ${(r.ms / raw.ms).toFixed(2)}× time, ${(r.rssMiB / raw.rssMiB).toFixed(2)}× memory; ` +
        `${(r.ms - startup.ms).toFixed(0)} ms above node startup`,
    );
  }
  if (json) process.stdout.write(`${JSON.stringify({ minions: count, down, startup, raw, results })}\n`);
} finally {
  await server.close();
  await sim.close();
  rmSync(dataDir, { recursive: true, force: true });
}
