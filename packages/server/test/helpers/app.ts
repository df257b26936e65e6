import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { afterAll, beforeAll } from 'vitest';
import { buildApp } from '../../src/app.js';
import type { ServerConfig } from '../../src/config.js';
import { createTestDatabase, manualClock, type DialectName, type ManualClock, type TestDatabase } from './db.js';

export interface TestApp {
  app: FastifyInstance;
  clock: ManualClock;
  database: TestDatabase;
}

/** A fresh database and an app on it (scheduler off, manual clock) for one suite; read `.current` in tests. */
export function useTestApp(
  dialect: DialectName,
  options: { config?: Partial<ServerConfig>; logger?: FastifyBaseLogger } = {},
): { readonly current: TestApp } {
  let current: TestApp | undefined;
  beforeAll(async () => {
    const database = await createTestDatabase(dialect);
    const clock = manualClock();
    const app = await buildApp(database.config(options.config), {
      db: database.db,
      clock,
      scheduler: false,
      ...(options.logger ? { logger: options.logger } : {}),
    });
    await app.ready();
    current = { app, clock, database };
  });
  afterAll(async () => {
    await current?.app.close();
    await current?.database.destroy();
  });
  return {
    get current() {
      if (!current) throw new Error('test app not ready');
      return current;
    },
  };
}

/** POST a JSON body to /register through inject. */
export async function postRegister(app: FastifyInstance, body: unknown) {
  return app.inject({ method: 'POST', url: '/register', payload: body as object });
}
