import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { serverConfig } from '../src/config.js';
import { createDb } from '../src/db/create-db.js';
import { acquireServeLock } from '../src/db/serve-lock.js';
import { startServer } from '../src/start.js';
import { TEST_SECRET_KEY } from './helpers/db.js';
import { payload } from './helpers/payloads.js';
import { postRegister } from './helpers/app.js';

// Issue 11, finding 10: two act2-server processes could serve one SQLite file.

describe('one act2-server per SQLite file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'act2-lock-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const config = (file: string) => serverConfig({ db: join(dir, file), port: 0, host: '127.0.0.1', secretKey: TEST_SECRET_KEY, auth: 'none' });

  it('refuses a second server on the same file, naming the first, while admin work on the file goes on', async () => {
    const first = await startServer(config('a.sqlite'));
    try {
      const second = startServer(config('a.sqlite'));

      await expect(second).rejects.toMatchObject({ code: 'ACT2_DB_IN_USE', owner: { pid: process.pid, hostname: hostname() } });
      await expect(second).rejects.toThrow(`already served by another act2-server (pid ${process.pid} on ${hostname()}`);
      // What an admin command does: open the file and write, while the server runs.
      const admin = createDb({ db: join(dir, 'a.sqlite') });
      await admin.updateTable('masters').set({ idc: 'x' }).where('sn', '=', 'nobody').execute();
      await admin.destroy();
      expect((await postRegister(first.app, payload('still-serving', []))).statusCode).toBe(200);
    } finally {
      await first.close();
    }
    expect(existsSync(join(dir, 'a.sqlite.lock'))).toBe(false);
    const again = await startServer(config('a.sqlite'));
    await again.close();
  });

  it('takes over a lock left by a process that is gone', async () => {
    const gone = spawn(process.execPath, ['-e', '']);
    await new Promise((resolve) => gone.once('exit', resolve));
    writeFileSync(join(dir, 'b.sqlite.lock'), JSON.stringify({ pid: gone.pid, hostname: hostname(), startedAt: 'earlier' }));

    const server = await startServer(config('b.sqlite'));
    const lock = JSON.parse(readFileSync(join(dir, 'b.sqlite.lock'), 'utf8'));
    await server.close();

    expect(lock.pid).toBe(process.pid);
  });

  it('is a small function of its own: acquire, refuse, release', () => {
    const file = join(dir, 'c.sqlite');
    const lock = acquireServeLock(file);

    expect(() => acquireServeLock(file, { pid: process.pid + 1 })).toThrow(/already served by another act2-server/);
    lock.release();
    acquireServeLock(file, { pid: process.pid + 1 }).release();
  });
});
