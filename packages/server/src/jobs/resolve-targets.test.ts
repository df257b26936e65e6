import { expect, it } from 'vitest';
import { describeEachDialect, useTestDatabase } from '../../test/helpers/db.js';
import type { Db } from '../db/database.js';
import { dialectOf } from '../db/dialects/index.js';
import { resolveTargets } from './resolve-targets.js';

describeEachDialect('resolving a job’s targets', (dialect) => {
  const t = useTestDatabase(dialect);
  const NOW = 1_000_000;
  const TIMEOUT = 60_000;

  async function master(db: Db, sn: string, status: 'running' | 'stopped', lastSeen: number, minions: Array<[sn: string, id?: string | Record<string, string>]>) {
    await db
      .insertInto('masters')
      .values({ sn, server: 'http://127.0.0.1:1', status, idc: 'idc-1', type: 'salt', username: null, password_enc: null, error: null, agent_version: null, agent_hostname: null, interval_s: null, minion_count: minions.length, minion_digest: null, first_seen: 1, last_seen: lastSeen, status_changed_at: 1 })
      .execute();
    await dialectOf(db).insertMany(
      db,
      'master_minions',
      minions.map(([minion, id]) => ({ master_sn: sn, minion_sn: minion, status: 'running', ips: '[]', attrs: id === undefined ? null : JSON.stringify(typeof id === 'string' ? { id } : id), joined_at: 1, updated_at: 1 })),
    );
  }

  it('ranks each target’s masters per minion as GET /api/v1/minions/{sn} does, the lists shared only when equal', async () => {
    const db = t.current.db;
    // m-1 and m-2: fresh (z) before less fresh (a) though z sorts last; m-3 only on a; m-4 also on a stale
    // master (timeout, not a candidate) and a stopped one; m-5 only on those two; m-6 reported with its salt id.
    await master(db, 'a', 'running', NOW - 10, [['m-1'], ['m-2'], ['m-3'], ['m-4'], ['m-6', 'salt-6']]);
    await master(db, 'z', 'running', NOW - 5, [['m-1'], ['m-2']]);
    await master(db, 'stale', 'running', NOW - TIMEOUT - 1, [['m-4'], ['m-5']]);
    await master(db, 'off', 'stopped', NOW, [['m-4'], ['m-5']]);

    const resolved = await resolveTargets(db, { minions: ['m-1', 'm-2', 'm-3', 'm-4', 'm-5', 'm-6', 'm-1', 'nobody'] }, NOW, TIMEOUT);

    expect(resolved.map((r) => [r.sn, r.saltId, r.outcome, [...r.candidates]])).toEqual([
      ['m-1', 'm-1', 'pending', ['z', 'a']],
      ['m-2', 'm-2', 'pending', ['z', 'a']],
      ['m-3', 'm-3', 'pending', ['a']],
      ['m-4', 'm-4', 'pending', ['a']],
      ['m-5', 'm-5', 'no_master', []],
      ['m-6', 'salt-6', 'pending', ['a']],
      ['nobody', 'nobody', 'unknown_target', []],
    ]);
    expect(resolved[4]?.reason).toBe('no master that reports it is running (off stopped, stale timeout)');
    // Equal lists are one array (serialised once by the caller), different lists are not.
    expect(resolved[0]?.candidates).toBe(resolved[1]?.candidates);
    expect(resolved[2]?.candidates).toBe(resolved[3]?.candidates);
    expect(resolved[0]?.candidates).not.toBe(resolved[2]?.candidates);
  });

  it('reads each master’s salt id of a minion from the attrs it stored, whatever characters the id has', async () => {
    const db = t.current.db;
    // Attrs as register/diff.ts writes them (id first), ids needing JSON escapes, attrs without an id,
    // and a minion whose two masters know it under different ids (the first running one is used).
    await master(db, 'sa', 'running', NOW - 10, [
      ['q-1', 'salt "quoted" \\ back'],
      ['q-2', { id: 'tab\tid', os: 'CentOS 7' }],
      ['q-3', { serial: 'SER-3', os: 'Rocky 9' }],
      ['q-4', { id: '', os: 'Rocky 9' }],
      ['q-5', 'ünïcødé-€'],
      ['q-6', 'on-a'],
      ['q-7', 'C:\\dir\\salt'],
    ]);
    await master(db, 'sb', 'running', NOW - 5, [['q-6', 'on-b']]);
    const resolved = await resolveTargets(db, { minions: ['q-1', 'q-2', 'q-3', 'q-4', 'q-5', 'q-6', 'q-7'] }, NOW, TIMEOUT);
    expect(resolved.map((r) => [r.sn, r.saltId, [...r.candidates]])).toEqual([
      ['q-1', 'salt "quoted" \\ back', ['sa']],
      ['q-2', 'tab\tid', ['sa']],
      ['q-3', 'q-3', ['sa']],
      ['q-4', 'q-4', ['sa']],
      ['q-5', 'ünïcødé-€', ['sa']],
      ['q-6', 'on-b', ['sb', 'sa']],
      ['q-7', 'C:\\dir\\salt', ['sa']],
    ]);
  });

  it('answers a target by IP through the one minion claiming it, and names the claimants of a shared IP', async () => {
    const db = t.current.db;
    await master(db, 'ia', 'running', NOW - 10, [['i-1', 'salt-i-1'], ['i-2'], ['i-3']]);
    await db
      .insertInto('minion_ips')
      .values([
        { master_sn: 'ia', minion_sn: 'i-1', ip: '10.0.0.1' },
        { master_sn: 'ia', minion_sn: 'i-2', ip: '10.0.0.2' },
        { master_sn: 'ia', minion_sn: 'i-3', ip: '10.0.0.2' },
      ])
      .execute();
    const resolved = await resolveTargets(db, { ips: ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.1'] }, NOW, TIMEOUT);
    expect(resolved.map((r) => [r.sn, r.ip, r.saltId, r.outcome, [...r.candidates]])).toEqual([
      ['i-1', '10.0.0.1', 'salt-i-1', 'pending', ['ia']],
      ['10.0.0.2', '10.0.0.2', '10.0.0.2', 'ambiguous', []],
      ['10.0.0.3', '10.0.0.3', '10.0.0.3', 'unknown_target', []],
    ]);
    expect(resolved[1]?.reason).toBe('several minions report this IP: i-2, i-3');
  });

  it('resolves more sns than one grouped query takes, each with all its masters', async () => {
    const db = t.current.db;
    // 10,050 sns: more than one batch of 10,000; every 7th on both masters, the fresher (b-new) first,
    // its salt id from the other (b-new stored none).
    const sns = Array.from({ length: 10_050 }, (_, i) => `b-${String(i).padStart(5, '0')}`);
    await master(db, 'b-old', 'running', NOW - 10, sns.filter((_, i) => i % 7 === 0).map((sn) => [sn, `old-${sn}`]));
    await master(db, 'b-new', 'running', NOW - 5, sns.map((sn) => [sn]));
    const resolved = await resolveTargets(db, { minions: [...sns].reverse() }, NOW, TIMEOUT);
    expect(resolved).toHaveLength(sns.length);
    for (const r of resolved) {
      const both = Number(r.sn.slice(2)) % 7 === 0;
      expect([r.outcome, r.saltId, [...r.candidates]]).toEqual(['pending', both ? `old-${r.sn}` : r.sn, both ? ['b-new', 'b-old'] : ['b-new']]);
    }
  });
});
