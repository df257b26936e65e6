import { dbErrorKind } from '../metrics/plugin.js';
import type { Metrics } from '../metrics/metrics.js';

/** Runs one periodic job and records its run, duration, transitions and database errors. */
export async function measureJob<T>(metrics: Metrics, job: 'timeout' | 'purge', run: () => Promise<{ result: T; transitions: number }>): Promise<T> {
  const end = metrics.sweepDuration.startTimer({ job });
  try {
    const { result, transitions } = await run();
    metrics.sweepRuns.inc({ job, result: 'ok' });
    metrics.sweepTransitions.inc({ job }, transitions);
    return result;
  } catch (err) {
    metrics.sweepRuns.inc({ job, result: 'error' });
    metrics.dbErrors.inc({ kind: dbErrorKind(err) ?? 'other' });
    throw err;
  } finally {
    end();
  }
}
