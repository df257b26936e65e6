import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { serverConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { startServer } from '../src/start.js';
import { seedTokens } from './helpers/auth.js';
import { originalHeartbeatPayload } from './helpers/payloads.js';

describe('startServer', () => {
  const dir = mkdtempSync(join(tmpdir(), 'act2-start-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('migrates, listens on a free port, serves a gzip registration over real HTTP and closes', async () => {
    const db = join(dir, 'sub', 'act2.sqlite');
    // A real install: tokens created with the CLI's functions on the same database before the start.
    const { register, read } = await seedTokens(`sqlite:${db}`);
    const server = await startServer(serverConfig({ db, port: 0, host: '127.0.0.1' }));
    try {
      const registered = await request(`${server.url}/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', authorization: `Bearer ${register}` },
        body: gzipSync(JSON.stringify(originalHeartbeatPayload())),
      });
      const health = await request(`${server.url}/healthz`);
      const lookup = await request(`${server.url}/api/v1/lookup?ip=10.0.0.11`, { headers: { authorization: `Bearer ${read}` } });

      expect(registered.statusCode).toBe(200);
      expect(((await registered.body.json()) as { master: { created: boolean } }).master.created).toBe(true);
      expect(health.statusCode).toBe(200);
      await health.body.dump();
      expect(((await lookup.body.json()) as { items: Array<{ sn: string }> }).items.map((m) => m.sn)).toEqual(['web-01']);
      // First start with SQLite and no key: the key file is created beside the database.
      expect(existsSync(join(dir, 'sub', 'secret.key'))).toBe(true);
      // A client must send its request within 2 minutes; a silent socket is closed after 3.
      expect([server.app.server.requestTimeout, server.app.server.timeout]).toEqual([120_000, 180_000]);
    } finally {
      await server.close();
    }
  });

  it('warns at start-up when the secret key file is readable by group or others', async () => {
    const keyFile = join(dir, 'exposed.key');
    writeFileSync(keyFile, `${'d4'.repeat(32)}\n`, { mode: 0o644 });
    chmodSync(keyFile, 0o644);
    const lines: string[] = [];
    const logger = createLogger({ level: 'warn', destination: { write: (line: string) => void lines.push(line) } });

    const server = await startServer(serverConfig({ db: join(dir, 'exposed.sqlite'), port: 0, host: '127.0.0.1', secretKeyFile: keyFile }), { logger });
    await server.close();

    const keyWarnings = lines.map((line) => JSON.parse(line) as { msg: string; file?: string }).filter((l) => l.file !== undefined);
    expect(keyWarnings.map((l) => [l.msg, l.file])).toEqual([
      ['the secret key file is readable by group or others: chmod 600 it', keyFile],
    ]);
  });

  it('refuses to start with an unreadable TLS certificate (a configuration error)', async () => {
    const config = serverConfig({ db: join(dir, 'tls.sqlite'), port: 0, host: '127.0.0.1', tlsCert: join(dir, 'missing.pem'), tlsKey: join(dir, 'missing.key') });

    await expect(startServer(config)).rejects.toMatchObject({ code: 'ACT2_TLS_CONFIG', message: expect.stringContaining('--tls-cert: cannot read') });
  });

  it.each(['postgres://postgres@127.0.0.1:1/none', 'mysql://root@127.0.0.1:1/none'])(
    'refuses a shared database without a secret key before touching it (%s)',
    async (db) => {
      const config = serverConfig({ db, port: 0 });

      await expect(startServer(config)).rejects.toMatchObject({ code: 'ACT2_SECRET_KEY' });
    },
  );

  it.each(['postgres://postgres@127.0.0.1:1/none', 'mysql://root@127.0.0.1:1/none'])(
    'fails to start with a clear error when the database is unreachable (%s)',
    async (db) => {
      const config = serverConfig({ db, port: 0, secretKey: 'a1'.repeat(32) });

      await expect(startServer(config)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    },
  );
});
