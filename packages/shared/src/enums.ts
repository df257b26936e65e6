import { z } from 'zod';

/** What a registration says about the master itself: salt-api answered (`running`) or not (`stopped`). */
export const ReportedMasterStatus = z.enum(['running', 'stopped']);
export type ReportedMasterStatus = z.infer<typeof ReportedMasterStatus>;

/** A master's status as the server knows it: `timeout` is decided by the server when heartbeats stop. */
export const MasterStatus = z.enum(['running', 'stopped', 'timeout']);
export type MasterStatus = z.infer<typeof MasterStatus>;

/** A minion answered its master's ping (`running`) or did not (`stopped`). */
export const MinionStatus = z.enum(['running', 'stopped']);
export type MinionStatus = z.infer<typeof MinionStatus>;

/** The configuration-management system the master runs (heartbeat.py's `--srv-type`). */
export const ServerType = z.enum(['salt', 'puppet', 'openssh']);
export type ServerType = z.infer<typeof ServerType>;

/** Every state change the server records. */
export const EventKind = z.enum([
  'master.registered',
  'master.stopped',
  'master.timeout',
  'master.recovered',
  /** An admin released the key the master sn was bound to (`act2-server master rebind`). */
  'master.rebind',
  'minion.joined',
  'minion.left',
  'minion.status',
  /** A master deleted: gone longer than --purge-after, or retired with DELETE /api/v1/masters/{sn}. */
  'master.purged',
  /** A minion forgotten because the master purged with it was the last to report it. */
  'minion.purged',
  'job.created',
  'job.finished',
]);
export type EventKind = z.infer<typeof EventKind>;
