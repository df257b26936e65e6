/** Stable codes of every salt-api failure: callers (the agent's exit codes, the server's failover) match on these. */
export const SALT_ERROR_CODES = [
  'ACT2_SALT_UNREACHABLE',
  'ACT2_SALT_TIMEOUT',
  'ACT2_SALT_TLS',
  'ACT2_SALT_LOGIN_REFUSED',
  'ACT2_SALT_UNAUTHORIZED',
  'ACT2_SALT_FORBIDDEN',
  'ACT2_SALT_CLIENT_DISABLED',
  'ACT2_SALT_UNAVAILABLE',
  'ACT2_SALT_RUNNER_FAILED',
  'ACT2_SALT_HTTP',
  'ACT2_SALT_BAD_RESPONSE',
  'ACT2_SALT_NOT_LOGGED_IN',
] as const;
export type SaltErrorCode = (typeof SALT_ERROR_CODES)[number];

/** A salt-api call that failed, with a one-line operator-readable message (never a password). */
export class SaltApiError extends Error {
  override readonly name = 'SaltApiError';
  readonly code: SaltErrorCode;
  /** Extra fields for a log line: url, call, status, the page's text. */
  readonly details: Record<string, unknown> | undefined;

  constructor(code: SaltErrorCode, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details;
  }
}

/** First non-empty line, trimmed and bounded: salt tracebacks and HTML must not reach a log line whole. */
export function firstLine(text: string, max = 500): string {
  const line = text.split(/\r?\n/).map((l) => l.trim()).find((l) => l.length > 0) ?? '';
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
