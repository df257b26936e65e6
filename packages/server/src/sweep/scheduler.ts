import fp from 'fastify-plugin';

export interface ScheduledJob {
  /** For log lines: `timeout`, `purge`, `webhooks`. */
  name: string;
  intervalMs: number;
  /** One run of the job; errors are logged and the next tick tries again. */
  run: () => Promise<unknown>;
}

export interface SchedulerOptions {
  jobs: ScheduledJob[];
}

/**
 * Runs each job once when the app is ready and then every `intervalMs`, never overlapping itself;
 * stops on close and waits for runs in progress. It only schedules: the jobs are injected.
 */
export const schedulerPlugin = fp<SchedulerOptions>(
  async (app, options) => {
    const timers: NodeJS.Timeout[] = [];
    const running = new Set<Promise<void>>();
    let closing = false;

    const every = (job: ScheduledJob) => {
      let current: Promise<void> | undefined;
      const tick = () => {
        if (current || closing) return;
        current = job
          .run()
          .then(
            () => undefined,
            (err: unknown) => app.log.error({ err, job: job.name }, 'scheduled job failed'),
          )
          .finally(() => {
            if (current) running.delete(current);
            current = undefined;
          });
        running.add(current);
      };
      tick();
      const timer = setInterval(tick, job.intervalMs);
      // The jobs alone must never keep the process alive.
      timer.unref();
      timers.push(timer);
    };

    app.addHook('onReady', async () => {
      for (const job of options.jobs) every(job);
    });
    // preClose runs before any onClose hook, so the database is still open for runs in progress.
    app.addHook('preClose', async () => {
      closing = true;
      for (const timer of timers) clearInterval(timer);
      await Promise.all(running);
    });
  },
  { name: 'act2-scheduler' },
);
