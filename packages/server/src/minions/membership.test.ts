import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { expect, it } from 'vitest';
import { describeEachSharedDialect, manualClock, useTestDatabase, type DialectName } from '../../test/helpers/db.js';
import { registerDeps } from '../../test/helpers/deps.js';
import { request } from '../../test/helpers/payloads.js';
import type { Database } from '../db/database.js';
import { registerMaster } from '../register/service.js';
import { applyMembership } from './membership.js';
import { getMinionDetail } from './repository.js';

const uid = () => randomUUID().slice(0, 8);

/** How many sessions of this database wait for a row lock right now. */
const LOCK_WAITERS: Record<Exclude<DialectName, 'sqlite'>, ReturnType<typeof sql<{ waiting: number | string }>>> = {
  postgres: sql`select count(*)::int as waiting from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`,
  // InnoDB's lock tables miss a wait that starts in the optimizer (MariaDB reads a primary-key
  // row while planning): count the other sessions stuck inside a statement instead.
  mysql: sql`select count(*) as waiting from information_schema.processlist where db = database() and id <> connection_id() and info is not null`,
};

/** Resolves once some session of this database waits for a row lock (bounded: 5 s). */
async function untilSomeoneWaitsForALock(db: Kysely<Database>, dialect: DialectName): Promise<void> {
  if (dialect === 'sqlite') throw new Error('SQLite has no row locks');
  for (let i = 0; i < 500; i += 1) {
    const { rows } = await LOCK_WAITERS[dialect].execute(db);
    if (Number(rows[0]?.waiting ?? 0) > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('no session ever waited for a lock');
}

describeEachSharedDialect('membership under concurrent registrations', (dialect) => {
  const t = useTestDatabase(dialect);

  it('keeps a minion that master B adds while master A drops it (B commits after A read its snapshot)', async () => {
    // Arrange: A reports X; B exists and is about to add X in a transaction it has not committed.
    const clock = manualClock();
    const [a, b, x] = [`a-${uid()}`, `b-${uid()}`, `x-${uid()}`];
    const deps = registerDeps(t.current.db, clock);
    await registerMaster(deps, request(a, [{ sn: x, status: 'running', ips: ['10.1.0.1'] }]));
    await registerMaster(deps, request(b, []));
    const other = t.current.open(2);
    let commitB!: () => void;
    const bMayCommit = new Promise<void>((resolve) => (commitB = resolve));
    let bWrote!: () => void;
    const bHasWritten = new Promise<void>((resolve) => (bWrote = resolve));
    const bAdds = other.transaction().execute(async (trx) => {
      const member = { minion_sn: x, status: 'running' as const, ips: '["10.1.0.2"]', attrs: null };
      await applyMembership(trx, b, { joined: [member], changed: [], left: [] }, clock.now);
      bWrote();
      await bMayCommit;
    });
    await bHasWritten;

    // Act: A drops X (it blocks on B's row lock), then B commits.
    const aDrops = registerMaster(deps, request(a, []));
    await untilSomeoneWaitsForALock(t.current.db, dialect);
    commitB();
    await Promise.all([bAdds, aDrops]);

    // Assert: X is still found, reported by B alone.
    const detail = await getMinionDetail(t.current.db, x, clock.now, deps.masterTimeoutMs);
    expect(detail?.masters.map((m) => m.sn)).toEqual([b]);
    expect(await t.current.db.selectFrom('minions').select('sn').where('sn', '=', x).execute()).toEqual([{ sn: x }]);
  });
});
