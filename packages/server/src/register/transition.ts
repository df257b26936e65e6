import type { EventKind, MasterStatus, ReportedMasterStatus } from '@act2/shared';
import type { EpochMs } from '../db/database.js';
import type { NewEvent } from '../events/repository.js';
import { isExpired } from '../masters/status.js';

/** What a registration can do to a master (a rebind is an admin's act, a purge the purge job's or DELETE's). */
export type MasterEventKind = Exclude<Extract<EventKind, `master.${string}`>, 'master.rebind' | 'master.purged'>;

export interface MasterTransition {
  events: Array<Omit<NewEvent, 'master_sn' | 'kind'> & { kind: MasterEventKind }>;
  /** The master was timed out or stopped before this registration. */
  recovered: boolean;
  /** Status changed, so `status_changed_at` moves. */
  statusChanged: boolean;
}

/**
 * What a registration does to a master's status. `previous` is the locked row, or undefined for
 * a new master. A master whose heartbeat expired but that no sweep has marked yet is timed out
 * here first (under the same row lock the sweep needs), so the history says timeout then
 * recovered exactly once whichever of sweep and registration gets the row first.
 */
export function masterTransition(
  previous: { status: MasterStatus; last_seen: EpochMs } | undefined,
  reported: ReportedMasterStatus,
  now: EpochMs,
  timeoutMs: number,
): MasterTransition {
  if (!previous) {
    return { events: [{ kind: 'master.registered', detail: { status: reported } }], recovered: false, statusChanged: true };
  }
  const events: MasterTransition['events'] = [];
  let from = previous.status;
  if (from !== 'timeout' && isExpired(Number(previous.last_seen), now, timeoutMs)) {
    events.push({
      kind: 'master.timeout',
      detail: { from, last_seen_ms: Number(previous.last_seen), timeout_ms: timeoutMs, detected_by: 'register' },
    });
    from = 'timeout';
  }
  if (from === 'timeout' || (from === 'stopped' && reported === 'running')) {
    events.push({ kind: 'master.recovered', detail: { from, to: reported } });
    return { events, recovered: true, statusChanged: true };
  }
  if (from === 'running' && reported === 'stopped') {
    events.push({ kind: 'master.stopped', detail: { from } });
    return { events, recovered: false, statusChanged: true };
  }
  return { events, recovered: false, statusChanged: false };
}
