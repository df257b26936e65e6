import { Gauge } from 'prom-client';
import { sql, type Kysely } from 'kysely';
import type { Clock } from '../clock.js';
import { poolStats } from '../db/pool-stats.js';
import type { Database } from '../db/database.js';
import type { Metrics } from './metrics.js';

/** Scrapes within this window share one set of queries: a scrape every 15 s costs one round trip. */
export const DB_GAUGE_CACHE_MS = 5_000;

interface Counts {
  masters: Array<{ status: string; idc: string; n: number }>;
  minions: number;
  reports: Array<{ status: string; n: number }>;
}

/**
 * Gauges read from the database at scrape time, cached for {@link DB_GAUGE_CACHE_MS}: masters by
 * status (as read now: a silent master counts as timeout before the sweep records it) and idc,
 * minions, minion reports by status; and the connection pool.
 */
export function registerDbGauges(
  metrics: Metrics,
  db: Kysely<Database>,
  clock: Clock,
  masterTimeoutMs: number,
  options: { pool?: Kysely<Database>; nowMs?: () => number } = {},
): void {
  const nowMs = options.nowMs ?? Date.now;
  const poolDb = options.pool ?? db;
  let cached: { at: number; counts: Promise<Counts> } | undefined;
  const counts = (): Promise<Counts> => {
    const now = nowMs();
    if (!cached || now - cached.at >= DB_GAUGE_CACHE_MS) {
      const pending = readCounts(db, clock, masterTimeoutMs);
      cached = { at: now, counts: pending };
      // A failed read is not cached: the next scrape tries again.
      pending.catch(() => {
        if (cached?.counts === pending) cached = undefined;
      });
    }
    return cached.counts;
  };
  const registers = [metrics.registry];

  new Gauge({
    name: 'act2_masters',
    help: 'Masters by status (timeout as soon as a master is past --master-timeout) and idc',
    labelNames: ['status', 'idc'],
    registers,
    async collect() {
      const { masters } = await counts();
      this.reset();
      for (const row of masters) this.set({ status: row.status, idc: row.idc }, row.n);
    },
  });
  new Gauge({
    name: 'act2_minions',
    help: 'Minions reported by at least one master',
    registers,
    async collect() {
      this.set((await counts()).minions);
    },
  });
  new Gauge({
    name: 'act2_minion_reports',
    help: 'Minions as their masters report them, by status (a minion of an HA pair counts once per master)',
    labelNames: ['status'],
    registers,
    async collect() {
      const { reports } = await counts();
      this.reset();
      for (const row of reports) this.set({ status: row.status }, row.n);
    },
  });
  const pool = (pick: 'total' | 'idle' | 'waiting', name: string, help: string) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        const stats = poolStats(poolDb);
        if (stats) this.set(stats[pick]);
      },
    });
  pool('total', 'act2_db_pool_connections', 'PostgreSQL connections open in the pool');
  pool('idle', 'act2_db_pool_idle_connections', 'PostgreSQL connections idle in the pool');
  pool('waiting', 'act2_db_pool_waiting_requests', 'Queries waiting for a free pool connection (pool too small or database slow)');
}

async function readCounts(db: Kysely<Database>, clock: Clock, masterTimeoutMs: number): Promise<Counts> {
  const cutoff = (await clock(db)) - masterTimeoutMs;
  // A literal, not a parameter: PostgreSQL matches the GROUP BY expression to the selected one only
  // when both are the same text, and two parameters ($1, $2) are not. cutoff is an integer.
  const effective = sql<string>`case when ${sql.ref('status')} <> 'timeout' and ${sql.ref('last_seen')} < ${sql.lit(Math.trunc(cutoff))} then 'timeout' else ${sql.ref('status')} end`;
  const [masters, minions, reports] = await Promise.all([
    db.selectFrom('masters').select([effective.as('status'), 'idc', (eb) => eb.fn.countAll<number>().as('n')]).groupBy([effective, 'idc']).execute(),
    db.selectFrom('minions').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
    db.selectFrom('master_minions').select(['status', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('status').execute(),
  ]);
  return {
    masters: masters.map((r) => ({ status: r.status, idc: r.idc, n: Number(r.n) })),
    minions: Number(minions.n),
    reports: reports.map((r) => ({ status: r.status, n: Number(r.n) })),
  };
}
