import { hostname } from 'node:os';
import { parseDuration, TokenScope } from '@act2/shared';
import { Command, CommanderError, Option } from 'commander';
import type { Kysely } from 'kysely';
import { rebindMaster } from '../auth/rebind.js';
import { createToken, isoSeconds, listTokens, revokeToken, toApiToken, TOKEN_NAME_MAX, TokenError, tokenState } from '../auth/tokens.js';
import { DEFAULT_DB, describeDb } from '../config.js';
import { createDb } from '../db/create-db.js';
import type { Database } from '../db/database.js';
import { runMigrations } from '../db/migrate.js';

export interface AdminIo {
  writeOut(text: string): void;
  writeErr(text: string): void;
  /** Wall clock (tests fix it). */
  now?: () => number;
}

/** The first argument that makes `act2-server` an administration command instead of the server. */
export const ADMIN_COMMANDS = ['token', 'master'] as const;

export function isAdminCommand(argv: readonly string[]): boolean {
  return (ADMIN_COMMANDS as readonly string[]).includes(argv[2] ?? '');
}

const dbOption = () =>
  new Option('--db <db>', 'the database the servers use: SQLite file (or sqlite:<path>), or a postgres:// (postgresql://) or mysql:// (mariadb://) URL').env('ACT2_DB').default(DEFAULT_DB);
const jsonOption = () => new Option('--json', 'print JSON instead of text');

function iso(ms: number | null): string {
  return ms === null ? '-' : isoSeconds(ms);
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, col) => Math.max(...rows.map((row) => (row[col] ?? '').length))) ?? [];
  return rows.map((row) => row.map((cell, col) => cell.padEnd(widths[col] ?? 0)).join('  ').trimEnd()).join('\n');
}

/** `--expires 90d` (from now) or an ISO date/time (`2027-01-31`, `2027-01-31T12:00:00Z`). */
export function parseExpiry(text: string, now: number): number | undefined {
  const ms = parseDuration(text);
  if (ms !== undefined) return ms > 0 ? now + ms : undefined;
  if (!/^\d{4}-\d{2}-\d{2}/.test(text.trim())) return undefined;
  const at = Date.parse(text.trim());
  return Number.isNaN(at) ? undefined : at;
}

class UsageError extends Error {}

/** Opens and migrates the database for one command, always closing it. */
async function withDb<T>(db: string, work: (db: Kysely<Database>) => Promise<T>): Promise<T> {
  const kysely = createDb({ db, dbPoolSize: 2 });
  try {
    // A token may be created before the first server start: the schema must exist.
    await runMigrations(kysely);
    return await work(kysely);
  } finally {
    await kysely.destroy();
  }
}

function buildAdminProgram(io: AdminIo, now: () => number): Command {
  const program = new Command('act2-server').exitOverride().configureOutput({ writeOut: io.writeOut, writeErr: io.writeErr });
  program.showHelpAfterError();

  const token = program.command('token').description('API tokens: create (shown once), list, revoke').exitOverride();
  token
    .command('create')
    .description('create a token and print it, once: only its hash is stored')
    .requiredOption('--name <name>', `unique name, at most ${TOKEN_NAME_MAX} characters: says who holds it (logged, and recorded as requested_by)`)
    .addOption(
      new Option('--scope <scope...>', `what it may do (repeat or comma-separate): ${TokenScope.options.join(', ')}`).argParser(
        (value: string, previous: string[] | undefined) => [...(previous ?? []), ...value.split(',').map((s) => s.trim()).filter(Boolean)],
      ),
    )
    .option('--idc <idc>', 'a register token that only registers masters of this idc')
    .option('--expires <when>', 'expiry: a duration from now (90d, 12h) or a date (2027-01-31)')
    .addOption(dbOption())
    .addOption(jsonOption())
    .exitOverride()
    .action(async (opts: { name: string; scope?: string[]; idc?: string; expires?: string; db: string; json?: boolean }) => {
      const at = now();
      const scopes = opts.scope ?? [];
      const bad = scopes.filter((s) => !TokenScope.safeParse(s).success);
      if (scopes.length === 0) throw new UsageError(`--scope is required (${TokenScope.options.join(', ')})`);
      if (bad.length > 0) throw new UsageError(`--scope: ${bad.join(', ')} is not one of ${TokenScope.options.join(', ')}`);
      const expiresAt = opts.expires === undefined ? undefined : parseExpiry(opts.expires, at);
      if (opts.expires !== undefined && (expiresAt === undefined || expiresAt <= at)) {
        throw new UsageError(`--expires: "${opts.expires}" is not a future date or a positive duration (90d, 2027-01-31)`);
      }
      const created = await withDb(opts.db, (db) =>
        createToken(db, { name: opts.name, scopes: scopes as TokenScope[], idc: opts.idc, expiresAt }, at),
      );
      if (opts.json) {
        io.writeOut(`${JSON.stringify({ ...toApiToken(created.info, at), token: created.token })}\n`);
        return;
      }
      const info = created.info;
      io.writeErr(
        `created token ${info.id} "${info.name}": scopes ${info.scopes.join(',')}; idc ${info.idc ?? 'any'}; expires ${iso(info.expiresAt) === '-' ? 'never' : iso(info.expiresAt)}\n` +
          'It is shown only now (only its hash is stored). Give it to its holder through a file readable only by them, e.g. /etc/act2/token (mode 0600):\n',
      );
      io.writeOut(`${created.token}\n`);
    });

  token
    .command('list')
    .description('every token with its scopes, idc, times and state (never the secret)')
    .addOption(dbOption())
    .addOption(jsonOption())
    .exitOverride()
    .action(async (opts: { db: string; json?: boolean }) => {
      const at = now();
      const tokens = await withDb(opts.db, (db) => listTokens(db));
      if (opts.json) {
        io.writeOut(`${JSON.stringify(tokens.map((t) => toApiToken(t, at)))}\n`);
        return;
      }
      const rows = [['ID', 'NAME', 'SCOPES', 'IDC', 'CREATED', 'LAST USED', 'EXPIRES', 'STATE']];
      for (const t of tokens) {
        rows.push([t.id, t.name, t.scopes.join(','), t.idc ?? '*', iso(t.createdAt), iso(t.lastUsedAt), iso(t.expiresAt), tokenState(t, at)]);
      }
      io.writeOut(`${table(rows)}\n`);
    });

  token
    .command('revoke')
    .description('revoke a token (by id or name): every instance refuses it within --auth-cache (1 s)')
    .argument('<id-or-name>', 'the token id (tok_…) or name')
    .addOption(dbOption())
    .exitOverride()
    .action(async (idOrName: string, opts: { db: string }) => {
      const info = await withDb(opts.db, (db) => revokeToken(db, idOrName, now()));
      io.writeOut(`revoked token ${info.id} "${info.name}" (at ${iso(info.revokedAt)})\n`);
    });

  const master = program.command('master').description('masters: release the key a master sn is bound to').exitOverride();
  master
    .command('rebind')
    .description("release a master sn's key (a reinstalled master lost it): its next registration with a register token enrolls it again")
    .argument('<sn>', 'the master sn')
    .addOption(dbOption())
    .exitOverride()
    .action(async (sn: string, opts: { db: string }) => {
      const at = now();
      const released = await withDb(opts.db, (db) => rebindMaster(db, sn, { by: 'cli', instanceId: `cli:${hostname()}`, at }));
      if (!released.released) {
        io.writeErr(`master ${sn} is not bound to a key: nothing to release\n`);
        return;
      }
      io.writeOut(`released the key of master ${sn} (enrolled by ${released.enrolledBy ?? '?'} at ${iso(released.since ?? null)}); its next registration with a register token binds a new key\n`);
    });
  return program;
}

/**
 * `act2-server token …` / `act2-server master …`: administration against the database the servers
 * share, so every instance sees the change (within --auth-cache). Returns the exit code: 0 done,
 * 1 failed (database, not found), 2 usage.
 */
export async function runAdminCli(argv: readonly string[], io: AdminIo): Promise<number> {
  const now = io.now ?? Date.now;
  const program = buildAdminProgram(io, now);
  try {
    await program.parseAsync([...argv]);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (err instanceof UsageError) {
      io.writeErr(`act2-server: ${err.message}\n`);
      return 2;
    }
    if (err instanceof TokenError) {
      io.writeErr(`act2-server: ${err.message}\n`);
      return err.code === 'ACT2_TOKEN_INVALID' ? 2 : 1;
    }
    const db = (program.commands.flatMap((c) => c.commands).find((c) => c.opts().db !== undefined)?.opts().db as string | undefined) ?? DEFAULT_DB;
    io.writeErr(`act2-server: ${err instanceof Error ? err.message : String(err)} (database ${describeDb(db)})\n`);
    return 1;
  }
}
