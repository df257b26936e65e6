/**
 * The first lookups of a dispatch round wait for the round's local_async answers, at most `maxWaitMs`
 * after their own. Storing a master's 1,000 returns keeps the event loop busy for tens of ms, and an
 * answer that arrives meanwhile waits behind it: ten masters answering within ~100 ms of each other
 * were answered up to twice as late. A master that never answers in time (a stopped master's 500
 * comes after 15 s) holds the others' first lookups back by one poll interval at most, not 15 s.
 */
export interface AnswersGate {
  /** One dispatch of the round has its answer settled (or failed): call it exactly once per dispatch. */
  arrived(): void;
  /** Resolves once every dispatch of the round arrived, `maxWaitMs` from now, or on `signal`, whichever comes first. */
  wait(): Promise<void>;
  /** Whether every dispatch of the round arrived. */
  complete(): boolean;
}

export function answersGate(expected: number, maxWaitMs: number, signal: AbortSignal): AnswersGate {
  let left = expected;
  const waiting = new Set<() => void>();
  // One abort listener for every waiter of the gate (the signal is the runner's, shared by every job it
  // follows: a listener per waiter would pass Node's 10-listener warning with a round of 11 masters).
  const releaseAll = () => {
    for (const release of [...waiting]) release();
  };
  return {
    arrived() {
      left -= 1;
      if (left <= 0) releaseAll();
    },
    complete: () => left <= 0,
    wait() {
      if (left <= 0 || signal.aborted) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const release = () => {
          clearTimeout(timer);
          waiting.delete(release);
          if (waiting.size === 0) signal.removeEventListener('abort', releaseAll);
          resolve();
        };
        const timer = setTimeout(release, maxWaitMs);
        if (waiting.size === 0) signal.addEventListener('abort', releaseAll);
        waiting.add(release);
      });
    },
  };
}
