import { createHash } from 'node:crypto';
import { WebhookEventKind, type WebhookDelivery } from '@act2/shared';
import type { Kysely, Selectable } from 'kysely';
import { dialectOf } from '../db/dialects/index.js';
import type { Database, EpochMs, EventsTable, WebhookDeliveriesTable } from '../db/database.js';
import { iso } from '../http/iso.js';

/**
 * Events are re-scanned this far back: a registration's transaction can commit its event a while
 * after the event's `at` (its clock reading), and the unique (event, url) key makes re-scans free.
 * Longer than any transaction may live (statement and idle-in-transaction timeouts, 60 s).
 */
export const RESCAN_OVERLAP_MS = 5 * 60_000;
const SCAN_LIMIT = 1000;

export const urlKey = (url: string): string => createHash('sha256').update(url).digest('hex');

/**
 * Turns new webhook-kind events into one pending delivery per configured URL. Every instance runs
 * it; the unique (event_id, url_key) key makes each delivery exist once. A URL configured for the
 * first time starts with the events from then on, not the whole history.
 */
export async function enqueueDeliveries(db: Kysely<Database>, urls: readonly string[], now: EpochMs): Promise<number> {
  if (urls.length === 0) return 0;
  const keys = urls.map(urlKey);
  const dialect = dialectOf(db);
  for (const [i, url] of urls.entries()) {
    await dialect.insertIfAbsent(db, 'webhook_endpoints', { url_key: keys[i]!, url, created_at: now, scanned_until: now }, ['url_key']);
  }
  const endpoints = await db.selectFrom('webhook_endpoints').selectAll().where('url_key', 'in', keys).execute();
  let enqueued = 0;
  for (const endpoint of endpoints) {
    const from = Math.max(Number(endpoint.created_at), Number(endpoint.scanned_until) - RESCAN_OVERLAP_MS);
    const events = await db
      .selectFrom('events')
      .select(['id', 'kind', 'master_sn', 'at'])
      .where('kind', 'in', WebhookEventKind.options)
      .where('at', '>=', from)
      .where('at', '<=', now)
      .orderBy('at')
      .orderBy('id')
      .limit(SCAN_LIMIT)
      .execute();
    // Events of these kinds are rare (a master changing state), so one statement each is cheap;
    // those already enqueued (by an earlier scan, or another instance) are skipped.
    const known = new Set(
      events.length === 0
        ? []
        : (
            await db
              .selectFrom('webhook_deliveries')
              .select('event_id')
              .where('url_key', '=', endpoint.url_key)
              .where('event_id', 'in', events.map((e) => Number(e.id)))
              .execute()
          ).map((d) => Number(d.event_id)),
    );
    for (const e of events) {
      if (known.has(Number(e.id))) continue;
      const row = {
        event_id: Number(e.id),
        url_key: endpoint.url_key,
        kind: e.kind,
        master_sn: e.master_sn,
        status: 'pending' as const,
        attempts: 0,
        next_attempt_at: now,
        created_at: now,
      };
      if (await dialect.insertIfAbsent(db, 'webhook_deliveries', row, ['event_id', 'url_key'])) enqueued += 1;
    }
    // A full page may have stopped short of `now`: continue from its last event next time.
    const reached = events.length === SCAN_LIMIT ? Number(events[events.length - 1]!.at) : now;
    await db.updateTable('webhook_endpoints').set({ scanned_until: reached }).where('url_key', '=', endpoint.url_key).where('scanned_until', '<', reached).execute();
  }
  return enqueued;
}

export interface ClaimedDelivery {
  delivery: Selectable<WebhookDeliveriesTable>;
  url: string;
  event: Selectable<EventsTable>;
}

/**
 * Leases up to `limit` due deliveries to this instance until `now + leaseMs`: another instance
 * takes one over only when the lease ran out (its sender died), so each is sent by one instance at
 * a time, and at least once. PostgreSQL skips rows another instance is claiming at this moment.
 */
export async function claimDue(
  db: Kysely<Database>,
  options: { now: EpochMs; instanceId: string; limit: number; leaseMs: number; busyUrlKeys: readonly string[] },
): Promise<ClaimedDelivery[]> {
  if (options.limit <= 0) return [];
  const dialect = dialectOf(db);
  const claimed = await db.transaction().execute(async (trx) => {
    // Locked and re-checked: of instances claiming at once, each delivery goes to one.
    const due = await dialect
      .forUpdate(
        trx
          .selectFrom('webhook_deliveries')
          .select('id')
          .where('status', '=', 'pending')
          .where('next_attempt_at', '<=', options.now)
          .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', options.now)]))
          .$if(options.busyUrlKeys.length > 0, (q) => q.where('url_key', 'not in', [...options.busyUrlKeys]))
          .orderBy('next_attempt_at')
          .orderBy('id')
          .limit(options.limit),
      )
      .execute();
    if (due.length === 0) return [];
    const ids = due.map((d) => d.id);
    await trx.updateTable('webhook_deliveries').set({ lease_until: options.now + options.leaseMs, leased_by: options.instanceId }).where('id', 'in', ids).execute();
    return trx.selectFrom('webhook_deliveries').selectAll().where('id', 'in', ids).execute();
  });
  if (claimed.length === 0) return [];
  const [events, endpoints] = await Promise.all([
    db.selectFrom('events').selectAll().where('id', 'in', claimed.map((c) => c.event_id)).execute(),
    db.selectFrom('webhook_endpoints').select(['url_key', 'url']).where('url_key', 'in', [...new Set(claimed.map((c) => c.url_key))]).execute(),
  ]);
  const eventById = new Map(events.map((e) => [Number(e.id), e]));
  const urlByKey = new Map(endpoints.map((e) => [e.url_key, e.url]));
  return claimed.flatMap((delivery) => {
    const event = eventById.get(Number(delivery.event_id));
    const url = urlByKey.get(delivery.url_key);
    // The event was purged by --events-retention before it could be sent: nothing to send.
    return event && url ? [{ delivery, url, event }] : [];
  });
}

/** Gives leased deliveries back without an attempt. */
export async function releaseLeases(db: Kysely<Database>, ids: readonly number[]): Promise<void> {
  await db.updateTable('webhook_deliveries').set({ lease_until: null, leased_by: null }).where('id', 'in', [...ids]).execute();
}

export type AttemptResult = { ok: true; status: number } | { ok: false; status: number | null; error: string };

/** Records one attempt: delivered, retried later with backoff, or abandoned once `retryForMs` has passed. */
export async function recordAttempt(
  db: Kysely<Database>,
  delivery: Selectable<WebhookDeliveriesTable>,
  result: AttemptResult,
  options: { now: EpochMs; retryForMs: number; random?: () => number },
): Promise<'delivered' | 'failed' | 'abandoned'> {
  const attempts = delivery.attempts + 1;
  const base = { attempts, lease_until: null, leased_by: null, last_status: result.status };
  if (result.ok) {
    await db.updateTable('webhook_deliveries').set({ ...base, status: 'delivered', delivered_at: options.now, last_error: null }).where('id', '=', delivery.id).execute();
    return 'delivered';
  }
  const next = options.now + backoffMs(attempts, options.random ?? Math.random);
  const abandon = next - Number(delivery.created_at) > options.retryForMs;
  await db
    .updateTable('webhook_deliveries')
    .set({ ...base, status: abandon ? 'abandoned' : 'pending', next_attempt_at: next, last_error: result.error.slice(0, 500) })
    .where('id', '=', delivery.id)
    .execute();
  return abandon ? 'abandoned' : 'failed';
}

/** 10 s, 20 s, 40 s … capped at 1 h, each stretched by up to 20 % so retries of many deliveries spread out. */
export function backoffMs(attempts: number, random: () => number): number {
  const base = Math.min(10_000 * 2 ** Math.max(0, attempts - 1), 3_600_000);
  return Math.round(base * (1 + 0.2 * random()));
}

export async function listDeliveries(
  db: Kysely<Database>,
  filter: { status?: WebhookDelivery['status'] | undefined; beforeId?: number | undefined; limit: number },
): Promise<{ items: WebhookDelivery[]; lastId: number | null }> {
  const rows = await db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhook_endpoints as e', 'e.url_key', 'd.url_key')
    .selectAll('d')
    .select('e.url')
    .$if(filter.status !== undefined, (q) => q.where('d.status', '=', filter.status!))
    .$if(filter.beforeId !== undefined, (q) => q.where('d.id', '<', filter.beforeId!))
    .orderBy('d.id', 'desc')
    .limit(filter.limit + 1)
    .execute();
  const page = rows.slice(0, filter.limit);
  return {
    items: page.map((r) => ({
      id: String(r.id),
      event_id: String(r.event_id),
      kind: r.kind,
      master_sn: r.master_sn,
      url: r.url,
      status: r.status,
      attempts: r.attempts,
      last_status: r.last_status,
      last_error: r.last_error,
      created_at: iso(Number(r.created_at)),
      next_attempt_at: r.status === 'pending' ? iso(Number(r.next_attempt_at)) : null,
      delivered_at: r.delivered_at === null ? null : iso(Number(r.delivered_at)),
    })),
    lastId: rows.length > filter.limit ? Number(page[page.length - 1]!.id) : null,
  };
}
