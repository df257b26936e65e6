import { request } from 'undici';
import type { Dispatcher } from 'undici';
import { httpError, mayBeDeadSession, networkError } from './errors.js';
import type { CallInfo } from './errors.js';
import { SaltApiError, firstLine } from './salt-api-error.js';
import { isSaltReturn, LoginResult } from './schema.js';

/** The logger calls the client makes (a pino Logger fits). */
export interface SaltClientLog {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

export interface SaltClientOptions {
  /** salt-api URL without trailing slash. */
  baseUrl: string;
  username: string;
  password: string;
  eauth: string;
  dispatcher: Dispatcher;
  /** Per request: a salt-api whose master is down hangs ~180 s before its 503 (capture 71). */
  timeoutMs: number;
  log: SaltClientLog;
  now: () => number;
  /** Sent as User-Agent, so salt-api's access log shows who called. */
  userAgent: string;
  /**
   * `run`: re-login on a session-gone 401 once for the client's whole life (a cron run, the agent) or
   * once per call (a long-lived client that caches its token, the server). Default 'client'.
   */
  reloginOnce?: 'client' | 'call';
}

/** One lowstate chunk for POST / (see salt-api.md §2). */
export type Lowstate = Record<string, unknown> & { client: string; fun: string };

/** A logged-in salt-api (rest_cherrypy) session. */
export interface SaltClient {
  login(): Promise<void>;
  /** Runs one chunk and returns its `return[0]`; logs in again once if the session died. */
  run(chunk: Lowstate, options?: { timeoutMs?: number }): Promise<unknown>;
  /** Whether a session token is held (a login succeeded and nothing has dropped it since). */
  loggedIn(): boolean;
}

interface Answer {
  status: number;
  body: string;
  token: string | undefined;
}

export function createSaltClient(options: SaltClientOptions): SaltClient {
  const { baseUrl, dispatcher, timeoutMs, log, now } = options;
  const who = { user: options.username, eauth: options.eauth };
  let token: string | undefined;
  let reloggedIn = false;

  async function post(call: CallInfo, payload: unknown, callTimeoutMs = timeoutMs): Promise<Answer> {
    const headers: Record<string, string> = {
      accept: 'application/json',
      'content-type': 'application/json',
      'user-agent': options.userAgent,
    };
    if (token !== undefined && call.path !== '/login') headers['x-auth-token'] = token;
    const signal = AbortSignal.timeout(callTimeoutMs);
    const started = now();
    let answer: Answer;
    try {
      const res = await request(`${baseUrl}${call.path}`, { method: 'POST', headers, body: JSON.stringify(payload), dispatcher, signal });
      const body = await res.body.text();
      const header = res.headers['x-auth-token'];
      answer = { status: res.statusCode, body, token: typeof header === 'string' ? header : undefined };
    } catch (error) {
      log.debug({ method: 'POST', path: call.path, client: call.client, fun: call.fun, ms: now() - started, err: error }, 'salt-api call failed');
      throw networkError(error, signal.aborted, callTimeoutMs, baseUrl, call);
    }
    log.debug({ method: 'POST', path: call.path, client: call.client, fun: call.fun, status: answer.status, bytes: answer.body.length, ms: now() - started }, 'salt-api call');
    return answer;
  }

  function returnValue(answer: Answer, call: CallInfo): unknown {
    let json: unknown;
    try {
      json = JSON.parse(answer.body);
    } catch {
      throw new SaltApiError('ACT2_SALT_BAD_RESPONSE', `salt-api answered ${call.fun ?? call.path} with a body that is not JSON`, { details: { status: answer.status } });
    }
    if (!isSaltReturn(json)) {
      throw new SaltApiError('ACT2_SALT_BAD_RESPONSE', `salt-api answered ${call.fun ?? call.path} without a "return" list`, { details: { status: answer.status } });
    }
    const value = json.return[0];
    // A failing runner still answers 200, with its traceback or usage text as a string.
    if (typeof value === 'string') {
      throw new SaltApiError('ACT2_SALT_RUNNER_FAILED', `salt-api ${call.client ?? ''} ${call.fun ?? ''} failed: ${firstLine(value)}`.replace(/ {2,}/g, ' '), { details: { status: answer.status } });
    }
    return value;
  }

  async function login(): Promise<void> {
    const call: CallInfo = { path: '/login' };
    token = undefined;
    const answer = await post(call, { username: options.username, password: options.password, eauth: options.eauth });
    if (answer.status !== 200) throw httpError(answer.status, answer.body, call, who);
    const result = LoginResult.safeParse(returnValue(answer, call));
    const found = result.success ? result.data.token : answer.token;
    if (!found) throw new SaltApiError('ACT2_SALT_BAD_RESPONSE', 'salt-api accepted the login but sent no token');
    token = found;
  }

  async function run(chunk: Lowstate, callOptions: { timeoutMs?: number } = {}): Promise<unknown> {
    const call: CallInfo = { path: '/', client: chunk.client, fun: chunk.fun };
    if (token === undefined) throw new SaltApiError('ACT2_SALT_NOT_LOGGED_IN', 'salt-api call before login');
    if (options.reloginOnce === 'call') reloggedIn = false;
    let answer = await post(call, [chunk], callOptions.timeoutMs);
    // Sessions live in salt-api's memory and die when it restarts: log in again, once per run.
    // Not for an ACL refusal, which a fresh token would get again.
    if (answer.status === 401 && !reloggedIn && mayBeDeadSession(answer.body)) {
      reloggedIn = true;
      log.info({ fun: chunk.fun }, 'salt-api session refused, logging in again');
      await login();
      answer = await post(call, [chunk], callOptions.timeoutMs);
    }
    if (answer.status !== 200) throw httpError(answer.status, answer.body, call, who);
    return returnValue(answer, call);
  }

  return { login, run, loggedIn: () => token !== undefined };
}
