import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { createTestDatabase, describeEachDialect, manualClock, type TestDatabase } from './helpers/db.js';
import { captureLogger } from './helpers/log.js';

// Issue 11, finding 5: a client that hangs up mid-upload was logged as a database outage.

/** Sends the headers and part of a body, then hangs up. */
async function abortMidUpload(port: number, headers: string[], partial: Buffer): Promise<void> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.write([`POST /register HTTP/1.1`, 'Host: act2', ...headers, '', ''].join('\r\n'));
  socket.write(partial);
  await new Promise((r) => setTimeout(r, 50));
  socket.destroy();
}

describeEachDialect('a client hanging up mid-upload', (dialect) => {
  const log = captureLogger('info');
  let database: TestDatabase;
  let app: FastifyInstance;
  let port: number;

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    app = await buildApp(database.config(), { db: database.db, clock: manualClock(), scheduler: false, logger: log.logger });
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await app?.close();
    await database?.destroy();
  });

  it('is logged once at info as a client abort, without a stack, never as ACT2_DB_UNAVAILABLE', async () => {
    const gzipped = gzipSync(Buffer.from(JSON.stringify({ master: { sn: 'x'.repeat(200_000) }, minions: [] })));

    await abortMidUpload(port, ['Content-Type: application/json', 'Content-Length: 100000'], Buffer.from('{"master":{"sn":"abc'));
    await abortMidUpload(port, ['Content-Type: application/json', 'Content-Encoding: gzip', `Content-Length: ${gzipped.length}`], gzipped.subarray(0, 200));
    await expect.poll(() => log.lines().filter((l) => l.code === 'ACT2_CLIENT_ABORTED').length, { timeout: 5_000 }).toBe(2);

    const aborts = log.lines().filter((l) => l.code === 'ACT2_CLIENT_ABORTED');
    expect(aborts.map((l) => [l.level, l.msg, l.route, 'err' in l])).toEqual([
      [30, 'client closed the connection before its request was read', '/register', false],
      [30, 'client closed the connection before its request was read', '/register', false],
    ]);
    expect(log.text()).not.toContain('ACT2_DB_UNAVAILABLE');
    // Nothing at warn or above but the start-up notice of the test config's --auth none.
    expect(log.lines().filter((l) => (l.level as number) >= 40 && l.module !== 'auth')).toEqual([]);
  });
});
