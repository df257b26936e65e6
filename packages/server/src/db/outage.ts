import type { FastifyBaseLogger } from 'fastify';

/**
 * Turns a database outage into two log lines instead of one stack per refused request: one when
 * the first request is refused (with the cause), one when the database answers again (with how
 * long it was gone and how many requests were refused meanwhile).
 */
export interface OutageTracker {
  /** A request was refused (503) because the database could not be reached. */
  refused(err: unknown): void;
  /** The database answered a query. */
  answered(): void;
  /** The current outage, if any. */
  readonly current: { since: number; refused: number } | undefined;
}

export function createOutageTracker(log: FastifyBaseLogger, now: () => number = Date.now): OutageTracker {
  let outage: { since: number; refused: number } | undefined;
  return {
    refused(err) {
      if (outage) {
        outage.refused += 1;
        return;
      }
      outage = { since: now(), refused: 1 };
      log.error({ cause: describeCause(err) }, 'database unavailable: refusing requests with 503 until it answers again');
    },
    answered() {
      if (!outage) return;
      const { since, refused } = outage;
      outage = undefined;
      log.warn({ downMs: now() - since, refused }, 'database available again');
    },
    get current() {
      return outage;
    },
  };
}

/** The cause without a stack: what an operator needs to tell a restart from a full disk. */
function describeCause(err: unknown): { code?: string; message: string } {
  if (typeof err !== 'object' || err === null) return { message: String(err) };
  const { code, message } = err as { code?: unknown; message?: unknown };
  const text = typeof message === 'string' && message !== '' ? message : String(err);
  const inner = (err as { cause?: unknown }).cause ?? (err instanceof AggregateError ? err.errors[0] : undefined);
  const described = { ...(typeof code === 'string' ? { code } : {}), message: text };
  if (inner && inner !== err && typeof code !== 'string') return { ...describeCause(inner), message: `${text}: ${describeCause(inner).message}` };
  return described;
}
