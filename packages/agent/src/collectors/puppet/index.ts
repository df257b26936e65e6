import type { Logger } from 'pino';
import type { CoreConfig } from '../../core-config.js';
import { AgentError, toAgentError } from '../../errors.js';
import { interfaceMatcher } from '../../ips.js';
import { isReportableSn } from '../../minion-sn.js';
import type { CollectContext, CollectResult, Collector, ConfiguredCollector } from '../collector.js';
import { parsePuppetSettings, puppetOptions } from './config.js';
import type { PuppetSettings } from './config.js';
import { nodeState, toCollectedMinion } from './nodes.js';
import type { NodeState } from './nodes.js';
import { digestFact } from './nodes.js';
import type { FactDigest } from './nodes.js';
import { createPuppetDbClient } from './puppetdb-client.js';
import { isPdbFact, PdbNode } from './schema.js';

/** Facts every minion is built from; `--puppet-sn-fact`'s top-level fact is added. */
const FACTS = ['networking', 'os', 'dmi'];

/**
 * Only the fields the status needs (a node record has 16). Without `node_state = any`, PuppetDB
 * leaves deactivated and expired nodes out.
 */
export const NODES_QUERY = ['extract', ['certname', 'deactivated', 'expired', 'facts_timestamp', 'report_timestamp'], ['=', 'node_state', 'any']];
export const NODES_ORDER = [{ field: 'certname' }];

/** A stable order, so that limit/offset pages neither skip nor repeat rows. */
export const FACTS_ORDER = [{ field: 'certname' }, { field: 'name' }];

export function factsQuery(names: readonly string[]): unknown {
  return ['extract', ['certname', 'name', 'value'], ['and', ['=', 'node_state', 'any'], ['in', 'name', ['array', [...names]]]]];
}


async function collectOrThrow(ctx: CollectContext, settings: PuppetSettings, core: CoreConfig, log: Logger): Promise<CollectResult> {
  const { now } = ctx;
  const client = createPuppetDbClient({ baseUrl: settings.url, dispatcher: ctx.dispatcher, timeoutMs: core.timeoutMs, log, now });
  let started = now();
  const nodes: NodeState[] = [];
  const verdict = { nowMs: now(), staleMs: settings.staleMs };
  let skipped = 0;
  for (let offset = 0; ; offset += settings.pageSize) {
    const page = await client.query('nodes', NODES_QUERY, { orderBy: NODES_ORDER, limit: settings.pageSize, offset });
    if (!Array.isArray(page)) throw new AgentError('ACT2_PUPPETDB_BAD_RESPONSE', 'PuppetDB nodes query did not return a list');
    for (const raw of page) {
      const node = PdbNode.safeParse(raw);
      if (node.success && isReportableSn(node.data.certname)) nodes.push(nodeState(node.data, verdict));
      else skipped += 1;
    }
    if (page.length < settings.pageSize) break;
  }
  if (skipped > 0) log.warn({ nodes: skipped }, 'PuppetDB nodes without a usable certname, skipped');
  log.info({ nodes: nodes.length, ms: now() - started }, 'puppetdb nodes read');

  started = now();
  const names = [...new Set([...FACTS, ...(settings.snFact ? [settings.snFact.split('.')[0] ?? settings.snFact] : [])])];
  const digestOptions = { excluded: interfaceMatcher(core.excludeInterfaces), ...(settings.snFact ? { snFact: settings.snFact } : {}) };
  const digests = new Map<string, FactDigest>();
  let rows = 0;
  let pages = 0;
  // Paged (ordered, limit/offset): a page of raw facts at a time is parsed and digested.
  for (let offset = 0; ; offset += settings.pageSize) {
    const page = await client.query('facts', factsQuery(names), { orderBy: FACTS_ORDER, limit: settings.pageSize, offset });
    if (!Array.isArray(page)) throw new AgentError('ACT2_PUPPETDB_BAD_RESPONSE', 'PuppetDB facts query did not return a list');
    pages += 1;
    rows += page.length;
    for (const row of page) {
      if (!isPdbFact(row)) continue;
      let digest = digests.get(row.certname);
      if (!digest) digests.set(row.certname, (digest = {}));
      digestFact(digest, row.name, row.value, digestOptions);
    }
    if (page.length < settings.pageSize) break;
  }
  log.info({ facts: rows, pages, nodes_with_facts: digests.size, ms: now() - started }, 'puppetdb facts read');

  const minions = nodes.map((node) => toCollectedMinion(node, digests.get(node.certname)));
  return { status: 'running', minions, warnings: [] };
}

/** The puppet collector bound to its settings (tests build one directly from PuppetSettings). */
export function configurePuppet(settings: PuppetSettings, core: CoreConfig): ConfiguredCollector {
  return {
    settings: settings,
    type: 'puppet',
    summary: { puppetdb_url: settings.url, puppetdb_client_cert: settings.tls.cert !== undefined, puppet_stale_ms: settings.staleMs, puppet_sn_fact: settings.snFact },
    master: { server: core.advertiseServer ?? settings.url },
    tls: settings.tls,
    async collect(ctx) {
      const log = ctx.log.child({ collector: 'puppet' });
      try {
        return await collectOrThrow(ctx, settings, core, log);
      } catch (error) {
        const err = toAgentError(error, 'ACT2_COLLECTOR_FAILED');
        log.error({ code: err.code, reason: err.message, ...err.details }, 'puppetdb unavailable');
        return { status: 'stopped', minions: [], error: err.message, code: err.code, warnings: [] };
      }
    },
  };
}

/**
 * A Puppet server: the nodes PuppetDB knows (active, deactivated and expired), each `running`
 * when active and heard from within --puppet-stale, with IPs from its `networking` fact.
 */
export const puppetCollector: Collector = {
  type: 'puppet',
  title: 'puppet (--srv-type puppet): a Puppet server, through PuppetDB',
  options: puppetOptions,
  configure(input) {
    const { settings, warnings } = parsePuppetSettings(input);
    return { collector: configurePuppet(settings, input.core), warnings };
  },
};
