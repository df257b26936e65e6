import { z } from 'zod';
import { EventKind, MasterStatus, MinionStatus, ServerType } from './enums.js';

/** Timestamps on the read API are ISO 8601 strings in UTC. */
const Timestamp = z.string();

/** A paginated listing: pass `next_cursor` back as `cursor` to get the next page. */
export const page = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), next_cursor: z.string().nullable() });

export const Master = z.object({
  sn: z.string(),
  server: z.string(),
  status: MasterStatus,
  idc: z.string(),
  type: ServerType,
  last_seen: Timestamp,
  first_seen: Timestamp,
  /** Why the agent could not collect minions on its last `stopped` registration. */
  error: z.string().nullable(),
  minion_count: z.number().int(),
  /** Of `minion_count`, the minions this master last reported running. */
  minions_running: z.number().int(),
  /** The act2-heartbeat version of the last registration (null for the original heartbeat.py). */
  agent_version: z.string().nullable(),
});
export type Master = z.infer<typeof Master>;

/** A minion as its master reported it. */
export const MasterMinion = z.object({
  sn: z.string(),
  status: MinionStatus,
  ips: z.array(z.string()),
});
export type MasterMinion = z.infer<typeof MasterMinion>;

export const MasterDetail = Master.extend({ minions: z.array(MasterMinion) });
export type MasterDetail = z.infer<typeof MasterDetail>;

export const MasterList = page(Master);
export type MasterList = z.infer<typeof MasterList>;

/** One master that reported a minion, as seen from the minion. */
export const MinionMaster = Master.pick({ sn: true, server: true, status: true, idc: true, type: true, last_seen: true }).extend({
  /** The minion's status as this master last reported it. */
  minion_status: MinionStatus,
});
export type MinionMaster = z.infer<typeof MinionMaster>;

export const Minion = z.object({
  sn: z.string(),
  /** `running` when any live master reports it running. */
  status: MinionStatus,
  ips: z.array(z.string()),
  updated_at: Timestamp,
});
export type Minion = z.infer<typeof Minion>;

/** "Which master do I send this job to": best candidate first (running, then freshest). */
export const MinionDetail = Minion.extend({ masters: z.array(MinionMaster) });
export type MinionDetail = z.infer<typeof MinionDetail>;

export const MinionList = page(Minion);
export type MinionList = z.infer<typeof MinionList>;

/** `GET /api/v1/lookup?ip=`: every minion known by that IP, each with its masters. */
export const LookupResponse = z.object({ ip: z.string(), items: z.array(MinionDetail) });
export type LookupResponse = z.infer<typeof LookupResponse>;

/** `DELETE /api/v1/masters/{sn}`: the master is gone, with the minions only it reported. */
export const MasterDeleted = z.object({ sn: z.string(), minions_purged: z.number().int() });
export type MasterDeleted = z.infer<typeof MasterDeleted>;

export const Event = z.object({
  id: z.string(),
  kind: EventKind,
  master_sn: z.string(),
  minion_sn: z.string().nullable(),
  /** The server instance that recorded the change. */
  instance_id: z.string(),
  at: Timestamp,
  detail: z.record(z.string(), z.unknown()).nullable(),
});
export type Event = z.infer<typeof Event>;

export const EventList = page(Event);
export type EventList = z.infer<typeof EventList>;

export const Health = z.object({ status: z.literal('ok') });
export const Ready = z.object({ status: z.enum(['ok', 'unavailable']), database: z.string() });

/** The events `--webhook` receivers get. */
export const WebhookEventKind = EventKind.extract(['master.timeout', 'master.recovered', 'master.stopped', 'master.purged', 'job.finished']);
export type WebhookEventKind = z.infer<typeof WebhookEventKind>;

/** One event's delivery to one webhook URL: `GET /api/v1/webhooks/deliveries`. */
export const WebhookDelivery = z.object({
  id: z.string(),
  event_id: z.string(),
  kind: EventKind,
  master_sn: z.string(),
  url: z.string(),
  /** `pending` (not yet, or failing and retried with backoff), `delivered`, or `abandoned` after --webhook-retry-for. */
  status: z.enum(['pending', 'delivered', 'abandoned']),
  attempts: z.number().int(),
  /** HTTP status of the last attempt, null when it got no answer. */
  last_status: z.number().int().nullable(),
  last_error: z.string().nullable(),
  created_at: Timestamp,
  next_attempt_at: Timestamp.nullable(),
  delivered_at: Timestamp.nullable(),
});
export type WebhookDelivery = z.infer<typeof WebhookDelivery>;

export const WebhookDeliveryList = page(WebhookDelivery);
export type WebhookDeliveryList = z.infer<typeof WebhookDeliveryList>;
