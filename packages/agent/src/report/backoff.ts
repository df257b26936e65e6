export interface BackoffOptions {
  /** Delay cap of the first retry. */
  baseMs: number;
  /** Upper bound of any delay. */
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 500, maxMs: 15_000 };

/**
 * Exponential backoff with jitter for retry number `retry` (1, 2, …): a random delay between half
 * and all of `base·2^(retry-1)`, capped. The jitter keeps a fleet whose cron fired at the same
 * minute from retrying in lockstep against a recovering server.
 */
export function backoffDelay(retry: number, random: () => number, options: BackoffOptions = DEFAULT_BACKOFF): number {
  const cap = Math.min(options.maxMs, options.baseMs * 2 ** Math.max(0, retry - 1));
  return Math.round(cap / 2 + (random() * cap) / 2);
}

/** `Retry-After` in seconds (the HTTP-date form is rare on APIs and ignored). */
export function retryAfterMs(header: string | string[] | undefined): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || !/^\d+$/.test(value.trim())) return undefined;
  return Number(value.trim()) * 1000;
}
