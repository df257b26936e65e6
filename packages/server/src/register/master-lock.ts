const tails = new Map<string, Promise<unknown>>();

/**
 * Runs `work` after every earlier call for the same master sn has finished (a FIFO per sn, in
 * this process). Registrations of different masters run concurrently.
 */
export async function withMasterLock<T>(sn: string, work: () => Promise<T>): Promise<T> {
  const previous = tails.get(sn) ?? Promise.resolve();
  const run = previous.then(work, work);
  const tail = run.catch(() => undefined);
  tails.set(sn, tail);
  try {
    return await run;
  } finally {
    if (tails.get(sn) === tail) tails.delete(sn);
  }
}
