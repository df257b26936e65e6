import type { Logger } from 'pino';
import type { CoreConfig } from '../../core-config.js';
import { AgentError, toAgentError } from '../../errors.js';
import type { CollectContext, CollectResult, Collector, ConfiguredCollector } from '../collector.js';
import { parseSaltSettings, saltOptions } from './config.js';
import type { SaltSettings } from './config.js';
import { collectGrains } from './grains.js';
import { interfaceMatcher } from './ips.js';
import { isReportableId, toCollectedMinion } from './minions.js';
import { createSaltClient } from '@act2/salt-api-client';
import { readManageStatus } from './schema.js';
import { USER_AGENT } from '../../version.js';

async function collectOrThrow(ctx: CollectContext, salt: SaltSettings, core: CoreConfig, log: Logger): Promise<CollectResult> {
  const { now } = ctx;
  const client = createSaltClient({
    baseUrl: salt.server,
    username: salt.user,
    password: salt.password,
    eauth: salt.eauth,
    dispatcher: ctx.dispatcher,
    timeoutMs: core.timeoutMs,
    log,
    now,
    userAgent: USER_AGENT,
  });
  let started = now();
  await client.login();
  log.info({ url: salt.server, user: salt.user, eauth: salt.eauth, ms: now() - started }, 'salt login ok');

  started = now();
  // Inside `kwarg`: a top-level `timeout` would be salt-api's own wait, not the ping's (capture 17).
  const value = await client.run({
    client: 'runner',
    fun: 'manage.status',
    kwarg: { timeout: salt.pingTimeoutMs / 1000, gather_job_timeout: salt.gatherJobTimeoutMs / 1000 },
  });
  const status = readManageStatus(value);
  if (!status) throw new AgentError('ACT2_SALT_BAD_RESPONSE', 'salt-api manage.status did not return {up, down} lists');
  const unreportable = [...status.up, ...status.down].filter((id) => !isReportableId(id));
  if (unreportable.length > 0) {
    log.warn({ minions: unreportable.length, examples: unreportable.slice(0, 5).map((id) => JSON.stringify(id).slice(0, 80)) }, 'minion ids the contract cannot carry, skipped');
  }
  const upSet = new Set(status.up.filter(isReportableId));
  const up = [...upSet];
  const down = [...new Set(status.down.filter(isReportableId))].filter((id) => !upSet.has(id));
  log.info({ up: up.length, down: down.length, ms: now() - started }, 'manage.status done');

  started = now();
  const grains = await collectGrains(client, up, down, salt, log);
  const missing = up.length + down.length - grains.byId.size;
  log.info({ source: salt.grainsSource, live: grains.live, cached: grains.cached, missing, ms: now() - started }, 'grains collected');

  const options = { excluded: interfaceMatcher(core.excludeInterfaces), ...(salt.minionSnGrain ? { minionSnGrain: salt.minionSnGrain } : {}) };
  const minions = [...up, ...down].map((id) => toCollectedMinion(id, upSet.has(id), grains.byId.get(id), options));
  return { status: 'running', minions, warnings: grains.warnings };
}

/** The salt collector bound to its settings (tests build one directly from SaltSettings). */
export function configureSalt(salt: SaltSettings, core: CoreConfig): ConfiguredCollector {
  return {
    settings: salt,
    type: 'salt',
    summary: {
      salt_server: salt.server,
      salt_user: salt.user,
      salt_eauth: salt.eauth,
      password_source: salt.passwordSource,
      salt_insecure: salt.tls.insecure,
      grains_source: salt.grainsSource,
      send_credentials: salt.sendCredentials,
    },
    master: {
      server: core.advertiseServer ?? salt.server,
      ...(salt.sendCredentials ? { options: { username: salt.user, password: salt.password } } : {}),
    },
    tls: salt.tls,
    async collect(ctx) {
      const log = ctx.log.child({ collector: 'salt' });
      try {
        return await collectOrThrow(ctx, salt, core, log);
      } catch (error) {
        const err = toAgentError(error, 'ACT2_COLLECTOR_FAILED');
        log.error({ code: err.code, reason: err.message, ...err.details }, 'salt-api unavailable');
        return { status: 'stopped', minions: [], error: err.message, code: err.code, warnings: [] };
      }
    },
  };
}

/**
 * salt-api (rest_cherrypy): login, `manage.status` for up/down, grains for IPs and serials.
 * Any failure before the minion list is known reports the master `stopped` with the reason.
 */
export const saltCollector: Collector = {
  type: 'salt',
  title: 'salt (--srv-type salt): a salt-master, through its salt-api',
  options: saltOptions,
  configure(input) {
    const { settings, warnings } = parseSaltSettings(input);
    return { collector: configureSalt(settings, input.core), warnings };
  },
};
