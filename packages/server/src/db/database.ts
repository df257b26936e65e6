import type { Generated, Kysely, Transaction } from 'kysely';
import type { EventKind, JobOutcome, JobStatus, MasterStatus, MinionStatus, ServerType } from '@act2/shared';

/**
 * Times are epoch milliseconds in integer columns (BIGINT on PostgreSQL and MySQL) so comparisons
 * and arithmetic are identical on every dialect; the read API renders them as ISO 8601.
 */
export type EpochMs = number;

export interface MastersTable {
  sn: string;
  server: string;
  /** As last decided: a master whose last_seen is past the timeout may still read `running` here until a sweep. */
  status: MasterStatus;
  idc: string;
  type: ServerType;
  username: string | null;
  /** `options.password` sealed with AES-256-GCM (see crypto/secret-box.ts); never leaves the server. */
  password_enc: string | null;
  error: string | null;
  agent_version: string | null;
  agent_hostname: string | null;
  interval_s: number | null;
  minion_count: number;
  /**
   * SHA-256 of the stored minion set as `membershipDigest` computes it, written with the set;
   * null while unknown or while a chunked write is part-way (register/digest.ts).
   */
  minion_digest: string | null;
  first_seen: EpochMs;
  last_seen: EpochMs;
  status_changed_at: EpochMs;
}

/** Minions attached to at least one master (rows go when the last master drops them). */
export interface MinionsTable {
  sn: string;
  first_seen: EpochMs;
  /** Last time any master's report about this minion changed. */
  updated_at: EpochMs;
}

/** Which master reports which minion, as that master last reported it. */
export interface MasterMinionsTable {
  master_sn: string;
  minion_sn: string;
  status: MinionStatus;
  /** JSON array of IP strings. */
  ips: string;
  /** JSON object of the optional minion extensions (id, serial, uuid, os, saltversion), or null. */
  attrs: string | null;
  joined_at: EpochMs;
  updated_at: EpochMs;
}

/** One row per (master, minion, ip): the index behind lookup by IP. */
export interface MinionIpsTable {
  master_sn: string;
  minion_sn: string;
  ip: string;
}

export interface EventsTable {
  id: Generated<number>;
  kind: EventKind;
  master_sn: string;
  minion_sn: string | null;
  instance_id: string;
  at: EpochMs;
  /** JSON object or null. */
  detail: string | null;
}

/** An API token: only the SHA-256 of its secret is stored. */
export interface ApiTokensTable {
  /** Public handle (`tok_…`): shown by `token list`, used by `token revoke`, written in logs. */
  id: string;
  name: string;
  /** Hex SHA-256 of the whole token text. */
  token_hash: string;
  /** Comma-separated TokenScope values. */
  scopes: string;
  /** A register token limited to masters of this idc, or null for any. */
  idc: string | null;
  created_at: EpochMs;
  /** Updated at most once a minute per instance (a write per request would cost the hot path). */
  last_used_at: EpochMs | null;
  expires_at: EpochMs | null;
  revoked_at: EpochMs | null;
}

/** A master sn bound to its own key by its first registration with a register token. */
export interface MasterKeysTable {
  sn: string;
  /** Hex SHA-256 of the key. */
  key_hash: string;
  /** Who enrolled it: `token:<name>` (or `certificate:<cn>`). */
  enrolled_by: string;
  created_at: EpochMs;
  /** The idc of the token that enrolled it (null: not limited): the key registers its master only there. */
  idc: string | null;
}

/** A single row (id 1) whose epoch moves with every revocation and rebind. */
export interface AuthEpochTable {
  id: number;
  epoch: number;
}

/** One salt job act2 was asked to run; its progress lives here so any instance can carry it on. */
export interface JobsTable {
  id: string;
  status: JobStatus;
  fun: string;
  /** JSON, as shown to readers: values that look like secrets masked. */
  arg: string;
  kwarg: string;
  /** The real `{arg, kwarg}` sealed with the secret box: only the dispatch opens it. */
  call_enc: string;
  timeout_s: number;
  requested_by: string;
  created_at: EpochMs;
  deadline_at: EpochMs;
  finished_at: EpochMs | null;
  /** The instance following the job, until `lease_until` (renewed while it lives). */
  lease_owner: string | null;
  lease_until: EpochMs | null;
}

/** One target of a job, in request order (`seq`). */
export interface JobTargetsTable {
  job_id: string;
  seq: number;
  sn: string;
  ip: string | null;
  /** The minion id salt knows it by (the `id` extension when the agent reported one, else the sn). */
  salt_id: string;
  /** JSON array of master sns to try, best first (running masters only, as resolved at creation). */
  candidates: string;
  outcome: JobOutcome;
  master_sn: string | null;
  jid: string | null;
  retcode: number | null;
  /** 0/1. */
  success: number | null;
  /** JSON text of salt's return (or of the cut text). */
  return_json: string | null;
  /** 0/1 (default 0). */
  truncated: Generated<number>;
  reason: string | null;
  started_at: EpochMs | null;
  finished_at: EpochMs | null;
}

/**
 * The targets of one of a job's first dispatches (0009), until a write answers only some of them (or
 * gives them different answers), or the job is finished: they are then written as their `job_targets`
 * rows, with their outcomes. One answer given to all of them by one write, in whichever lookup, is kept
 * on the chunk (0010); a lookup that finds nothing writes nothing. A target is in a chunk or in
 * `job_targets`, never both (jobs/target-chunks.ts).
 */
export interface JobTargetChunksTable {
  job_id: string;
  chunk_id: string;
  /** JSON ranges of the targets' seq: `[[first, last], …]`. */
  seqs: string;
  /** How many targets. */
  n: number;
  /** JSON `[[seq, sn, ip, salt_id, candidates], …]` (candidates: the JSON text `job_targets` holds). */
  targets: string;
  /** The outcome every target of the chunk has (0010): the `patch`'s, `pending` without one. */
  outcome: Generated<JobOutcome>;
  /**
   * JSON of what one write gave every target of the chunk (0010), all of `outcome`, `master_sn`, `jid`,
   * `retcode`, `success`, `return_json`, `truncated`, `reason`, `started_at`, `finished_at`; null: pending.
   */
  patch: string | null;
}

/**
 * One `local_async` to one master for some of a job's targets (0007; before it, one row per target and
 * call). Written before the call so a restart can find out what happened; per-target attempts are derived.
 */
export interface JobDispatchesTable {
  job_id: string;
  /** Also the `act2_dispatch` metadata salt keeps with the job. */
  dispatch_id: string;
  /** 1 for the first dispatches of a job, 2 for the failovers after them, … */
  round: number;
  master_sn: string;
  /** JSON ranges of the targets' seq: `[[first, last], …]`. */
  seqs: string;
  at: EpochMs;
  /** null while in flight; 1 when salt published it (to at least one target), 0 when it failed. */
  ok: number | null;
  /** Why it failed, for every target of it (ok 0). */
  reason: string | null;
  /** JSON `[[reason, ranges], …]`: targets that failed inside a published dispatch (salt did not list them). */
  failures: string | null;
  jid: string | null;
}

/** The masters a job published on (the `master` filter of `GET /api/v1/jobs`). */
export interface JobMastersTable {
  job_id: string;
  master_sn: string;
}

export interface WebhookEndpointsTable {
  /** sha256 hex of the URL. */
  url_key: string;
  url: string;
  created_at: EpochMs;
  /** Events up to here have been enqueued for this URL (re-scanned with an overlap). */
  scanned_until: EpochMs;
}

export type WebhookDeliveryStatus = 'pending' | 'delivered' | 'abandoned';

export interface WebhookDeliveriesTable {
  id: Generated<number>;
  event_id: number;
  url_key: string;
  kind: EventKind;
  master_sn: string;
  status: WebhookDeliveryStatus;
  attempts: number;
  next_attempt_at: EpochMs;
  /** An instance is sending it until then; after, another may take it over. */
  lease_until: EpochMs | null;
  leased_by: string | null;
  last_status: number | null;
  last_error: string | null;
  created_at: EpochMs;
  delivered_at: EpochMs | null;
}

export interface Database {
  masters: MastersTable;
  minions: MinionsTable;
  master_minions: MasterMinionsTable;
  minion_ips: MinionIpsTable;
  events: EventsTable;
  api_tokens: ApiTokensTable;
  master_keys: MasterKeysTable;
  auth_epoch: AuthEpochTable;
  jobs: JobsTable;
  job_targets: JobTargetsTable;
  job_target_chunks: JobTargetChunksTable;
  job_dispatches: JobDispatchesTable;
  job_masters: JobMastersTable;
  webhook_endpoints: WebhookEndpointsTable;
  webhook_deliveries: WebhookDeliveriesTable;
}

export type Db = Kysely<Database>;
/** Repository functions accept either the pool or an open transaction. */
export type DbOrTrx = Kysely<Database> | Transaction<Database>;
