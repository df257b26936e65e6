import type { Event, EventKind } from '@act2/shared';
import type { DbOrTrx, EpochMs, EventsTable } from '../db/database.js';
import { chunk } from '../db/retry.js';
import { iso } from '../http/iso.js';
import type { Selectable } from 'kysely';

export interface NewEvent {
  kind: EventKind;
  master_sn: string;
  minion_sn?: string | null;
  detail?: Record<string, unknown> | null;
}

const BATCH = 500;

/** Appends events written by `instanceId` at `at`, in batched multi-row inserts. */
export async function insertEvents(
  db: DbOrTrx,
  events: readonly NewEvent[],
  stamp: { instanceId: string; at: EpochMs },
): Promise<void> {
  for (const batch of chunk(events, BATCH)) {
    await db
      .insertInto('events')
      .values(
        batch.map((e) => ({
          kind: e.kind,
          master_sn: e.master_sn,
          minion_sn: e.minion_sn ?? null,
          instance_id: stamp.instanceId,
          at: stamp.at,
          detail: e.detail ? JSON.stringify(e.detail) : null,
        })),
      )
      .execute();
  }
}

export interface EventFilter {
  master?: string | undefined;
  kind?: EventKind | undefined;
  /** Inclusive lower bound on `at`. */
  since?: EpochMs | undefined;
  /** Id of the last event of the previous page. */
  afterId?: number | undefined;
  /** `desc`: newest first, and `afterId` pages towards older events. */
  order?: 'asc' | 'desc' | undefined;
  limit: number;
}

/**
 * Oldest first, paged by id. A paginated history, not a tail-safe feed: on PostgreSQL and MySQL ids are
 * handed out when a transaction inserts, not when it commits, so an event with a smaller id can
 * become visible after a page that already went past it. A tailing client re-reads with `since`
 * and an overlap and de-duplicates by id (see the README).
 */
export async function listEvents(db: DbOrTrx, filter: EventFilter): Promise<{ items: Event[]; lastId: number | null }> {
  const rows = await db
    .selectFrom('events')
    .selectAll()
    .$if(filter.master !== undefined, (q) => q.where('master_sn', '=', filter.master!))
    .$if(filter.kind !== undefined, (q) => q.where('kind', '=', filter.kind!))
    .$if(filter.since !== undefined, (q) => q.where('at', '>=', filter.since!))
    .$if(filter.afterId !== undefined, (q) => q.where('id', filter.order === 'desc' ? '<' : '>', filter.afterId!))
    .orderBy('id', filter.order === 'desc' ? 'desc' : 'asc')
    .limit(filter.limit + 1)
    .execute();
  const page = rows.slice(0, filter.limit);
  const more = rows.length > filter.limit;
  return { items: page.map(toApiEvent), lastId: more ? Number(page[page.length - 1]!.id) : null };
}

export function toApiEvent(row: Selectable<EventsTable>): Event {
  return {
    id: String(row.id),
    kind: row.kind,
    master_sn: row.master_sn,
    minion_sn: row.minion_sn,
    instance_id: row.instance_id,
    at: iso(Number(row.at)),
    detail: row.detail === null ? null : (JSON.parse(row.detail) as Record<string, unknown>),
  };
}
