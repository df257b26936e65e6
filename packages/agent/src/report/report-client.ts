import { gzipSync } from 'node:zlib';
import { request } from 'undici';
import type { Dispatcher } from 'undici';
import type { Logger } from 'pino';
import { z } from 'zod';
import { ErrorBody, REGISTER_PATH, RegisterResponse } from '@act2/shared';
import type { RegisterRequestInput } from '@act2/shared';
import { AgentError, firstLine } from '../errors.js';
import { describeNetworkError } from '@act2/shared';
import { USER_AGENT } from '../version.js';
import type { MasterKeyStore } from '../state-file.js';
import { backoffDelay, DEFAULT_BACKOFF, retryAfterMs } from './backoff.js';
import type { BackoffOptions } from './backoff.js';

/** Bodies from this size on are gzipped: a 20,000-minion registration shrinks about tenfold. */
export const GZIP_THRESHOLD_BYTES = 64 * 1024;

/** A last attempt needs at least this long (or --timeout, if shorter) to be worth making. */
const LAST_ATTEMPT_MIN_MS = 1000;

export interface ReportClientOptions {
  /** act2-server URL without trailing slash (a path prefix is kept). */
  baseUrl: string;
  dispatcher: Dispatcher;
  /** Per attempt, never beyond what is left of the deadline. */
  timeoutMs: number;
  /** Total time for all attempts and the waits between them. */
  deadlineMs: number;
  log: Logger;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
  gzipThresholdBytes?: number;
  /** False (--no-gzip): never compress, for a proxy in front of act2-server that refuses gzip. */
  gzip?: boolean;
  backoff?: BackoffOptions;
  /** The API token (scope register): sent until this master has its own key. */
  token?: string | undefined;
  /** Where the master key lives; without one a key act2-server issues cannot be kept. */
  keys?: MasterKeyStore | undefined;
}

/**
 * The part of act2-server's RegisterResponse the agent needs to believe a 2xx: a proxy's or web
 * server's page on the wrong URL also answers 200. Only what the log line reads is required, so
 * a server one version older or newer (a count missing or added) still counts as a success.
 */
export const RegisterAck = z.object({
  master: RegisterResponse.shape.master.partial({ recovered: true, created: true }),
  minions: RegisterResponse.shape.minions.partial(),
  master_key: z.string().optional(),
});
export type RegisterAck = z.infer<typeof RegisterAck>;

/**
 * The original act2 (idcos/cloud-act2, server/common/base.go) answers every call with HTTP 200
 * and this envelope, errors included: `HandleSuccess` → `status: "success"`, `HandleError` →
 * `status: "error"` with the reason in `message`.
 */
export const Act2Envelope = z.object({
  status: z.enum(['success', 'error']),
  message: z.string().nullish(),
  content: z.unknown().optional(),
});
export type Act2Envelope = z.infer<typeof Act2Envelope>;

/** Which kind of server took the registration, for the log. */
export type ServerKind = 'act2-server' | 'original act2';

export interface RegisterOutcome {
  status: number;
  server: ServerKind;
  /** act2-server's summary, without the master key (it must never reach a log line); absent from the original act2. */
  response?: Omit<RegisterAck, 'master_key'>;
  /** This registration enrolled the master: act2-server issued its key and it was stored. */
  enrolled: boolean;
  attempts: number;
  ms: number;
  bytes: number;
  gzip: boolean;
}

type Attempt =
  | { kind: 'ok'; status: number; body: string; contentType: string }
  /** `ms`: how long the failed attempt took (a fast failure is retried late, a slow one at once). */
  | { kind: 'retry'; reason: string; ms: number; waitMs?: number }
  | { kind: 'rejected'; status: number; body: string };

function describeRejection(status: number, body: string): { message: string; fields: Record<string, unknown> } {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { message: `HTTP ${status}: ${firstLine(body, 200)}`, fields: { status } };
  }
  const parsed = ErrorBody.partial().safeParse(json);
  if (!parsed.success) return { message: `HTTP ${status}`, fields: { status } };
  const { code, message, issues } = parsed.data;
  const head = code ? `HTTP ${status} ${code}` : `HTTP ${status}`;
  return { message: message ? `${head}: ${message}` : head, fields: { status, code, message, issues } };
}

/** POSTs registrations to act2-server: retries network errors, 5xx and 429 within the deadline; never 4xx. */
export function createReportClient(options: ReportClientOptions) {
  const { dispatcher, log, now } = options;
  const url = `${options.baseUrl}${REGISTER_PATH}`;

  async function attempt(body: Buffer, gzip: boolean, timeoutMs: number, bearer: string | undefined): Promise<Attempt> {
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json', 'user-agent': USER_AGENT };
    if (bearer !== undefined) headers.authorization = `Bearer ${bearer}`;
    if (gzip) headers['content-encoding'] = 'gzip';
    const signal = AbortSignal.timeout(timeoutMs);
    const started = now();
    try {
      const res = await request(url, { method: 'POST', headers, body, dispatcher, signal });
      const text = await res.body.text();
      log.debug({ method: 'POST', url, status: res.statusCode, bytes: body.length, ms: now() - started }, 'act2-server call');
      if (res.statusCode >= 200 && res.statusCode < 300) {
        const type = res.headers['content-type'];
        return { kind: 'ok', status: res.statusCode, body: text, contentType: (Array.isArray(type) ? type[0] : type) ?? 'no content type' };
      }
      if (res.statusCode === 429 || res.statusCode >= 500) {
        const waitMs = retryAfterMs(res.headers['retry-after']);
        const reason = describeRejection(res.statusCode, text).message;
        const ms = now() - started;
        return waitMs === undefined ? { kind: 'retry', reason, ms } : { kind: 'retry', reason, ms, waitMs };
      }
      return { kind: 'rejected', status: res.statusCode, body: text };
    } catch (error) {
      log.debug({ method: 'POST', url, ms: now() - started, err: error }, 'act2-server call failed');
      return { kind: 'retry', reason: describeNetworkError(error, signal.aborted, timeoutMs).reason, ms: now() - started };
    }
  }

  function badResponse(result: Extract<Attempt, { kind: 'ok' }>): AgentError {
    const fields = { status: result.status, content_type: result.contentType, body: firstLine(result.body, 200) };
    log.error({ url, ...fields }, 'act2-server answered with an unexpected body');
    return new AgentError(
      'ACT2_SERVER_BAD_RESPONSE',
      `act2-server at ${options.baseUrl} answered HTTP ${result.status} with a body that is not a registration result (${result.contentType}): is --act2-server the act2-server URL?`,
      { details: { url, ...fields } },
    );
  }

  async function register(payload: RegisterRequestInput): Promise<RegisterOutcome> {
    const json = Buffer.from(JSON.stringify(payload));
    let gzip = options.gzip !== false && json.length >= (options.gzipThresholdBytes ?? GZIP_THRESHOLD_BYTES);
    // Level 1: a third of the default level's CPU for a body of repetitive JSON, still ~8× smaller.
    let body = gzip ? gzipSync(json, { level: 1 }) : json;
    const started = now();
    const sn = payload.master.sn.trim();
    const { token, keys } = options;
    let key = await keys?.load(sn);
    // About to enroll: make sure the key act2-server issues can be kept, before it is issued.
    if (key === undefined && token !== undefined) await keys?.assertWritable();
    let lastAttempt = false;
    for (let attempts = 1; ; attempts += 1) {
      const left = options.deadlineMs - (now() - started);
      const result = await attempt(body, gzip, Math.max(1, Math.min(options.timeoutMs, left)), key ?? token);
      if (result.kind === 'ok') {
        const answer = safeJson(result.body);
        const ack = RegisterAck.safeParse(answer);
        const done = { status: result.status, attempts, ms: now() - started, bytes: body.length, gzip };
        if (ack.success) {
          const { master_key: issued, ...response } = ack.data;
          if (issued !== undefined) await storeKey(sn, issued);
          return { ...done, server: 'act2-server', response, enrolled: issued !== undefined && keys !== undefined };
        }
        const envelope = Act2Envelope.safeParse(answer);
        // Not retried: a wrong URL or a captive proxy does not fix itself within the deadline.
        if (!envelope.success) throw badResponse(result);
        // The original act2 issues no master keys: the token (if any) stays the credential.
        if (envelope.data.status === 'success') return { ...done, server: 'original act2', enrolled: false };
        const message = firstLine(envelope.data.message ?? '', 500) || 'no message';
        // The original act2 reads bodies with a plain json.Unmarshal (no gunzip), so a gzipped one
        // fails as "invalid character '\x1f'" in an HTTP 200 envelope: the same body uncompressed, once.
        if (gzip && now() - started < options.deadlineMs) {
          log.warn(
            { url, status: result.status, server: 'original act2', message, hint: 'set --no-gzip (ACT2_NO_GZIP=1) for this act2 server' },
            'the original act2 could not read the gzipped body, sending it uncompressed',
          );
          gzip = false;
          body = json;
          continue;
        }
        log.error({ url, status: result.status, server: 'original act2', message }, 'act2-server rejected the registration');
        throw new AgentError('ACT2_SERVER_REJECTED', `the original act2 rejected the registration: ${message}`, { details: { url, status: result.status, server: 'original act2', message } });
      }
      if (result.kind === 'rejected') {
        const { message, fields } = describeRejection(result.status, result.body);
        // The stored key was released (an admin rebind): enroll again with the token, once.
        if (result.status === 401 && key !== undefined && token !== undefined) {
          log.warn({ url, file: keys?.file, code: fields.code }, 'act2-server refused the stored master key, enrolling again with the token');
          key = undefined;
          await keys?.assertWritable();
          continue;
        }
        if (result.status === 409 && fields.code === 'ACT2_MASTER_BOUND' && key === undefined) {
          log.error({ url, ...fields, file: keys?.file }, 'act2-server rejected the registration');
          throw new AgentError(
            'ACT2_MASTER_KEY_LOST',
            `master ${sn} is bound to its own key on act2-server, and this host has none (${keys?.file ?? 'no --state-dir'}): ` +
              `if the master was reinstalled or the file lost, have an admin run "act2-server master rebind ${sn}", then run again`,
            { details: { url, ...fields } },
          );
        }
        if (result.status === 401 && key === undefined && token === undefined) {
          log.error({ url, ...fields }, 'act2-server rejected the registration');
          throw new AgentError('ACT2_SERVER_REJECTED', `act2-server wants a credential: give the API token in --act2-token-file or ACT2_TOKEN (${message})`, {
            details: { url, ...fields },
          });
        }
        // A proxy (or an old server) that cannot read gzip: the same body uncompressed, once, at once.
        if (gzip && refusesGzip(result.status, fields.code) && now() - started < options.deadlineMs) {
          log.warn({ url, ...fields, hint: 'set --no-gzip (ACT2_NO_GZIP=1) for this act2-server' }, 'act2-server refused the gzipped body, sending it uncompressed');
          gzip = false;
          body = json;
          continue;
        }
        log.error({ url, ...fields }, 'act2-server rejected the registration');
        throw new AgentError('ACT2_SERVER_REJECTED', `act2-server rejected the registration: ${message}`, { details: { url, ...fields } });
      }
      const waitMs = Math.max(backoffDelay(attempts, options.random, options.backoff ?? DEFAULT_BACKOFF), result.waitMs ?? 0);
      const elapsed = now() - started;
      const remaining = options.deadlineMs - elapsed;
      const minAttemptMs = Math.min(LAST_ATTEMPT_MIN_MS, options.timeoutMs);
      if (waitMs + minAttemptMs <= remaining) {
        log.warn({ url, attempt: attempts, reason: result.reason, retry_in_ms: waitMs }, 'register failed, retrying');
        await options.sleep(waitMs);
        continue;
      }
      // The next wait would leave no time for an attempt: rather than give up with time unused,
      // make one last attempt. A server that failed fast (refused, 5xx) gets it at the end of the
      // deadline, after waiting as long as possible; one that timed out gets it now, with all
      // the time left. None when the server's own Retry-After asks for longer than is left.
      if (lastAttempt || remaining < minAttemptMs || (result.waitMs ?? 0) > remaining - minAttemptMs) {
        throw new AgentError('ACT2_SERVER_UNREACHABLE', `act2-server at ${options.baseUrl} not reachable within --deadline after ${attempts} attempt(s): ${result.reason}`, {
          details: { url, attempts, ms: elapsed },
        });
      }
      lastAttempt = true;
      const tailWaitMs = result.ms < minAttemptMs ? remaining - minAttemptMs : 0;
      log.warn({ url, attempt: attempts, reason: result.reason, retry_in_ms: tailWaitMs, timeout_ms: Math.min(options.timeoutMs, remaining - tailWaitMs) }, 'register failed, last attempt with the time left');
      if (tailWaitMs > 0) await options.sleep(tailWaitMs);
    }
  }

  async function storeKey(sn: string, issued: string): Promise<void> {
    const { keys } = options;
    if (keys === undefined) {
      log.warn({ url, sn }, 'act2-server issued a master key but there is no --state-dir to keep it: this master cannot register again without an admin rebind');
      return;
    }
    try {
      await keys.save(sn, issued, options.baseUrl);
    } catch (error) {
      const err = error instanceof AgentError ? error : new AgentError('ACT2_STATE_DIR', String(error));
      throw new AgentError(
        'ACT2_STATE_DIR',
        `registered, but the master key act2-server issued could not be stored (${err.message}): fix --state-dir, then have an admin run "act2-server master rebind ${sn}"`,
        { cause: error },
      );
    }
    log.info({ sn, file: keys.file }, 'enrolled: master key stored');
  }

  return { register };
}

/** 415 from any HTTP server, or act2-server's own verdict on a body that is not gzip. */
function refusesGzip(status: number, code: unknown): boolean {
  return status === 415 || (status === 400 && code === 'ACT2_BAD_ENCODING');
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
