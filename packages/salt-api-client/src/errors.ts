import { htmlErrorText } from './html.js';
import { describeNetworkError } from '@act2/shared';
import { SaltApiError, firstLine } from './salt-api-error.js';

/** What a salt-api call was, for error messages and debug logs. */
export interface CallInfo {
  path: string;
  client?: string;
  fun?: string;
}

function what(call: CallInfo): string {
  return call.fun ? `${call.client ?? ''} ${call.fun}`.trim() : `POST ${call.path}`;
}

/** The readable part of an error body: the HTML page's `<p>`, a JSON `return`, or the first line. */
export function errorText(body: string): string {
  const html = htmlErrorText(body);
  if (html) return html;
  try {
    const json = JSON.parse(body) as { return?: unknown };
    if (typeof json.return === 'string') return json.return;
  } catch {
    // not JSON either: fall through to the raw first line
  }
  return firstLine(body, 200);
}

/** 401 page texts of an external_auth refusal (captures 31, 32): the session is fine, the user lacks a right. */
const TOKEN_ACL_REFUSAL = 'Authentication failure of type "token"';
const FUNCTION_ACL_REFUSAL = 'Authorization error occurred';

/**
 * Whether a 401 may be a session salt-api no longer knows ("No permission -- see authorization
 * schemes" after a restart, capture 79, or a 401 we do not recognise), where logging in again
 * helps; an ACL refusal would only be refused again.
 */
export function mayBeDeadSession(body: string): boolean {
  const text = errorText(body);
  return !text.includes(TOKEN_ACL_REFUSAL) && !text.includes(FUNCTION_ACL_REFUSAL);
}

export function networkError(error: unknown, timedOut: boolean, timeoutMs: number, baseUrl: string, call: CallInfo): SaltApiError {
  const failure = describeNetworkError(error, timedOut, timeoutMs);
  const details = { url: baseUrl, call: what(call), kind: failure.kind };
  if (failure.kind === 'timeout') {
    return new SaltApiError('ACT2_SALT_TIMEOUT', `salt-api at ${baseUrl} gave ${what(call)} ${failure.reason} (see --timeout)`, { cause: error, details });
  }
  if (failure.kind === 'tls') {
    return new SaltApiError('ACT2_SALT_TLS', `${failure.reason} talking to salt-api at ${baseUrl} (use --salt-ca-file, or --salt-insecure for its self-signed certificate)`, { cause: error, details });
  }
  return new SaltApiError('ACT2_SALT_UNREACHABLE', `cannot reach salt-api at ${baseUrl}: ${failure.reason}`, { cause: error, details });
}

/** Maps a non-200 answer to a coded one-line error. `user` names who was refused. */
export function httpError(status: number, body: string, call: CallInfo, who: { user: string; eauth: string }): SaltApiError {
  const text = errorText(body);
  const details = { status, call: what(call), text };
  if (call.path === '/login' && status === 401) {
    return new SaltApiError('ACT2_SALT_LOGIN_REFUSED', `salt-api refused the login for user ${who.user} (eauth ${who.eauth}): ${text}`, { details });
  }
  if (status === 401) {
    if (text.includes(TOKEN_ACL_REFUSAL) && call.client === 'runner') {
      return new SaltApiError('ACT2_SALT_FORBIDDEN', `salt-api user ${who.user} lacks @runner permission in external_auth (needed for ${call.fun ?? 'runners'})`, { details });
    }
    if (text.includes(FUNCTION_ACL_REFUSAL)) {
      return new SaltApiError('ACT2_SALT_FORBIDDEN', `salt-api user ${who.user} may not call ${call.fun ?? 'this function'} (check external_auth)`, { details });
    }
    return new SaltApiError('ACT2_SALT_UNAUTHORIZED', `salt-api refused the session for ${what(call)}: ${text}`, { details });
  }
  const disabled = /Client disabled: '([^']+)'/.exec(text);
  if (status === 400 && disabled) {
    const client = disabled[1] ?? '';
    return new SaltApiError('ACT2_SALT_CLIENT_DISABLED', `salt-api has the '${client}' client disabled: add ${client} to netapi_enable_clients in the salt-master config (salt 3006+)`, { details });
  }
  if (status === 503 || status === 504) {
    return new SaltApiError('ACT2_SALT_UNAVAILABLE', `salt-api answered ${status} to ${what(call)}: ${text}`, { details });
  }
  return new SaltApiError('ACT2_SALT_HTTP', `salt-api answered HTTP ${status} to ${what(call)}: ${text}`, { details });
}
