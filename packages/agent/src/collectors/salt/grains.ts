import type { Logger } from 'pino';
import { AgentError, toAgentError } from '../../errors.js';
import type { SaltClient } from '@act2/salt-api-client';
import type { SaltSettings } from './config.js';
import { GRAIN_NAMES, isGrainsByMinion } from './schema.js';

/** Raw grains per minion id, as salt-api returned them (parsed per minion later). */
export interface GrainsOutcome {
  byId: Map<string, Record<string, unknown>>;
  /** How many minions got live grains and how many cached ones. */
  live: number;
  cached: number;
  warnings: string[];
}

function isGrains(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function grainsMap(value: unknown, fun: string): Record<string, unknown> {
  if (!isGrainsByMinion(value)) throw new AgentError('ACT2_SALT_BAD_RESPONSE', `salt-api ${fun} did not return an object keyed by minion id`);
  return value;
}

const seconds = (ms: number) => ms / 1000;

/**
 * Local `grains.item` on the given (up) minions. Timeouts are top-level keys here: for the
 * `local` client they are LocalClient's own (capture 23), unlike the runner client.
 */
async function liveGrains(client: SaltClient, ids: string[], config: SaltSettings): Promise<Record<string, unknown>> {
  const arg = config.minionSnGrain ? [...GRAIN_NAMES, config.minionSnGrain] : [...GRAIN_NAMES];
  const value = await client.run({
    client: 'local',
    tgt: ids,
    tgt_type: 'list',
    fun: 'grains.item',
    arg,
    timeout: seconds(config.pingTimeoutMs),
    gather_job_timeout: seconds(config.gatherJobTimeoutMs),
  });
  return grainsMap(value, 'grains.item');
}

/** Runner `cache.grains`: the master's grain cache, which still holds stopped minions. */
async function cachedGrains(client: SaltClient, ids: string[] | '*'): Promise<Record<string, unknown>> {
  const target = ids === '*' ? { tgt: '*' } : { tgt: ids, tgt_type: 'list' };
  return grainsMap(await client.run({ client: 'runner', fun: 'cache.grains', ...target }), 'cache.grains');
}

/**
 * Grains for every minion manage.status listed. `live`: grains.item over the up ones (no ping
 * wait for the down ones), then the cache for the down ones and for any up one that did not
 * answer. `cache`: one cache.grains over all. A failing call degrades to fewer grains (logged),
 * never to an exception: manage.status already proved the master is running.
 */
export async function collectGrains(client: SaltClient, up: string[], down: string[], config: SaltSettings, log: Logger): Promise<GrainsOutcome> {
  const outcome: GrainsOutcome = { byId: new Map(), live: 0, cached: 0, warnings: [] };
  const fromCache = config.grainsSource === 'cache' ? [...up, ...down] : [...down];
  if (config.grainsSource === 'live' && up.length > 0) {
    try {
      const live = await liveGrains(client, up, config);
      for (const id of up) {
        const grains = live[id];
        if (isGrains(grains)) outcome.byId.set(id, grains);
        else fromCache.push(id);
      }
      outcome.live = outcome.byId.size;
    } catch (error) {
      const err = toAgentError(error, 'ACT2_SALT_BAD_RESPONSE');
      log.warn({ code: err.code, reason: err.message, minions: up.length }, 'grains.item failed, using cached grains');
      outcome.warnings.push(`grains.item failed: ${err.message}`);
      fromCache.push(...up);
    }
  }
  if (fromCache.length === 0) return outcome;
  try {
    const cache = await cachedGrains(client, config.grainsSource === 'cache' ? '*' : fromCache);
    for (const id of fromCache) {
      const grains = cache[id];
      if (isGrains(grains)) {
        outcome.byId.set(id, grains);
        outcome.cached += 1;
      }
    }
  } catch (error) {
    const err = toAgentError(error, 'ACT2_SALT_BAD_RESPONSE');
    log.warn({ code: err.code, reason: err.message, minions: fromCache.length }, 'cache.grains failed, those minions are reported without IPs');
    outcome.warnings.push(`cache.grains failed: ${err.message}`);
  }
  return outcome;
}
