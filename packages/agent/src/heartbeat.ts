import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import { Agent } from 'undici';
import type { Dispatcher } from 'undici';
import type { Logger } from 'pino';
import type { RegisterRequestInput } from '@act2/shared';
import type { AgentConfig, TlsConfig } from './config.js';
import { AgentError, EXIT_CODES, exitCodeFor, toAgentError } from './errors.js';
import type { ExitCode } from './errors.js';
import { resolveMasterSn } from './master-sn.js';
import { assertValidPayload, buildPayload } from './payload.js';
import type { BackoffOptions } from './report/backoff.js';
import { createReportClient } from './report/report-client.js';
import type { RegisterAck, ServerKind } from './report/report-client.js';
import { createMasterKeyStore } from './state-file.js';
import { VERSION } from './version.js';

/** Everything a run touches outside its config; all optional except the logger. */
export interface HeartbeatDeps {
  log: Logger;
  /** HTTP dispatchers; when absent they are built from the TLS config (and closed at the end). */
  collectorDispatcher?: Dispatcher;
  act2Dispatcher?: Dispatcher;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  readFile?: (path: string) => Promise<string>;
  hostname?: () => string;
  gzipThresholdBytes?: number;
  backoff?: BackoffOptions;
}

export interface HeartbeatResult {
  exitCode: ExitCode;
  /** What was (or with --dry-run would have been) sent; absent when the run failed before. */
  payload?: RegisterRequestInput;
  /** Which kind of server took the registration. */
  server?: ServerKind;
  /** act2-server's summary (the RegisterResponse fields the agent checks); the original act2 sends none. */
  response?: RegisterAck;
  /** Why the exit code is not 0 (the collector's service unavailable included). */
  error?: AgentError;
}

function tlsAgent(tls: TlsConfig): Agent {
  const { ca, cert, key } = tls;
  return new Agent({ connect: { rejectUnauthorized: !tls.insecure, ...(ca === undefined ? {} : { ca }), ...(cert === undefined ? {} : { cert }), ...(key === undefined ? {} : { key }) } });
}

/** One heartbeat: collect the minions, build the payload, send it (unless --dry-run). Never throws. */
export async function runHeartbeat(config: AgentConfig, deps: HeartbeatDeps): Promise<HeartbeatResult> {
  const { log } = deps;
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? ((ms: number) => delay(ms));
  const random = deps.random ?? Math.random;
  // parseAgentConfig rules this out; a hand-built config (in-process use) may not.
  if (!config.dryRun && config.act2Server === undefined) {
    const error = new AgentError('ACT2_CONFIG', 'no act2-server URL, and not a dry run');
    log.error({ code: error.code, reason: error.message }, 'heartbeat failed');
    return { exitCode: exitCodeFor(error), error };
  }
  const { collector } = config;
  const owned: Agent[] = [];
  const dispatcher = (given: Dispatcher | undefined, tls: TlsConfig): Dispatcher => {
    if (given) return given;
    const agent = tlsAgent(tls);
    owned.push(agent);
    return agent;
  };
  let payload: RegisterRequestInput | undefined;
  try {
    if (config.splayMs > 0) {
      const splayMs = Math.floor(random() * config.splayMs);
      log.info({ splay_ms: splayMs }, 'splay sleep');
      await sleep(splayMs);
    }
    const master = await resolveMasterSn(config.masterSn, { readFile: deps.readFile ?? ((p) => readFile(p, 'utf8')), hostname: deps.hostname ?? hostname });
    if (master.reasons.length > 0) log.warn({ source: master.source, sn: master.sn, reasons: master.reasons }, 'master sn fallback');

    const result = await collector.collect({ log, dispatcher: dispatcher(deps.collectorDispatcher, collector.tls ?? { insecure: false }), now });
    const built = buildPayload({ config, masterSn: master.sn, result, agent: { version: VERSION, hostname: (deps.hostname ?? hostname)() } });
    payload = built.payload;
    const dryRun = config.dryRun || config.act2Server === undefined;
    assertValidPayload(payload, { minions: dryRun });
    if (built.duplicateSns > 0) log.warn({ minions: built.duplicateSns }, 'minion sn grain shared by several minions, using their ids');
    const running = payload.minions.filter((m) => m.status === 'running').length;
    log.info(
      { master_status: result.status, minions: payload.minions.length, running, stopped: payload.minions.length - running },
      'payload built',
    );
    const collectError = result.status === 'stopped' ? new AgentError(result.code, result.error) : undefined;
    const exitCode = collectError ? EXIT_CODES.saltUnavailable : EXIT_CODES.ok;
    if (dryRun || config.act2Server === undefined) {
      log.info({ exit_code: exitCode }, 'dry run: payload not sent');
      return { exitCode, payload, ...(collectError ? { error: collectError } : {}) };
    }
    const client = createReportClient({
      baseUrl: config.act2Server,
      dispatcher: dispatcher(deps.act2Dispatcher, config.act2Tls),
      timeoutMs: config.timeoutMs,
      deadlineMs: config.deadlineMs,
      log,
      now,
      sleep,
      random,
      gzip: config.gzip,
      token: config.act2Token,
      keys: config.stateDir === undefined ? undefined : createMasterKeyStore(config.stateDir, { warn: (fields, msg) => log.warn(fields, msg) }),
      ...(deps.gzipThresholdBytes === undefined ? {} : { gzipThresholdBytes: deps.gzipThresholdBytes }),
      ...(deps.backoff === undefined ? {} : { backoff: deps.backoff }),
    });
    const sent = payload;
    const outcome = await client.register(sent).catch((error: unknown) => {
      // act2-server refused what we sent: our own full check says which minion broke the contract.
      if (toAgentError(error).code === 'ACT2_SERVER_REJECTED') assertValidPayload(sent);
      throw error;
    });
    log.info(
      { server: outcome.server, status: outcome.status, ms: outcome.ms, attempts: outcome.attempts, bytes: outcome.bytes, gzip: outcome.gzip, enrolled: outcome.enrolled, response: outcome.response },
      'register ok',
    );
    return { exitCode, payload, server: outcome.server, ...(outcome.response ? { response: outcome.response } : {}), ...(collectError ? { error: collectError } : {}) };
  } catch (error) {
    const err = toAgentError(error);
    const internal = err.code === 'ACT2_INTERNAL' || err.code === 'ACT2_INVALID_PAYLOAD';
    log.error({ code: err.code, reason: err.message, ...(internal ? { err: error } : {}) }, 'heartbeat failed');
    return { exitCode: exitCodeFor(err), ...(payload ? { payload } : {}), error: err };
  } finally {
    await Promise.all(owned.map((agent) => agent.close()));
  }
}
