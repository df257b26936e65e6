import { isAdminCommand, runAdminCli } from './admin/commands.js';
import { parseCli } from './cli.js';
import { describeDb } from './config.js';
import { createLogger } from './logger.js';
import { startServer, type RunningServer } from './start.js';

// The process: flags → config → start → wait for a signal → graceful close. Nothing else lives here.

async function main(): Promise<number | undefined> {
  if (isAdminCommand(process.argv)) {
    return runAdminCli(process.argv, { writeOut: (t) => process.stdout.write(t), writeErr: (t) => process.stderr.write(t) });
  }
  const cli = parseCli(process.argv);
  if (cli.kind === 'exit') return cli.code;
  if (cli.kind === 'invalid') {
    for (const error of cli.errors) process.stderr.write(`act2-server: ${error}\n`);
    return 2;
  }
  const { config } = cli;
  const log = createLogger({ level: config.logLevel });

  // Signal handlers go in before anything is logged: a supervisor that sees the first line and
  // stops the process at once must get a graceful stop, not the default kill.
  let server: RunningServer | undefined;
  let stopping = false;
  const closeAndExit = (running: RunningServer) =>
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
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting without waiting');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal, deadlineMs: config.shutdownTimeoutMs }, 'act2-server shutting down');
    // A request that never finishes (a stalled upload, a query waiting on a lock) must not keep
    // a stopping server alive: the service manager would only escalate to SIGKILL.
    setTimeout(() => {
      log.error({ deadlineMs: config.shutdownTimeoutMs }, 'shutdown deadline passed: exiting without waiting for requests in flight');
      process.exit(1);
    }, config.shutdownTimeoutMs).unref();
    // Still starting: startup finishes first, then closes (below).
    if (server) void closeAndExit(server);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  // A hangup (a closed terminal, `systemctl reload`, logrotate's habit) would kill the process by
  // default. Nothing here is reloadable without a restart (flags, the key, the pool), and logs go
  // to stdout, so there is no file to reopen: say so and carry on.
  process.on('SIGHUP', () => log.info({ signal: 'SIGHUP' }, 'SIGHUP ignored: nothing to reload; restart act2-server to apply new settings'));

  if (cli.secretKeyOnArgv) {
    log.warn(
      { flag: '--secret-key', instead: ['ACT2_SECRET_KEY', '--secret-key-file'] },
      'the secret key is on the command line, where any user of this host can read it (ps); pass it in the environment or a file',
    );
  }

  try {
    server = await startServer(config, { logger: log });
  } catch (err) {
    log.fatal({ err, db: describeDb(config.db) }, 'act2-server failed to start');
    // A missing or unreadable key is a configuration problem (2), like the flag checks above.
    const code = (err as { code?: unknown }).code;
    return code === 'ACT2_SECRET_KEY' || code === 'ACT2_TLS_CONFIG' || code === 'ACT2_WEBHOOK_SECRET' ? 2 : 1;
  }
  if (stopping) {
    void closeAndExit(server);
    return undefined;
  }
  log.info({ url: server.url, db: describeDb(config.db), instanceId: config.instanceId }, 'act2-server listening');
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
