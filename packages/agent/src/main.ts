import type { DestinationStream } from 'pino';
import type { RegisterRequestInput } from '@act2/shared';
import { parseAgentConfig } from './config.js';
import type { AgentConfig, ConfigDeps } from './config.js';
import { EXIT_CODES } from './errors.js';
import { runHeartbeat } from './heartbeat.js';
import type { HeartbeatDeps } from './heartbeat.js';
import { createLogger, openLogDestination } from './log.js';

/** The process around the program, injected so tests run the whole CLI in-process. */
export interface CliIo {
  /** Writes to stdout and resolves once flushed (the --dry-run payload can be megabytes). */
  writeStdout: (text: string) => Promise<void>;
  writeStderr: (text: string) => Promise<void>;
  /** Where log lines go; the default opens --log-file, else stdout (stderr with --dry-run). */
  logDestination?: (config: AgentConfig) => DestinationStream;
  configDeps?: ConfigDeps;
  heartbeatDeps?: Omit<HeartbeatDeps, 'log'>;
}

function defaultDestination(config: AgentConfig): DestinationStream {
  if (config.logFile) return openLogDestination({ file: config.logFile });
  return openLogDestination({ fd: config.dryRun ? 2 : 1 });
}

/** The master's password (salt-api's) is printed masked: a dry run's output ends up in terminals and tickets. */
function printable(payload: RegisterRequestInput): string {
  if (!payload.master.options) return JSON.stringify(payload);
  return JSON.stringify({ ...payload, master: { ...payload.master, options: { ...payload.master.options, password: '[redacted]' } } });
}

function summary(config: AgentConfig) {
  return {
    act2_server: config.act2Server,
    srv_type: config.srvType,
    idc: config.idc,
    ...config.collector.summary,
    timeout_ms: config.timeoutMs,
    deadline_ms: config.deadlineMs,
    dry_run: config.dryRun,
    // Whether there is a token, never the token.
    act2_token: config.act2Token === undefined ? 'none' : 'set',
    state_dir: config.stateDir,
    act2_client_cert: config.act2Tls.cert !== undefined,
  };
}

/** argv + env → config → one heartbeat → exit code. Never throws for expected failures. */
export async function runCli(argv: readonly string[], env: Record<string, string | undefined>, io: CliIo): Promise<number> {
  const parsed = parseAgentConfig(argv, env, io.configDeps);
  if ('output' in parsed) {
    await io.writeStdout(parsed.output);
    return EXIT_CODES.ok;
  }
  if ('errors' in parsed) {
    await io.writeStderr(`${parsed.errors.map((e) => `act2-heartbeat: ${e}`).join('\n')}\nTry 'act2-heartbeat --help'.\n`);
    return EXIT_CODES.usage;
  }
  const { config, warnings } = parsed;
  let destination: DestinationStream;
  try {
    destination = (io.logDestination ?? defaultDestination)(config);
  } catch (error) {
    await io.writeStderr(`act2-heartbeat: --log-file: cannot open "${config.logFile ?? ''}" (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})\n`);
    return EXIT_CODES.usage;
  }
  const log = createLogger(config.logLevel, destination);
  log.info(summary(config), 'config loaded');
  for (const warning of warnings) log.warn({ detail: warning }, 'configuration warning');
  const result = await runHeartbeat(config, { ...io.heartbeatDeps, log });
  if (config.dryRun && result.payload) await io.writeStdout(`${printable(result.payload)}\n`);
  return result.exitCode;
}
