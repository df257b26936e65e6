// Databases a benchmark makes for itself and removes afterwards (reads.mjs, sweep.mjs).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/** Runs `work(url)` on a new SQLite file in a temporary folder, removed afterwards. */
export async function withSqliteFile(prefix, work) {
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  try {
    return await work(`sqlite:${join(dir, `${prefix}.sqlite`)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Runs `work(url)` on a new PostgreSQL database made through `adminUrl`, dropped afterwards. With
 * `optional`, a PostgreSQL that does not answer is skipped with a notice (undefined) instead of failing.
 */
export async function withPostgresDatabase(adminUrl, prefix, work, { optional = false } = {}) {
  const admin = new pg.Client({ connectionString: adminUrl });
  try {
    await admin.connect();
  } catch (err) {
    if (!optional) throw err;
    console.warn(`PostgreSQL at ${adminUrl} does not answer: skipping it`);
    return undefined;
  }
  const database = `${prefix.replaceAll('-', '_')}_${randomBytes(4).toString('hex')}`;
  await admin.query(`create database ${database}`);
  try {
    const url = new URL(adminUrl);
    url.pathname = `/${database}`;
    return await work(url.toString());
  } finally {
    await admin.query(`drop database ${database} with (force)`);
    await admin.end();
  }
}
