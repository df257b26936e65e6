/**
 * Follows jobs on this instance: a job created here is followed from its creation (its lease is taken
 * in the creating transaction, see create-job.ts); on every tick it claims unfinished jobs nobody holds
 * a live lease on — those of an instance that died, or created while this one had no room — and follows
 * each while renewing its lease. On close it stops following and hands the leases back at once.
 */
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import { Agent } from 'undici';
import type { AppContext } from '../context.js';
import { CompactionBackoff, sweepFinishedChunks } from '../sweep/chunk-sweep.js';
import { followJob, LeaseLostError, type FollowContext, type JobStart } from './follow-job.js';
import { claimableJobIds, claimJob, releaseLease, renewLease, withdrawUnsentJob } from './repository.js';
import { createSaltClientPool } from './salt-clients.js';

/** Jobs one instance follows at once. */
export const MAX_FOLLOWED_JOBS = 16;

/**
 * Finished jobs still holding chunks (their follower stopped before compacting them) that one sweep
 * compacts, at most: each one transaction; usually there is none.
 */
const LEFTOVER_COMPACTIONS_PER_SWEEP = 4;

/** A job whose compaction failed is tried again after 10 sweeps, then 20, 40…, at most about an hour apart. */
const COMPACTION_RETRY_FIRST_SWEEPS = 10;
const COMPACTION_RETRY_MAX_MS = 3_600_000;

export interface JobRunner {
  /** Looks for jobs to follow now instead of at the next tick. */
  wake(): void;
  /**
   * Holds a place for a job about to be created here: true when this instance will follow it from its
   * creation (the creator then leases it to this instance and must call `adopt` or `unreserve`).
   */
  reserve(): boolean;
  /**
   * Follows a job created (leased, its first round recorded) with a place from `reserve`; when the
   * instance is closing, hands it back instead and resolves once that is done.
   */
  adopt(start: JobStart): Promise<void>;
  /** Gives back a place from `reserve` (the job was not created). */
  unreserve(): void;
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
    // Jobs created while closing, being handed back: closing waits for them before the pool is destroyed.
    const handingBack = new Set<Promise<void>>();
    let timer: NodeJS.Timeout | undefined;
    let ticking: Promise<void> | undefined;
    // The sweep of finished jobs' chunks, beside the claims: a full instance still sweeps, and claiming
    // does not wait for it.
    let compacting: Promise<void> | undefined;
    const backoff = new CompactionBackoff(COMPACTION_RETRY_FIRST_SWEEPS, Math.max(COMPACTION_RETRY_FIRST_SWEEPS, Math.ceil(COMPACTION_RETRY_MAX_MS / config.jobPollIntervalMs)));
    // Places held by `reserve` for jobs being created here.
    let reserved = 0;
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

    function start(id: string, from?: JobStart): void {
      const renew = setInterval(() => {
        void ctx
          .clock(ctx.db)
          .then((now) => renewLease(ctx.db, id, config.instanceId, now, config.jobLeaseMs))
          .catch((err: unknown) => log.warn({ job: id, err }, 'job lease renewal failed'));
      }, Math.max(1, Math.floor(config.jobLeaseMs / 3)));
      renew.unref();
      const run = followJob(follow, id, from)
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
      const room = MAX_FOLLOWED_JOBS - followed.size - reserved;
      if (room <= 0 || abort.signal.aborted) return;
      const now = await ctx.clock(ctx.db);
      for (const id of await claimableJobIds(ctx.db, now, room)) {
        if (followed.has(id) || abort.signal.aborted) continue;
        if (await claimJob(ctx.db, id, config.instanceId, now, config.jobLeaseMs)) start(id);
      }
    }

    function compact(): void {
      if (compacting || abort.signal.aborted) return;
      compacting = sweepFinishedChunks(ctx.db, { limit: LEFTOVER_COMPACTIONS_PER_SWEEP, skip: (id) => followed.has(id), backoff, signal: abort.signal, log })
        .then(() => undefined)
        .catch((err: unknown) => log.error({ err }, 'sweeping finished jobs\' chunks failed'))
        .finally(() => {
          compacting = undefined;
        });
    }

    async function handBack(id: string): Promise<void> {
      try {
        await withdrawUnsentJob(ctx.db, id, config.instanceId);
      } catch (err) {
        // The lease runs out and the next follower finds the dispatches in flight: `unknown`, never twice.
        log.warn({ job: id, err }, 'handing a new job back failed');
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

    const runner: JobRunner = {
      wake: enabled ? tick : () => undefined,
      reserve() {
        if (!enabled || abort.signal.aborted || followed.size + reserved >= MAX_FOLLOWED_JOBS) return false;
        reserved += 1;
        return true;
      },
      adopt(from) {
        reserved -= 1;
        // Closing: salt-api was not called, so the recorded dispatches are withdrawn and the lease handed
        // back; another instance (or the next start) claims the job as if it had been created elsewhere.
        if (!abort.signal.aborted) {
          start(from.job.id, from);
          return Promise.resolve();
        }
        const back = handBack(from.job.id).finally(() => handingBack.delete(back));
        handingBack.add(back);
        return back;
      },
      unreserve() {
        reserved -= 1;
      },
      following: () => [...followed.keys()],
    };
    app.decorate('jobRunner', runner);
    if (!enabled) return;
    app.addHook('onReady', async () => {
      const every = () => {
        tick();
        compact();
      };
      every();
      timer = setInterval(every, config.jobPollIntervalMs);
      timer.unref();
    });
    app.addHook('preClose', async () => {
      abort.abort();
      if (timer) clearInterval(timer);
      await Promise.all([ticking, compacting]);
      const ids = [...followed.keys()];
      await Promise.allSettled(followed.values());
      await Promise.allSettled(ids.map((id) => releaseLease(ctx.db, id, config.instanceId)));
      await Promise.allSettled(handingBack);
      await dispatcher.close();
    });
  },
  { name: 'act2-job-runner' },
);
