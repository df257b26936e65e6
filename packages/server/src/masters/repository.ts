import type { Master, MasterDetail, MasterStatus, ServerType } from '@act2/shared';
import type { Selectable } from 'kysely';
import { dialectOf } from '../db/dialects/index.js';
import type { DbOrTrx, EpochMs, MastersTable } from '../db/database.js';
import type { SecretBox } from '../crypto/secret-box.js';
import { iso } from '../http/iso.js';
import { effectiveStatus } from './status.js';

export type MasterRow = Selectable<MastersTable>;

/** Reads the master and locks its row until the transaction ends. */
export async function findMasterForUpdate(trx: DbOrTrx, sn: string): Promise<MasterRow | undefined> {
  return dialectOf(trx).forUpdate(trx.selectFrom('masters').selectAll().where('sn', '=', sn)).executeTakeFirst();
}

/** Inserts the master unless another transaction got there first; true when this call created it. */
export async function insertMasterIfAbsent(trx: DbOrTrx, row: MastersTable): Promise<boolean> {
  return dialectOf(trx).insertIfAbsent(trx, 'masters', row, ['sn']);
}

export async function updateMaster(trx: DbOrTrx, sn: string, patch: Partial<MastersTable>): Promise<void> {
  await trx.updateTable('masters').set(patch).where('sn', '=', sn).execute();
}

export interface MasterFilter {
  status?: MasterStatus | undefined;
  idc?: string | undefined;
  type?: ServerType | undefined;
  afterSn?: string | undefined;
  limit: number;
}

/** Masters by sn; the `status` filter matches the status as read now (see {@link effectiveStatus}). */
export async function listMasters(
  db: DbOrTrx,
  filter: MasterFilter,
  now: EpochMs,
  timeoutMs: number,
): Promise<{ items: Master[]; lastSn: string | null }> {
  const cutoff = now - timeoutMs;
  const rows = await db
    .selectFrom('masters')
    .selectAll()
    .$if(filter.status === 'timeout', (q) =>
      q.where((eb) => eb.or([eb('status', '=', 'timeout'), eb('last_seen', '<', cutoff)])),
    )
    .$if(filter.status === 'running' || filter.status === 'stopped', (q) =>
      q.where('status', '=', filter.status!).where('last_seen', '>=', cutoff),
    )
    .$if(filter.idc !== undefined, (q) => q.where('idc', '=', filter.idc!))
    .$if(filter.type !== undefined, (q) => q.where('type', '=', filter.type!))
    .$if(filter.afterSn !== undefined, (q) => q.where('sn', '>', filter.afterSn!))
    .orderBy('sn')
    .limit(filter.limit + 1)
    .execute();
  const page = rows.slice(0, filter.limit);
  const more = rows.length > filter.limit;
  const running = await runningCounts(
    db,
    page.map((r) => r.sn),
  );
  return { items: page.map((r) => toApiMaster(r, now, timeoutMs, running.get(r.sn) ?? 0)), lastSn: more ? page[page.length - 1]!.sn : null };
}

/** Minions each master last reported running: one grouped query over the page's masters. */
async function runningCounts(db: DbOrTrx, sns: string[]): Promise<Map<string, number>> {
  if (sns.length === 0) return new Map();
  const rows = await db
    .selectFrom('master_minions')
    .select(['master_sn', (eb) => eb.fn.countAll<number>().as('n')])
    .where('master_sn', 'in', sns)
    .where('status', '=', 'running')
    .groupBy('master_sn')
    .execute();
  return new Map(rows.map((r) => [r.master_sn, Number(r.n)]));
}

export async function getMasterDetail(
  db: DbOrTrx,
  sn: string,
  now: EpochMs,
  timeoutMs: number,
): Promise<MasterDetail | undefined> {
  const row = await db.selectFrom('masters').selectAll().where('sn', '=', sn).executeTakeFirst();
  if (!row) return undefined;
  const minions = await db
    .selectFrom('master_minions')
    .select(['minion_sn', 'status', 'ips'])
    .where('master_sn', '=', sn)
    .orderBy('minion_sn')
    .execute();
  return {
    ...toApiMaster(row, now, timeoutMs, minions.filter((m) => m.status === 'running').length),
    minions: minions.map((m) => ({ sn: m.minion_sn, status: m.status, ips: JSON.parse(m.ips) as string[] })),
  };
}

/** The salt-api credentials a master registered, decrypted: for act2 itself, never for the read API. */
export async function getMasterCredentials(
  db: DbOrTrx,
  box: SecretBox,
  sn: string,
): Promise<{ server: string; username: string; password: string } | undefined> {
  const row = await db
    .selectFrom('masters')
    .select(['server', 'username', 'password_enc'])
    .where('sn', '=', sn)
    .executeTakeFirst();
  if (!row || row.username === null || row.password_enc === null) return undefined;
  return { server: row.server, username: row.username, password: box.open(row.password_enc) };
}

/** The credentials of several masters, read with one query (a dispatch round to ten masters reads them at once). */
export async function getMastersCredentials(db: DbOrTrx, box: SecretBox, sns: readonly string[]): Promise<Map<string, { server: string; username: string; password: string }>> {
  const out = new Map<string, { server: string; username: string; password: string }>();
  if (sns.length === 0) return out;
  const rows = await db.selectFrom('masters').select(['sn', 'server', 'username', 'password_enc']).where('sn', 'in', [...new Set(sns)]).execute();
  for (const row of rows) {
    if (row.username !== null && row.password_enc !== null) out.set(row.sn, { server: row.server, username: row.username, password: box.open(row.password_enc) });
  }
  return out;
}

/** The read-API view: an explicit pick, so credentials can never slip into a response. */
export function toApiMaster(row: MasterRow, now: EpochMs, timeoutMs: number, minionsRunning: number): Master {
  return {
    sn: row.sn,
    server: row.server,
    status: effectiveStatus(row, now, timeoutMs),
    idc: row.idc,
    type: row.type,
    last_seen: iso(Number(row.last_seen)),
    first_seen: iso(Number(row.first_seen)),
    error: row.error,
    minion_count: Number(row.minion_count),
    minions_running: minionsRunning,
    agent_version: row.agent_version,
  };
}
