import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebhookDeliveryList } from '@act2/shared';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { postRegister } from '../../test/helpers/app.js';
import { createTestDatabase, describeEachDialect, manualClock, type ManualClock, type TestDatabase } from '../../test/helpers/db.js';
import { TIMEOUT_MS } from '../../test/helpers/deps.js';
import { payload } from '../../test/helpers/payloads.js';
import { buildApp } from '../app.js';
import { verifySignature } from './sign.js';

const SECRET = 'whsec-test-0123456789abcdef';
const ATTEMPT_TIMEOUT_MS = 1_500;

interface Received {
  body: string;
  headers: IncomingHttpHeaders;
  at: number;
}

/** A real HTTP receiver: `answer` decides each request's fate (status, or 'hang' to never answer). */
async function receiver(answer: (n: number) => number | 'hang') {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push({ body, headers: req.headers, at: Date.now() });
      const fate = answer(received.length);
      if (fate === 'hang') return;
      res.writeHead(fate).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())).then(() => undefined),
    server,
  };
}

describeEachDialect('webhooks', (dialect) => {
  let database: TestDatabase;
  let clock: ManualClock;
  let apps: FastifyInstance[] = [];
  let dir = '';
  let good: Awaited<ReturnType<typeof receiver>>;
  let flaky: Awaited<ReturnType<typeof receiver>>;
  let hanging: Awaited<ReturnType<typeof receiver>>;

  beforeAll(async () => {
    good = await receiver(() => 200);
    flaky = await receiver((n) => (n === 1 ? 500 : 204));
    hanging = await receiver(() => 'hang');
    dir = mkdtempSync(join(tmpdir(), 'act2-webhook-'));
    writeFileSync(join(dir, 'secret'), `${SECRET}\n`);
    database = await createTestDatabase(dialect);
    clock = manualClock();
    const config = database.config({
      webhooks: [good.url, flaky.url, hanging.url],
      webhookSecretFile: join(dir, 'secret'),
      webhookRetryForMs: 3 * 3_600_000,
    });
    // Two instances on one database, as in HA.
    apps = await Promise.all(
      [database.db, dialect === 'postgres' ? database.open(3) : database.db].map((db, i) =>
        buildApp({ ...config, instanceId: `hook-${i}` }, { db, clock, scheduler: false, webhookTimeoutMs: ATTEMPT_TIMEOUT_MS }),
      ),
    );
    // First round: the endpoints start collecting events from now.
    await Promise.all(apps.map((app) => app.webhooksNow()));
  });
  afterAll(async () => {
    hanging?.server.closeAllConnections();
    for (const app of apps) await app.close();
    await Promise.all([good, flaky, hanging].map((r) => r?.close()));
    await database?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers each event once, signed, to every URL; a hanging or failing receiver delays nothing else; retries with backoff', async () => {
    const [a, b] = apps as [FastifyInstance, FastifyInstance];
    const sn = `wh-${randomUUID().slice(0, 8)}`;
    await postRegister(a, payload(sn, []));
    clock.advance(TIMEOUT_MS + 1);
    await a.sweepNow();
    await postRegister(b, payload(sn, [])); // master.recovered

    const started = Date.now();
    const round = Promise.all([a.webhooksNow(), b.webhooksNow()]);
    // While the hanging receiver holds its deliveries, registrations go on.
    const registered = await postRegister(a, payload(`${sn}-other`, []));
    const registeredAfterMs = Date.now() - started;
    await round;

    const kinds = good.received.map((r) => (JSON.parse(r.body) as { kind: string }).kind);
    expect(kinds).toEqual(['master.timeout', 'master.recovered']);
    expect(good.received.every((r) => r.at - started < ATTEMPT_TIMEOUT_MS)).toBe(true);
    expect(registered.statusCode).toBe(200);
    expect(registeredAfterMs).toBeLessThan(ATTEMPT_TIMEOUT_MS);
    for (const r of good.received) {
      const body = JSON.parse(r.body) as { id: string; master_sn: string };
      expect(body.master_sn).toBe(sn);
      expect(r.headers['idempotency-key']).toBe(body.id);
      expect(r.headers['act2-event-id']).toBe(body.id);
      expect(verifySignature(Buffer.from(SECRET), String(r.headers['act2-signature']), r.body, Math.floor(clock.now / 1000))).toBe(true);
      expect(verifySignature(Buffer.from('another-secret-000000'), String(r.headers['act2-signature']), r.body, Math.floor(clock.now / 1000))).toBe(false);
    }
    expect(flaky.received).toHaveLength(2);
    expect(hanging.received).toHaveLength(2);

    // Later rounds: the flaky receiver's retry succeeds once its backoff has passed; the hanging one keeps failing.
    await Promise.all(apps.map((app) => app.webhooksNow()));
    expect(flaky.received).toHaveLength(2);
    clock.advance(60_000);
    await Promise.all(apps.map((app) => app.webhooksNow()));
    expect(flaky.received.map((r) => (JSON.parse(r.body) as { kind: string }).kind).sort()).toEqual(['master.recovered', 'master.timeout', 'master.timeout'].sort());
    expect(good.received).toHaveLength(2);

    const list = async (status: string) =>
      WebhookDeliveryList.parse((await a.inject({ url: `/api/v1/webhooks/deliveries?status=${status}` })).json()).items.filter((d) => d.master_sn === sn);
    expect((await list('delivered')).map((d) => d.url).sort()).toEqual([good.url, good.url, flaky.url, flaky.url].sort());
    const pending = await list('pending');
    expect(pending.map((d) => [d.url, d.last_status, d.attempts >= 1])).toEqual([
      [hanging.url, null, true],
      [hanging.url, null, true],
    ]);
    expect(pending[0]?.last_error).toMatch(/timeout|abort/i);

    // After --webhook-retry-for the hanging receiver's deliveries are given up, and that is visible.
    for (let i = 0; i < 12 && (await list('pending')).length > 0; i += 1) {
      clock.advance(3_600_000);
      await Promise.all(apps.map((app) => app.webhooksNow()));
    }
    expect((await list('abandoned')).map((d) => d.url)).toEqual([hanging.url, hanging.url]);
    const metrics = (await a.inject({ url: '/metrics' })).body + (await b.inject({ url: '/metrics' })).body;
    const sum = (result: string) =>
      [...metrics.matchAll(new RegExp(`^act2_webhook_deliveries_total\\{result="${result}"\\} (\\d+)$`, 'gm'))].reduce((n, m) => n + Number(m[1]), 0);
    expect(sum('delivered')).toBeGreaterThanOrEqual(4);
    expect(sum('failed')).toBeGreaterThanOrEqual(3);
    expect(sum('abandoned')).toBe(2);
  }, 60_000);
});
