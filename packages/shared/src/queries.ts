import { z } from 'zod';
import { EventKind, MasterStatus, MinionStatus, ServerType } from './enums.js';
import { IpAddress } from './register.js';
import { singleLineText } from './text.js';

export const DEFAULT_PAGE_LIMIT = 100;
export const MAX_PAGE_LIMIT = 1000;

/** Query strings arrive as text, so `limit` is coerced. `cursor` is the previous page's `next_cursor`. */
export const ListQuery = z.object({
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
  master: singleLineText(255).min(1).optional(),
  status: MinionStatus.optional(),
  ip: IpAddress.optional(),
});
export type MinionListQuery = z.infer<typeof MinionListQuery>;

/** `GET /api/v1/events`: `since` is an ISO 8601 timestamp (inclusive). Events come oldest first. */
export const EventListQuery = ListQuery.extend({
  master: singleLineText(255).min(1).optional(),
  kind: EventKind.optional(),
  since: z.iso.datetime({ offset: true }).optional(),
});
export type EventListQuery = z.infer<typeof EventListQuery>;

export const LookupQuery = z.object({ ip: IpAddress });
export type LookupQuery = z.infer<typeof LookupQuery>;

/** Path parameter of the detail routes (`/masters/{sn}`, `/minions/{sn}`). */
export const SnParams = z.object({ sn: singleLineText(255).min(1) });
export type SnParams = z.infer<typeof SnParams>;
