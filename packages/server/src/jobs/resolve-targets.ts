/**
 * A job's targets → who to try. Each target gets the candidate masters `GET /api/v1/minions/{sn}`
 * lists (best first), kept only if they read `running` now; a target nobody reports, an IP several
 * minions claim, or a minion without a running master gets its own outcome and the rest proceeds.
 */
import { canonicalIp, type JobOutcome, type JobTarget, type MasterStatus } from '@act2/shared';
import type { DbOrTrx, EpochMs } from '../db/database.js';
import { dialectOf } from '../db/dialects/index.js';
import { pushTo } from './group-by.js';
import { compareCandidates, effectiveStatus } from '../masters/status.js';

export interface ResolvedTarget {
  sn: string;
  ip: string | null;
  saltId: string;
  /** Shared by the targets with the same list (see candidateLists): read-only. */
  candidates: readonly string[];
  outcome: Extract<JobOutcome, 'pending' | 'unknown_target' | 'ambiguous' | 'no_master'>;
  reason: string | null;
}

async function minionsByIp(db: DbOrTrx, ips: readonly string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  const rows = await db.selectFrom('minion_ips').select(['ip', 'minion_sn']).distinct().where(dialectOf(db).oneOf('ip', ips)).execute();
  for (const row of rows) pushTo(out, row.ip, row.minion_sn);
  for (const sns of out.values()) sns.sort();
  return out;
}

/** A master as ranked for a job: its status read now. */
interface RankedMaster {
  sn: string;
  status: MasterStatus;
  last_seen: number;
}

interface Reporter {
  master: RankedMaster;
  /** The minion id this master reported (the `id` extension), if any. */
  saltId: string | undefined;
}

const byRank = (a: Reporter, b: Reporter) => compareCandidates(a.master, b.master);

/**
 * Every master reporting each minion, ranked exactly as `GET /api/v1/minions/{sn}` ranks them
 * (effectiveStatus + compareCandidates), with the minion id each reported (the `id` extension, for
 * minions whose sn is a serial). Two narrow queries, the sns bound as one list: the (minion, master)
 * pairs, then those masters (ten for 10,000 minions), each master's status read once. Joining the
 * masters in the first query looked each one up again per row (SQLite: 44 -> 27 ms for 10,000 sns).
 * A pair whose master is gone by the second read is dropped, as the join would drop it at that moment.
 */
async function reporters(db: DbOrTrx, sns: readonly string[], now: EpochMs, timeoutMs: number): Promise<Map<string, Reporter[]>> {
  const out = new Map<string, Reporter[]>();
  const dialect = dialectOf(db);
  const rows = await db.selectFrom('master_minions').select(['minion_sn', 'attrs', 'master_sn']).where(dialect.oneOf('minion_sn', sns)).execute();
  if (rows.length === 0) return out;
  const masterSns = new Set<string>();
  for (const row of rows) masterSns.add(row.master_sn);
  const masterRows = await db.selectFrom('masters').select(['sn', 'status', 'last_seen']).where(dialect.oneOf('sn', [...masterSns])).execute();
  const masters = new Map<string, RankedMaster>();
  for (const m of masterRows) masters.set(m.sn, { sn: m.sn, status: effectiveStatus(m, now, timeoutMs), last_seen: Number(m.last_seen) });
  for (const row of rows) {
    const master = masters.get(row.master_sn);
    if (!master) continue;
    const id = row.attrs === null ? undefined : (JSON.parse(row.attrs) as { id?: unknown }).id;
    const reporter: Reporter = { master, saltId: typeof id === 'string' && id !== '' ? id : undefined };
    const list = out.get(row.minion_sn);
    if (list) list.push(reporter);
    else out.set(row.minion_sn, [reporter]);
  }
  for (const list of out.values()) if (list.length > 1) list.sort(byRank);
  return out;
}

/**
 * The candidate lists of a job: targets with the same running masters in the same order share one
 * array (most of 10,000 targets have the same one or two), so the caller can serialise each list once.
 */
function candidateLists(): (running: readonly Reporter[]) => string[] {
  const lists = new Map<string, string[]>();
  return (running) => {
    const key = running.length === 1 ? running[0]!.master.sn : running.map((r) => r.master.sn).join('\u0000');
    let list = lists.get(key);
    if (!list) {
      list = running.map((r) => r.master.sn);
      lists.set(key, list);
    }
    return list;
  };
}

/** The one (empty) candidate list of every target that has none: one JSON text for all of them. */
const NO_CANDIDATES: readonly string[] = Object.freeze([]);

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
  const sns = new Set<string>();
  for (const a of asked) if (a.sn) sns.add(a.sn);
  const bySn = await reporters(db, [...sns], now, masterTimeoutMs);
  const candidates = candidateLists();

  return asked.map((a): ResolvedTarget => {
    if (a.sn === null) {
      const claimants = a.claimants ?? [];
      if (claimants.length === 0) return { sn: a.ip ?? '', ip: a.ip, saltId: a.ip ?? '', candidates: NO_CANDIDATES, outcome: 'unknown_target', reason: 'no master reports a minion with this IP' };
      return { sn: a.ip ?? '', ip: a.ip, saltId: a.ip ?? '', candidates: NO_CANDIDATES, outcome: 'ambiguous', reason: `several minions report this IP: ${claimants.slice(0, 10).join(', ')}` };
    }
    const masters = bySn.get(a.sn);
    if (!masters) return { sn: a.sn, ip: a.ip, saltId: a.sn, candidates: NO_CANDIDATES, outcome: 'unknown_target', reason: 'no master reports this minion' };
    const running = masters.filter((m) => m.master.status === 'running');
    const saltId = running[0]?.saltId ?? masters.find((m) => m.saltId)?.saltId ?? a.sn;
    if (running.length === 0) {
      const seen = masters.map((m) => `${m.master.sn} ${m.master.status}`).join(', ');
      return { sn: a.sn, ip: a.ip, saltId, candidates: NO_CANDIDATES, outcome: 'no_master', reason: `no master that reports it is running (${seen})` };
    }
    return { sn: a.sn, ip: a.ip, saltId, candidates: candidates(running), outcome: 'pending', reason: null };
  });
}
