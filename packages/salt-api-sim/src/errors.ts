/**
 * The two ways salt-api fails. `HttpError` becomes CherryPy's HTML page with that status; anything else
 * thrown while running lowstate becomes `500 {"status": 500, "return": "An unexpected error occurred"}`,
 * serialised in the negotiated format (hypermedia_handler's catch-all, captures 41 and 73).
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message?: string,
  ) {
    super(message ?? `HTTP ${status}`);
    this.pageMessage = message;
  }

  /** The text for the page's `<p>`; undefined → CherryPy's default for the status. */
  readonly pageMessage: string | undefined;
}

/** Misuse of the simulator's own API or CLI (the caller's mistake, not a simulated salt failure). */
export type SimErrorCode = 'ACT2_SIM_UNKNOWN_MINION' | 'ACT2_SIM_DUPLICATE_MINION' | 'ACT2_SIM_ALREADY_LISTENING' | 'ACT2_SIM_BAD_OPTION';

export class SimError extends Error {
  constructor(
    readonly code: SimErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SimError';
  }
}

/** An exception inside Salt (unknown runner function, master gone during a local call, bad lowstate). */
export class SaltUnexpectedError extends Error {
  readonly code = 'ACT2_SIM_SALT_EXCEPTION';
}

export const MESSAGES = {
  badCredentials: 'Could not authenticate using provided credentials',
  masterNotAvailable: 'Salt Master is not available.',
  messageTimedOut: 'Message timed out',
  authorizationError: 'Authorization error occurred.',
  authenticationError: 'Authentication error occurred.',
  noCredentials: 'No authentication credentials given',
  invalidJson: 'Invalid JSON document',
  invalidYaml: 'Invalid YAML document',
  notAList: 'Lowstates must be a list',
  contentTypeNotSupported: 'Content type not supported',
  invalidToken: 'Invalid token',
  tooLarge: 'The entity sent with the request exceeds the maximum allowed bytes.',
} as const;

/** Master-side `TokenAuthenticationError` / `EauthAuthenticationError` text (salt/master.py). */
export function authFailure(kind: 'token' | 'eauth', user?: string): string {
  return user === undefined
    ? `Authentication failure of type "${kind}" occurred.`
    : `Authentication failure of type "${kind}" occurred for user ${user}.`;
}
