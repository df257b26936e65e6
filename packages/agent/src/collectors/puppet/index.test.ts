import { Agent } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { AGENT_FACTS_QUERY, AGENT_NODES_QUERY, CASES, createPuppetDbSim, generateNodes } from '@act2/puppetdb-sim';
import type { PuppetDbSim } from '@act2/puppetdb-sim';
import { testCoreConfig } from '../../../test/helpers/config.js';
import { captureLogs } from '../../../test/helpers/logs.js';
import { configurePuppet, FACTS_ORDER, factsQuery, NODES_ORDER, NODES_QUERY } from './index.js';

let sim: PuppetDbSim | undefined;
let agent: Agent | undefined;
afterEach(async () => {
  await agent?.close();
  await sim?.close();
});

describe('puppet collector', () => {
  it('sends the very queries the real-PuppetDB captures were made with', () => {
    expect(factsQuery(['networking', 'os', 'dmi'])).toEqual(AGENT_FACTS_QUERY);
    const paged = CASES.find((c) => c.name === '16-facts-agent-paged');
    expect(JSON.parse(paged?.params?.order_by ?? 'null')).toEqual(FACTS_ORDER);
    expect(NODES_QUERY).toEqual(AGENT_NODES_QUERY);
    expect(JSON.parse(CASES.find((c) => c.name === '18-nodes-agent-paged')?.params?.order_by ?? 'null')).toEqual(NODES_ORDER);
  });

  it('reads facts page by page (limit/offset) and loses no node across page boundaries', async () => {
    const nodes = generateNodes({ count: 10, deactivatedEvery: 4 });
    sim = createPuppetDbSim({ nodes });
    const url = await sim.listen();
    agent = new Agent();
    const core = testCoreConfig({ srvType: 'puppet' });
    const collector = configurePuppet({ url, tls: { insecure: false }, staleMs: 3_600_000, pageSize: 7 }, core);
    const logs = captureLogs();
    const result = await collector.collect({ log: logs.log, dispatcher: agent, now: Date.now });
    expect(result.status).toBe('running');
    // 10 nodes in pages of 7: 2 pages; 10 × 3 facts = 30 rows: 5 pages, the last one short.
    expect(sim.requests()).toEqual([...Array(2).fill('/pdb/query/v4/nodes'), ...Array(5).fill('/pdb/query/v4/facts')]);
    expect(result.minions.map((m) => [m.id, m.status, m.ips[0], m.serial])).toEqual(
      nodes.map((n, i) => [n.certname, (i + 1) % 4 === 0 ? 'stopped' : 'running', `10.0.0.${i}`, `SER-${String(i + 1).padStart(6, '0')}`]),
    );
    expect(logs.lines().find((l) => l.msg === 'puppetdb facts read')).toMatchObject({ facts: 30, pages: 5, nodes_with_facts: 10 });
  });
});
