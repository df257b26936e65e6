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

const MinionResult = z.object({
  return: z.unknown(),
  retcode: z.number().int().optional().catch(undefined),
  success: z.boolean().optional().catch(undefined),
});

const ListJob = z.object({
  Minions: z.array(z.unknown()).optional().catch(undefined),
  Result: z.record(z.string(), z.unknown()).optional().catch(undefined),
  Error: z.string().optional().catch(undefined),
});

export interface JobInfo {
  minions: string[] | undefined;
  results: Map<string, z.infer<typeof MinionResult>>;
  error: string | undefined;
}

export function readJobInfo(value: unknown): JobInfo {
  const parsed = ListJob.safeParse(value);
  const results = new Map<string, z.infer<typeof MinionResult>>();
  if (!parsed.success) return { minions: undefined, results, error: 'unreadable jobs.list_job answer' };
  for (const [id, r] of Object.entries(parsed.data.Result ?? {})) {
    const one = MinionResult.safeParse(r);
    if (one.success) results.set(id, one.data);
  }
  const minions = parsed.data.Minions?.filter((m): m is string => typeof m === 'string');
  return { minions, results, error: parsed.data.Error };
}

/** The jid of the one job `jobs.list_jobs search_metadata` found (newest when several). */
export function readListJobs(value: unknown): string | undefined {
  if (!value || typeof value !== 'object') return undefined;
  return Object.keys(value)
    .filter((k) => /^\d{20}/.test(k))
    .sort()
    .at(-1);
}
