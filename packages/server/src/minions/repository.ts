import { canonicalIp, type Minion, type MinionDetail, type MinionMaster, type MinionStatus } from '@act2/shared';
import type { ExpressionBuilder } from 'kysely';
import type { Database, DbOrTrx, EpochMs } from '../db/database.js';
import { iso } from '../http/iso.js';
import { compareCandidates, effectiveStatus } from '../masters/status.js';

export interface MinionFilter {
  master?: string | undefined;
  status?: MinionStatus | undefined;
  ip?: string | undefined;
  afterSn?: string | undefined;
  limit: number;
}

/** Minions by sn, each summarised over every master that reports it. */
export async function listMinions(
  db: DbOrTrx,
  filter: MinionFilter,
  now: EpochMs,
  timeoutMs: number,
): Promise<{ items: Minion[]; lastSn: string | null }> {
  const cutoff = now - timeoutMs;
  const reportedRunning = (eb: ExpressionBuilder<Database, 'minions'>) =>
    eb.exists(
      eb
        .selectFrom('master_minions as mm')
        .innerJoin('masters as m', 'm.sn', 'mm.master_sn')
        .select('mm.master_sn')
        .whereRef('mm.minion_sn', '=', 'minions.sn')
        .where('mm.status', '=', 'running')
        .where('m.status', '=', 'running')
        .where('m.last_seen', '>=', cutoff),
    );
  const rows = await db
    .selectFrom('minions')
    .select('sn')
    .$if(filter.master !== undefined, (q) =>
      q.where((eb) =>
        eb.exists(
          eb
            .selectFrom('master_minions')
            .select('master_sn')
            .whereRef('master_minions.minion_sn', '=', 'minions.sn')
            .where('master_minions.master_sn', '=', filter.master!),
        ),
      ),
    )
    .$if(filter.ip !== undefined, (q) =>
      q.where((eb) =>
        eb.exists(
          eb
            .selectFrom('minion_ips')
            .select('master_sn')
            .whereRef('minion_ips.minion_sn', '=', 'minions.sn')
            .where('minion_ips.ip', '=', canonicalIp(filter.ip!)),
        ),
      ),
    )
    .$if(filter.status === 'running', (q) => q.where(reportedRunning))
    .$if(filter.status === 'stopped', (q) => q.where((eb) => eb.not(reportedRunning(eb))))
    .$if(filter.afterSn !== undefined, (q) => q.where('sn', '>', filter.afterSn!))
    .orderBy('sn')
    .limit(filter.limit + 1)
    .execute();
  const page = rows.slice(0, filter.limit).map((r) => r.sn);
  const details = await loadMinionDetails(db, page, now, timeoutMs);
  const items = page.flatMap((sn) => {
    const detail = details.get(sn);
    if (!detail) return [];
    const { masters: _masters, ...minion } = detail;
    return [minion];
  });
  return { items, lastSn: rows.length > filter.limit ? (page[page.length - 1] ?? null) : null };
}

export async function getMinionDetail(db: DbOrTrx, sn: string, now: EpochMs, timeoutMs: number): Promise<MinionDetail | undefined> {
  return (await loadMinionDetails(db, [sn], now, timeoutMs)).get(sn);
}

/** Every minion any master reported with this IP, each with its masters best first. */
export async function lookupByIp(db: DbOrTrx, ip: string, now: EpochMs, timeoutMs: number): Promise<MinionDetail[]> {
  const rows = await db
    .selectFrom('minion_ips')
    .select('minion_sn')
    .distinct()
    .where('ip', '=', canonicalIp(ip))
    .orderBy('minion_sn')
    .execute();
  const details = await loadMinionDetails(db, rows.map((r) => r.minion_sn), now, timeoutMs);
  return [...details.values()].sort((a, b) => compareCandidates(firstMaster(a), firstMaster(b)));
}

function firstMaster(detail: MinionDetail): { status: MinionMaster['status']; last_seen: number; sn: string } {
  const best = detail.masters[0];
  return best
    ? { status: best.status, last_seen: Date.parse(best.last_seen), sn: detail.sn }
    : { status: 'timeout', last_seen: 0, sn: detail.sn };
}

/**
 * One query for a page of minions: every (minion, master) pair, folded into details. A minion is
 * `running` when a master that is running now reports it running; its IPs are the union over its
 * masters, best master first.
 */
async function loadMinionDetails(
  db: DbOrTrx,
  sns: readonly string[],
  now: EpochMs,
  timeoutMs: number,
): Promise<Map<string, MinionDetail>> {
  const out = new Map<string, MinionDetail>();
  if (sns.length === 0) return out;
  const rows = await db
    .selectFrom('master_minions as mm')
    .innerJoin('masters as m', 'm.sn', 'mm.master_sn')
    .innerJoin('minions as n', 'n.sn', 'mm.minion_sn')
    .select([
      'mm.minion_sn',
      'mm.status as minion_status',
      'mm.ips',
      'n.updated_at',
      'm.sn',
      'm.server',
      'm.status',
      'm.idc',
      'm.type',
      'm.last_seen',
    ])
    .where('mm.minion_sn', 'in', [...sns])
    .execute();

  const grouped = new Map<string, typeof rows>();
  for (const row of rows) {
    const list = grouped.get(row.minion_sn) ?? [];
    list.push(row);
    grouped.set(row.minion_sn, list);
  }
  for (const sn of sns) {
    const list = grouped.get(sn);
    if (!list) continue;
    const ranked = list
      .map((r) => ({ ...r, status: effectiveStatus(r, now, timeoutMs), last_seen: Number(r.last_seen) }))
      .sort(compareCandidates);
    const ips = [...new Set(ranked.flatMap((r) => JSON.parse(r.ips) as string[]))];
    const running = ranked.some((r) => r.status === 'running' && r.minion_status === 'running');
    out.set(sn, {
      sn,
      status: running ? 'running' : 'stopped',
      ips,
      updated_at: iso(Number(list[0]!.updated_at)),
      masters: ranked.map((r) => ({
        sn: r.sn,
        server: r.server,
        status: r.status,
        idc: r.idc,
        type: r.type,
        last_seen: iso(r.last_seen),
        minion_status: r.minion_status,
      })),
    });
  }
  return out;
}
