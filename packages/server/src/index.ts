export { buildApp, type AppDeps } from './app.js';
export { startServer, type RunningServer } from './start.js';
export {
  ConfigError,
  DEFAULT_DB,
  DEFAULT_SQLITE_MMAP_BYTES,
  defaultServerConfig,
  describeDb,
  loadServerConfig,
  parseByteSize,
  parseDbTarget,
  serverConfig,
  validateServerConfig,
  type DbTarget,
  type LoadResult,
  type LogLevel,
  type RawServerOptions,
  type ServerConfig,
} from './config.js';
export { createDb, type Dialect } from './db/create-db.js';
export {
  ACCEPTED_DB_FORMS,
  classifyDbError,
  DIALECTS,
  dialectOf,
  type DbErrorKind,
  type DialectName,
  type SqlDialect,
} from './db/dialects/index.js';
export { runMigrations } from './db/migrate.js';
export { acquireServeLock, ServeLockError, type ServeLock, type ServeLockOwner } from './db/serve-lock.js';
export type { Database } from './db/database.js';
export { databaseClock, type Clock } from './clock.js';
export { sweepTimeouts, type SweepOptions, type TimedOutMaster } from './sweep/timeout-sweep.js';
export { registerMaster, type RegisterDeps } from './register/service.js';
export { getMasterCredentials } from './masters/repository.js';
export { createSecretBox, parseSecretKey, type SecretBox } from './crypto/secret-box.js';
export { resolveSecretKey, SecretKeyError } from './crypto/key-file.js';
export { createLogger, REDACT_PATHS } from './logger.js';
export { runAdminCli, isAdminCommand, type AdminIo } from './admin/commands.js';
export { createToken, listTokens, revokeToken, type TokenInfo, type NewToken } from './auth/tokens.js';
export type { Principal } from './auth/principal.js';
