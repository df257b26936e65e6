import { z } from 'zod';
import { EventKind, MasterStatus, MinionStatus, ServerType } from './enums.js';
import { IpAddress, Sn } from './register.js';
import { parseIsoInstant } from './instant.js';
import { singleLineText } from './text.js';

export const DEFAULT_PAGE_LIMIT = 100;
export const MAX_PAGE_LIMIT = 1000;

/**
 * Query strings arrive as text, so `limit` is coerced. `cursor` is the previous page's `next_cursor`.
 * Unknown parameters are refused (strict objects): a misspelt filter (`stauts=stopped`) must not
 * silently return everything.
 */
export const ListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_LIMIT).default(DEFAULT_PAGE_LIMIT),
  cursor: z.string().min(1).max(1024).optional(),
});
export type ListQuery = z.infer<typeof ListQuery>;

/** `GET /api/v1/masters`: `status` is the status as read now (a silent master reads `timeout`). */
export const MasterListQuery = ListQuery.extend({
  status: MasterStatus.optional(),
  idc: singleLineText(255, { trim: false }).optional(),
  type: ServerType.optional(),
});
export type MasterListQuery = z.infer<typeof MasterListQuery>;

/** `GET /api/v1/minions`: `master` is a master sn; `status` is the minion's overall status. */
export const MinionListQuery = ListQuery.extend({
  master: Sn.optional(),
  status: MinionStatus.optional(),
  ip: IpAddress.optional(),
});
export type MinionListQuery = z.infer<typeof MinionListQuery>;

/**
 * An ISO 8601 date (`2026-11-30`, midnight UTC) or date-time (`2026-11-30T10:00Z`,
 * `2026-11-30T18:00:00.5+08:00`), parsed to epoch milliseconds (see `parseIsoInstant`).
 */
export const IsoInstant = z
  .string()
  .max(64)
  .transform((text, ctx) => {
    const ms = parseIsoInstant(text);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: 'must be an ISO 8601 date (2026-11-30) or date-time (2026-11-30T10:00:00Z)' });
      return z.NEVER;
    }
    return ms;
  });

/**
 * `GET /api/v1/events`: `since` is an ISO 8601 date or date-time (inclusive). Events come oldest
 * first, or newest first with `order=desc` (a timeline).
 */
export const EventListQuery = ListQuery.extend({
  master: Sn.optional(),
  kind: EventKind.optional(),
  since: IsoInstant.optional(),
  order: z.enum(['asc', 'desc']).default('asc'),
});
export type EventListQuery = z.infer<typeof EventListQuery>;

/** `GET /api/v1/webhooks/deliveries`: newest first. */
export const WebhookDeliveryListQuery = ListQuery.extend({
  status: z.enum(['pending', 'delivered', 'abandoned']).optional(),
});
export type WebhookDeliveryListQuery = z.infer<typeof WebhookDeliveryListQuery>;

export const LookupQuery = z.strictObject({ ip: IpAddress });
export type LookupQuery = z.infer<typeof LookupQuery>;

/** Path parameter of the detail routes (`/masters/{sn}`, `/minions/{sn}`). */
export const SnParams = z.object({ sn: Sn });
export type SnParams = z.infer<typeof SnParams>;
