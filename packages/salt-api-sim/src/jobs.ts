/**
 * The master's job cache, enough for /jobs, /jobs/<jid>, local_async and runner_async: jids in salt's
 * `YYYYMMDDhhmmssffffff` form (strictly increasing), StartTime as `2026, Nov 22 03:01:15.098121`.
 */

export interface MinionResult {
  return: unknown;
  /** Absent for a runner job's result (capture 111). */
  retcode?: number;
  success?: boolean;
  out?: string;
  /** Epoch ms from which the return is in the job cache (a slow minion's answer arrives later). */
  readyAtMs?: number;
}

export interface JobRecord {
  jid: string;
  fun: string;
  args: unknown[];
  target: unknown;
  tgtType: string;
  user: string;
  /** Epoch microseconds. */
  startUs: number;
  minions: string[];
  results: Map<string, MinionResult>;
  /** The lowstate's `metadata` (searchable with `jobs.list_jobs search_metadata`). */
  metadata?: unknown;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

function parts(us: number) {
  const d = new Date(Math.floor(us / 1000));
  return { d, micro: pad(us % 1_000_000, 6) };
}

export function jidOf(us: number): string {
  const { d, micro } = parts(us);
  return `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}${micro}`;
}

export function startTimeOf(us: number): string {
  const { d, micro } = parts(us);
  return `${d.getUTCFullYear()}, ${MONTHS[d.getUTCMonth()]} ${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${micro}`;
}

/** The `_stamp` of wheel/runner events: ISO time with microseconds, no zone. */
export function stampOf(us: number): string {
  const { d, micro } = parts(us);
  return `${d.toISOString().slice(0, 19)}.${micro}`;
}

/** Keeps the newest `limit` jobs (salt keeps 24 h; a simulator only needs recent ones). */
export class JobCache {
  private jobs = new Map<string, JobRecord>();
  private lastUs = 0;

  constructor(
    private readonly nowMs: () => number,
    private readonly limit = 200,
  ) {}

  nextJid(): { jid: string; startUs: number } {
    const us = Math.max(Math.floor(this.nowMs() * 1000), this.lastUs + 1);
    this.lastUs = us;
    return { jid: jidOf(us), startUs: us };
  }

  record(job: Omit<JobRecord, 'jid' | 'startUs' | 'results'> & { jid?: string; startUs?: number; results?: Map<string, MinionResult> }): JobRecord {
    const ids = job.jid && job.startUs ? { jid: job.jid, startUs: job.startUs } : this.nextJid();
    const record: JobRecord = { ...job, ...ids, results: job.results ?? new Map() };
    this.jobs.set(record.jid, record);
    if (this.jobs.size > this.limit) {
      const oldest = this.jobs.keys().next().value;
      if (oldest !== undefined) this.jobs.delete(oldest);
    }
    return record;
  }

  get(jid: string): JobRecord | undefined {
    return this.jobs.get(jid);
  }

  /** The returns that reached the cache by now, in arrival order. */
  returned(job: JobRecord): Map<string, MinionResult> {
    const now = this.nowMs();
    const ready = [...job.results].filter(([, r]) => (r.readyAtMs ?? 0) <= now);
    ready.sort(([, a], [, b]) => (a.readyAtMs ?? 0) - (b.readyAtMs ?? 0));
    return new Map(
      ready.map(([id, r]) => [
        id,
        { return: r.return, ...(r.retcode !== undefined ? { retcode: r.retcode, success: r.success } : {}), ...(r.out ? { out: r.out } : {}) },
      ]),
    );
  }

  /**
   * `jobs.list_jobs`: `{jid: {Function, Arguments, Target, Target-type, User[, Metadata], StartTime}}`;
   * `search_metadata` keeps the jobs whose Metadata has one of its keys with an equal value.
   */
  listJobs(searchMetadata?: unknown): Map<string, Record<string, unknown>> {
    const out = new Map<string, Record<string, unknown>>();
    for (const job of this.jobs.values()) {
      if (searchMetadata && typeof searchMetadata === 'object' && !metadataMatches(job.metadata, searchMetadata as Record<string, unknown>)) continue;
      out.set(job.jid, {
        Function: job.fun,
        Arguments: job.args,
        Target: job.target,
        'Target-type': job.tgtType,
        User: job.user,
        ...(job.metadata !== undefined ? { Metadata: job.metadata } : {}),
        StartTime: startTimeOf(job.startUs),
      });
    }
    return out;
  }

  /** `jobs.list_job`: the job with every targeted minion and the returns that arrived (capture 37). */
  listJob(jid: string): Record<string, unknown> {
    const job = this.jobs.get(jid);
    // Another master's jid, or one this master never made (capture 125).
    if (!job) return { jid, Error: 'Cannot contact returner or no job with this jid', StartTime: startTimeOfJid(jid), Result: new Map() };
    return {
      jid: job.jid,
      Function: job.fun,
      Arguments: job.args,
      Target: job.target,
      'Target-type': job.tgtType,
      User: job.user,
      ...(job.metadata !== undefined ? { Metadata: job.metadata } : {}),
      // Runner jobs target the master and list no minions (capture 111).
      ...(job.fun.startsWith('runner.') ? {} : { Minions: job.minions }),
      StartTime: startTimeOf(job.startUs),
      Result: this.returned(job),
    };
  }
}

function metadataMatches(metadata: unknown, search: Record<string, unknown>): boolean {
  if (!metadata || typeof metadata !== 'object') return false;
  const m = metadata as Record<string, unknown>;
  return Object.keys(search).some((k) => k in m && JSON.stringify(m[k]) === JSON.stringify(search[k]));
}

/** `salt.utils.jid.jid_to_time`: the jid's own digits as a StartTime ('' when it is not a jid). */
export function startTimeOfJid(jid: string): string {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{6})$/.exec(jid);
  if (!m) return '';
  const [, y, mo, d, h, mi, se, us] = m;
  return `${y}, ${MONTHS[Number(mo) - 1] ?? ''} ${d} ${h}:${mi}:${se}.${us}`;
}
