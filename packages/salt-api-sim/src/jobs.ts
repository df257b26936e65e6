/**
 * The master's job cache, enough for /jobs, /jobs/<jid>, local_async and runner_async: jids in salt's
 * `YYYYMMDDhhmmssffffff` form (strictly increasing), StartTime as `2026, Nov 22 03:01:15.098121`.
 */

export interface MinionResult {
  return: unknown;
  retcode: number;
  success: boolean;
  out?: string;
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

  record(job: Omit<JobRecord, 'jid' | 'startUs' | 'results'> & { jid?: string; startUs?: number }): JobRecord {
    const ids = job.jid && job.startUs ? { jid: job.jid, startUs: job.startUs } : this.nextJid();
    const record: JobRecord = { ...job, ...ids, results: new Map() };
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

  /** `jobs.list_jobs`: `{jid: {Function, Arguments, Target, Target-type, User, StartTime}}`. */
  listJobs(): Map<string, Record<string, unknown>> {
    const out = new Map<string, Record<string, unknown>>();
    for (const job of this.jobs.values()) {
      out.set(job.jid, {
        Function: job.fun,
        Arguments: job.args,
        Target: job.target,
        'Target-type': job.tgtType,
        User: job.user,
        StartTime: startTimeOf(job.startUs),
      });
    }
    return out;
  }

  /** `jobs.list_job`: the job with every targeted minion and the returns that arrived (capture 37). */
  listJob(jid: string): Record<string, unknown> {
    const job = this.jobs.get(jid);
    if (!job) return { jid, Result: {}, StartTime: '', Error: 'Cannot contact returner or no job with this jid' };
    return {
      jid: job.jid,
      Function: job.fun,
      Arguments: job.args,
      Target: job.target,
      'Target-type': job.tgtType,
      User: job.user,
      Minions: job.minions,
      StartTime: startTimeOf(job.startUs),
      Result: new Map(job.results),
    };
  }
}
