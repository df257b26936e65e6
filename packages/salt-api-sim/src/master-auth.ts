/**
 * The master's side of authentication for a chunk (ClearFuncs.runner / wheel / publish): who the caller
 * is and what they may do. Failed credential checks are padded like `LoadAuth.time_auth` (≈1 s, PAM
 * ≈2.2 s, captures 05/07/66); unknown backends fail at once.
 */
import { HttpError, MESSAGES, authFailure } from './errors.js';
import type { Caller, SimRuntime } from './runtime.js';
import type { Perm } from './types.js';

export interface Principal {
  user: string;
  perms: Perm[];
  kind: Caller['kind'];
}

/** The padded wait of a failed eauth attempt, in simulated seconds. */
export function failedAuthDelayS(backend: string): number {
  return backend === 'pam' ? 2.2 : 0.75 + Math.random() * 0.5;
}

/**
 * Resolves the caller or throws the 401 this client type gives: runner and wheel name the auth type
 * (`Authentication failure of type "token" occurred.`), local publishes say `Authentication error occurred.`
 */
export async function authenticate(
  rt: SimRuntime,
  caller: Caller,
  form: 'runner' | 'wheel' | 'local',
  signal: AbortSignal,
): Promise<Principal> {
  if (caller.kind === 'token') {
    const token = rt.auth.saltToken(caller.token, rt.nowMs() / 1000);
    if (token) return { user: token.name, perms: token.perms, kind: 'token' };
    throw new HttpError(401, form === 'local' ? MESSAGES.authenticationError : authFailure('token'));
  }
  const result = rt.auth.checkCredentials(caller.username, caller.password, caller.eauth);
  if (result.ok) return { user: result.user.name, perms: result.user.perms, kind: 'eauth' };
  if (result.slow) await rt.sleep(failedAuthDelayS(result.backend), signal);
  throw new HttpError(401, form === 'local' ? MESSAGES.authenticationError : authFailure('eauth', String(caller.username)));
}
