/**
 * Counts failed authentication attempts per client address in fixed windows; an address past
 * the limit is refused (429) until its window ends, before its credential is even looked at.
 *
 * Our own rather than @fastify/rate-limit: that plugin counts every request, and what we limit
 * is failures only. An agent fleet behind one NAT address sends thousands of good registrations
 * and must never be throttled, while a guesser is cut off after a handful of misses. A Map with
 * a bounded size is all it needs; each instance counts on its own (a guesser spread over N
 * instances gets N times the allowance, still hopeless against 256-bit secrets).
 */
export interface FailureLimiter {
  /** Milliseconds until `address` may try again, or 0 when it may now. */
  blockedFor(address: string, now: number): number;
  /** Records one failure. */
  fail(address: string, now: number): void;
}

const MAX_TRACKED = 10_000;

export function createFailureLimiter(options: { max: number; windowMs: number }): FailureLimiter {
  const windows = new Map<string, { count: number; resetAt: number }>();
  const prune = (now: number) => {
    for (const [address, w] of windows) if (w.resetAt <= now) windows.delete(address);
    // Still full (a spread-out attack): forget the oldest, a fair price for bounded memory.
    while (windows.size >= MAX_TRACKED) windows.delete(windows.keys().next().value as string);
  };
  return {
    blockedFor(address, now) {
      const w = windows.get(address);
      if (!w || w.resetAt <= now || w.count < options.max) return 0;
      return w.resetAt - now;
    },
    fail(address, now) {
      const w = windows.get(address);
      if (w && w.resetAt > now) {
        w.count += 1;
        return;
      }
      if (windows.size >= MAX_TRACKED) prune(now);
      windows.set(address, { count: 1, resetAt: now + options.windowMs });
    },
  };
}
