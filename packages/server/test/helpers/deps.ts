import type { Kysely } from 'kysely';
import { createSecretBox } from '../../src/crypto/secret-box.js';
import type { Database } from '../../src/db/database.js';
import { createLogger } from '../../src/logger.js';
import type { RegisterDeps } from '../../src/register/service.js';
import { TEST_SECRET_KEY, type ManualClock } from './db.js';

export const TIMEOUT_MS = 2 * 3_600_000;
export const testBox = createSecretBox(Buffer.from(TEST_SECRET_KEY, 'hex'));
export const silentLog = createLogger({ level: 'silent' });

export function registerDeps(db: Kysely<Database>, clock: ManualClock, overrides: Partial<RegisterDeps> = {}): RegisterDeps {
  return { db, clock, box: testBox, instanceId: 'test-1', masterTimeoutMs: TIMEOUT_MS, log: silentLog, ...overrides };
}

/** Events of one master as `[kind, minion_sn]` pairs, oldest first. */
export async function eventsOf(db: Kysely<Database>, masterSn: string): Promise<Array<[string, string | null]>> {
  const rows = await db.selectFrom('events').select(['kind', 'minion_sn']).where('master_sn', '=', masterSn).orderBy('id').execute();
  return rows.map((r) => [r.kind, r.minion_sn]);
}
