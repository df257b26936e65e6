import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { describeEachDialect, manualClock, useTestDatabase } from '../../test/helpers/db.js';
import { registerDeps } from '../../test/helpers/deps.js';
import { request } from '../../test/helpers/payloads.js';
import { CHUNKED_ABOVE, registerMaster } from './service.js';

const uid = () => randomUUID().slice(0, 8);
const minionsOf = (sn: string, n: number) =>
  Array.from({ length: n }, (_, i) => ({ sn: `${sn}-${i}`, status: 'running' as const, ips: [`10.2.${i >> 8}.${i & 255}`] }));

// Both ways of storing a registration: one transaction, and SQLite's chunks (elsewhere one transaction too).
for (const size of [50, CHUNKED_ABOVE + 10]) {
  describeEachDialect(`the minion-set digest (${size} minions)`, (dialect) => {
    const t = useTestDatabase(dialect);
    const stored = async (masterSn: string) =>
      t.current.db.selectFrom('master_minions').select(['minion_sn', 'status', 'ips']).where('master_sn', '=', masterSn).orderBy('minion_sn').execute();
    const digestOf = async (masterSn: string) =>
      (await t.current.db.selectFrom('masters').select('minion_digest').where('sn', '=', masterSn).executeTakeFirstOrThrow()).minion_digest;

    it('skips reading the set when a re-send is identical (a row changed behind its back stays as it is)', async () => {
      const clock = manualClock();
      const sn = `m-${uid()}`;
      const deps = registerDeps(t.current.db, clock);
      const minions = minionsOf(sn, size);
      await registerMaster(deps, request(sn, minions));
      // Only a skip leaves this row alone: a diff would see it differ from the snapshot and fix it.
      await t.current.db.updateTable('master_minions').set({ status: 'stopped' }).where('minion_sn', '=', `${sn}-1`).execute();
      clock.advance(60_000);

      const result = await registerMaster(deps, request(sn, minions));

      expect(result.minions).toEqual({ total: size, joined: 0, left: 0, changed: 0 });
      expect((await stored(sn)).find((m) => m.minion_sn === `${sn}-1`)?.status).toBe('stopped');
      const master = await t.current.db.selectFrom('masters').select(['last_seen', 'minion_count']).where('sn', '=', sn).executeTakeFirstOrThrow();
      expect(master).toEqual({ last_seen: clock.now, minion_count: size });
    });

    it('still stores a re-send in which one minion changed IP, and one that drops a minion', async () => {
      const clock = manualClock();
      const sn = `m-${uid()}`;
      const deps = registerDeps(t.current.db, clock);
      const minions = minionsOf(sn, size);
      await registerMaster(deps, request(sn, minions));
      const first = await digestOf(sn);

      const moved = minions.map((m, i) => (i === 3 ? { ...m, ips: ['192.0.2.3'] } : m));
      const changed = await registerMaster(deps, request(sn, moved));
      const afterMove = await digestOf(sn);
      const dropped = await registerMaster(deps, request(sn, moved.slice(1)));
      const back = await registerMaster(deps, request(sn, minions));

      expect([changed.minions.changed, dropped.minions.left, back.minions.joined, back.minions.changed]).toEqual([1, 1, 1, 1]);
      expect(first).toMatch(/^[0-9a-f]{64}$/);
      expect(afterMove).not.toBe(first);
      expect(await digestOf(sn)).toBe(first);
      expect((await stored(sn)).find((m) => m.minion_sn === `${sn}-3`)?.ips).toBe('["10.2.0.3"]');
      expect((await stored(sn)).length).toBe(size);
    });

    it('diffs a re-send when no digest vouches for the stored set (an interrupted write, a database from before 0006)', async () => {
      const clock = manualClock();
      const sn = `m-${uid()}`;
      const deps = registerDeps(t.current.db, clock);
      const minions = minionsOf(sn, size);
      await registerMaster(deps, request(sn, minions));
      await t.current.db.updateTable('master_minions').set({ status: 'stopped' }).where('minion_sn', '=', `${sn}-1`).execute();
      await t.current.db.updateTable('masters').set({ minion_digest: null }).where('sn', '=', sn).execute();

      const result = await registerMaster(deps, request(sn, minions));

      expect(result.minions.changed).toBe(1);
      expect((await stored(sn)).find((m) => m.minion_sn === `${sn}-1`)?.status).toBe('running');
      expect(await digestOf(sn)).toMatch(/^[0-9a-f]{64}$/);
    });

    it('keeps the digest through a stopped registration, which keeps the set', async () => {
      const clock = manualClock();
      const sn = `m-${uid()}`;
      const deps = registerDeps(t.current.db, clock);
      const minions = minionsOf(sn, size);
      await registerMaster(deps, request(sn, minions));
      const first = await digestOf(sn);

      await registerMaster(deps, { ...request(sn, []), master: { ...request(sn, []).master, status: 'stopped' } });

      expect(await digestOf(sn)).toBe(first);
    });
  });
}

it('gives different digests to sets that differ only in where one text ends and the next begins', async () => {
  const { membershipDigest } = await import('./digest.js');
  const a = { minion_sn: 'a|running|2:[]', status: 'running' as const, ips: '[]', attrs: null };
  const b = { minion_sn: 'a', status: 'running' as const, ips: '[]', attrs: null };

  expect(membershipDigest([a])).not.toBe(membershipDigest([b]));
  expect(membershipDigest([b, a])).not.toBe(membershipDigest([a, b]));
  expect(membershipDigest([{ ...b, attrs: '~' }])).not.toBe(membershipDigest([b]));
});
