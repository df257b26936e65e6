import type { MasterStatus } from '@act2/shared';
import type { EpochMs } from '../db/database.js';

/**
 * True once `lastSeen` is strictly more than `timeoutMs` in the past: at exactly the timeout a
 * master is still alive, one millisecond later it is not. The sweep's SQL uses the same rule.
 */
export function isExpired(lastSeen: EpochMs, now: EpochMs, timeoutMs: number): boolean {
  return lastSeen < now - timeoutMs;
}

/** The status as read now: a silent master reads `timeout` even before a sweep has recorded it. */
export function effectiveStatus(
  row: { status: MasterStatus; last_seen: EpochMs },
  now: EpochMs,
  timeoutMs: number,
): MasterStatus {
  if (row.status === 'timeout') return 'timeout';
  return isExpired(Number(row.last_seen), now, timeoutMs) ? 'timeout' : row.status;
}

const RANK: Record<MasterStatus, number> = { running: 0, stopped: 1, timeout: 2 };

/** "Which master do I send this job to": running before stopped before timeout, then freshest, then sn. */
export function compareCandidates(
  a: { status: MasterStatus; last_seen: EpochMs; sn: string },
  b: { status: MasterStatus; last_seen: EpochMs; sn: string },
): number {
  return RANK[a.status] - RANK[b.status] || b.last_seen - a.last_seen || (a.sn < b.sn ? -1 : a.sn > b.sn ? 1 : 0);
}
