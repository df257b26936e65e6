import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { createTestDatabase, describeEachSharedDialect, manualClock, type ManualClock, type TestDatabase } from './helpers/db.js';
import { payload } from './helpers/payloads.js';

const MASTERS = 1000;
const INSTANCES = 4;
const TIMEOUT_MS = 2 * 3_600_000;
const sn = (i: number) => `cm-${String(i).padStart(4, '0')}`;
// Masters 2k and 2k+1 form an HA pair reporting one shared minion, so pairs contend on minion rows.
const minionsOf = (i: number) => [
  { sn: `own-${i}`, status: 'running' as const, ips: [`10.50.${i >> 8}.${i & 255}`] },
  { sn: `pair-${i >> 1}`, status: 'running' as const, ips: [] },
];

/** Runs `tasks` with at most `width` in flight. */
async function pool<T>(width: number, tasks: Array<() => Promise<T>>): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < tasks.length) {
        const i = next++;
        results[i] = await tasks[i]!();
      }
    }),
  );
  return results;
}

describeEachSharedDialect(`${INSTANCES} instances on one shared database, sweeping and registering at once`, (dialect) => {
  let database: TestDatabase;
  let clock: ManualClock;
  let apps: FastifyInstance[];

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    clock = manualClock();
    apps = await Promise.all(
      Array.from({ length: INSTANCES }, (_, k) =>
        buildApp(database.config({ instanceId: `instance-${k}`, masterTimeoutMs: TIMEOUT_MS }), {
          db: database.open(5),
          clock,
          scheduler: false,
        }),
      ),
    );
  });
  afterAll(async () => {
    await Promise.all((apps ?? []).map((app) => app.close()));
    await database?.destroy();
  });

  const register = (i: number, k: number) => async () => {
    const response = await apps[k % INSTANCES]!.inject({ method: 'POST', url: '/register', payload: payload(sn(i), minionsOf(i)) as object });
    if (response.statusCode !== 200) throw new Error(`register ${sn(i)}: ${response.statusCode} ${response.body}`);
  };
  /** Every instance sweeps `rounds` times, interleaved with the registrations. */
  const sweeps = (rounds: number) =>
    apps.flatMap((app) => Array.from({ length: rounds }, () => async () => void (await app.sweepNow())));

  /** Per master: [timeout events, recovered events, registered events]. */
  async function transitionCounts(): Promise<Map<string, [number, number, number]>> {
    const rows = await database.db
      .selectFrom('events')
      .select((eb) => ['master_sn', 'kind', eb.fn.countAll<number | string>().as('n')])
      .where('kind', 'in', ['master.timeout', 'master.recovered', 'master.registered'])
      .groupBy(['master_sn', 'kind'])
      .execute();
    const counts = new Map<string, [number, number, number]>();
    for (let i = 0; i < MASTERS; i += 1) counts.set(sn(i), [0, 0, 0]);
    for (const row of rows) {
      const entry = counts.get(row.master_sn)!;
      entry[['master.timeout', 'master.recovered', 'master.registered'].indexOf(row.kind)] = Number(row.n);
    }
    return counts;
  }

  it('records every transition exactly once and loses no registration', async () => {
    const all = Array.from({ length: MASTERS }, (_, i) => i);
    const even = all.filter((i) => i % 2 === 0);
    const odd = all.filter((i) => i % 2 === 1);

    // Round 1: every master registers through some instance; every fourth one twice at once through
    // two instances, so both race to create it.
    await pool(24, all.flatMap((i) => (i % 4 === 0 ? [register(i, i), register(i, i + 1)] : [register(i, i)])));
    const t1 = clock.now;

    // Round 2: all of them expire; the even ones report again while every instance sweeps.
    clock.advance(TIMEOUT_MS + 1);
    const t2 = clock.now;
    await pool(24, shuffle([...even.map((i) => register(i, i + 1)), ...sweeps(3)]));
    await Promise.all(apps.map((app) => app.sweepNow()));

    // Round 3: the even ones expire again; the odd ones (stored as timeout) come back.
    clock.advance(TIMEOUT_MS + 1);
    await pool(24, shuffle([...odd.map((i) => register(i, i + 2)), ...sweeps(3)]));
    await Promise.all(apps.map((app) => app.sweepNow()));

    const counts = await transitionCounts();
    const wrong = [...counts].filter(([name, c]) => {
      const i = Number(name.slice(3));
      // even: timeout (r2) → recovered (r2) → timeout (r3); odd: timeout (r2) → recovered (r3)
      const expected = i % 2 === 0 ? [2, 1, 1] : [1, 1, 1];
      return c.join() !== expected.join();
    });
    expect(wrong).toEqual([]);

    const masters = await database.db.selectFrom('masters').select(['sn', 'status', 'last_seen', 'minion_count']).orderBy('sn').execute();
    expect(masters).toHaveLength(MASTERS);
    expect(masters.filter((m, i) => (i % 2 === 0 ? m.status !== 'timeout' || m.last_seen !== t2 : m.status !== 'running' || m.last_seen !== clock.now))).toEqual([]);
    expect(masters.every((m) => m.minion_count === 2)).toBe(true);
    const links = await database.db.selectFrom('master_minions').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(links.n)).toBe(2 * MASTERS);
    const minions = await database.db.selectFrom('minions').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(minions.n)).toBe(MASTERS + MASTERS / 2);
    expect(t1).toBeLessThan(t2);
  });
});

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i -= 1) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}
