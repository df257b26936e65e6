import fp from 'fastify-plugin';

export interface SchedulerOptions {
  intervalMs: number;
  /** One run of the job; errors are logged and the next tick tries again. */
  run: () => Promise<unknown>;
}

/**
 * Runs a job once when the app is ready and then every `intervalMs`, never overlapping itself;
 * stops on close and waits for a run in progress. It only schedules: the job is injected.
 */
export const schedulerPlugin = fp<SchedulerOptions>(
  async (app, options) => {
    let timer: NodeJS.Timeout | undefined;
    let running: Promise<void> | undefined;
    let closing = false;

    const tick = () => {
      if (running || closing) return;
      running = options
        .run()
        .then(
          () => undefined,
          (err: unknown) => app.log.error({ err }, 'scheduled timeout sweep failed'),
        )
        .finally(() => {
          running = undefined;
        });
    };

    app.addHook('onReady', async () => {
      tick();
      timer = setInterval(tick, options.intervalMs);
      // The sweep alone must never keep the process alive.
      timer.unref();
    });
    // preClose runs before any onClose hook, so the database is still open for a run in progress.
    app.addHook('preClose', async () => {
      closing = true;
      if (timer) clearInterval(timer);
      await running;
    });
  },
  { name: 'act2-scheduler' },
);
