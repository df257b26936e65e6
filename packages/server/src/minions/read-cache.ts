/**
 * A per-instance cache of serialized read answers, each kept at most `ttlMs` after the query
 * that produced it started: an answer is never older than `ttlMs`, so every instance shows a
 * registration's effect within `ttlMs` of its commit (plus the read's own latency). Bounded to
 * `maxEntries`; the oldest entry goes first.
 */
export interface ReadCache {
  /** The cached answer, or undefined when there is none or it expired. */
  get(key: string): string | undefined;
  /** The time to pass to {@link set}: take it before the query runs. */
  now(): number;
  set(key: string, body: string, queriedAt: number): void;
}

export function createReadCache(options: { ttlMs: number; maxEntries: number; now?: () => number }): ReadCache {
  const now = options.now ?? (() => performance.now());
  const entries = new Map<string, { body: string; expiresAt: number }>();
  return {
    now,
    get(key) {
      const entry = entries.get(key);
      if (entry === undefined) return undefined;
      if (entry.expiresAt > now()) return entry.body;
      entries.delete(key);
      return undefined;
    },
    set(key, body, queriedAt) {
      const expiresAt = queriedAt + options.ttlMs;
      if (expiresAt <= now()) return;
      entries.delete(key);
      if (entries.size >= options.maxEntries) {
        const oldest = entries.keys().next();
        if (!oldest.done) entries.delete(oldest.value);
      }
      entries.set(key, { body, expiresAt });
    },
  };
}
