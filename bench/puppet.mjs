// Benchmark: one act2-heartbeat --srv-type puppet run for a 20,000-node PuppetDB (the simulator,
// which agrees with real PuppetDB 7.12 captures) registering into act2-server on SQLite, against the
// salt collector on a 20,000-minion salt-api simulator in the same run: time and peak RSS per node.
// Usage (after `pnpm build`): node bench/puppet.mjs [--nodes 20000] [--runs 5]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { createPuppetDbSim, generateNodes } from '../packages/puppetdb-sim/dist/index.js';
import { createSaltApiSim, generateMinions } from '../packages/salt-api-sim/dist/index.js';
import { serverConfig, startServer } from '../packages/server/dist/index.js';
import { logLine, measure, median, runProcess } from './measure.mjs';

const { values } = parseArgs({ options: { nodes: { type: 'string', default: '20000' }, runs: { type: 'string', default: '5' } } });
const count = Number(values.nodes);
const runs = Number(values.runs);
const bundle = fileURLToPath(new URL('../packages/agent/dist/act2-heartbeat.js', import.meta.url));

const dataDir = mkdtempSync(join(tmpdir(), 'act2-bench-db-'));
const nodes = generateNodes({ count, staleEvery: 20, deactivatedEvery: 100 });
const pdb = createPuppetDbSim({ nodes });
const pdbUrl = await pdb.listen();
const minions = generateMinions({ count, down: Math.round(count / 100), seed: 'bench', prefix: 'node-' });
const salt = createSaltApiSim({ minions, users: [{ name: 'salt-api', password: 'bench', eauth: 'pam', perms: ['.*', '@runner'] }], timeScale: 0 });
const saltUrl = await salt.listen({ port: 0, host: '127.0.0.1' });
const server = await startServer(serverConfig({ db: join(dataDir, 'act2.sqlite'), port: 0, host: '127.0.0.1', logLevel: 'warn' }));

console.log(`collector benchmark: ${count} puppet nodes vs ${count} salt minions, median of ${runs} runs, into act2-server on SQLite`);
const common = ['--act2-server', server.url, '--idc', 'bench', '--advertise-server', 'http://master.example:8080'];
try {
  const startup = await measure('baseline: node startup', ['-e', '0'], {}, runs);
  // Alternated, so that load from elsewhere on the machine weighs on both alike; the first run of
  // each registers the master, the others are identical re-sends.
  const puppetArgs = [bundle, '--srv-type', 'puppet', '--puppetdb-url', pdbUrl, '--master-sn', 'BENCH-PUPPET', ...common];
  const saltArgs = [bundle, '--salt-server', saltUrl, '--master-sn', 'BENCH-SALT', '--ping-timeout', '1s', '--gather-job-timeout', '1s', ...common];
  const samples = { puppet: [], salt: [] };
  for (let i = 0; i < runs; i += 1) {
    samples.puppet.push(await runProcess(puppetArgs, {}));
    samples.salt.push(await runProcess(saltArgs, { ACT2_SALT_PASSWORD: 'bench' }));
  }
  const summarise = (label, xs) => {
    const r = { label, ms: median(xs.map((x) => x.ms)), rssMiB: median(xs.map((x) => x.rssMiB)), out: xs.at(-1).out };
    console.log(`  ${label.padEnd(34)} ${r.ms.toFixed(0).padStart(7)} ms   median peak RSS ${r.rssMiB.toFixed(0).padStart(5)} MiB`);
    return r;
  };
  const puppet = summarise('agent --srv-type puppet', samples.puppet);
  const saltRun = summarise('agent --srv-type salt (live grains)', samples.salt);
  const built = logLine(puppet.out, 'payload built');
  console.log(`\n  puppet payload: ${built?.minions} minions, ${built?.running} running, ${built?.stopped} stopped`);
  for (const r of [puppet, saltRun]) {
    console.log(`  ${r.label.padEnd(34)} ${(((r.ms - startup.ms) * 1000) / count).toFixed(1)} µs/node above node startup, ${(((r.rssMiB - startup.rssMiB) * 1024) / count).toFixed(2)} KiB/node above node startup`);
  }
  console.log(`  puppet / salt: ${(puppet.ms / saltRun.ms).toFixed(2)}× time, ${(puppet.rssMiB / saltRun.rssMiB).toFixed(2)}× memory`);
} finally {
  await server.close();
  await pdb.close();
  await salt.close();
  rmSync(dataDir, { recursive: true, force: true });
}
