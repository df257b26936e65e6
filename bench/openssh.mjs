// Benchmark: one act2-heartbeat --srv-type openssh run over a 5,000-host salt-ssh roster, 5% of the
// hosts down the slow way (they accept and never answer, so each costs the whole --probe-timeout),
// registering into act2-server on SQLite. The "SSH servers" are banner-only listeners on loopback
// addresses (real sshd would fork a process per probe on a shared 2-core machine; the real-sshd
// behaviour is covered by packages/agent/test/openssh.test.ts).
// Usage (after `pnpm build`): node bench/openssh.mjs [--hosts 5000] [--down-pct 5] [--runs 1] [--concurrency 64]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { serverConfig, startServer } from '../packages/server/dist/index.js';
import { logLine, measure } from './measure.mjs';

const { values } = parseArgs({
  options: { hosts: { type: 'string', default: '5000' }, 'down-pct': { type: 'string', default: '5' }, runs: { type: 'string', default: '1' }, concurrency: { type: 'string', default: '64,256' } },
});
const hosts = Number(values.hosts);
const down = Math.round((hosts * Number(values['down-pct'])) / 100);
const runs = Number(values.runs);
const bundle = fileURLToPath(new URL('../packages/agent/dist/act2-heartbeat.js', import.meta.url));

function listen(host, onConnection) {
  return new Promise((resolve) => {
    const sockets = new Set();
    const server = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
      onConnection(socket);
    });
    server.closeAll = () => new Promise((r) => { for (const s of sockets) s.destroy(); server.close(r); });
    server.listen(0, host, () => resolve({ server, host, port: server.address().port }));
  });
}

const dir = mkdtempSync(join(tmpdir(), 'act2-bench-ssh-'));
const up = [];
for (let i = 1; i <= 20; i += 1) up.push(await listen(`127.0.2.${i}`, (s) => s.end('SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n')));
const silent = [];
for (let i = 1; i <= 5; i += 1) silent.push(await listen(`127.0.3.${i}`, () => undefined));
const lines = [];
for (let i = 0; i < hosts; i += 1) {
  const target = down > 0 && i % Math.round(hosts / down) === 0 ? silent[i % silent.length] : up[i % up.length];
  lines.push(`host-${String(i).padStart(5, '0')}:\n  host: ${target.host}\n  port: ${target.port}\n  user: deploy`);
}
const roster = join(dir, 'roster');
writeFileSync(roster, `${lines.join('\n')}\n`);
const server = await startServer(serverConfig({ db: join(dir, 'act2.sqlite'), port: 0, host: '127.0.0.1', logLevel: 'warn' }));

console.log(`openssh probe benchmark: ${hosts} roster hosts, ~${down} silent (3 s probe timeout each), into act2-server on SQLite`);
try {
  for (const concurrency of values.concurrency.split(',')) {
    const r = await measure(`agent --probe-concurrency ${concurrency}`, [
      bundle, '--srv-type', 'openssh', '--roster', roster, '--advertise-server', 'http://ssh-proxy.example:8080', '--act2-server', server.url,
      '--idc', 'bench', '--master-sn', `BENCH-SSH-${concurrency}`, '--probe-concurrency', concurrency,
    ], {}, runs);
    const probes = logLine(r.out, 'ssh probes done');
    console.log(`    probes: ${probes?.hosts} hosts, ${probes?.up} up, ${probes?.down} down in ${probes?.ms} ms; floor ${Math.ceil(probes?.down / Number(concurrency)) * 3} s (down hosts / concurrency × 3 s)`);
  }
} finally {
  await server.close();
  await Promise.all([...up, ...silent].map((l) => l.server.closeAll()));
  rmSync(dir, { recursive: true, force: true });
}
