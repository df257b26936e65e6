import { formatDuration } from './duration.js';

export type NetworkFailureKind = 'timeout' | 'refused' | 'dns' | 'tls' | 'reset' | 'other';

export interface NetworkFailure {
  kind: NetworkFailureKind;
  /** One line for humans, e.g. `connection refused`. */
  reason: string;
}

const TLS_CODES = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|HOSTNAME_MISMATCH)/;

/** Node and undici hide the system error code under one or more `cause`s. */
function errorCodes(error: unknown): { codes: string[]; messages: string[] } {
  const codes: string[] = [];
  const messages: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 5; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
    messages.push(current.message);
    current = current.cause;
  }
  return { codes, messages };
}

/**
 * Turns what undici throws into a kind and a readable reason. `timedOut` is true when our own
 * per-request AbortSignal fired, which undici reports as a plain abort.
 */
export function describeNetworkError(error: unknown, timedOut: boolean, timeoutMs: number): NetworkFailure {
  if (timedOut) return { kind: 'timeout', reason: `no answer within ${formatDuration(timeoutMs)}` };
  const { codes, messages } = errorCodes(error);
  const has = (code: string) => codes.includes(code);
  if (has('ECONNREFUSED')) return { kind: 'refused', reason: 'connection refused' };
  if (has('ENOTFOUND') || has('EAI_AGAIN')) return { kind: 'dns', reason: 'host name not found' };
  const tls = codes.find((code) => TLS_CODES.test(code));
  if (tls) return { kind: 'tls', reason: `TLS error ${tls}: ${messages.at(-1) ?? ''}`.trim() };
  if (has('UND_ERR_HEADERS_TIMEOUT') || has('UND_ERR_BODY_TIMEOUT') || has('UND_ERR_CONNECT_TIMEOUT') || has('ETIMEDOUT')) {
    return { kind: 'timeout', reason: `no answer within ${formatDuration(timeoutMs)}` };
  }
  if (has('ECONNRESET') || has('UND_ERR_SOCKET') || has('EPIPE')) {
    return { kind: 'reset', reason: 'connection closed before an HTTP answer (plain http:// to an https port?)' };
  }
  return { kind: 'other', reason: messages.at(-1) ?? String(error) };
}
