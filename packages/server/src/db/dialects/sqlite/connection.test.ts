import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_SQLITE_MMAP_BYTES } from '../../../config.js';
import { createDb } from '../../create-db.js';
import { runMigrations } from '../../migrate.js';

describe('a SQLite file', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const mmapOf = async (sqliteMmapBytes?: number) => {
    const dir = mkdtempSync(join(tmpdir(), 'act2-sqlite-mmap-'));
    dirs.push(dir);
    const db = createDb({ db: `sqlite:${join(dir, 'act2.sqlite')}`, ...(sqliteMmapBytes === undefined ? {} : { sqliteMmapBytes }) });
    try {
      const { rows } = await sql<{ mmap_size: number }>`pragma mmap_size`.execute(db);
      return rows[0]?.mmap_size;
    } finally {
      await db.destroy();
    }
  };

  it('is read through a memory map of --sqlite-mmap bytes (256 MiB unless told), or none with 0', async () => {
    expect(await mmapOf()).toBe(DEFAULT_SQLITE_MMAP_BYTES);
    expect(await mmapOf(64 * 1024 * 1024)).toBe(64 * 1024 * 1024);
    expect(await mmapOf(0)).toBe(0);
  });

  it('keeps the planner statistics SQLite advises for long-lived connections (PRAGMA optimize at open)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'act2-sqlite-optimize-'));
    dirs.push(dir);
    const db = createDb({ db: `sqlite:${join(dir, 'act2.sqlite')}` });
    await runMigrations(db);
    await sql`with recursive s(i) as (select 0 union all select i + 1 from s where i < 4999) insert into minions (sn, first_seen, updated_at) select 'm-' || i, 0, 0 from s`.execute(db);
    await db.destroy();

    const reopened = createDb({ db: `sqlite:${join(dir, 'act2.sqlite')}` });
    try {
      const stat1 = await sql<{ stat: string }>`select stat from sqlite_stat1 where tbl = 'minions'`.execute(reopened);
      expect(stat1.rows[0]?.stat).toMatch(/^5000 /);
    } finally {
      await reopened.destroy();
    }
  });
});
