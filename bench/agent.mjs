// Benchmark: one act2-heartbeat run for a 20,000-minion salt-master against the simulator
// (simulated ping latency off), for both grains sources, with wall time and peak RSS of the agent
// process. Baselines measured in the same run, on the same simulator and server:
//   - node-startup: `node -e 0`, the floor of any cron-started process;
//   - raw-client: the same salt-api calls and the same POST done with bare fetch + JSON.parse and no
//     validation, filtering or logging, i.e. the I/O and parsing the agent cannot avoid.
// Usage (after `pnpm build`): node bench/agent.mjs [--minions 20000] [--down 200] [--runs 3]
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
  },
});
const json = values.json;
// With --json the table goes to stderr and stdout carries one JSON line (for `pnpm bench`).
const log = (line) => (json ? process.stderr.write(`${line}\n`) : console.log(line));
const count = Number(values.minions);
const down = Number(values.down);
const runs = Number(values.runs);
const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const bundle = here('../packages/agent/dist/act2-heartbeat.js');
const rawClient = here('./raw-client.mjs');
const USER = 'salt-api';
const PASSWORD = 'bench-password';

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function measure(label, args, env) {
  const samples = [];
  for (let i = 0; i < runs; i += 1) samples.push(await runProcess(args, env));
  const result = { label, ms: median(samples.map((s) => s.ms)), cpuMs: median(samples.map((s) => s.cpuMs)), rssMiB: Math.max(...samples.map((s) => s.rssMiB)) };
  log(`  ${label.padEnd(28)} ${result.ms.toFixed(0).padStart(7)} ms   CPU ${result.cpuMs.toFixed(0).padStart(6)} ms   peak RSS ${result.rssMiB.toFixed(0).padStart(5)} MiB`);
  return result;
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
  const startup = await measure('baseline: node startup', ['-e', '0'], {});
  const raw = await measure('baseline: raw fetch client', [rawClient, saltUrl, server.url, 'RAW-BENCH'], env);
  const results = [];
  for (const source of ['live', 'cache']) {
    // The first run of each source registers the master; the others are identical re-sends.
    results.push({ source, ...(await measure(`agent --grains-source ${source}`, agentArgs(source, `BENCH-${source}`), env)) });
  }
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
