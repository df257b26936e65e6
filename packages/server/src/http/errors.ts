import { clipIssueText, MAX_ERROR_ISSUES, type ErrorBody, type ErrorCode, type ErrorIssue } from '@act2/shared';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { classifyDbError } from '../db/dialects/index.js';
import { REGISTER_ROUTES } from '../register/route.js';
import { trackAllowedMethods } from './allowed-methods.js';
import { HttpError } from './http-error.js';
import { validationBody } from './validation-body.js';

export { validationBody };

/** Our code for a 4xx fastify raised itself; anything not listed is the client's input (ACT2_VALIDATION). */
const FRAMEWORK_4XX_CODES: Partial<Record<number, ErrorCode>> = {
  404: 'ACT2_NOT_FOUND',
  413: 'ACT2_BODY_TOO_LARGE',
  415: 'ACT2_UNSUPPORTED_MEDIA_TYPE',
};

/** True when `err` means "the database cannot be reached right now" (answer 503, retry later). */
export function isDbUnavailable(err: unknown): boolean {
  return classifyDbError(err) === 'unavailable';
}

/**
 * For fastify's `frameworkErrors` option: errors the router raises before any route or error
 * handler runs (a bad percent-encoding, a parameter over `maxParamLength`) would otherwise be
 * answered in fastify's own body; they get our `{ code, message }` like every other error.
 */
export function sendFrameworkError(err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const { status, body } = toErrorResponse(err);
  request.log.debug({ code: body.code, frameworkCode: err.code }, 'request rejected by the router');
  reply.code(status).send(body);
}

/**
 * True when the database gave up on a query at our statement or lock timeout, or kept aborting
 * it as a deadlock victim after every retry: busy, not broken.
 */
export function isDbTimeout(err: unknown): boolean {
  const kind = classifyDbError(err);
  return kind === 'busy' || kind === 'retry';
}

// A payload with thousands of bad minions must not make a log line of megabytes.
const MAX_LOGGED_ISSUES = 10;

/** The master sn a rejected registration claimed, when its body parsed that far. */
function reportedSn(body: unknown): string | undefined {
  const sn = (body as { master?: { sn?: unknown } } | undefined)?.master?.sn;
  return typeof sn === 'string' ? sn.trim().slice(0, 255) : undefined;
}

/** Maps every error to `{ code, message, issues? }`; 5xx bodies never carry internal text. */
export function registerErrorHandling(app: FastifyInstance, hooks: ErrorHooks = {}): void {
  const allowed = trackAllowedMethods(app);
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '/';
    const methods = allowed(path);
    if (methods.length > 0) {
      reply
        .code(405)
        .header('allow', methods.join(', '))
        .send({ code: 'ACT2_METHOD_NOT_ALLOWED', message: `${clipIssueText(request.method)} is not allowed here; use ${methods.join(', ')}` } satisfies ErrorBody);
      return;
    }
    reply.code(404).send({ code: 'ACT2_NOT_FOUND', message: `No route for ${request.method} ${clipIssueText(path)}` } satisfies ErrorBody);
  });

  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (isClientAbort(err, request)) {
      // Nobody is left to answer: not a database outage, not worth a stack.
      request.log.info({ code: 'ACT2_CLIENT_ABORTED', route: request.routeOptions.url }, 'client closed the connection before its request was read');
      reply.code(499).send({ code: 'ACT2_CLIENT_ABORTED', message: 'Client closed the connection' } satisfies ErrorBody);
      return;
    }
    const { status, body } = toErrorResponse(err);
    if (body.code === 'ACT2_DB_UNAVAILABLE' && hooks.onDbUnavailable) {
      // The outage tracker logs the start and end of an outage once each, not every refused request.
      hooks.onDbUnavailable(err, request);
    } else if (status >= 500) {
      request.log.error({ err, code: body.code }, 'request failed');
    } else if ((REGISTER_ROUTES as readonly string[]).includes(request.routeOptions.url ?? '')) {
      // A rejected heartbeat means a master that will time out: say which one, and from where.
      request.log.warn(
        {
          code: body.code,
          status,
          ip: request.ip,
          sn: reportedSn(request.body),
          issues: body.issues?.slice(0, MAX_LOGGED_ISSUES),
          ...(body.more_issues ? { moreIssues: body.more_issues } : {}),
        },
        'registration rejected',
      );
    } else {
      request.log.debug({ code: body.code, issues: body.issues }, 'request rejected');
    }
    if (status === 503) reply.header('retry-after', '5');
    reply.code(status).send(body);
  });
}

export function toErrorResponse(err: FastifyError): { status: number; body: ErrorBody } {
  if (err instanceof HttpError) {
    if (err.body) return { status: err.statusCode, body: err.body };
    return { status: err.statusCode, body: { code: err.code, message: err.message, ...(err.issues ? { issues: err.issues.slice(0, MAX_ERROR_ISSUES) } : {}) } };
  }
  if (hasZodFastifySchemaValidationErrors(err)) {
    const issues: ErrorIssue[] = err.validation.flatMap((v) => {
      const path = v.instancePath.replace(/^\//, '').replace(/\//g, '.');
      // An unknown query parameter is named as the path, like any other bad parameter.
      const keys = v.keyword === 'unrecognized_keys' ? (v.params as { keys?: unknown }).keys : undefined;
      if (Array.isArray(keys)) {
        return keys.map((key) => ({ path: clipIssueText([path, String(key)].filter(Boolean).join('.')), message: 'unknown parameter' }));
      }
      return [{ path: clipIssueText(path), message: clipIssueText(v.message ?? 'invalid') }];
    });
    const where = err.validationContext ?? 'request';
    const named = issues.slice(0, MAX_ERROR_ISSUES).map((i) => i.path || where);
    return { status: 400, body: validationBody(`Invalid ${where}: ${named.join(', ')}`, issues) };
  }
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_TYPE':
      return { status: 415, body: { code: 'ACT2_UNSUPPORTED_MEDIA_TYPE', message: 'Content-Type must be application/json' } };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, body: { code: 'ACT2_BODY_TOO_LARGE', message: 'Request body is too large' } };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, body: { code: 'ACT2_VALIDATION', message: 'Request body is empty' } };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { status: 400, body: { code: 'ACT2_VALIDATION', message: 'Content-Length does not match the body' } };
    default:
      break;
  }
  if (isDbTimeout(err)) {
    return { status: 503, body: { code: 'ACT2_DB_UNAVAILABLE', message: 'The database did not answer in time; retry later' } };
  }
  if (isDbUnavailable(err)) {
    return { status: 503, body: { code: 'ACT2_DB_UNAVAILABLE', message: 'The database is unavailable; retry later' } };
  }
  const status = typeof err.statusCode === 'number' ? err.statusCode : 500;
  if (status >= 400 && status < 500) {
    // A JSON syntax error and other fastify 4xx: their messages describe the client's input, not our internals.
    const message = err instanceof SyntaxError ? 'Request body is not valid JSON' : err.message;
    return { status, body: { code: FRAMEWORK_4XX_CODES[status] ?? 'ACT2_VALIDATION', message } };
  }
  return { status: 500, body: { code: 'ACT2_INTERNAL', message: 'Internal server error' } };
}

export interface ErrorHooks {
  /** Called instead of logging for every request refused because the database is unreachable. */
  onDbUnavailable?: (err: unknown, request: FastifyRequest) => void;
}

/**
 * True when the client went away before its request was read: its upload stopped mid-body
 * (fastify's body reader sees the socket close) or the request was aborted. Its ECONNRESET must not
 * be taken for the database's.
 */
export function isClientAbort(err: unknown, request: FastifyRequest): boolean {
  const code = (err as { code?: unknown }).code;
  const raw = request.raw;
  const aborted = raw.readableAborted || raw.socket?.destroyed === true;
  return aborted && (code === 'ECONNRESET' || code === 'ECONNABORTED' || (err as { message?: unknown }).message === 'aborted');
}
