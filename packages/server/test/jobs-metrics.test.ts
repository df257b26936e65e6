/**
 * Job metrics at `/metrics`: jobs created and finished, targets by outcome, dispatches by result and
 * reason code, job duration, counted by an app that follows real jobs against salt-api simulators.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { createTestDatabase, describeEachDialect, type TestDatabase } from './helpers/db.js';
import { capturingLogger, registerFleet, runJob, startJobFleet, type JobFleet } from './helpers/job-fleet.js';

/** `name{labels} value` lines of a Prometheus text exposition, as a map. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

describeEachDialect('job metrics', (dialect) => {
  let database: TestDatabase;
  let fleet: JobFleet;
  let app: FastifyInstance;

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    fleet = await startJobFleet();
    const config = database.config({ jobPollIntervalMs: 50, jobLeaseMs: 3000, jobSaltTimeoutMs: 5000, jobFunctions: ['test.*'] });
    app = await buildApp(config, { db: database.db, scheduler: false, logger: capturingLogger().logger });
    await app.ready();
    await registerFleet(app, fleet);
  });

  afterAll(async () => {
    await app?.close();
    await fleet?.close();
    await database?.destroy();
  });

  it('count jobs by outcome and status, targets by outcome, dispatches by result and reason, and time each job', async () => {
    const scrape = async () => samples((await app.inject({ url: '/metrics' })).body);

    fleet.a.setMasterDown('no-ipc');
    let partial;
    try {
      partial = await runJob(app, { target: { minions: ['ha-001', 'c-001', 'nobody-here'] }, fun: 'test.ping' });
    } finally {
      fleet.a.setMasterDown(false);
    }
    const done = await runJob(app, { target: { minions: ['c-002'] }, fun: 'test.ping' });
    const refused = await app.inject({ method: 'POST', url: '/api/v1/jobs', payload: { target: { minions: ['c-001'] }, fun: 'cmd.run', arg: ['id'] } });
    const m = await scrape();

    expect([partial.status, done.status, refused.statusCode]).toEqual(['partial', 'done', 403]);
    expect(m.get('act2_jobs_created_total{outcome="accepted"}')).toBe(2);
    expect(m.get('act2_jobs_created_total{outcome="refused"}')).toBe(1);
    expect(m.get('act2_jobs_finished_total{status="partial"}')).toBe(1);
    expect(m.get('act2_jobs_finished_total{status="done"}')).toBe(1);
    expect(m.get('act2_job_targets_total{outcome="returned"}')).toBe(3);
    expect(m.get('act2_job_targets_total{outcome="unknown_target"}')).toBe(1);
    // master-a (no IPC) failed; master-b took ha-001 over; master-c ran c-001, then c-002.
    expect(m.get('act2_job_dispatches_total{result="failed",reason="ACT2_SALT_UNAVAILABLE"}')).toBe(1);
    expect(m.get('act2_job_dispatches_total{result="ok",reason="none"}')).toBe(3);
    expect(m.get('act2_job_duration_seconds_count{status="partial"}')).toBe(1);
    expect(m.get('act2_job_duration_seconds_count{status="done"}')).toBe(1);
    expect(m.get('act2_job_duration_seconds_sum{status="done"}')).toBeGreaterThan(0);
  });
});
