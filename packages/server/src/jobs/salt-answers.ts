/**
 * salt-api answers a job reads, parsed permissively (only the fields used; captures 81, 85, 94, 109,
 * 114, 125): `local_async` gives `{jid, minions}` or `{}` when nothing matched; `jobs.list_job` gives
 * `Minions` and a `Result` per minion that returned (`return`, `retcode`, `success`), or an `Error` for a
 * jid this master does not know; `jobs.list_jobs` is keyed by jid.
 */
import { z } from 'zod';

const LocalAsync = z.object({ jid: z.string().optional().catch(undefined), minions: z.array(z.unknown()).optional().catch(undefined) });

export function readLocalAsync(value: unknown): { jid?: string; minions: string[] } {
  const parsed = LocalAsync.safeParse(value);
  if (!parsed.success) return { minions: [] };
  const minions = (parsed.data.minions ?? []).filter((m): m is string => typeof m === 'string');
  return parsed.data.jid ? { jid: parsed.data.jid, minions } : { minions: [] };
}

/** One minion's entry in `Result`: only the fields act2 reads; a retcode that is not an integer, or a success that is not a boolean, is absent. */
export interface MinionResult {
  return: unknown;
  retcode?: number | undefined;
  success?: boolean | undefined;
}

export interface JobInfo {
  minions: string[] | undefined;
  results: Map<string, MinionResult>;
  error: string | undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Read by hand, not with a schema: `Result` holds one entry per minion (10,000 for a fleet-wide job)
 * and a schema's per-entry parse was most of the CPU act2 spent between salt's last return and storing
 * it. Same leniency: a field of the wrong type is absent, an entry that is not an object is skipped.
 */
export function readJobInfo(value: unknown): JobInfo {
  const results = new Map<string, MinionResult>();
  if (!isRecord(value)) return { minions: undefined, results, error: 'unreadable jobs.list_job answer' };
  const { Minions, Result, Error: error } = value;
  if (isRecord(Result)) {
    for (const id in Result) {
      if (!Object.hasOwn(Result, id)) continue;
      const r = Result[id];
      if (!isRecord(r)) continue;
      const { retcode, success } = r;
      results.set(id, {
        return: r.return,
        retcode: Number.isInteger(retcode) ? (retcode as number) : undefined,
        success: typeof success === 'boolean' ? success : undefined,
      });
    }
  }
  const minions = Array.isArray(Minions) ? Minions.filter((m): m is string => typeof m === 'string') : undefined;
  return { minions, results, error: typeof error === 'string' ? error : undefined };
}

/** The jid of the one job `jobs.list_jobs search_metadata` found (newest when several). */
export function readListJobs(value: unknown): string | undefined {
  if (!value || typeof value !== 'object') return undefined;
  return Object.keys(value)
    .filter((k) => /^\d{20}/.test(k))
    .sort()
    .at(-1);
}
