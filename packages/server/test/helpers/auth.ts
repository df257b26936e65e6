import type { TokenScope } from '@act2/shared';
import type { FastifyInstance, InjectOptions } from 'fastify';
import type { Kysely } from 'kysely';
import { createToken } from '../../src/auth/tokens.js';
import { createDb } from '../../src/db/create-db.js';
import type { Database } from '../../src/db/database.js';
import { runMigrations } from '../../src/db/migrate.js';

/** Creates a token the way `act2-server token create` does; returns its secret. */
export async function addToken(
  db: Kysely<Database>,
  name: string,
  scopes: TokenScope[],
  extra: { idc?: string; expiresAt?: number } = {},
): Promise<string> {
  const { token } = await createToken(db, { name, scopes, ...extra }, Date.now());
  return token;
}

/** Migrates the database at `url` and creates a `register` and a `read` token on it (for tests that start a real server). */
export async function seedTokens(url: string): Promise<{ register: string; read: string }> {
  const db = createDb({ db: url, dbPoolSize: 2 });
  try {
    await runMigrations(db);
    return { register: await addToken(db, 'test-agents', ['register']), read: await addToken(db, 'test-reader', ['read']) };
  } finally {
    await db.destroy();
  }
}

/** `app.inject` with `Authorization: Bearer <credential>`. */
export function injectAs(app: FastifyInstance, credential: string | undefined, options: InjectOptions) {
  const headers = { ...(options.headers ?? {}), ...(credential === undefined ? {} : { authorization: `Bearer ${credential}` }) };
  return app.inject({ ...options, headers });
}
