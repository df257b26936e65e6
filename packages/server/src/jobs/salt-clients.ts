/**
 * One logged-in salt-api client per master, kept between jobs: each salt-api has its own sessions
 * (a token of one master of an HA pair is a 401 on the other, capture 127), so tokens are cached per
 * master and a client is rebuilt when the master's stored credentials change. Passwords are decrypted
 * for the login only and live in memory, never in a log line.
 */
import { createHash } from 'node:crypto';
import { createSaltClient, type SaltClient, type SaltClientLog } from '@act2/salt-api-client';
import type { Dispatcher } from 'undici';

export interface MasterCredentials {
  server: string;
  username: string;
  password: string;
}

export interface SaltClientPool {
  /** A client for this master, logged in (the login is skipped while its session token lives). */
  get(masterSn: string, credentials: MasterCredentials): Promise<SaltClient>;
}

export interface SaltClientPoolOptions {
  dispatcher: Dispatcher;
  eauth: string;
  timeoutMs: number;
  log: SaltClientLog;
  userAgent: string;
}

export function createSaltClientPool(options: SaltClientPoolOptions): SaltClientPool {
  const clients = new Map<string, { fingerprint: string; client: SaltClient; login?: Promise<void> }>();

  return {
    async get(masterSn, credentials) {
      const fingerprint = createHash('sha256').update(JSON.stringify([credentials.server, credentials.username, credentials.password, options.eauth])).digest('hex');
      let entry = clients.get(masterSn);
      if (!entry || entry.fingerprint !== fingerprint) {
        const client = createSaltClient({
          baseUrl: credentials.server.replace(/\/+$/, ''),
          username: credentials.username,
          password: credentials.password,
          eauth: options.eauth,
          dispatcher: options.dispatcher,
          timeoutMs: options.timeoutMs,
          log: options.log,
          now: Date.now,
          userAgent: options.userAgent,
          reloginOnce: 'call',
        });
        entry = { fingerprint, client };
        clients.set(masterSn, entry);
      }
      if (!entry.client.loggedIn()) {
        // Concurrent dispatches to one master share one login.
        const current = entry;
        current.login ??= current.client.login().finally(() => {
          current.login = undefined;
        });
        await current.login;
      }
      return entry.client;
    },
  };
}
