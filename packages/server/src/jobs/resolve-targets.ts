/**
 * A job's targets → who to try. Each target gets the candidate masters `GET /api/v1/minions/{sn}`
 * lists (best first), kept only if they read `running` now; a target nobody reports, an IP several
 * minions claim, or a minion without a running master gets its own outcome and the rest proceeds.
 */
import { canonicalIp, type JobOutcome, type JobTarget, type MasterStatus } from '@act2/shared';
import { sql } from 'kysely';
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
  const pairs = await pairsByMaster(db, sns);
  if (pairs.size === 0) return out;
  const masterRows = await db.selectFrom('masters').select(['sn', 'status', 'last_seen']).where(dialectOf(db).oneOf('sn', [...pairs.keys()])).execute();
  for (const m of masterRows) {
    const group = pairs.get(m.sn);
    if (!group) continue;
    const master: RankedMaster = { sn: m.sn, status: effectiveStatus(m, now, timeoutMs), last_seen: Number(m.last_seen) };
    for (let i = 0; i < group.minions.length; i += 1) pushTo(out, group.minions[i]!, { master, saltId: saltIdOf(group.attrs[i]!) });
  }
  for (const list of out.values()) if (list.length > 1) list.sort(byRank);
  return out;
}

const ID_PREFIX = '{"id":"';

/**
 * The minion id in a master's stored attrs text ('' when it stored none). register/diff.ts writes attrs
 * with JSON.stringify, `id` first, and JSON.stringify escapes every `"`, `\` and control character with
 * a backslash: when no backslash comes before the next `"`, the text up to it is the id, as JSON.parse
 * would read it. Any other text is parsed. (A sliced id shares the text the database returned: ~1.5 MB
 * for 10,000 targets, kept while the job's first round is followed.)
 */
function saltIdOf(attrs: string): string | undefined {
  if (attrs === '') return undefined;
  if (attrs.startsWith(ID_PREFIX)) {
    const end = attrs.indexOf('"', ID_PREFIX.length);
    if (end > ID_PREFIX.length && attrs.lastIndexOf('\\', end) < ID_PREFIX.length) return attrs.slice(ID_PREFIX.length, end);
  }
  const id = (JSON.parse(attrs) as { id?: unknown }).id;
  return typeof id === 'string' && id !== '' ? id : undefined;
}

/** One master's pairs among the asked sns: its minions, and the attrs text each has there ('' for none). */
interface MasterPairs {
  minions: string[];
  attrs: string[];
}

/**
 * Sns per grouped query: a group's text (an sn and its attrs, up to ~5,800 characters a line) stays far
 * below the longest string V8 holds (2^29 characters), which 100,000 hostile attrs in one group would pass.
 */
const GROUPED_BATCH = 10_000;

/**
 * The (minion, master) pairs of `sns`, per master. Where the database can join a group's rows into one
 * text (dialect `joinedRows`), one row per master instead of one per pair: for 10,000 sns SQLite makes
 * the 10,000 row objects in ~5 ms more than it takes to find them (3 ms). An sn and its attrs are one
 * line, a tab between them (no sn holds a control character, and JSON.stringify escapes them in attrs).
 * Every pair of one sn comes from one statement, as before.
 */
async function pairsByMaster(db: DbOrTrx, sns: readonly string[]): Promise<Map<string, MasterPairs>> {
  const dialect = dialectOf(db);
  const out = new Map<string, MasterPairs>();
  const lines = dialect.joinedRows([sql.ref('minion_sn'), sql<string>`coalesce(attrs, '')`]);
  if (!lines) {
    const rows = await db.selectFrom('master_minions').select(['minion_sn', 'attrs', 'master_sn']).where(dialect.oneOf('minion_sn', sns)).execute();
    for (const row of rows) addPair(out, row.master_sn, row.minion_sn, row.attrs ?? '');
    return out;
  }
  for (let from = 0; from < sns.length; from += GROUPED_BATCH) {
    const among = dialect.oneOf('minion_sn', sns.slice(from, from + GROUPED_BATCH));
    const rows = await db.selectFrom('master_minions').select(['master_sn', lines.as('pairs')]).where(among).groupBy('master_sn').execute();
    for (const row of rows) {
      for (const line of row.pairs.split('\n')) {
        const tab = line.indexOf('\t');
        addPair(out, row.master_sn, line.slice(0, tab), line.slice(tab + 1));
      }
    }
  }
  return out;
}

function addPair(out: Map<string, MasterPairs>, master: string, minion: string, attrs: string): void {
  let group = out.get(master);
  if (!group) {
    group = { minions: [], attrs: [] };
    out.set(master, group);
  }
  group.minions.push(minion);
  group.attrs.push(attrs);
}

/** A job's candidate list of a target's running masters (see candidateLists). */
type CandidateLists = (running: readonly Reporter[]) => string[];

/**
 * The candidate lists of a job: targets with the same running masters in the same order share one
 * array (most of 10,000 targets have the same one or two), so the caller can serialise each list once.
 */
function candidateLists(): CandidateLists {
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
  const candidates = candidateLists();
  if ('minions' in target) {
    const sns = [...new Set(target.minions)];
    const bySn = await reporters(db, sns, now, masterTimeoutMs);
    return sns.map((sn) => minionTarget(sn, null, bySn.get(sn), candidates));
  }
  const ips = [...new Set(target.ips.map(canonicalIp))];
  const byIp = await minionsByIp(db, ips);
  const sns = new Set<string>();
  for (const claimants of byIp.values()) if (claimants.length === 1) sns.add(claimants[0]!);
  const bySn = await reporters(db, [...sns], now, masterTimeoutMs);
  return ips.map((ip): ResolvedTarget => {
    const claimants = byIp.get(ip) ?? [];
    if (claimants.length === 1) return minionTarget(claimants[0]!, ip, bySn.get(claimants[0]!), candidates);
    if (claimants.length === 0) return { sn: ip, ip, saltId: ip, candidates: NO_CANDIDATES, outcome: 'unknown_target', reason: 'no master reports a minion with this IP' };
    return { sn: ip, ip, saltId: ip, candidates: NO_CANDIDATES, outcome: 'ambiguous', reason: `several minions report this IP: ${claimants.slice(0, 10).join(', ')}` };
  });
}

/** A target that is one minion (asked by sn, or by an IP only it claims), with the masters reporting it. */
function minionTarget(sn: string, ip: string | null, masters: readonly Reporter[] | undefined, candidates: CandidateLists): ResolvedTarget {
  if (!masters) return { sn, ip, saltId: sn, candidates: NO_CANDIDATES, outcome: 'unknown_target', reason: 'no master reports this minion' };
  const running = masters.filter((m) => m.master.status === 'running');
  const saltId = running[0]?.saltId ?? masters.find((m) => m.saltId)?.saltId ?? sn;
  if (running.length === 0) {
    const seen = masters.map((m) => `${m.master.sn} ${m.master.status}`).join(', ');
    return { sn, ip, saltId, candidates: NO_CANDIDATES, outcome: 'no_master', reason: `no master that reports it is running (${seen})` };
  }
  return { sn, ip, saltId, candidates: candidates(running), outcome: 'pending', reason: null };
}
