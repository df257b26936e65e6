/**
 * salt-api's URL map (rest_cherrypy app.py): which CherryPy tools each resource has on, and what its
 * handler does. Only the root GET, /run and /token run without sessions.
 */
import { expiredSessionCookie, sessionCookie } from './cherrypy.js';
import { newSessionId } from './auth.js';
import { HttpError, MESSAGES, SaltUnexpectedError } from './errors.js';
import { execLowstate } from './lowstate.js';
import { failedAuthDelayS } from './master-auth.js';
import { sortedPermissions } from './perms.js';
import type { Endpoint } from './pipeline.js';
import { PyFloat } from './py-json.js';
import { MASTER_HANG_S } from './runtime.js';
import { ALL_CLIENTS } from './types.js';

const PLEASE_LOG_IN = { status: 200, return: 'Please log in' };

export const rootGet: Endpoint = {
  sessions: false,
  saltAuth: false,
  handle: async () => ({ data: { return: 'Welcome', clients: [...ALL_CLIENTS] } }),
};

export const rootPost: Endpoint = {
  sessions: true,
  saltAuth: true,
  handle: async (rt, req, session, lowstate) => ({ data: { return: await execLowstate(rt, lowstate, req.signal, { token: session?.saltToken }) } }),
};

export const loginGet: Endpoint = {
  sessions: true,
  saltAuth: false,
  handle: async () => ({ data: PLEASE_LOG_IN, extra: [['WWW-Authenticate', 'Session']] }),
};

/** `Login.POST`: the token in the body is the CherryPy session id; the Salt token stays server-side. */
export const loginPost: Endpoint = {
  sessions: true,
  saltAuth: false,
  handle: async (rt, req, session, lowstate) => {
    if (rt.masterDown() === 'no-ipc') throw new HttpError(503, MESSAGES.masterNotAvailable);
    const creds = Array.isArray(lowstate) ? lowstate[0] : lowstate;
    if (creds === null || typeof creds !== 'object') throw new SaltUnexpectedError('no credentials');
    const c = creds as Record<string, unknown>;
    if (rt.masterDown() === 'hang') {
      await rt.sleep(MASTER_HANG_S, req.signal);
      throw new HttpError(503, MESSAGES.messageTimedOut);
    }
    // sharedsecret clients may send the secret as `sharedsecret` (saltstack/salt#40949).
    const check = rt.auth.checkCredentials(c.username, c.password ?? c.sharedsecret, c.eauth);
    if (!check.ok) {
      if (check.slow) await rt.sleep(failedAuthDelayS(check.backend), req.signal);
      throw new HttpError(401, MESSAGES.badCredentials);
    }
    const now = rt.nowMs();
    const token = rt.auth.mintToken(check.user, String(c.eauth), now / 1000);
    const sid = rt.auth.bindSession(session?.sid, token.token, now);
    const perms = sortedPermissions(check.user.perms);
    return {
      data: {
        return: [
          { token: sid, expire: new PyFloat(token.expire), start: new PyFloat(token.start), user: token.name, eauth: token.eauth, perms: perms.length > 0 ? perms : {} },
        ],
      },
      extra: [['X-Auth-Token', sid]],
      setCookie: sessionCookie(sid, now),
    };
  },
};

export const logoutPost: Endpoint = {
  sessions: true,
  saltAuth: true,
  handle: async (rt, _req, session) => {
    if (session) rt.auth.dropSession(session.sid);
    return { data: { return: 'Your token has been cleared' }, setCookie: expiredSessionCookie(newSessionId(), rt.nowMs()) };
  },
};

/** `Minions.GET`: synchronous grains.items on `*` or one id (captures 34, 35). */
export function minionsGet(mid: string | undefined): Endpoint {
  return {
    sessions: true,
    saltAuth: true,
    handle: async (rt, req, session) => ({
      data: { return: await execLowstate(rt, [{ client: 'local', tgt: mid ?? '*', fun: 'grains.items' }], req.signal, { token: session?.saltToken }) },
    }),
  };
}

/** `Minions.POST`: local_async, 202 with links to the jobs (capture 38). */
export const minionsPost: Endpoint = {
  sessions: true,
  saltAuth: true,
  handle: async (rt, req, session, lowstate) => {
    const jobs = await execLowstate(rt, lowstate, req.signal, { token: session?.saltToken, client: 'local_async' });
    const links = jobs.filter((j): j is { jid: string } => !!j && typeof j === 'object' && 'jid' in j).map((j) => ({ href: `/jobs/${j.jid}` }));
    return { status: 202, data: { return: jobs, _links: { jobs: links } } };
  },
};

export function jobsGet(jid: string | undefined): Endpoint {
  return {
    sessions: true,
    saltAuth: true,
    handle: async (rt, req, session) => {
      const low = jid ? { client: 'runner', fun: 'jobs.list_job', jid } : { client: 'runner', fun: 'jobs.list_jobs' };
      const [info] = await execLowstate(rt, [low], req.signal, { token: session?.saltToken });
      if (!jid) return { data: { return: [info] } };
      const result = (info as { Result?: Map<string, { return: unknown }> }).Result ?? new Map();
      return { data: { info: [info], return: [new Map([...result].map(([id, r]) => [id, r.return]))] } };
    },
  };
}

/** `Keys.GET`: the wheel's answer unwrapped, and not in a list (capture 50). Sessions, no salt_auth. */
export function keysGet(mid: string | undefined): Endpoint {
  return {
    sessions: true,
    saltAuth: false,
    handle: async (rt, req, session) => {
      const low = mid ? { client: 'wheel', fun: 'key.finger', match: mid } : { client: 'wheel', fun: 'key.list_all' };
      const [ret] = await execLowstate(rt, [low], req.signal, { token: session?.saltToken });
      return { data: { return: (ret as { data?: { return?: unknown } } | undefined)?.data?.return ?? {} } };
    },
  };
}

/** `Run.POST`: no session; each chunk carries eauth credentials or a raw Salt token (46, 47, 52). */
export const runPost: Endpoint = {
  sessions: false,
  saltAuth: false,
  handle: async (rt, req, _session, lowstate) => ({ data: { return: await execLowstate(rt, lowstate, req.signal) } }),
};

/** `Token.POST`: runs auth.mk_token and answers the bare list (capture 51). */
export const tokenPost: Endpoint = {
  sessions: false,
  saltAuth: false,
  handle: async (rt, req, _session, lowstate) => {
    const chunks = Array.isArray(lowstate) ? lowstate : [];
    const lows = chunks.map((creds) => {
      const c = (creds ?? {}) as Record<string, unknown>;
      if (!('username' in c && 'password' in c && 'eauth' in c)) {
        throw new HttpError(400, 'Require "username", "password", and "eauth" params');
      }
      return { ...c, client: 'runner', fun: 'auth.mk_token', kwarg: { username: c.username, password: c.password, eauth: c.eauth } };
    });
    return { data: await execLowstate(rt, Array.isArray(lowstate) ? lows : lowstate, req.signal) };
  },
};
