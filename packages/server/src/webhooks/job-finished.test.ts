/**
 * `job.finished` reaches `--webhook` receivers like the master.* events: a real job followed against
 * salt-api simulators, then a webhook round; `job.created` stays in the events timeline only.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebhookDeliveryList } from '@act2/shared';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, describeEachDialect, type TestDatabase } from '../../test/helpers/db.js';
import { capturingLogger, registerFleet, runJob, startJobFleet, type JobFleet } from '../../test/helpers/job-fleet.js';
import { buildApp } from '../app.js';
import { verifySignature } from './sign.js';

const SECRET = 'whsec-jobs-0123456789abcdef';

describeEachDialect('job.finished webhooks', (dialect) => {
  let database: TestDatabase;
  let fleet: JobFleet;
  let app: FastifyInstance;
  let dir = '';
  const received: { body: string; headers: IncomingHttpHeaders }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push({ body, headers: req.headers });
      res.writeHead(204).end();
    });
  });

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    dir = mkdtempSync(join(tmpdir(), 'act2-job-webhook-'));
    writeFileSync(join(dir, 'secret'), `${SECRET}\n`);
    database = await createTestDatabase(dialect);
    fleet = await startJobFleet();
    const config = database.config({
      jobPollIntervalMs: 50,
      jobLeaseMs: 3000,
      jobSaltTimeoutMs: 5000,
      jobFunctions: ['test.*'],
      webhooks: [`http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`],
      webhookSecretFile: join(dir, 'secret'),
    });
    app = await buildApp(config, { db: database.db, scheduler: false, logger: capturingLogger().logger });
    await app.ready();
    // The endpoint starts collecting events from now.
    await app.webhooksNow();
    await registerFleet(app, fleet);
  });

  afterAll(async () => {
    await app?.close();
    await fleet?.close();
    await database?.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers job.finished (job id, status, counts per outcome), signed, once; not job.created', async () => {
    const job = await runJob(app, { target: { minions: ['ha-001', 'c-001', 'nobody-here'] }, fun: 'test.ping' });
    await app.webhooksNow();
    await app.webhooksNow();

    const bodies = received.map((r) => JSON.parse(r.body) as { id: string; kind: string; detail: Record<string, unknown> });
    expect(job.status).toBe('partial');
    expect(bodies.map((b) => b.kind)).toEqual(['job.finished']);
    expect(bodies[0]?.detail).toEqual({ job_id: job.id, fun: 'test.ping', status: 'partial', counts: expect.objectContaining({ returned: 2, unknown_target: 1 }) });
    const r = received[0]!;
    expect(r.headers['idempotency-key']).toBe(bodies[0]?.id);
    expect(verifySignature(Buffer.from(SECRET), String(r.headers['act2-signature']), r.body, Math.floor(Date.now() / 1000))).toBe(true);
    const deliveries = WebhookDeliveryList.parse((await app.inject({ url: '/api/v1/webhooks/deliveries?status=delivered' })).json()).items;
    expect(deliveries.map((d) => [d.kind, d.event_id])).toEqual([['job.finished', bodies[0]?.id]]);
  });
});
