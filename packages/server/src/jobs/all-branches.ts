/**
 * Runs one branch per item side by side and fails like `Promise.all`, but only once every branch has
 * ended: a branch that failed stops the job's follower, which must not leave the others writing
 * behind it (after the same instance re-claims the job, a late write would overwrite what the new
 * follower decided). Rethrows the first failure in the order of `items`.
 */
export async function allBranches<T>(items: readonly T[], branch: (item: T) => Promise<void>): Promise<void> {
  const results = await Promise.allSettled(items.map((item) => branch(item)));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}
