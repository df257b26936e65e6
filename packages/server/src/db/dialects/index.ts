import type { DbOrTrx } from '../database.js';
import type { DbErrorKind, DialectName, SqlDialect } from './dialect.js';
import { mysqlDialect } from './mysql/index.js';
import { postgresDialect } from './postgres/index.js';
import { sqliteDialect } from './sqlite/index.js';

export type { ConnectionOptions, DbErrorKind, DialectName, SqlDialect } from './dialect.js';

/** Every dialect, by name: adding a DialectName without its folder does not compile. */
export const DIALECTS = {
  sqlite: sqliteDialect,
  postgres: postgresDialect,
  mysql: mysqlDialect,
} as const satisfies Record<DialectName, SqlDialect>;

const ALL: readonly SqlDialect[] = Object.values(DIALECTS);

/** The dialect `db` (a pool or an open transaction) was opened with. */
export function dialectOf(db: DbOrTrx): SqlDialect {
  const dialect = ALL.find((d) => d.owns(db));
  if (!dialect) throw new Error('this Kysely instance was not opened by createDb: its dialect is unknown');
  return dialect;
}

/** Which database a `--db` value names. */
export type DbTarget = { dialect: 'sqlite'; file: string } | { dialect: Exclude<DialectName, 'sqlite'>; url: string };

export class DbTargetError extends Error {
  readonly code = 'ACT2_CONFIG';
  constructor(message: string) {
    super(message);
    this.name = 'DbTargetError';
  }
}

/** The `--db` forms we accept, for messages and --help. */
export const ACCEPTED_DB_FORMS = `${ALL.flatMap((d) => d.schemes.map((s) => (d.name === 'sqlite' ? `${s}:PATH` : `${s}://…`))).join(', ')} or a file path`;

// A URL scheme: two characters at least, so a Windows drive letter (C:\…) stays a path.
const SCHEME = /^([a-z][a-z0-9+.-]+):(.*)$/is;

/**
 * Reads a `--db` value: `postgres://…`, `mysql://…` and the other schemes of {@link DIALECTS},
 * `sqlite:PATH`, or a bare path to a SQLite file. Any other scheme is a configuration error (a
 * typo must not quietly become a SQLite file named `postgress:/…`).
 */
export function parseDbTarget(db: string): DbTarget {
  const value = db.trim();
  const match = SCHEME.exec(value);
  if (!match) return { dialect: 'sqlite', file: value };
  const scheme = match[1]!.toLowerCase();
  const dialect = ALL.find((d) => d.schemes.includes(scheme));
  if (!dialect) throw new DbTargetError(`--db: unknown scheme "${scheme}:" (accepted: ${ACCEPTED_DB_FORMS})`);
  if (dialect.name === 'sqlite') return { dialect: 'sqlite', file: match[2]!.replace(/^\/\//, '') };
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new DbTargetError(`--db: cannot read "${scheme}:" URL (expected ${scheme}://user:password@host:port/database)`);
  }
  if (url.pathname.replace(/^\//, '') === '' && dialect.name === 'mysql') {
    throw new DbTargetError(`--db: the ${scheme}:// URL must name a database (${scheme}://user:password@host:3306/act2)`);
  }
  return { dialect: dialect.name, url: value };
}

// Socket-level failures: the database host is unreachable or went away, on any dialect.
const NETWORK_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * What a database error means (see {@link DbErrorKind}), whichever dialect raised it: the
 * dialects' codes do not overlap. Follows `cause` and AggregateError (pg reports a failed
 * connect to several addresses, localhost → ::1 and 127.0.0.1, as one).
 */
export function classifyDbError(err: unknown, depth = 0): DbErrorKind | undefined {
  if (typeof err !== 'object' || err === null || depth > 5) return undefined;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && NETWORK_ERRNO.has(code)) return 'unavailable';
  for (const dialect of ALL) {
    const kind = dialect.classifyError(err);
    if (kind) return kind;
  }
  const cause = (err as { cause?: unknown }).cause;
  if (cause && cause !== err) {
    const kind = classifyDbError(cause, depth + 1);
    if (kind) return kind;
  }
  if (err instanceof AggregateError) {
    for (const inner of err.errors) {
      const kind = classifyDbError(inner, depth + 1);
      if (kind) return kind;
    }
  }
  return undefined;
}
