import { execFileSync, spawn, spawnSync, type ChildProcessByStdio } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

// The real process (signals, stdout, exit codes) needs the built entry. It is built into
// node_modules/.cache so its external npm imports resolve from this package's node_modules.
const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
let buildDir = '';
let dataDir = '';
const children: Array<ChildProcessByStdio<null, Readable, Readable>> = [];

beforeAll(() => {
  mkdirSync(join(PACKAGE_DIR, 'node_modules', '.cache'), { recursive: true });
  buildDir = mkdtempSync(join(PACKAGE_DIR, 'node_modules', '.cache', 'act2-server-test-'));
  dataDir = mkdtempSync(join(tmpdir(), 'act2-process-'));
  execFileSync('npx', ['tsup', '--out-dir', buildDir, '--silent'], { cwd: PACKAGE_DIR, stdio: 'pipe' });
}, 60_000);

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

afterAll(() => {
  for (const dir of [buildDir, dataDir]) if (dir) rmSync(dir, { recursive: true, force: true });
});

/** `node act2-server.js` on a fresh SQLite file, stdout and stderr piped to the test. */
function startProcess(name: string, args: string[] = []) {
  const child = spawn(
    process.execPath,
    [join(buildDir, 'act2-server.js'), '--port', '0', '--host', '127.0.0.1', '--db', join(dataDir, name, 'act2.sqlite'), ...args],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.push(child);
  let stdout = '';
  // Resolves on act2-server's own 'listening' line, the last of start-up.
  const listening = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const url = /"url":"(http:[^"]+)"/.exec(stdout)?.[1];
      if (url) resolve(url);
    });
    child.on('exit', () => reject(new Error(`the server exited before listening: ${stdout}`)));
  });
  // A test that does not wait for it must not turn an early exit into an unhandled rejection.
  listening.catch(() => undefined);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, listening, exited, stdout: () => stdout };
}

/** Rejects after `ms` so a hung process fails the test instead of the suite timing out. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what}: still running after ${ms} ms`)), ms))]);
}

describe('the act2-server process', () => {
  it('exits on SIGTERM even when its stdout is a broken pipe', async () => {
    const { child, exited } = startProcess('broken-pipe');
    // fastify's own 'Server listening' line: the earliest a supervisor could react to the process.
    await once(child.stdout, 'data');

    // The reader goes away (`act2-server | head -1`), then the service manager stops the server.
    child.stdout.destroy();
    child.kill('SIGTERM');

    expect(await within(exited, 5_000, 'act2-server')).toEqual({ code: 0, signal: null });
  });

  it('exits 1 with a log line when requests in flight outlast --shutdown-timeout', async () => {
    const { child, listening, exited, stdout } = startProcess('deadline', ['--shutdown-timeout', '1s', '--auth', 'none']);
    const { port } = new URL(await listening);
    // An upload that stalls half way: the server has the request (it answered 100 Continue) but never its body.
    const socket = connect(Number(port), '127.0.0.1');
    socket.write('POST /register HTTP/1.1\r\nHost: act2\r\nContent-Type: application/json\r\nContent-Length: 1000\r\nExpect: 100-continue\r\n\r\n');
    await new Promise<void>((resolve) => socket.once('data', () => resolve()));
    socket.write('{"master":');

    child.kill('SIGTERM');
    const exit = await within(exited, 5_000, 'act2-server');
    socket.destroy();

    expect(exit).toEqual({ code: 1, signal: null });
    const lines = stdout().trim().split('\n').map((line) => JSON.parse(line) as { msg: string; deadlineMs?: number });
    expect(lines.at(-1)).toMatchObject({ msg: 'shutdown deadline passed: exiting without waiting for requests in flight', deadlineMs: 1000 });
  });

  it('on SIGTERM, answers a request in flight on a keep-alive connection with Connection: close and exits 0 at once', async () => {
    const { child, listening, exited, stdout } = startProcess('keep-alive', ['--shutdown-timeout', '20s', '--auth', 'none']);
    const { port } = new URL(await listening);
    const body = JSON.stringify({ master: { sn: 'ka', server: 'http://ka:8001', status: 'running', idc: 'i', type: 'salt' }, minions: [] });
    // A keep-alive client (HTTP/1.1) half way through its upload when the signal comes.
    const socket = connect(Number(port), '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    socket.write(`POST /register HTTP/1.1\r\nHost: act2\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nExpect: 100-continue\r\n\r\n`);
    await within(new Promise<void>((resolve) => socket.once('data', () => resolve())), 5_000, 'the 100 Continue');
    socket.write(body.slice(0, 10));

    const signalled = performance.now();
    child.kill('SIGTERM');
    await within(
      new Promise<void>((resolve) => {
        const check = () => (stdout().includes('act2-server shutting down') ? resolve() : setTimeout(check, 20));
        check();
      }),
      5_000,
      'the shutdown line',
    );
    socket.write(body.slice(10));
    const exit = await within(exited, 10_000, 'act2-server');
    const took = performance.now() - signalled;
    socket.destroy();

    expect(answer).toMatch(/HTTP\/1\.1 200 OK\r\n/);
    expect(answer.toLowerCase()).toContain('connection: close');
    expect(exit).toEqual({ code: 0, signal: null });
    // It used to wait for the whole --shutdown-timeout (the connection stayed open) and exit 1.
    expect(took).toBeLessThan(5_000);
  });

  it('logs SIGHUP, ignores it and keeps serving; SIGTERM still stops it', async () => {
    const { child, listening, exited, stdout } = startProcess('sighup');
    const url = await listening;

    child.kill('SIGHUP');
    await within(
      new Promise<void>((resolve) => {
        const check = () => (stdout().includes('SIGHUP ignored') ? resolve() : setTimeout(check, 20));
        check();
      }),
      5_000,
      'the SIGHUP line',
    );
    const health = await fetch(`${url}/healthz`);
    child.kill('SIGTERM');

    expect(health.status).toBe(200);
    expect(await within(exited, 5_000, 'act2-server')).toEqual({ code: 0, signal: null });
    const line = stdout().split('\n').find((l) => l.includes('SIGHUP ignored'));
    expect(JSON.parse(line ?? '{}')).toMatchObject({ name: 'act2-server', signal: 'SIGHUP', level: 30 });
  });

  it('warns, without the key, when --secret-key is on the command line', async () => {
    const key = 'c3'.repeat(32);
    const { child, listening, exited, stdout } = startProcess('argv-key', ['--secret-key', key]);
    await listening;
    child.kill('SIGTERM');
    await within(exited, 5_000, 'act2-server');

    const warnings = stdout()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { level: number; flag?: string })
      .filter((line) => line.level === 40 && line.flag !== undefined);
    expect(warnings.map((w) => w.flag)).toEqual(['--secret-key']);
    expect(stdout()).not.toContain(key);
  });
});

describe('credentials in the real process', () => {
  it('says at start-up how to create a token; `token create` works while the server runs on the same SQLite file', async () => {
    const { child, listening, exited, stdout } = startProcess('tokens');
    const url = await listening;
    const db = join(dataDir, 'tokens', 'act2.sqlite');

    const refused = await fetch(`${url}/api/v1/masters`);
    const created = spawnSync(process.execPath, [join(buildDir, 'act2-server.js'), 'token', 'create', '--name', 'ops', '--scope', 'read', '--db', db], { encoding: 'utf8' });
    const token = created.stdout.trim();
    const allowed = await fetch(`${url}/api/v1/masters`, { headers: { authorization: `Bearer ${token}` } });
    const listed = spawnSync(process.execPath, [join(buildDir, 'act2-server.js'), 'token', 'list', '--db', db], { encoding: 'utf8' });
    child.kill('SIGTERM');
    await within(exited, 5_000, 'act2-server');

    expect(refused.status).toBe(401);
    expect([created.status, token]).toEqual([0, expect.stringMatching(/^act2t_/)]);
    expect(allowed.status).toBe(200);
    expect(listed.stdout).toContain('ops');
    expect(listed.stdout).not.toContain(token);
    const lines = stdout().trim().split('\n').map((line) => JSON.parse(line) as { msg: string; command?: string });
    expect(lines.find((l) => l.msg.startsWith('no usable API token exists'))?.command).toBe('act2-server token create --name agents --scope register --db <the same --db>');
    expect(stdout()).not.toContain(token);
  });

  it('warns at every start with --auth none', async () => {
    const { child, listening, exited, stdout } = startProcess('auth-none', ['--auth', 'none']);
    await listening;
    child.kill('SIGTERM');
    await within(exited, 5_000, 'act2-server');

    const warnings = stdout().trim().split('\n').map((line) => JSON.parse(line) as { level: number; auth?: string }).filter((l) => l.level === 40);
    expect(warnings.map((w) => w.auth)).toEqual(['none']);
  });
});

describe('one act2-server process per SQLite file', () => {
  it('refuses to start a second server on the same file, naming the first one', async () => {
    const first = startProcess('locked');
    await first.listening;
    const second = startProcess('locked');

    const exit = await within(second.exited, 10_000, 'the second act2-server');
    first.child.kill('SIGTERM');
    await within(first.exited, 5_000, 'the first act2-server');

    expect(exit).toEqual({ code: 1, signal: null });
    const fatal = second
      .stdout()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { level: number; msg: string; err?: { message: string; code: string } })
      .find((line) => line.level === 60);
    expect(fatal?.err?.code).toBe('ACT2_DB_IN_USE');
    expect(fatal?.err?.message).toContain(`already served by another act2-server (pid ${first.child.pid} on `);
  });
});

describe('secret.key creation by instances starting at once', () => {
  it('gives every creator the same key and never a half-written file (2 threads racing, 500 times)', async () => {
    // Two threads of the built library meet at a spin barrier before each round, then both call
    // resolveSecretKey on the same fresh directory: the tightest race two first starts can run.
    // 500 rounds: each round is a real race; more only adds time on a busy 2-core runner, where a
    // spinning thread can wait out its peer's whole time slice.
    const rounds = 500;
    const base = mkdtempSync(join(dataDir, 'keys-'));
    const barrier = new SharedArrayBuffer(4);
    const code = `
      const { workerData, parentPort } = require('node:worker_threads');
      const { join } = require('node:path');
      import(workerData.lib).then(({ resolveSecretKey }) => {
        const arrived = new Int32Array(workerData.barrier);
        const keys = [];
        for (let r = 0; r < workerData.rounds; r += 1) {
          Atomics.add(arrived, 0, 1);
          while (Atomics.load(arrived, 0) < 2 * (r + 1)) {}
          try {
            keys.push(resolveSecretKey({ db: join(workerData.base, String(r), 'act2.sqlite') }).key.toString('hex'));
          } catch (err) {
            keys.push(err.message);
          }
        }
        parentPort.postMessage(keys);
      });`;
    const workerData = { lib: pathToFileURL(join(buildDir, 'index.js')).href, barrier, base, rounds };

    const workers = [0, 1].map(() => new Worker(code, { eval: true, workerData }));
    const [a = [], b = []] = await within(Promise.all(workers.map((w) => once(w, 'message').then(([keys]) => keys as string[]))), 60_000, 'key creators');
    await Promise.all(workers.map((w) => w.terminate()));

    const disagreements = a.flatMap((key, round) => (key === b[round] ? [] : [{ round, a: key, b: b[round] }]));
    expect(disagreements.slice(0, 3)).toEqual([]);
    expect(a.every((key) => /^[0-9a-f]{64}$/.test(key))).toBe(true);
  }, 90_000);
});
