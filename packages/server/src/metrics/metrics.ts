import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import { HttpRequestMetrics } from './http-requests.js';

/**
 * Every act2-server metric, in one registry per app (never prom-client's global one: tests build
 * many apps in one process). Instruments are updated by the code that knows the fact; gauges that
 * need the database are filled at scrape time by `db-gauges.ts`.
 */
export interface Metrics {
  registry: Registry;
  registrations: Counter<'outcome'>;
  registrationDuration: Histogram;
  registrationMinionsChanged: Histogram;
  sweepRuns: Counter<'job' | 'result'>;
  sweepDuration: Histogram<'job'>;
  sweepTransitions: Counter<'job'>;
  dbErrors: Counter<'kind'>;
  /** act2_http_requests_total and act2_http_request_duration_seconds, one `record` per request. */
  http: HttpRequestMetrics;
  webhookDeliveries: Counter<'result'>;
  jobsCreated: Counter<'outcome'>;
  jobsFinished: Counter<'status'>;
  jobTargets: Counter<'outcome'>;
  jobDispatches: Counter<'result' | 'reason'>;
  jobDuration: Histogram<'status'>;
}

/** Buckets of act2_http_request_duration_seconds. */
export const HTTP_DURATION_BUCKETS: readonly number[] = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30];

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    registrations: new Counter({
      name: 'act2_registrations_total',
      help: 'POST /register requests by outcome: accepted, rejected (4xx), failed (5xx)',
      labelNames: ['outcome'],
      registers,
    }),
    registrationDuration: new Histogram({
      name: 'act2_registration_duration_seconds',
      help: 'Time to answer an accepted registration',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    registrationMinionsChanged: new Histogram({
      name: 'act2_registration_minions_changed',
      help: 'Minions that joined, left or changed in one accepted registration',
      buckets: [0, 1, 10, 100, 1000, 10000],
      registers,
    }),
    sweepRuns: new Counter({
      name: 'act2_sweep_runs_total',
      help: 'Runs of the periodic jobs (timeout, purge) by result',
      labelNames: ['job', 'result'],
      registers,
    }),
    sweepDuration: new Histogram({
      name: 'act2_sweep_duration_seconds',
      help: 'Duration of one run of a periodic job',
      labelNames: ['job'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
      registers,
    }),
    sweepTransitions: new Counter({
      name: 'act2_sweep_transitions_total',
      help: 'Masters a periodic job changed: timed out (timeout) or deleted (purge)',
      labelNames: ['job'],
      registers,
    }),
    dbErrors: new Counter({
      name: 'act2_db_errors_total',
      help: 'Database errors that reached a request or a job: unavailable, timeout (statement or lock), other',
      labelNames: ['kind'],
      registers,
    }),
    http: new HttpRequestMetrics(registry, HTTP_DURATION_BUCKETS),
    webhookDeliveries: new Counter({
      name: 'act2_webhook_deliveries_total',
      help: 'Webhook delivery attempts by result: delivered, failed (will retry), abandoned (gave up)',
      labelNames: ['result'],
      registers,
    }),
    jobsCreated: new Counter({
      name: 'act2_jobs_created_total',
      help: 'POST /api/v1/jobs by outcome: accepted (stored), refused (function not in --job-functions)',
      labelNames: ['outcome'],
      registers,
    }),
    jobsFinished: new Counter({
      name: 'act2_jobs_finished_total',
      help: 'Jobs settled by this instance, by final status: done, partial, failed',
      labelNames: ['status'],
      registers,
    }),
    jobTargets: new Counter({
      name: 'act2_job_targets_total',
      help: 'Targets of the jobs settled by this instance, by outcome (returned, no_return, dispatch_failed, unknown_minion, ...)',
      labelNames: ['outcome'],
      registers,
    }),
    jobDispatches: new Counter({
      name: 'act2_job_dispatches_total',
      help: 'local_async calls to a master by result (ok, failed) and reason code (none when ok)',
      labelNames: ['result', 'reason'],
      registers,
    }),
    jobDuration: new Histogram({
      name: 'act2_job_duration_seconds',
      help: 'Time from a job\'s creation to its final status, by status',
      labelNames: ['status'],
      buckets: [0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600],
      registers,
    }),
  };
}
