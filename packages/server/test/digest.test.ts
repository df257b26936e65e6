import { expect, it } from 'vitest';
import { postRegister, useTestApp } from './helpers/app.js';
import { dbDigest } from './helpers/digest.js';
import { payload } from './helpers/payloads.js';

// The fuzz suite's "no change for a rejected request" is only as good as this comparison: it must
// see a changed value that keeps every row count the same.

const t = useTestApp('sqlite');

it('sees a changed minion status, IP or event that keeps every row count', async () => {
  await postRegister(t.current.app, payload('d', [{ sn: 'd-1', status: 'running', ips: ['10.0.0.1'] }]));
  const db = t.current.database.db;
  const start = await dbDigest(db);
  expect(await dbDigest(db)).toBe(start);

  await db.updateTable('master_minions').set({ status: 'stopped' }).execute();
  const afterStatus = await dbDigest(db);
  await db.updateTable('minion_ips').set({ ip: '10.0.0.2' }).execute();
  const afterIp = await dbDigest(db);
  await db.updateTable('events').set({ detail: 'changed' }).execute();
  const afterEvent = await dbDigest(db);

  expect(new Set([start, afterStatus, afterIp, afterEvent]).size).toBe(4);
});
