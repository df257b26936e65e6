/** What the lowstate executors need from the simulator; built once per simulator, passed explicitly. */
import type { AuthStore } from './auth.js';
import type { Fleet } from './fleet.js';
import type { JobCache } from './jobs.js';
import type { MasterDownMode } from './types.js';

/** Salt master defaults the simulated master runs with (`timeout`, `gather_job_timeout`, `rest_timeout`). */
export const MASTER_TIMEOUT_S = 5;
export const GATHER_JOB_TIMEOUT_S = 10;
export const REST_TIMEOUT_S = 300;
/** A ReqChannel to a dead master gives up after 3 tries of 60 s (captures 71, 72). */
export const MASTER_HANG_S = 180;
/** A local publish to a dead master fails after 5 s (capture 73). */
export const LOCAL_PUBLISH_TIMEOUT_S = 5;
/** A local_async publish to a dead master (sockets left behind) fails after 15 s (captures 99, 131). */
export const LOCAL_ASYNC_PUBLISH_TIMEOUT_S = 15;

export interface SimRuntime {
  fleet: Fleet;
  auth: AuthStore;
  jobs: JobCache;
  masterId: string;
  ensureAscii: boolean;
  pingLatencyMs: number;
  /** Real ms a local_async answer is held back after the job is published (a slow salt-api). */
  dispatchReplyDelayMs(): number;
  /** salt's `max_event_size`: returns bigger than this become "VALUE_TRIMMED". */
  maxEventSize: number;
  nowMs(): number;
  /** Simulated salt seconds → real milliseconds (× timeScale). */
  simToRealMs(simSeconds: number): number;
  masterDown(): MasterDownMode;
  clientsEnabled(): readonly string[];
  /**
   * Waits `simSeconds` of simulated salt time (× timeScale) plus `realMs` as given; rejects when the
   * request is aborted (client gone, simulator closed or restarted).
   */
  sleep(simSeconds: number, signal: AbortSignal, realMs?: number): Promise<void>;
}

/** Who is calling: the Salt token of the session / chunk, or inline eauth credentials (/run). */
export type Caller =
  | { kind: 'token'; token: string }
  | { kind: 'eauth'; username: unknown; password: unknown; eauth: unknown };

export function callerOf(low: Record<string, unknown>): Caller {
  if ('token' in low) return { kind: 'token', token: String(low.token) };
  return { kind: 'eauth', username: low.username, password: low.password, eauth: low.eauth };
}

/** Salt reads timeouts from JSON numbers, and form posts send them as text. */
function seconds(value: unknown): number | undefined {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : undefined;
}

/** How long a publish waits when some targeted minion is down: `timeout` then one find_job round. */
export { seconds as timeoutSeconds };

export function silentMinionWaitS(timeout: unknown, gatherJobTimeout: unknown): number {
  return (seconds(timeout) ?? MASTER_TIMEOUT_S) + (seconds(gatherJobTimeout) ?? GATHER_JOB_TIMEOUT_S);
}
