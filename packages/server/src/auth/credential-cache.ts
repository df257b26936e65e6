/**
 * A per-instance cache of credential lookups (hash → what it resolved to, found or not) that
 * keeps every answer for `ttlMs` only. With a TTL of a second, a registration storm costs one
 * lookup per credential per second, and a revocation written by any instance (or the CLI) is
 * honoured everywhere within that second.
 */
export interface CredentialCache<T> {
  get(hash: string, now: number): { value: T | undefined } | undefined;
  set(hash: string, value: T | undefined, now: number): void;
}

const MAX_ENTRIES = 10_000;

export function createCredentialCache<T>(ttlMs: number): CredentialCache<T> {
  const entries = new Map<string, { value: T | undefined; at: number }>();
  return {
    get(hash, now) {
      const entry = entries.get(hash);
      if (!entry) return undefined;
      if (now - entry.at >= ttlMs) {
        entries.delete(hash);
        return undefined;
      }
      return { value: entry.value };
    },
    set(hash, value, now) {
      if (ttlMs <= 0) return;
      // Bounded: random garbage credentials must not grow memory without end.
      if (entries.size >= MAX_ENTRIES) entries.clear();
      entries.set(hash, { value, at: now });
    },
  };
}
