import { parseCli } from './cli.js';
import { describeDb } from './config.js';
import { createLogger } from './logger.js';
import { startServer } from './start.js';

// The process: flags → config → start → wait for a signal → graceful close. Nothing else lives here.

async function main(): Promise<number | undefined> {
  const cli = parseCli(process.argv);
  if (cli.kind === 'exit') return cli.code;
  if (cli.kind === 'invalid') {
    for (const error of cli.errors) process.stderr.write(`act2-server: ${error}\n`);
    return 2;
  }
  const { config } = cli;
  const log = createLogger({ level: config.logLevel });
  let server;
  try {
    server = await startServer(config, { logger: log });
  } catch (err) {
    log.fatal({ err, db: describeDb(config.db) }, 'act2-server failed to start');
    // A missing or unreadable key is a configuration problem (2), like the flag checks above.
    return (err as { code?: unknown }).code === 'ACT2_SECRET_KEY' ? 2 : 1;
  }
  log.info({ url: server.url, db: describeDb(config.db), instanceId: config.instanceId }, 'act2-server listening');

  const running = server;
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting without waiting');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, 'act2-server shutting down');
    running.close().then(
      () => {
        log.info('act2-server stopped');
        process.exit(0);
      },
      (err: unknown) => {
        log.error({ err }, 'act2-server did not close cleanly');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  return undefined;
}

main().then(
  (code) => {
    if (code !== undefined) process.exit(code);
  },
  (err: unknown) => {
    process.stderr.write(`act2-server: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
