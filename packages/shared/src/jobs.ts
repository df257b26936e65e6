import { z } from 'zod';
import { IsoInstant, ListQuery } from './queries.js';
import { IpAddress, Sn } from './register.js';

export const DEFAULT_JOB_TIMEOUT_S = 300;
export const MAX_JOB_TIMEOUT_S = 86_400;
export const MAX_JOB_TARGETS = 100_000;

/** Who to run on: minion sns (as `GET /api/v1/minions/{sn}` knows them) or IPs (as `/lookup?ip=`). */
export const JobTarget = z.union([
  z.object({ minions: z.array(Sn).min(1).max(MAX_JOB_TARGETS) }).strict(),
  z.object({ ips: z.array(IpAddress).min(1).max(MAX_JOB_TARGETS) }).strict(),
]);
export type JobTarget = z.infer<typeof JobTarget>;

/** `POST /api/v1/jobs`. `fun` is a salt execution function (`cmd.run`, `state.apply`, `test.ping`). */
export const JobRequest = z.object({
  target: JobTarget,
  fun: z
    .string()
    .regex(/^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)+$/, 'a salt function name such as cmd.run')
    .max(255),
  arg: z.array(z.unknown()).max(1000).default([]),
  kwarg: z.record(z.string(), z.unknown()).default({}),
  timeout_s: z.number().int().min(1).max(MAX_JOB_TIMEOUT_S).default(DEFAULT_JOB_TIMEOUT_S),
});
export type JobRequest = z.infer<typeof JobRequest>;
export type JobRequestInput = z.input<typeof JobRequest>;

/** `pending`/`running` while act2 works on it; then `done` (every target returned), `partial` (some did), `failed` (none did). */
export const JobStatus = z.enum(['pending', 'running', 'done', 'partial', 'failed']);
export type JobStatus = z.infer<typeof JobStatus>;

/** The statuses of a job act2 still works on. */
export const UnfinishedJobStatus = JobStatus.extract(['pending', 'running']);
export type UnfinishedJobStatus = z.infer<typeof UnfinishedJobStatus>;

/** The statuses of a job act2 is done with: nothing writes its targets any more. */
export const FinishedJobStatus = JobStatus.exclude(UnfinishedJobStatus.options);
export type FinishedJobStatus = z.infer<typeof FinishedJobStatus>;

export function isFinishedJobStatus(status: string): status is FinishedJobStatus {
  return FinishedJobStatus.safeParse(status).success;
}

/**
 * What happened on one target: `returned` (salt gave its return), `no_return` (dispatched, silent until
 * timeout_s), `dispatch_failed` (every candidate master failed), `no_master` (no master that reports it is
 * running), `unknown_target` (no master reports it), `ambiguous` (several minions claim the IP),
 * `unknown` (an act2 instance died while dispatching and salt's job cache could not say whether it ran).
 */
export const JobOutcome = z.enum(['pending', 'returned', 'no_return', 'dispatch_failed', 'no_master', 'unknown_target', 'ambiguous', 'unknown']);
export type JobOutcome = z.infer<typeof JobOutcome>;

export const JobAttempt = z.object({
  master: z.string(),
  /** null while the call is in flight. */
  ok: z.boolean().nullable(),
  reason: z.string().nullable(),
  at: z.string(),
});
export type JobAttempt = z.infer<typeof JobAttempt>;

export const JobTargetResult = z.object({
  /** The minion sn; for an IP target the IP until it resolves to one minion. */
  sn: z.string(),
  /** The IP this target was asked by, when it was. */
  ip: z.string().nullable(),
  outcome: JobOutcome,
  /** The master that published the job (the one whose job store has `jid`). */
  master: z.string().nullable(),
  jid: z.string().nullable(),
  attempts: z.array(JobAttempt),
  retcode: z.number().int().nullable(),
  success: z.boolean().nullable(),
  /** Salt's return, or its first `--job-output-limit` bytes (as text) when `truncated`. */
  return: z.unknown(),
  /** Cut at the limit, or replaced by salt itself ("VALUE_TRIMMED" over its max_event_size). */
  truncated: z.boolean(),
  /** Why the outcome is what it is, for every outcome but `returned`. */
  reason: z.string().nullable(),
  started_at: z.string().nullable(),
  finished_at: z.string().nullable(),
});
export type JobTargetResult = z.infer<typeof JobTargetResult>;

export const JobSummary = z.object({
  id: z.string(),
  status: JobStatus,
  fun: z.string(),
  /** As requested, with values that look like secrets masked. */
  arg: z.array(z.unknown()),
  kwarg: z.record(z.string(), z.unknown()),
  timeout_s: z.number().int(),
  /** The API token's name, or `anonymous`. */
  requested_by: z.string(),
  created_at: z.string(),
  finished_at: z.string().nullable(),
  /** Count of targets per outcome. */
  counts: z.record(z.string(), z.number().int()),
});
export type JobSummary = z.infer<typeof JobSummary>;

export const Job = JobSummary.extend({ targets: z.array(JobTargetResult) });
export type Job = z.infer<typeof Job>;

export const JobList = z.object({ items: z.array(JobSummary), next_cursor: z.string().nullable() });
export type JobList = z.infer<typeof JobList>;

/** `GET /api/v1/jobs`: newest first; `master`/`minion` match any target; `since` bounds `created_at` (inclusive, as `/events` reads it). */
export const JobListQuery = ListQuery.extend({
  status: JobStatus.optional(),
  master: Sn.optional(),
  minion: Sn.optional(),
  since: IsoInstant.optional(),
});
export type JobListQuery = z.infer<typeof JobListQuery>;

export const JobIdParams = z.object({ id: z.string().min(1).max(64) });
export type JobIdParams = z.infer<typeof JobIdParams>;
