import type { DbErrorKind } from '../dialect.js';

// better-sqlite3 throws SqliteError with the extended result code in `code`.
const UNAVAILABLE = new Set(['SQLITE_CANTOPEN', 'SQLITE_IOERR', 'SQLITE_FULL', 'SQLITE_READONLY', 'SQLITE_CORRUPT', 'SQLITE_NOTADB']);
const UNIQUE = new Set(['SQLITE_CONSTRAINT_UNIQUE', 'SQLITE_CONSTRAINT_PRIMARYKEY']);

export function classifySqliteError(err: unknown): DbErrorKind | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !code.startsWith('SQLITE_')) return undefined;
  // Another process held the write lock past busy_timeout: the file is there but not ours now.
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return 'busy';
  if (UNIQUE.has(code)) return 'unique';
  const primary = code.replace(/^(SQLITE_[A-Z]+).*$/, '$1');
  return UNAVAILABLE.has(primary) ? 'unavailable' : undefined;
}
