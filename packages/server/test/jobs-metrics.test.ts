/**
 * Job metrics at `/metrics`: jobs created and finished, targets by outcome, dispatches by result and
 * reason code, job duration, counted by an app that follows real jobs against salt-api simulators.
 */
import { expect, it } from 'vitest';
import { describeEachDialect } from './helpers/db.js';
import { capturingLogger, runJob, useJobWorld } from './helpers/job-fleet.js';
import { prometheusSamples as samples } from './helpers/prometheus.js';

describeEachDialect('job metrics', (dialect) => {
  const world = useJobWorld(dialect, { config: { jobSaltTimeoutMs: 5000, jobFunctions: ['test.*'] }, logger: capturingLogger().logger });

  it('count jobs by outcome and status, targets by outcome, dispatches by result and reason, and time each job', async () => {
    const scrape = async () => samples((await world.app.inject({ url: '/metrics' })).body);

    world.fleet.a.setMasterDown('no-ipc');
    let partial;
    try {
      partial = await runJob(world.app, { target: { minions: ['ha-001', 'c-001', 'nobody-here'] }, fun: 'test.ping' });
    } finally {
      world.fleet.a.setMasterDown(false);
    }
    const done = await runJob(world.app, { target: { minions: ['c-002'] }, fun: 'test.ping' });
    const refused = await world.app.inject({ method: 'POST', url: '/api/v1/jobs', payload: { target: { minions: ['c-001'] }, fun: 'cmd.run', arg: ['id'] } });
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
