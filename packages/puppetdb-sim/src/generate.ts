import { standardFacts } from './seed.js';
import type { SimNode } from './sim.js';

export interface GenerateOptions {
  count: number;
  /** Every n-th node reported last longer ago than `staleAgeS` (stopped for the agent). */
  staleEvery?: number;
  /** Every n-th node is deactivated. */
  deactivatedEvery?: number;
  prefix?: string;
  /** Reference time (ms); timestamps are relative to it. */
  nowMs?: number;
  staleAgeS?: number;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** A fleet of PuppetDB nodes with Facter 4 facts, for tests and benchmarks; deterministic. */
export function generateNodes(options: GenerateOptions): SimNode[] {
  const now = options.nowMs ?? Date.now();
  const prefix = options.prefix ?? 'node-';
  const nodes: SimNode[] = [];
  for (let i = 0; i < options.count; i += 1) {
    const n = i + 1;
    const host = `${prefix}${String(n).padStart(5, '0')}`;
    const stale = options.staleEvery !== undefined && n % options.staleEvery === 0;
    const deactivated = options.deactivatedEvery !== undefined && n % options.deactivatedEvery === 0;
    const age = stale ? (options.staleAgeS ?? 7200) * 1000 : 60_000 + (i % 1700) * 1000;
    const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    nodes.push({
      certname: `${host}.example.com`,
      deactivated: deactivated ? iso(now - 30_000) : null,
      expired: null,
      facts_timestamp: iso(now - age),
      report_timestamp: iso(now - age - 5000),
      catalog_timestamp: iso(now - age - 15_000),
      facts_environment: 'production',
      report_environment: 'production',
      catalog_environment: 'production',
      latest_report_status: 'unchanged',
      latest_report_hash: (i * 2654435761 >>> 0).toString(16).padStart(40, '0'),
      latest_report_noop: false,
      latest_report_noop_pending: false,
      latest_report_corrective_change: false,
      latest_report_job_id: null,
      cached_catalog_status: 'not_used',
      facts: standardFacts(host, { lo: { ip: '127.0.0.1', ip6: '::1' }, eth0: { ip, ip6: `2001:db8::${n.toString(16)}` }, docker0: { ip: '172.17.0.1' } }, `SER-${String(n).padStart(6, '0')}`),
    });
  }
  return nodes;
}
