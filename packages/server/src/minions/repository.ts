import { canonicalIp, type Minion, type MinionDetail, type MinionMaster, type MinionStatus } from '@act2/shared';
import type { ExpressionBuilder, Kysely } from 'kysely';
import type { Database, DbOrTrx, EpochMs } from '../db/database.js';
import { preparedQuery } from '../db/prepared.js';
import { iso } from '../http/iso.js';
import { andThen, type MaybePromise } from '../maybe-promise.js';
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

/** One minion's detail; synchronous on SQLite (a hot read, see db/prepared.ts). */
export function getMinionDetail(db: DbOrTrx, sn: string, now: EpochMs, timeoutMs: number): MaybePromise<MinionDetail | undefined> {
  return andThen(detailRowsBySn(db, { sn }), (rows) => {
    // Only the rows of exactly this sn (a case-insensitive collation could match others).
    const own = rows.length === 1 && rows[0]!.minion_sn === sn ? rows : rows.filter((r) => r.minion_sn === sn);
    return own.length === 0 ? undefined : foldMinionDetail(sn, own, now, timeoutMs);
  });
}

/**
 * Every minion any master reported with this IP, each with its masters best first; synchronous on
 * SQLite (a hot read, see db/prepared.ts).
 */
export function lookupByIp(db: DbOrTrx, ip: string, now: EpochMs, timeoutMs: number): MaybePromise<MinionDetail[]> {
  return andThen(detailRowsByIp(db, { ip: canonicalIp(ip) }), (rows) => {
    if (rows.length === 1) return [foldMinionDetail(rows[0]!.minion_sn, rows, now, timeoutMs)];
    const sns = [...new Set(rows.map((r) => r.minion_sn))].sort();
    const details = foldMinionDetails(sns, rows, now, timeoutMs);
    return [...details.values()].sort((a, b) => compareCandidates(firstMaster(a), firstMaster(b)));
  });
}

function firstMaster(detail: MinionDetail): { status: MinionMaster['status']; last_seen: number; sn: string } {
  const best = detail.masters[0];
  return best
    ? { status: best.status, last_seen: Date.parse(best.last_seen), sn: detail.sn }
    : { status: 'timeout', last_seen: 0, sn: detail.sn };
}

/** Every (minion, master) pair of the minions the caller picks, with what a detail shows. */
function detailRows(db: Kysely<Database>) {
  return db
    .selectFrom('master_minions as mm')
    .innerJoin('masters as m', 'm.sn', 'mm.master_sn')
    .innerJoin('minions as n', 'n.sn', 'mm.minion_sn')
    .select(['mm.minion_sn', 'mm.status as minion_status', 'mm.ips', 'n.updated_at', 'm.sn', 'm.server', 'm.status', 'm.idc', 'm.type', 'm.last_seen']);
}

type DetailRow = Awaited<ReturnType<ReturnType<typeof detailRows>['execute']>>[number];

// The two hot reads, prepared once: GET /minions/{sn} and GET /lookup?ip= (one query each: the
// IP's minions are picked by a sub-select, not fetched first and then looked up).
const detailRowsBySn = preparedQuery('act2_minion_detail', ['sn'], (db, p) => detailRows(db).where('mm.minion_sn', '=', p.sn));
const detailRowsByIp = preparedQuery('act2_minion_lookup', ['ip'], (db, p) =>
  detailRows(db).where('mm.minion_sn', 'in', (eb) => eb.selectFrom('minion_ips').select('minion_ips.minion_sn').where('minion_ips.ip', '=', p.ip)),
);

/** One query for a page of minions: every (minion, master) pair, folded into details. */
async function loadMinionDetails(
  db: DbOrTrx,
  sns: readonly string[],
  now: EpochMs,
  timeoutMs: number,
): Promise<Map<string, MinionDetail>> {
  if (sns.length === 0) return new Map();
  const rows = await detailRows(db as Kysely<Database>)
    .where('mm.minion_sn', 'in', [...sns])
    .execute();
  return foldMinionDetails(sns, rows, now, timeoutMs);
}

/**
 * Folds (minion, master) rows into details, in the order of `sns`. A minion is `running` when a
 * master that is running now reports it running; its IPs are the union over its masters, best
 * master first.
 */
function foldMinionDetails(sns: readonly string[], rows: readonly DetailRow[], now: EpochMs, timeoutMs: number): Map<string, MinionDetail> {
  const out = new Map<string, MinionDetail>();
  const grouped = new Map<string, DetailRow[]>();
  for (const row of rows) {
    const list = grouped.get(row.minion_sn);
    if (list) list.push(row);
    else grouped.set(row.minion_sn, [row]);
  }
  for (const sn of sns) {
    const list = grouped.get(sn);
    if (list) out.set(sn, foldMinionDetail(sn, list, now, timeoutMs));
  }
  return out;
}

/** One minion's detail from its (minion, master) rows (at least one). */
function foldMinionDetail(sn: string, rows: readonly DetailRow[], now: EpochMs, timeoutMs: number): MinionDetail {
  if (rows.length === 1) return soleMasterDetail(sn, rows[0]!, now, timeoutMs);
  const ranked = rows.map((r) => ({ row: r, sn: r.sn, status: effectiveStatus(r, now, timeoutMs), last_seen: Number(r.last_seen) }));
  ranked.sort(compareCandidates);
  const ips = new Set<string>();
  let running = false;
  for (const r of ranked) {
    for (const ip of JSON.parse(r.row.ips) as string[]) ips.add(ip);
    if (r.status === 'running' && r.row.minion_status === 'running') running = true;
  }
  return {
    sn,
    status: running ? 'running' : 'stopped',
    ips: [...ips],
    updated_at: iso(Number(rows[0]!.updated_at)),
    masters: ranked.map((r) => ({
      sn: r.sn,
      server: r.row.server,
      status: r.status,
      idc: r.row.idc,
      type: r.row.type,
      last_seen: iso(r.last_seen),
      minion_status: r.row.minion_status,
    })),
  };
}

/**
 * `foldMinionDetail` for the common case of a minion one master reports (a hot read answers it on
 * every call): the same answer without ranking, sorting or merging IP sets.
 */
function soleMasterDetail(sn: string, row: DetailRow, now: EpochMs, timeoutMs: number): MinionDetail {
  const status = effectiveStatus(row, now, timeoutMs);
  const ips = JSON.parse(row.ips) as string[];
  return {
    sn,
    status: status === 'running' && row.minion_status === 'running' ? 'running' : 'stopped',
    ips: ips.length > 1 ? [...new Set(ips)] : ips,
    updated_at: iso(Number(row.updated_at)),
    masters: [
      {
        sn: row.sn,
        server: row.server,
        status,
        idc: row.idc,
        type: row.type,
        last_seen: iso(Number(row.last_seen)),
        minion_status: row.minion_status,
      },
    ],
  };
}
