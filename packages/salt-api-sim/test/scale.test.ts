/** 20,000 minions: the benchmark fleet must be served correctly (speed is measured in bench/, not here). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateMinions, type SimMinion } from '../src/index.js';
import { call, login, startSim, type TestSim } from './helpers.js';

const COUNT = 20_000;
const DOWN = 50;

describe('a 20,000-minion master', () => {
  let t: TestSim;
  let token: string;
  let fleet: SimMinion[];

  beforeAll(async () => {
    fleet = generateMinions({ count: COUNT, down: DOWN, seed: 'bench' });
    t = await startSim({ minions: fleet, timeScale: 0 });
    token = await login(t.url);
  });

  afterAll(async () => {
    await t.sim.close();
  });

  it('manage.status lists every minion once, sorted, with the down ones apart', async () => {
    const res = await call(t.url, '/', { token, body: [{ client: 'runner', fun: 'manage.status', kwarg: { timeout: 5, gather_job_timeout: 10 } }] });
    const { up, down } = (res.json() as { return: Array<{ up: string[]; down: string[] }> }).return[0] ?? { up: [], down: [] };

    expect(up).toHaveLength(COUNT - DOWN);
    expect(down).toEqual(fleet.filter((m) => !m.up).map((m) => m.id));
    expect(up).toEqual([...up].sort());
  });

  it('grains.item on a list target of every id answers for all, false for the down ones', async () => {
    const res = await call(t.url, '/', {
      token,
      body: [{ client: 'local', tgt: fleet.map((m) => m.id), tgt_type: 'list', fun: 'grains.item', arg: ['serialnumber', 'ip4_interfaces', 'ipv4', 'uuid'] }],
    });
    const ret = (res.json() as { return: Array<Record<string, unknown>> }).return[0] ?? {};

    expect(Object.keys(ret)).toHaveLength(COUNT);
    expect(Object.values(ret).filter((v) => v === false)).toHaveLength(DOWN);
    expect(ret[fleet[0]?.up ? (fleet[0]?.id ?? '') : '']).toMatchObject({ ipv4: fleet[0]?.grains.ipv4 });
  });

  it('cache.grains returns the grains the simulator holds, down minions included', async () => {
    const res = await call(t.url, '/', { token, body: [{ client: 'runner', fun: 'cache.grains', tgt: '*' }] });
    const ret = (res.json() as { return: Array<Record<string, Record<string, unknown>>> }).return[0] ?? {};

    expect(Object.keys(ret)).toHaveLength(COUNT);
    expect(ret[fleet[123]?.id ?? '']).toEqual(fleet[123]?.grains);
  });
});
