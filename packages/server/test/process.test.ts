import { execFileSync, spawn, type ChildProcessByStdio } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
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
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, exited };
}

/** Reads stdout until the 'listening' line and returns its url; the stream is left paused. */
async function listeningUrl(stdout: Readable): Promise<string> {
  let text = '';
  for await (const chunk of stdout) {
    text += String(chunk);
    const url = /"url":"(http:[^"]+)"/.exec(text)?.[1];
    if (url) return url;
  }
  throw new Error(`the server never said it was listening: ${text}`);
}

/** Rejects after `ms` so a hung process fails the test instead of the suite timing out. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what}: still running after ${ms} ms`)), ms))]);
}

describe('the act2-server process', () => {
  it('exits on SIGTERM even when its stdout is a broken pipe', async () => {
    const { child, exited } = startProcess('broken-pipe');
    await listeningUrl(child.stdout);

    // The reader goes away (`act2-server | head -1`), then the service manager stops the server.
    child.stdout.destroy();
    child.kill('SIGTERM');

    expect(await within(exited, 5_000, 'act2-server')).toEqual({ code: 0, signal: null });
  });
});
