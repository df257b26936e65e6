import type { FastifyBaseLogger } from 'fastify';
import type { Kysely } from 'kysely';
import type { Clock, ReadClock } from './clock.js';
import type { ServerConfig } from './config.js';
import type { SecretBox } from './crypto/secret-box.js';
import type { Database } from './db/database.js';
import type { Metrics } from './metrics/metrics.js';
import type { RegistrationOffloader } from './register/offload.js';

/** What routes and jobs need, handed to each plugin explicitly (no decorators to look up). */
export interface AppContext {
  db: Kysely<Database>;
  clock: Clock;
  /** "Now" for read routes: `clock`, or when that is the database clock, its cached offset (clock.ts). */
  readClock: ReadClock;
  box: SecretBox;
  config: ServerConfig;
  log: FastifyBaseLogger;
  metrics: Metrics;
  /** Parses huge registrations in worker threads; absent when no worker is built (running from sources). */
  offloader?: RegistrationOffloader | undefined;
}
