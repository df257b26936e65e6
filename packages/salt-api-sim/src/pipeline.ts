/**
 * One request through salt-api's CherryPy tool chain: session cookie, `salt_auth` (401 before the body
 * is read), body parsing, the handler, then content negotiation (406 only after the handler ran, like
 * capture 44) and serialisation. Exceptions other than HTTP errors become the 500 JSON body.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { newSessionId } from './auth.js';
import { CONTENT_TYPE_HTML, CONTENT_TYPE_JSON, errorPage, sessionCookie } from './cherrypy.js';
import { HttpError, MESSAGES } from './errors.js';
import { MAX_BODY_BYTES, lowdataFmt, negotiate, parseBody } from './negotiation.js';
import { pyJsonBuffer } from './py-json.js';
import { pyYaml } from './py-yaml.js';
import type { SimRuntime } from './runtime.js';

export interface SimRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  signal: AbortSignal;
}

export interface Session {
  sid: string;
  saltToken: string;
}

export interface HandlerResult {
  data: unknown;
  status?: number;
  extra?: Array<[string, string]>;
  /** Replaces the session cookie (login binds a session, logout expires it). */
  setCookie?: string;
}

export interface Endpoint {
  /** `tools.sessions.on`: every answer carries a session cookie. */
  sessions: boolean;
  /** `tools.salt_auth.on`: no session token → 401 before the body is read. */
  saltAuth: boolean;
  handle(rt: SimRuntime, req: SimRequest, session: Session | undefined, lowstate: unknown): Promise<HandlerResult>;
}

export interface Reply {
  status: number;
  contentType: string;
  body: Buffer;
  extra?: Array<[string, string]>;
  cacheControl: boolean;
  setCookie?: string;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function cookieSessionId(headers: IncomingHttpHeaders): string | undefined {
  for (const part of (header(headers, 'cookie') ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === 'session_id') return v.join('=');
  }
  return undefined;
}

export function htmlReply(status: number, message: string | undefined, extra: Omit<Reply, 'status' | 'contentType' | 'body'>): Reply {
  return { status, contentType: CONTENT_TYPE_HTML, body: Buffer.from(errorPage(status, message)), ...extra };
}

export async function serve(rt: SimRuntime, endpoint: Endpoint, req: SimRequest): Promise<Reply> {
  const now = rt.nowMs();
  // salt_token_tool: the X-Auth-Token header wins over the session cookie.
  const sid = header(req.headers, 'x-auth-token') || cookieSessionId(req.headers);
  const session = endpoint.sessions ? rt.auth.session(sid, now) : undefined;
  const cookie = endpoint.sessions ? sessionCookie(session?.sid ?? newSessionId(), now) : undefined;
  if (endpoint.saltAuth && !session) return htmlReply(401, undefined, { cacheControl: false, setCookie: cookie });
  const cacheControl = endpoint.saltAuth;

  let result: HandlerResult;
  try {
    let lowstate: unknown;
    if (req.method === 'POST') {
      const length = header(req.headers, 'content-length');
      if (Number(length) > MAX_BODY_BYTES) throw new HttpError(413, MESSAGES.tooLarge);
      lowstate = lowdataFmt(parseBody(length, header(req.headers, 'content-type'), req.body));
    }
    result = await endpoint.handle(rt, req, session, lowstate);
  } catch (err) {
    if (req.signal.aborted) throw err;
    if (err instanceof HttpError) return htmlReply(err.status, err.pageMessage, { cacheControl, setCookie: cookie });
    result = { status: 500, data: { status: 500, return: 'An unexpected error occurred' } };
  }
  const setCookie = result.setCookie ?? cookie;
  let type: string;
  try {
    type = negotiate(header(req.headers, 'accept'));
  } catch (err) {
    if (err instanceof HttpError) return htmlReply(err.status, err.pageMessage, { cacheControl, setCookie });
    throw err;
  }
  const body = type === CONTENT_TYPE_JSON ? pyJsonBuffer(result.data, { ensureAscii: rt.ensureAscii }) : Buffer.from(pyYaml(result.data));
  return { status: result.status ?? 200, contentType: type, body, extra: result.extra, cacheControl, setCookie };
}
