import { classifyDbError } from './dialects/index.js';

export { chunk } from './chunk.js';

/**
 * Runs `work` (one whole transaction) again when the database aborted it as a deadlock victim or
 * a serialization failure (`retry` in every dialect's error classification). Lock ordering
 * should make this rare; this is the safety net.
 */
export async function withTxRetry<T>(work: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await work();
    } catch (err) {
      if (attempt >= attempts || classifyDbError(err) !== 'retry') throw err;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * attempt));
    }
  }
}
