import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../src/start.js';
import { createTestDatabase, dialectRuns, SHARED_DIALECTS, type TestDatabase } from './helpers/db.js';
import { findNginx, startNginx, type Nginx } from './helpers/nginx.js';
import { payload } from './helpers/payloads.js';

const nginxBinary = findNginx();
const nginxRuns = nginxBinary !== undefined || process.env.CI === 'true';
if (!nginxRuns) console.warn('[act2-server tests] nginx not found: the HA test is SKIPPED');

/** Seed 003's HA shape: nginx in front of two act2-server instances sharing one database. */
describe.each([...SHARED_DIALECTS])('HA: nginx → 2 act2-server instances → one database [%s]', (dialect) => {
  if (!nginxRuns || !dialectRuns(dialect)) {
    it.skip(`needs nginx and ${dialect}`, () => undefined);
    return;
  }
  let database: TestDatabase;
  let servers: RunningServer[] = [];
  let nginx: Nginx;

  beforeAll(async () => {
    if (!nginxBinary) throw new Error('nginx is required in CI for the HA test');
    // Unmigrated on purpose: both instances start (and migrate) at the same time.
    database = await createTestDatabase(dialect, { migrate: false });
    servers = await Promise.all(['ha-a', 'ha-b'].map((instanceId) => startServer(database.config({ instanceId, dbPoolSize: 3 }))));
    nginx = await startNginx(nginxBinary, servers.map((s) => s.url.replace('http://', '')));
  });
  afterAll(async () => {
    await nginx?.close();
    await Promise.all(servers.map((s) => s.close().catch(() => undefined)));
    await database?.destroy();
  });

  const register = async (i: number) => {
    const response = await request(`${nginx.url}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(payload(`ha-master-${String(i).padStart(2, '0')}`, [{ sn: `ha-minion-${i}`, status: 'running', ips: [] }])),
    });
    await response.body.dump();
    return response.statusCode;
  };

  it('spreads registrations over both instances and keeps serving when one dies', async () => {
    const before = [];
    for (let i = 0; i < 10; i += 1) before.push(await register(i));
    const upstreams = new Set(nginx.accessLog().map((line) => line.split(' ')[1]));

    await servers[0]!.close();
    const after = [];
    for (let i = 10; i < 20; i += 1) after.push(await register(i));
    const list = await request(`${nginx.url}/api/v1/masters?limit=1000`);
    const body = (await list.body.json()) as { items: Array<{ sn: string; status: string }> };
    const events = await database.db.selectFrom('events').select('instance_id').distinct().orderBy('instance_id').execute();

    expect(before.every((s) => s === 200) && after.every((s) => s === 200)).toBe(true);
    expect(upstreams.size).toBe(2);
    expect(body.items.filter((m) => m.sn.startsWith('ha-master-') && m.status === 'running')).toHaveLength(20);
    expect(events.map((e) => e.instance_id)).toEqual(['ha-a', 'ha-b']);
  });
});
