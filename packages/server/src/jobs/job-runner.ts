/**
 * Follows jobs on this instance: on every tick (and when a job is created here) it claims unfinished
 * jobs nobody holds a live lease on — new ones, and those of an instance that died — and follows each
 * while renewing its lease. On close it stops following and hands the leases back at once.
 */
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import { Agent } from 'undici';
import type { AppContext } from '../context.js';
import { followJob, LeaseLostError, type FollowContext } from './follow-job.js';
import { claimableJobIds, claimJob, releaseLease, renewLease } from './repository.js';
import { createSaltClientPool } from './salt-clients.js';

/** Jobs one instance follows at once. */
export const MAX_FOLLOWED_JOBS = 16;

export interface JobRunner {
  /** Looks for jobs to follow now instead of at the next tick. */
  wake(): void;
  /** Ids of the jobs this instance follows right now. */
  following(): string[];
}

declare module 'fastify' {
  interface FastifyInstance {
    jobRunner: JobRunner;
  }
}

export const jobRunnerPlugin = fp<{ ctx: AppContext; enabled: boolean; userAgent: string }>(
  async (app: FastifyInstance, { ctx, enabled, userAgent }) => {
    const { config } = ctx;
    const dispatcher = new Agent({ connections: 16, keepAliveTimeout: 30_000 });
    const abort = new AbortController();
    const followed = new Map<string, Promise<void>>();
    let timer: NodeJS.Timeout | undefined;
    let ticking: Promise<void> | undefined;
    const log = ctx.log.child({ module: 'jobs' });
    const follow: FollowContext = {
      db: ctx.db,
      box: ctx.box,
      clock: ctx.clock,
      log,
      instanceId: config.instanceId,
      pool: createSaltClientPool({ dispatcher, eauth: config.jobSaltEauth, timeoutMs: config.jobSaltTimeoutMs, log: log.child({ module: 'salt-api' }), userAgent }),
      pollIntervalMs: config.jobPollIntervalMs,
      leaseMs: config.jobLeaseMs,
      outputLimitBytes: config.jobOutputLimitBytes,
      metrics: ctx.metrics,
      signal: abort.signal,
    };

    function start(id: string): void {
      const renew = setInterval(() => {
        void ctx
          .clock(ctx.db)
          .then((now) => renewLease(ctx.db, id, config.instanceId, now, config.jobLeaseMs))
          .catch((err: unknown) => log.warn({ job: id, err }, 'job lease renewal failed'));
      }, Math.max(1, Math.floor(config.jobLeaseMs / 3)));
      renew.unref();
      const run = followJob(follow, id)
        .catch((err: unknown) => {
          if (err instanceof LeaseLostError) log.warn({ job: id }, 'another instance took the job over');
          else if (!abort.signal.aborted) log.error({ job: id, err }, 'following the job failed; it is resumed when its lease runs out');
        })
        .finally(() => {
          clearInterval(renew);
          followed.delete(id);
        });
      followed.set(id, run);
    }

    async function claim(): Promise<void> {
      const room = MAX_FOLLOWED_JOBS - followed.size;
      if (room <= 0 || abort.signal.aborted) return;
      const now = await ctx.clock(ctx.db);
      for (const id of await claimableJobIds(ctx.db, now, room)) {
        if (followed.has(id) || abort.signal.aborted) continue;
        if (await claimJob(ctx.db, id, config.instanceId, now, config.jobLeaseMs)) start(id);
      }
    }

    function tick(): void {
      if (ticking || abort.signal.aborted) return;
      ticking = claim()
        .catch((err: unknown) => log.error({ err }, 'claiming jobs failed'))
        .finally(() => {
          ticking = undefined;
        });
    }

    app.decorate('jobRunner', { wake: enabled ? tick : () => undefined, following: () => [...followed.keys()] } satisfies JobRunner);
    if (!enabled) return;
    app.addHook('onReady', async () => {
      tick();
      timer = setInterval(tick, config.jobPollIntervalMs);
      timer.unref();
    });
    app.addHook('preClose', async () => {
      abort.abort();
      if (timer) clearInterval(timer);
      await ticking;
      const ids = [...followed.keys()];
      await Promise.allSettled(followed.values());
      await Promise.allSettled(ids.map((id) => releaseLease(ctx.db, id, config.instanceId)));
      await dispatcher.close();
    });
  },
  { name: 'act2-job-runner' },
);
