import type { Logger } from 'pino';
import { AgentError, toAgentError } from '../../errors.js';
import type { CollectContext, CollectResult, Collector } from '../collector.js';
import { collectGrains } from './grains.js';
import { interfaceMatcher } from './ips.js';
import { isReportableId, toCollectedMinion } from './minions.js';
import { createSaltClient } from './salt-client.js';
import { ManageStatus } from './schema.js';

async function collectOrThrow(ctx: CollectContext, log: Logger): Promise<CollectResult> {
  const { config, now } = ctx;
  const client = createSaltClient({
    baseUrl: config.saltServer,
    username: config.saltUser,
    password: config.saltPassword,
    eauth: config.saltEauth,
    dispatcher: ctx.dispatcher,
    timeoutMs: config.timeoutMs,
    log,
    now,
  });
  let started = now();
  await client.login();
  log.info({ url: config.saltServer, user: config.saltUser, eauth: config.saltEauth, ms: now() - started }, 'salt login ok');

  started = now();
  // Inside `kwarg`: a top-level `timeout` would be salt-api's own wait, not the ping's (capture 17).
  const value = await client.run({
    client: 'runner',
    fun: 'manage.status',
    kwarg: { timeout: config.pingTimeoutMs / 1000, gather_job_timeout: config.gatherJobTimeoutMs / 1000 },
  });
  const status = ManageStatus.safeParse(value);
  if (!status.success) throw new AgentError('ACT2_SALT_BAD_RESPONSE', 'salt-api manage.status did not return {up, down} lists');
  const unreportable = [...status.data.up, ...status.data.down].filter((id) => !isReportableId(id));
  if (unreportable.length > 0) {
    log.warn({ minions: unreportable.length, examples: unreportable.slice(0, 5).map((id) => JSON.stringify(id).slice(0, 80)) }, 'minion ids the contract cannot carry, skipped');
  }
  const upSet = new Set(status.data.up.filter(isReportableId));
  const up = [...upSet];
  const down = [...new Set(status.data.down.filter(isReportableId))].filter((id) => !upSet.has(id));
  log.info({ up: up.length, down: down.length, ms: now() - started }, 'manage.status done');

  started = now();
  const grains = await collectGrains(client, up, down, config, log);
  const missing = up.length + down.length - grains.byId.size;
  log.info({ source: config.grainsSource, live: grains.live, cached: grains.cached, missing, ms: now() - started }, 'grains collected');

  const options = { excluded: interfaceMatcher(config.excludeInterfaces), ...(config.minionSnGrain ? { minionSnGrain: config.minionSnGrain } : {}) };
  const minions = [...up, ...down].map((id) => toCollectedMinion(id, upSet.has(id), grains.byId.get(id), options));
  return { status: 'running', minions, warnings: grains.warnings };
}

/**
 * salt-api (rest_cherrypy): login, `manage.status` for up/down, grains for IPs and serials.
 * Any failure before the minion list is known reports the master `stopped` with the reason.
 */
export const saltCollector: Collector = {
  type: 'salt',
  async collect(ctx) {
    const log = ctx.log.child({ collector: 'salt' });
    try {
      return await collectOrThrow(ctx, log);
    } catch (error) {
      const err = toAgentError(error, 'ACT2_COLLECTOR_FAILED');
      log.error({ code: err.code, reason: err.message, ...err.details }, 'salt-api unavailable');
      return { status: 'stopped', minions: [], error: err.message, code: err.code, warnings: [] };
    }
  },
};
