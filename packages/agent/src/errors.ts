import { SaltApiError, type SaltErrorCode } from '@act2/salt-api-client';

/**
 * Exit codes of `act2-heartbeat`, documented in `--help` and the README. Cron wrappers and
 * monitoring match on these numbers, so they never change meaning.
 */
export const EXIT_CODES = {
  /** Registered, salt-api answered (master `running`). */
  ok: 0,
  /** An unexpected internal error (a bug): nothing useful was sent. */
  internal: 1,
  /** Usage or configuration error: bad flag, missing value, unreadable file. */
  usage: 2,
  /** act2-server unreachable, timing out or answering 5xx/429 until `--deadline`. */
  serverUnreachable: 3,
  /** act2-server rejected the registration (4xx), or a 2xx was not act2-server's: retrying would not help. */
  serverRejected: 4,
  /**
   * Registered (or dry run), but the collector's service (salt-api, PuppetDB, the roster) was
   * unavailable: the master was reported `stopped`. The name is the salt original's.
   */
  saltUnavailable: 5,
} as const;
export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

const CODE_EXIT = {
  ACT2_CONFIG: EXIT_CODES.usage,
  ACT2_LOG_FILE: EXIT_CODES.usage,
  ACT2_STATE_DIR: EXIT_CODES.usage,
  ACT2_SALT_UNREACHABLE: EXIT_CODES.saltUnavailable,
  ACT2_SALT_TIMEOUT: EXIT_CODES.saltUnavailable,
  ACT2_SALT_TLS: EXIT_CODES.saltUnavailable,
  ACT2_SALT_LOGIN_REFUSED: EXIT_CODES.saltUnavailable,
  ACT2_SALT_UNAUTHORIZED: EXIT_CODES.saltUnavailable,
  ACT2_SALT_FORBIDDEN: EXIT_CODES.saltUnavailable,
  ACT2_SALT_CLIENT_DISABLED: EXIT_CODES.saltUnavailable,
  ACT2_SALT_UNAVAILABLE: EXIT_CODES.saltUnavailable,
  ACT2_SALT_RUNNER_FAILED: EXIT_CODES.saltUnavailable,
  ACT2_SALT_HTTP: EXIT_CODES.saltUnavailable,
  ACT2_SALT_BAD_RESPONSE: EXIT_CODES.saltUnavailable,
  ACT2_PUPPETDB_UNREACHABLE: EXIT_CODES.saltUnavailable,
  ACT2_PUPPETDB_TIMEOUT: EXIT_CODES.saltUnavailable,
  ACT2_PUPPETDB_TLS: EXIT_CODES.saltUnavailable,
  ACT2_PUPPETDB_HTTP: EXIT_CODES.saltUnavailable,
  ACT2_PUPPETDB_BAD_RESPONSE: EXIT_CODES.saltUnavailable,
  ACT2_ROSTER_UNREADABLE: EXIT_CODES.saltUnavailable,
  ACT2_ROSTER_INVALID: EXIT_CODES.saltUnavailable,
  ACT2_SALT_NOT_LOGGED_IN: EXIT_CODES.internal,
  ACT2_COLLECTOR_FAILED: EXIT_CODES.saltUnavailable,
  ACT2_SERVER_UNREACHABLE: EXIT_CODES.serverUnreachable,
  ACT2_SERVER_REJECTED: EXIT_CODES.serverRejected,
  ACT2_MASTER_KEY_LOST: EXIT_CODES.serverRejected,
  ACT2_SERVER_BAD_RESPONSE: EXIT_CODES.serverRejected,
  ACT2_INVALID_PAYLOAD: EXIT_CODES.internal,
  ACT2_INTERNAL: EXIT_CODES.internal,
} as const satisfies Record<`ACT2_${string}`, ExitCode> & Record<SaltErrorCode, ExitCode>;

/** Stable error codes: callers and log alerts match on `code`, never on `message`. */
export type AgentErrorCode = keyof typeof CODE_EXIT;

/** An expected failure with a stable code and a one-line, operator-readable message. */
export class AgentError extends Error {
  override readonly name = 'AgentError';
  readonly code: AgentErrorCode;
  /** Extra fields for the log line (never secrets). */
  readonly details: Record<string, unknown> | undefined;

  constructor(code: AgentErrorCode, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details;
  }
}

export function exitCodeFor(error: unknown): ExitCode {
  if (error instanceof SaltApiError) return CODE_EXIT[error.code];
  return error instanceof AgentError ? CODE_EXIT[error.code] : EXIT_CODES.internal;
}

/** Wraps anything thrown into an AgentError, keeping the original as `cause`. */
export function toAgentError(error: unknown, fallback: AgentErrorCode = 'ACT2_INTERNAL'): AgentError {
  if (error instanceof AgentError) return error;
  // The salt-api client's codes are the agent's ACT2_SALT_* codes (CODE_EXIT maps every one).
  if (error instanceof SaltApiError) return new AgentError(error.code, error.message, { cause: error, details: error.details });
  const message = error instanceof Error ? error.message : String(error);
  return new AgentError(fallback, firstLine(message), { cause: error });
}

/** First non-empty line, trimmed and bounded: salt tracebacks and HTML must not reach a log line whole. */
export function firstLine(text: string, max = 500): string {
  const line = text.split(/\r?\n/).map((l) => l.trim()).find((l) => l.length > 0) ?? '';
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
