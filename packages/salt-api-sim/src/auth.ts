/**
 * eauth and the two kinds of token the captures show apart:
 * - the Salt eauth token (64 hex, master side: survives a salt-api restart, absolute 12 h expiry),
 * - the CherryPy session id (40 hex, what /login returns; RAM only, so a restart kills it; 10 h idle).
 */
import { randomBytes } from 'node:crypto';
import { SESSION_TIMEOUT_S } from './cherrypy.js';
import type { Eauth, Perm, SimUser } from './types.js';

export interface SaltToken {
  token: string;
  name: string;
  eauth: string;
  perms: Perm[];
  /** Epoch seconds (Python floats). */
  start: number;
  expire: number;
}

export type EauthResult =
  | { ok: true; user: SimUser }
  /** Unknown or missing backend: salt fails at once (captures 06, 09). */
  | { ok: false; slow: false }
  /** Wrong password or unknown user: `time_auth` pads the failure (captures 05, 07; PAM 66). */
  | { ok: false; slow: true; backend: string };

interface Session {
  saltToken: string;
  lastSeenMs: number;
}

export function newSessionId(): string {
  return randomBytes(20).toString('hex');
}

function eauthsOf(user: SimUser): Eauth[] {
  return Array.isArray(user.eauth) ? user.eauth : [user.eauth];
}

export class AuthStore {
  private sessions = new Map<string, Session>();
  private tokens = new Map<string, SaltToken>();
  /** Every session refused (401) though logins succeed: salt-api processes behind a balancer that share no sessions. */
  refusing = false;
  private readonly backends: Set<string>;

  constructor(
    private readonly users: readonly SimUser[],
    private readonly tokenExpireS: number,
  ) {
    this.backends = new Set(users.flatMap(eauthsOf));
  }

  checkCredentials(username: unknown, password: unknown, eauth: unknown): EauthResult {
    if (typeof eauth !== 'string' || !this.backends.has(eauth)) return { ok: false, slow: false };
    const user = this.users.find(
      (u) => u.name === username && u.password === password && eauthsOf(u).includes(eauth as Eauth),
    );
    return user ? { ok: true, user } : { ok: false, slow: true, backend: eauth };
  }

  /** `LoadAuth.mk_token`: a master-side token with the user's external_auth list. */
  mintToken(user: SimUser, eauth: string, nowS: number): SaltToken {
    const token: SaltToken = {
      token: randomBytes(32).toString('hex'),
      name: user.name,
      eauth,
      perms: user.perms,
      start: nowS,
      expire: nowS + this.tokenExpireS,
    };
    this.tokens.set(token.token, token);
    return token;
  }

  /** A live Salt token, or undefined (unknown or past its absolute expiry). */
  saltToken(token: string, nowS: number): SaltToken | undefined {
    const t = this.tokens.get(token);
    if (t && nowS >= t.expire) {
      this.tokens.delete(token);
      return undefined;
    }
    return t;
  }

  /** The session's Salt token if the session id is live (sliding 10 h idle timeout). */
  session(sid: string | undefined, nowMs: number): { sid: string; saltToken: string } | undefined {
    if (!sid || this.refusing) return undefined;
    const s = this.sessions.get(sid);
    if (!s) return undefined;
    if (nowMs - s.lastSeenMs > SESSION_TIMEOUT_S * 1000) {
      this.sessions.delete(sid);
      return undefined;
    }
    s.lastSeenMs = nowMs;
    return { sid, saltToken: s.saltToken };
  }

  /** Login stores the token in the caller's live session if it has one, like CherryPy does. */
  bindSession(sid: string | undefined, saltToken: string, nowMs: number): string {
    const id = sid && this.sessions.has(sid) ? sid : newSessionId();
    this.sessions.set(id, { saltToken, lastSeenMs: nowMs });
    return id;
  }

  dropSession(sid: string): void {
    this.sessions.delete(sid);
  }

  /** A salt-api restart: RAM sessions are gone, master-side Salt tokens are not (capture 79 vs 76). */
  dropAllSessions(): void {
    this.sessions.clear();
  }

  sessionCount(): number {
    return this.sessions.size;
  }
}
