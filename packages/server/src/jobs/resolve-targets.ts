/**
 * A job's targets → who to try. Each target gets the candidate masters `GET /api/v1/minions/{sn}`
 * lists (best first), kept only if they read `running` now; a target nobody reports, an IP several
 * minions claim, or a minion without a running master gets its own outcome and the rest proceeds.
 */
import { canonicalIp, type JobOutcome, type JobTarget } from '@act2/shared';
import type { DbOrTrx, EpochMs } from '../db/database.js';
import { chunk } from '../db/retry.js';
import { getMinionDetails } from '../minions/repository.js';

export interface ResolvedTarget {
  sn: string;
  ip: string | null;
  saltId: string;
  candidates: string[];
  outcome: Extract<JobOutcome, 'pending' | 'unknown_target' | 'ambiguous' | 'no_master'>;
  reason: string | null;
}

const BATCH = 1000;

async function minionsByIp(db: DbOrTrx, ips: readonly string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const batch of chunk(ips, BATCH)) {
    const rows = await db.selectFrom('minion_ips').select(['ip', 'minion_sn']).distinct().where('ip', 'in', batch).execute();
    for (const row of rows) out.set(row.ip, [...(out.get(row.ip) ?? []), row.minion_sn]);
  }
  for (const sns of out.values()) sns.sort();
  return out;
}

/** The minion id a master reported (the `id` extension), for minions whose sn is a serial. */
async function saltIds(db: DbOrTrx, sns: readonly string[]): Promise<Map<string, Map<string, string>>> {
  const out = new Map<string, Map<string, string>>();
  for (const batch of chunk(sns, BATCH)) {
    const rows = await db.selectFrom('master_minions').select(['minion_sn', 'master_sn', 'attrs']).where('minion_sn', 'in', batch).where('attrs', 'is not', null).execute();
    for (const row of rows) {
      const id = (JSON.parse(row.attrs ?? '{}') as { id?: unknown }).id;
      if (typeof id !== 'string' || id === '') continue;
      const byMaster = out.get(row.minion_sn) ?? new Map<string, string>();
      byMaster.set(row.master_sn, id);
      out.set(row.minion_sn, byMaster);
    }
  }
  return out;
}

export async function resolveTargets(db: DbOrTrx, target: JobTarget, now: EpochMs, masterTimeoutMs: number): Promise<ResolvedTarget[]> {
  const asked: Array<{ sn: string | null; ip: string | null; claimants?: string[] }> = [];
  if ('minions' in target) {
    for (const sn of new Set(target.minions)) asked.push({ sn, ip: null });
  } else {
    const ips = [...new Set(target.ips.map(canonicalIp))];
    const byIp = await minionsByIp(db, ips);
    for (const ip of ips) {
      const claimants = byIp.get(ip) ?? [];
      asked.push({ sn: claimants.length === 1 ? (claimants[0] ?? null) : null, ip, claimants });
    }
  }
  const sns = [...new Set(asked.flatMap((a) => (a.sn ? [a.sn] : [])))];
  const details = await getMinionDetails(db, sns, now, masterTimeoutMs);
  const ids = await saltIds(db, sns);

  return asked.map((a): ResolvedTarget => {
    if (a.sn === null) {
      const claimants = a.claimants ?? [];
      if (claimants.length === 0) return { sn: a.ip ?? '', ip: a.ip, saltId: a.ip ?? '', candidates: [], outcome: 'unknown_target', reason: 'no master reports a minion with this IP' };
      return { sn: a.ip ?? '', ip: a.ip, saltId: a.ip ?? '', candidates: [], outcome: 'ambiguous', reason: `several minions report this IP: ${claimants.slice(0, 10).join(', ')}` };
    }
    const detail = details.get(a.sn);
    if (!detail) return { sn: a.sn, ip: a.ip, saltId: a.sn, candidates: [], outcome: 'unknown_target', reason: 'no master reports this minion' };
    const running = detail.masters.filter((m) => m.status === 'running').map((m) => m.sn);
    const saltId = ids.get(a.sn)?.get(running[0] ?? '') ?? [...(ids.get(a.sn)?.values() ?? [])][0] ?? a.sn;
    if (running.length === 0) {
      const seen = detail.masters.map((m) => `${m.sn} ${m.status}`).join(', ');
      return { sn: a.sn, ip: a.ip, saltId, candidates: [], outcome: 'no_master', reason: `no master that reports it is running (${seen})` };
    }
    return { sn: a.sn, ip: a.ip, saltId, candidates: running, outcome: 'pending', reason: null };
  });
}
