import { execFile, execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { VERSION } from '../src/version.js';
import { createSaltApiSim, generateMinions } from '@act2/salt-api-sim';
import { startServer } from '@act2/server';
import { createTestDatabase } from '@act2/server/testing';
import { registered } from './helpers/act2-replies.js';
import { capture, saltJson } from './helpers/captures.js';
import { startReplayServer } from './helpers/replay-server.js';
import type { ReplayServer } from './helpers/replay-server.js';

const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
let buildDir = '';
let runDir = '';
const servers: ReplayServer[] = [];

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** This node first on PATH, for the bundle's `#!/usr/bin/env node` line. */
const PATH = [dirname(process.execPath), process.env.PATH ?? ''].join(delimiter);

/** Runs a file as a process; async, so the test's own HTTP doubles keep answering. */
function run(command: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd: runDir, env: { PATH, ...env }, timeout: 15_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** The lone copy, as `node act2-heartbeat.js …`. */
function runBundle(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return run(process.execPath, [join(runDir, 'act2-heartbeat.js'), ...args], env);
}

beforeAll(() => {
  // Builds into a temp dir, then copies the bundle ALONE into another one: no node_modules near it.
  buildDir = mkdtempSync(join(tmpdir(), 'act2-agent-build-'));
  runDir = mkdtempSync(join(tmpdir(), 'act2-agent-run-'));
  execFileSync('npx', ['tsup', '--out-dir', buildDir, '--silent'], { cwd: PACKAGE_DIR, stdio: 'pipe' });
  copyFileSync(join(buildDir, 'act2-heartbeat.js'), join(runDir, 'act2-heartbeat.js'));
}, 60_000);

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

afterAll(() => {
  for (const dir of [buildDir, runDir]) if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The salt-api simulator answers at once (timeScale 0.01), so short salt timeouts suffice. */
const SIM_TIMEOUTS = ['--ping-timeout', '1s', '--gather-job-timeout', '1s'];

/**
 * A stand-in for the original act2's register handler: server/common/base.go ReadJSONRequest is
 * ioutil.ReadAll + json.Unmarshal with no decompression, and HandleError answers HTTP 200. So a
 * gzipped body (first byte 0x1f) gets Go's JSON error, plain JSON gets the success envelope.
 */
async function startGoAct2() {
  const received: Array<{ path: string; headers: IncomingHttpHeaders; bytes: number }> = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      received.push({ path: req.url ?? '', headers: req.headers, bytes: body.length });
      let envelope: { status: string; message: string; content: null };
      try {
        JSON.parse(body.toString('utf8'));
        envelope = { status: 'success', message: '', content: null };
      } catch {
        const first = body[0] ?? 0;
        const shown = first < 0x20 ? `\\x${first.toString(16).padStart(2, '0')}` : String.fromCharCode(first);
        envelope = { status: 'error', message: `invalid character '${shown}' looking for beginning of value`, content: null };
      }
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(envelope));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('the single-file bundle dist/act2-heartbeat.js', () => {
  it('is CommonJS with a shebang and no import.meta (an ESM .js alone needs Node >= 20.19)', () => {
    const text = readFileSync(join(buildDir, 'act2-heartbeat.js'), 'utf8');
    expect(text.split('\n').slice(0, 2)).toEqual(['#!/usr/bin/env node', '"use strict";']);
    expect(text).not.toContain('import.meta');
    expect(JSON.parse(readFileSync(join(buildDir, 'package.json'), 'utf8'))).toEqual({ type: 'commonjs' });
  });

  it('runs alone without module detection (what Node 20.18 does)', async () => {
    const run18 = await run(process.execPath, ['--no-experimental-detect-module', join(runDir, 'act2-heartbeat.js'), '--version']);
    expect(run18).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: '' });
  });

  it('runs as an extensionless executable, as installed to /usr/local/bin/act2-heartbeat', async () => {
    const bin = join(runDir, 'act2-heartbeat');
    copyFileSync(join(buildDir, 'act2-heartbeat.js'), bin);
    chmodSync(bin, 0o755);
    expect(await run(bin, ['--version'])).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: '' });
    expect(await run(process.execPath, ['--no-experimental-detect-module', bin, '--version'])).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: '' });
  });

  it('runs from dist/ inside a "type": "module" package, thanks to the dist/package.json marker', async () => {
    const dist = join(runDir, 'pkg', 'dist');
    mkdirSync(dist, { recursive: true });
    writeFileSync(join(runDir, 'pkg', 'package.json'), JSON.stringify({ type: 'module' }));
    for (const file of ['act2-heartbeat.js', 'package.json']) copyFileSync(join(buildDir, file), join(dist, file));
    const inRepo = await run(process.execPath, ['--no-experimental-detect-module', join(dist, 'act2-heartbeat.js'), '--version']);
    expect(inRepo).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: '' });
  });

  it('prints --version and --help with only node', async () => {
    expect(await runBundle(['--version'])).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: '' });
    const help = await runBundle(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Exit codes:');
  });

  it('does a --dry-run against a salt-api double: one JSON line on stdout, logs on stderr', async () => {
    const salt = await startReplayServer([
      { method: 'POST', path: '/login', reply: capture('01') },
      { method: 'POST', path: '/', reply: capture('15') },
      { method: 'POST', path: '/', reply: capture('18') },
      { method: 'POST', path: '/', reply: capture('25') },
    ]);
    servers.push(salt);
    const run = await runBundle(['--dry-run', '--salt-server', salt.url, '--master-sn', 'SN-1'], { ACT2_SALT_PASSWORD: 'pw' });
    expect(run.code).toBe(0);
    const payload = JSON.parse(run.stdout) as { master: { status: string }; minions: { sn: string; status: string }[] };
    expect(payload.minions.map((m) => `${m.sn}:${m.status}`)).toEqual(['oracle-minion-1:running', 'oracle-minion-2:running', 'oracle-minion-3:stopped']);
    expect(run.stderr).toContain('"msg":"payload built"');
    salt.assertDone();
  });

  it('registers for real and exits 5 when salt-api is down', async () => {
    const act2 = await startReplayServer([
      { method: 'POST', path: '/register', reply: registered(), check: (req) => expect(req.json).toMatchObject({ master: { sn: 'SN-1', status: 'stopped', idc: 'idc-1' } }) },
    ]);
    servers.push(act2);
    const run = await runBundle(['--salt-server', 'http://127.0.0.1:9', '--act2-server', act2.url, '--idc', 'idc-1', '--master-sn', 'SN-1'], { ACT2_SALT_PASSWORD: 'pw' });
    expect(run.code).toBe(5);
    expect(run.stdout).toContain('"msg":"register ok"');
    act2.assertDone();
  });

  describe('next to the original act2 (idcos/cloud-act2): HTTP 200 envelopes, POST /api/v1/register', () => {
    const agentArgs = (url: string, salt = 'http://127.0.0.1:9') => ['--salt-server', salt, '--act2-server', url, '--idc', 'idc-1', '--master-sn', 'SN-1', '--deadline', '3s'];
    const logLines = (run: Run) => run.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);

    it('counts {"status":"success"} as registered (exit 5 here: salt-api is down) and says which server answered', async () => {
      const act2 = await startReplayServer([
        { method: 'POST', path: '/api/v1/register', reply: saltJson({ status: 'success', message: '', content: null }), check: (req) => expect(req.json).toMatchObject({ master: { sn: 'SN-1', status: 'stopped' } }) },
      ]);
      servers.push(act2);
      const run = await runBundle(agentArgs(`${act2.url}/api/v1`), { ACT2_SALT_PASSWORD: 'pw' });
      expect(run.code).toBe(5);
      expect(logLines(run).find((l) => l.msg === 'register ok')).toMatchObject({ server: 'original act2', status: 200, attempts: 1 });
      act2.assertDone();
    });

    it('exits 4 on {"status":"error"} with its message in the heartbeat failed line', async () => {
      const act2 = await startReplayServer([{ method: 'POST', path: '/api/v1/register', reply: saltJson({ status: 'error', message: 'idc idc-1 not found', content: null }) }]);
      servers.push(act2);
      const run = await runBundle(agentArgs(`${act2.url}/api/v1`), { ACT2_SALT_PASSWORD: 'pw' });
      expect(run.code).toBe(4);
      expect(logLines(run).find((l) => l.msg === 'heartbeat failed')).toMatchObject({ code: 'ACT2_SERVER_REJECTED', reason: 'the original act2 rejected the registration: idc idc-1 not found' });
      act2.assertDone();
    });

    it('exits 0 on {"status":"success"} when salt-api is up', async () => {
      const minions = generateMinions({ count: 5, down: 1, seed: 'envelope-ok', prefix: 'env-' });
      const sim = createSaltApiSim({ minions, users: [{ name: 'salt-api', password: 'pw', eauth: 'pam', perms: ['.*', '@runner'] }], timeScale: 0.01 });
      const saltUrl = await sim.listen({ port: 0, host: '127.0.0.1' });
      const act2 = await startReplayServer([
        {
          method: 'POST',
          path: '/api/v1/register',
          reply: saltJson({ status: 'success', message: '', content: null }),
          check: (req) => {
            const body = req.json as { master: { sn: string; status: string }; minions: { status: string }[] };
            expect(body.master).toMatchObject({ sn: 'SN-1', status: 'running' });
            expect(body.minions.map((m) => m.status).sort()).toEqual(['running', 'running', 'running', 'running', 'stopped']);
          },
        },
      ]);
      servers.push(act2);
      try {
        const run = await runBundle([...agentArgs(`${act2.url}/api/v1`, saltUrl), ...SIM_TIMEOUTS], { ACT2_SALT_PASSWORD: 'pw' });
        expect(run.code, run.stdout).toBe(0);
        expect(logLines(run).find((l) => l.msg === 'register ok')).toMatchObject({ server: 'original act2', status: 200, attempts: 1 });
        act2.assertDone();
      } finally {
        await sim.close();
      }
    });

    it('sends a gzipped body again uncompressed when the original act2 cannot read it (it does not gunzip), and suggests --no-gzip', async () => {
      const minions = generateMinions({ count: 400, down: 10, seed: 'envelope-gzip', prefix: 'gz-' });
      const sim = createSaltApiSim({ minions, users: [{ name: 'salt-api', password: 'pw', eauth: 'pam', perms: ['.*', '@runner'] }], timeScale: 0.01 });
      const saltUrl = await sim.listen({ port: 0, host: '127.0.0.1' });
      const act2 = await startGoAct2();
      try {
        const run = await runBundle([...agentArgs(`${act2.url}/api/v1`, saltUrl), ...SIM_TIMEOUTS], { ACT2_SALT_PASSWORD: 'pw' });
        expect(run.code, run.stdout).toBe(0);
        expect(act2.received.map((r) => `${r.path} ${r.headers['content-encoding'] ?? 'plain'}`)).toEqual(['/api/v1/register gzip', '/api/v1/register plain']);
        expect(act2.received[1]?.bytes).toBeGreaterThan(64 * 1024);
        const warning = logLines(run).find((l) => l.msg === 'the original act2 could not read the gzipped body, sending it uncompressed');
        expect(warning).toMatchObject({ level: 40, message: "invalid character '\\x1f' looking for beginning of value", hint: 'set --no-gzip (ACT2_NO_GZIP=1) for this act2 server' });
        expect(logLines(run).find((l) => l.msg === 'register ok')).toMatchObject({ server: 'original act2', gzip: false, attempts: 2 });
      } finally {
        await act2.close();
        await sim.close();
      }
    });

    it('keeps an HTML 200 a bad response (exit 4)', async () => {
      const act2 = await startReplayServer([{ method: 'POST', path: '/api/v1/register', reply: { status: 200, contentType: 'text/html', body: Buffer.from('<html>act2 console</html>') } }]);
      servers.push(act2);
      const run = await runBundle(agentArgs(`${act2.url}/api/v1`), { ACT2_SALT_PASSWORD: 'pw' });
      expect(run.code).toBe(4);
      expect(logLines(run).find((l) => l.msg === 'heartbeat failed')).toMatchObject({ code: 'ACT2_SERVER_BAD_RESPONSE' });
      act2.assertDone();
    });

    it('registers into act2-server through both /register and /api/v1/register', async () => {
      const database = await createTestDatabase('sqlite');
      const server = await startServer(database.config());
      try {
        for (const base of [server.url, `${server.url}/api/v1`]) {
          const run = await runBundle(agentArgs(base), { ACT2_SALT_PASSWORD: 'pw' });
          expect(run.code, run.stdout).toBe(5);
          expect(logLines(run).find((l) => l.msg === 'register ok')).toMatchObject({ server: 'act2-server' });
        }
        const master = (await (await fetch(`${server.url}/api/v1/masters/SN-1`)).json()) as { status: string };
        expect(master.status).toBe('stopped');
      } finally {
        await server.close();
        await database.destroy();
      }
    });

    it('keeps retrying a refused connection until --deadline instead of giving up early (issue 11 #11)', async () => {
      const started = performance.now();
      const run = await runBundle(agentArgs('http://127.0.0.1:9'), { ACT2_SALT_PASSWORD: 'pw' });
      const ms = performance.now() - started;
      expect(run.code).toBe(3);
      // --deadline 3s: the last attempt comes when 1 s is left, so the run lasts at least 2 s.
      expect(ms).toBeGreaterThan(1900);
      expect(logLines(run).filter((l) => l.msg === 'register failed, last attempt with the time left')).toHaveLength(1);
    });
  });
});
