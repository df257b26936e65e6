import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSaltApiSim, generateMinions } from '../../packages/salt-api-sim/dist/index.js';
import { serverConfig, startServer } from '../../packages/server/dist/index.js';
const minions = generateMinions({ count: 20000, down: 200, seed: 'bench', prefix: 'node-' });
const sim = createSaltApiSim({ minions, users: [{ name: 'salt-api', password: 'pw', eauth: 'pam', perms: ['.*', '@runner'] }], timeScale: 0 });
const saltUrl = await sim.listen({ port: 0, host: '127.0.0.1' });
const server = await startServer(serverConfig({ db: join(mkdtempSync(join(tmpdir(), 'ap-')), 'a.sqlite'), port: 0, host: '127.0.0.1', logLevel: 'warn', auth: 'none', secretKey: randomBytes(32).toString('hex') }));
const { spawn } = await import('node:child_process');
const source = process.argv[2] ?? 'live';
await new Promise((r) => {
  const c = spawn(process.execPath, ['--cpu-prof', '--cpu-prof-dir', '/tmp/i12prof/agent', 'packages/agent/dist/act2-heartbeat.js', '--salt-server', saltUrl, '--act2-server', server.url, '--idc', 'bench', '--master-sn', 'P1', '--grains-source', source, '--ping-timeout', '1s', '--gather-job-timeout', '1s', ...(process.env.EXTRA ? process.env.EXTRA.split(' ') : [])], { env: { PATH: process.env.PATH, ACT2_SALT_PASSWORD: 'pw' }, stdio: 'inherit' });
  c.on('close', r);
});
await server.close(); await sim.close();
