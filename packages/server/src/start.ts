import type { AddressInfo } from 'node:net';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from './db/database.js';
import { buildApp, type AppDeps } from './app.js';
import type { ServerConfig } from './config.js';
import { isKeyFileExposed, resolveSecretKey } from './crypto/key-file.js';
import { createSecretBox, type SecretBox } from './crypto/secret-box.js';
import { createDb } from './db/create-db.js';
import { runMigrations } from './db/migrate.js';
import { acquireServeLock, type ServeLock } from './db/serve-lock.js';
import { parseDbTarget } from './config.js';

export interface RunningServer {
  /** Base URL clients can reach (a wildcard host is replaced by loopback). */
  url: string;
  app: FastifyInstance;
  /** Stops listening, the scheduler and (if it opened it) the database. */
  close(): Promise<void>;
}

/**
 * Migrate, build, listen (port 0 picks a free port) and start the timeout scheduler. Logs go to
 * `deps.logger` (make one with `createLogger({ level: config.logLevel })`); without it the server is silent.
 */
export async function startServer(config: ServerConfig, deps: AppDeps = {}): Promise<RunningServer> {
  // Key problems are configuration errors: report them before connecting to anything.
  const secretBox = deps.secretBox ?? openSecretBox(config, deps.logger);
  // Before opening the file: a second server must not even run migrations on it.
  const lock = serveLockFor(config);
  let db: Kysely<Database>;
  try {
    db = deps.db ?? createDb(config, deps.logger ? { log: deps.logger } : {});
  } catch (err) {
    lock?.release();
    throw err;
  }
  const ownsDb = deps.db === undefined;
  try {
    await runMigrations(db);
    const app = await buildApp(config, { ...deps, db, secretBox });
    await app.listen({ port: config.port, host: config.host });
    const { port } = app.server.address() as AddressInfo;
    const host = config.host === '0.0.0.0' ? '127.0.0.1' : config.host === '::' ? '[::1]' : config.host.includes(':') ? `[${config.host}]` : config.host;
    return {
      url: `${config.tlsCert === undefined ? 'http' : 'https'}://${host}:${port}`,
      app,
      close: async () => {
        try {
          await app.close();
          if (ownsDb) await db.destroy();
        } finally {
          lock?.release();
        }
      },
    };
  } catch (err) {
    if (ownsDb) await db.destroy().catch(() => undefined);
    lock?.release();
    throw err;
  }
}

/** The serve lock of a SQLite file (PostgreSQL is made for several instances; `:memory:` is private). */
function serveLockFor(config: ServerConfig): ServeLock | undefined {
  const target = parseDbTarget(config.db);
  if (target.dialect !== 'sqlite' || target.file === ':memory:') return undefined;
  return acquireServeLock(target.file);
}

/** The configured key's box; a key file others can read is worth a warning (it unlocks every stored password). */
function openSecretBox(config: ServerConfig, log: FastifyBaseLogger | undefined): SecretBox {
  const resolved = resolveSecretKey(config);
  if (resolved.file !== undefined && isKeyFileExposed(resolved.file)) {
    log?.warn({ file: resolved.file }, 'the secret key file is readable by group or others: chmod 600 it');
  }
  return createSecretBox(resolved.key);
}
