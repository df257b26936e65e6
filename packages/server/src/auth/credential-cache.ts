/**
 * A per-instance cache of credential lookups (hash → what it resolved to). A credential found
 * valid stays cached until the auth epoch moves (any revocation or rebind, on any instance or from
 * the CLI: the plugin polls the epoch every `--auth-cache` and calls `clear`), or for
 * `positiveTtlMs` at most. One not found is cached for `negativeTtlMs` only, so a token created a
 * moment ago works within that. A registration storm, or a fleet of masters each registering
 * every 30 minutes with its own key, then costs no lookup at all in the steady state.
 */
export interface CredentialCache<T> {
  get(hash: string, now: number): { value: T | undefined } | undefined;
  /** Stores a lookup that started in generation `generation`; dropped if the cache was cleared since. */
  set(hash: string, value: T | undefined, now: number, generation: number): void;
  /** Bumped by every `clear`: take it before a lookup, hand it to `set`. */
  readonly generation: number;
  clear(): void;
}

const MAX_ENTRIES = 100_000;

export function createCredentialCache<T>(options: { positiveTtlMs: number; negativeTtlMs: number }): CredentialCache<T> {
  const entries = new Map<string, { value: T | undefined; at: number }>();
  let generation = 0;
  return {
    get(hash, now) {
      const entry = entries.get(hash);
      if (!entry) return undefined;
      const ttl = entry.value === undefined ? options.negativeTtlMs : options.positiveTtlMs;
      if (now - entry.at >= ttl) {
        entries.delete(hash);
        return undefined;
      }
      return { value: entry.value };
    },
    set(hash, value, now, from) {
      // A lookup that raced with a revocation must not put back what `clear` just dropped.
      if (from !== generation) return;
      if ((value === undefined ? options.negativeTtlMs : options.positiveTtlMs) <= 0) return;
      // Bounded: random garbage credentials must not grow memory without end.
      if (entries.size >= MAX_ENTRIES) entries.clear();
      entries.set(hash, { value, at: now });
    },
    get generation() {
      return generation;
    },
    clear() {
      generation += 1;
      entries.clear();
    },
  };
}
