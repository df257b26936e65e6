import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { postRegister, useTestApp } from '../../test/helpers/app.js';
import { createTestDatabase, describeEachDialect, manualClock } from '../../test/helpers/db.js';
import { TIMEOUT_MS } from '../../test/helpers/deps.js';
import { payload } from '../../test/helpers/payloads.js';
import { addToken, injectAs } from '../../test/helpers/auth.js';
import { createAddressList } from './address-list.js';
import { DB_GAUGE_CACHE_MS, registerDbGauges } from './db-gauges.js';
import { createMetrics } from './metrics.js';
import { prometheusSamples as samples } from '../../test/helpers/prometheus.js';

describeEachDialect('GET /metrics', (dialect) => {
  const t = useTestApp(dialect);
  const scrape = async () => {
    const response = await t.current.app.inject({ url: '/metrics' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    return samples(response.body);
  };

  it('counts registrations, their changes, the sweep, requests, masters and minions', async () => {
    const idc = `idc-${randomUUID().slice(0, 8)}`;
    const minions = [
      { sn: 'a', status: 'running' as const, ips: ['10.0.0.1'] },
      { sn: 'b', status: 'stopped' as const },
    ];
    expect((await postRegister(t.current.app, payload(`${idc}-1`, minions, { idc }))).statusCode).toBe(200);
    expect((await postRegister(t.current.app, payload(`${idc}-2`, minions.slice(0, 1), { idc }))).statusCode).toBe(200);
    expect((await postRegister(t.current.app, { master: { sn: 'x' } })).statusCode).toBe(400);
    await t.current.app.inject({ url: '/no/such/route' });
    t.current.clock.advance(TIMEOUT_MS + 1);
    await postRegister(t.current.app, payload(`${idc}-3`, [], { idc, status: 'stopped' }));
    await t.current.app.sweepNow();

    const m = await scrape();

    expect(m.get('act2_registrations_total{outcome="accepted"}')).toBe(3);
    expect(m.get('act2_registrations_total{outcome="rejected"}')).toBe(1);
    expect(m.get('act2_registration_duration_seconds_count')).toBe(3);
    // 2 joined, then 1 joined (a), then none.
    expect(m.get('act2_registration_minions_changed_sum')).toBe(3);
    expect(m.get('act2_registration_minions_changed_bucket{le="0"}')).toBe(1);
    expect(m.get('act2_sweep_runs_total{job="timeout",result="ok"}')).toBe(1);
    expect(m.get('act2_sweep_transitions_total{job="timeout"}')).toBe(2);
    expect(m.get('act2_sweep_duration_seconds_count{job="timeout"}')).toBe(1);
    expect(m.get(`act2_masters{status="timeout",idc="${idc}"}`)).toBe(2);
    expect(m.get(`act2_masters{status="stopped",idc="${idc}"}`)).toBe(1);
    expect(m.get('act2_minions')).toBe(2);
    expect(m.get('act2_minion_reports{status="running"}')).toBe(2);
    expect(m.get('act2_minion_reports{status="stopped"}')).toBe(1);
    expect(m.get('act2_http_requests_total{method="POST",route="/register",status_code="200"}')).toBe(3);
    expect(m.get('act2_http_requests_total{method="GET",route="(unmatched)",status_code="404"}')).toBe(1);
    expect(m.get('process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(m.has('nodejs_eventloop_lag_seconds')).toBe(true);
    if (dialect !== 'sqlite') expect(m.get('act2_db_pool_connections')).toBeGreaterThan(0);
  });
});

describe('who may read /metrics', () => {
  const t = useTestApp('sqlite', { config: { auth: 'tokens', metricsAllow: ['10.9.0.0/16'] } });

  it('a token with scope read, or an address in --metrics-allow without any token; nobody else', async () => {
    const read = await addToken(t.current.database.db, 'prometheus-read', ['read']);
    const register = await addToken(t.current.database.db, 'agents', ['register']);
    const scrape = (remoteAddress: string, token?: string) => injectAs(t.current.app, token, { url: '/metrics', remoteAddress });

    const statuses = [
      (await scrape('10.9.3.4')).statusCode,
      (await scrape('::ffff:10.9.0.1')).statusCode,
      (await scrape('192.0.2.1', read)).statusCode,
      (await scrape('192.0.2.1')).statusCode,
      (await scrape('10.8.0.1')).statusCode,
      (await scrape('192.0.2.1', register)).statusCode,
    ];

    expect(statuses).toEqual([200, 200, 200, 401, 401, 403]);
    expect(t.current.app.routeScopes().find((r) => r.method === 'GET' && r.url === '/metrics')?.scope).toBe('read');
  });
});

describe('database gauges', () => {
  it('are cached for a few seconds: scrapes in the window share one read', async () => {
    const database = await createTestDatabase('sqlite');
    try {
      let now = 1_000_000;
      const metrics = createMetrics();
      registerDbGauges(metrics, database.db, manualClock(), TIMEOUT_MS, { nowMs: () => now });
      const minions = async () => samples(await metrics.registry.metrics()).get('act2_minions');
      const addMinion = (sn: string) => database.db.insertInto('minions').values({ sn, first_seen: 0, updated_at: 0 }).execute();

      const first = await minions();
      await addMinion('m-1');
      const cached = await minions();
      now += DB_GAUGE_CACHE_MS;
      const fresh = await minions();

      expect([first, cached, fresh]).toEqual([0, 0, 1]);
    } finally {
      await database.destroy();
    }
  });
});

describe('--metrics-allow address lists', () => {
  it('match IPv4 and IPv6 CIDRs and single addresses, IPv4-mapped clients included', () => {
    const allowed = createAddressList(['10.1.0.0/16', '192.0.2.7', 'fd00::/8']);
    expect(['10.1.200.3', '::ffff:10.1.0.9', '192.0.2.7', 'fd12::1', '10.2.0.1', '192.0.2.8', 'fe80::1', 'junk'].map(allowed)).toEqual([
      true,
      true,
      true,
      true,
      false,
      false,
      false,
      false,
    ]);
  });
});
