import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { interfaceMatcher } from '../../ips.js';
import { digestFact, factAt, isRunning, nodeIps, nodeState, toCollectedMinion } from './nodes.js';
import type { FactDigest, NodeFacts } from './nodes.js';
import { PdbNode } from './schema.js';

/** Real PuppetDB 7.12 answers (fixtures/puppetdb-captures). */
function captured(name: string): unknown {
  const capture = JSON.parse(readFileSync(new URL(`../../../../../fixtures/puppetdb-captures/${name}.json`, import.meta.url), 'utf8')) as { response: { body: string } };
  return JSON.parse(capture.response.body);
}
const facts = new Map<string, NodeFacts>();
for (const row of captured('06-facts-agent') as Array<{ certname: string; name: string; value: unknown }>) {
  if (!facts.has(row.certname)) facts.set(row.certname, new Map());
  facts.get(row.certname)?.set(row.name, row.value);
}
const nodes = (captured('02-nodes-any') as unknown[]).map((n) => PdbNode.parse(n));
const excluded = interfaceMatcher(['docker0', 'virbr*', 'veth*']);

describe('puppet nodes (from real PuppetDB captures)', () => {
  it('takes every interface binding, IPv4 and IPv6, without lo, docker0, link-local', () => {
    expect(nodeIps(facts.get('web-01.example.com')?.get('networking'), excluded)).toEqual(['10.0.0.11', '2001:db8::11']);
    expect(nodeIps(facts.get('db-01.example.com')?.get('networking'), excluded)).toEqual(['10.0.1.21', '192.168.10.21']);
    expect(nodeIps(facts.get('db-01.example.com')?.get('networking'), interfaceMatcher(['eth1']))).toEqual(['10.0.1.21']);
    expect(nodeIps(undefined, excluded)).toEqual([]);
    expect(nodeIps({ interfaces: 'junk', ip: '10.9.9.9' }, excluded)).toEqual(['10.9.9.9']);
  });

  it('is running when active and heard from (report or facts) within the stale limit', () => {
    const byName = new Map(nodes.map((n) => [n.certname, n]));
    const web2 = byName.get('web-02.example.com');
    const old = byName.get('old-01.example.com');
    if (!web2 || !old) throw new Error('capture lacks seed nodes');
    const factsAt = Date.parse(web2.facts_timestamp ?? '');
    // Its report is 2 h old, its facts fresh: the newer of the two counts.
    expect(isRunning(web2, factsAt + 1000, 3_600_000)).toBe(true);
    expect(isRunning(web2, factsAt + 3_600_001, 3_600_000)).toBe(false);
    expect(isRunning(old, Date.parse(old.facts_timestamp ?? ''), 3_600_000)).toBe(false);
    expect(isRunning({ ...web2, expired: '2026-01-01T00:00:00Z' }, factsAt, 3_600_000)).toBe(false);
    expect(isRunning({ ...web2, facts_timestamp: null, report_timestamp: null }, factsAt, 3_600_000)).toBe(false);
  });

  it('builds the minion: serial, uuid and os from facts; a placeholder serial left out; sn from a fact path', () => {
    const db = nodes.find((n) => n.certname === 'db-01.example.com');
    const web = nodes.find((n) => n.certname === 'web-01.example.com');
    if (!db || !web) throw new Error('capture lacks seed nodes');
    const options = { nowMs: Date.parse(db.facts_timestamp ?? ''), staleMs: 3_600_000 };
    const digest = (certname: string): FactDigest => {
      const d: FactDigest = {};
      for (const [name, value] of facts.get(certname) ?? []) digestFact(d, name, value, { excluded, snFact: 'dmi.product.serial_number' });
      return d;
    };
    expect(toCollectedMinion(nodeState(db, options), digest(db.certname))).toEqual({
      id: 'db-01.example.com', sn: 'db-01.example.com', status: 'running', ips: ['10.0.1.21', '192.168.10.21'], uuid: '4c4c4544-0000-1000-8000-000000000000', os: 'Debian 12.8',
    });
    expect(toCollectedMinion(nodeState(web, options), digest(web.certname))).toMatchObject({ sn: 'SER-0001', serial: 'SER-0001' });
    expect(toCollectedMinion(nodeState(web, options), undefined)).toEqual({ id: 'web-01.example.com', sn: 'web-01.example.com', status: 'running', ips: [] });
    expect(factAt(facts.get(web.certname), 'os.release.major')).toBe('12');
    expect(factAt(facts.get(web.certname), 'os.nope.deeper')).toBeUndefined();
  });
});
