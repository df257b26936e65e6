/**
 * `createSaltApiSim`: a rest_cherrypy double on node:http(s), with the controls tests and demos need
 * (minions up/down, master down, clients enabled, restart). Time is simulated: every salt delay is
 * multiplied by `timeScale`, so tests run the 15 s "minion down" case in milliseconds.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { AuthStore } from './auth.js';
import { SimError } from './errors.js';
import { Fleet } from './fleet.js';
import { generateMinions } from './generate.js';
import { JobCache } from './jobs.js';
import { DEFAULT_MAX_EVENT_SIZE } from './local-client.js';
import { callsOf, preflightReply, readBody, writeReply } from './http-io.js';
import { htmlReply, serve, type Reply, type SimRequest } from './pipeline.js';
import { route } from './router.js';
import type { SimRuntime } from './runtime.js';
import type { Grains, MasterDownMode, SimMinion, SimUser } from './types.js';
import { CAPTURED_ENABLED_CLIENTS } from './types.js';

export interface SaltApiSimOptions {
  /** The accepted minions. Default: 40 generated ones (seed `act2`). */
  minions?: readonly SimMinion[];
  /** external_auth users. Default: `salt-api` / `salt-api` (pam, file, auto) with full perms. */
  users?: readonly SimUser[];
  /** `netapi_enable_clients`. Default: the captured list; `[]` reproduces 3006's default. */
  clientsEnabled?: readonly string[];
  /** Multiplies every simulated salt delay (1 = real salt, 0 = none). Default 1. */
  timeScale?: number;
  /** Extra real milliseconds an all-up ping or local call takes (not scaled). Default 0. */
  pingLatencyMs?: number;
  /** salt's `max_event_size`: a minion return bigger than this comes back as "VALUE_TRIMMED". Default 1 MiB. */
  maxEventSize?: number;
  /** Serve HTTPS with this key pair. */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** The master's id (runner jobs target `<id>_master`). Default `salt-master`. */
  masterId?: string;
  /** Salt token lifetime, seconds. Default 43200. */
  tokenExpireS?: number;
  /** JSON as plain Python json.dumps (\uXXXX) instead of salt's UTF-8. Default false. */
  ensureAscii?: boolean;
  /** Epoch milliseconds; inject to test expiry. */
  clock?: () => number;
  masterDown?: MasterDownMode;
  /**
   * Serialise every minion's grains when listening, so the first cache.grains / grains.items of a big
   * fleet is as fast as the next ones (≈0.8 s of CPU up front for 20,000 minions). Default false.
   */
  prewarm?: boolean;
  /** Replaces the timer behind every simulated delay (tests record delays instead of waiting). */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Called with unexpected internal errors (answered as CherryPy's plain 500 page). */
  onError?: (err: unknown) => void;
}

/** What one request asked for, without credentials (for tests and demos). */
export interface SimRequestRecord {
  method: string;
  path: string;
  status: number;
  calls: Array<{ client?: unknown; fun?: unknown }>;
}

export interface SaltApiSim {
  listen(options?: { port?: number; host?: string }): Promise<string>;
  close(): Promise<void>;
  /** Like restarting salt-api: sessions (login tokens) die, in-flight requests are cut, the port stays. */
  restart(): Promise<void>;
  /** The base URL once listening ('' before). */
  readonly url: string;
  setMinionUp(id: string, up: boolean): void;
  /** Simulated seconds before this minion's job returns arrive (`Infinity`: never). */
  setMinionLatency(id: string, latencyS: number): void;
  /** Holds every local_async answer back this many real ms after the job is published (0: off). */
  setDispatchReplyDelay(ms: number): void;
  setMasterDown(mode: MasterDownMode): void;
  /** Logins keep succeeding but every session is refused with 401 (a fresh token too) until turned off. */
  setSessionsRefused(refused: boolean): void;
  setClientsEnabled(clients: readonly string[]): void;
  setGrains(id: string, grains: Grains): void;
  addMinion(minion: SimMinion): void;
  removeMinion(id: string): void;
  /** Snapshot of the accepted minions (id, up, grains). */
  minions(): SimMinion[];
  minion(id: string): SimMinion | undefined;
  sessionCount(): number;
  requests(): readonly SimRequestRecord[];
}

export const DEFAULT_USER: SimUser = {
  name: 'salt-api',
  password: 'salt-api',
  eauth: ['pam', 'file', 'auto'],
  perms: ['.*', '@runner', '@wheel', '@jobs'],
};

const REQUEST_LOG_LIMIT = 1000;
export function createSaltApiSim(options: SaltApiSimOptions = {}): SaltApiSim {
  const clock = options.clock ?? (() => performance.timeOrigin + performance.now());
  const timeScale = options.timeScale ?? 1;
  const ensureAscii = options.ensureAscii ?? false;
  const fleet = new Fleet(options.minions ?? generateMinions({ count: 40 }), ensureAscii);
  const auth = new AuthStore(options.users ?? [DEFAULT_USER], options.tokenExpireS ?? 43_200);
  let masterDown: MasterDownMode = options.masterDown ?? false;
  let dispatchReplyDelayMs = 0;
  let clientsEnabled: readonly string[] = [...(options.clientsEnabled ?? CAPTURED_ENABLED_CLIENTS)];
  const inflight = new Set<AbortController>();
  const sockets = new Set<Socket>();
  const log: SimRequestRecord[] = [];
  let server: Server | undefined;
  let url = '';

  const rt: SimRuntime = {
    fleet,
    auth,
    jobs: new JobCache(clock),
    masterId: options.masterId ?? 'salt-master',
    ensureAscii,
    pingLatencyMs: options.pingLatencyMs ?? 0,
    dispatchReplyDelayMs: () => dispatchReplyDelayMs,
    maxEventSize: options.maxEventSize ?? DEFAULT_MAX_EVENT_SIZE,
    nowMs: clock,
    simToRealMs: (simSeconds) => simSeconds * 1000 * timeScale,
    masterDown: () => masterDown,
    clientsEnabled: () => clientsEnabled,
    sleep: async (simSeconds, signal, realMs = 0) => {
      const ms = simSeconds * 1000 * timeScale + realMs;
      signal.throwIfAborted();
      if (ms <= 0) return;
      if (options.sleep) await options.sleep(ms, signal);
      else await delay(ms, undefined, { signal });
    },
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const ac = new AbortController();
    inflight.add(ac);
    res.on('close', () => {
      if (!res.writableFinished) ac.abort();
      inflight.delete(ac);
    });
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const origin = typeof req.headers.origin === 'string' ? req.headers.origin : undefined;
    try {
      const body = await readBody(req);
      const r = route(method, path);
      let reply: Reply;
      if ('endpoint' in r) {
        const simReq: SimRequest = { method, path, headers: req.headers, body, signal: ac.signal };
        reply = await serve(rt, r.endpoint, simReq);
      } else if ('preflight' in r) {
        reply = preflightReply();
      } else {
        reply = htmlReply(r.status, r.message, { cacheControl: false });
      }
      log.push({ method, path, status: reply.status, calls: callsOf(body, req.headers['content-type']) });
      if (log.length > REQUEST_LOG_LIMIT) log.shift();
      if (!ac.signal.aborted) writeReply(res, method, reply, origin, clock());
    } catch (err) {
      if (ac.signal.aborted) {
        res.destroy();
        return;
      }
      options.onError?.(err);
      writeReply(res, method, htmlReply(500, undefined, { cacheControl: false }), origin, clock());
    }
  }

  function abortAll(): void {
    for (const ac of inflight) ac.abort();
    inflight.clear();
    for (const s of sockets) s.destroy();
    sockets.clear();
  }

  return {
    get url() {
      return url;
    },
    async listen({ port = 0, host = '127.0.0.1' } = {}) {
      if (server) throw new SimError('ACT2_SIM_ALREADY_LISTENING', 'salt-api simulator is already listening');
      if (options.prewarm) for (const m of fleet.all()) fleet.grainsRaw(m);
      const listener = (req: IncomingMessage, res: ServerResponse) => void handle(req, res);
      const s = options.tls ? createHttpsServer({ key: options.tls.key, cert: options.tls.cert }, listener) : createHttpServer(listener);
      s.on('connection', (socket: Socket) => {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
      });
      server = s;
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(port, host, () => resolve());
      });
      const addr = s.address() as AddressInfo;
      const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
      url = `${options.tls ? 'https' : 'http'}://${shownHost}:${addr.port}`;
      return url;
    },
    async close() {
      abortAll();
      const s = server;
      server = undefined;
      url = '';
      if (!s) return;
      await new Promise<void>((resolve) => s.close(() => resolve()));
    },
    async restart() {
      auth.dropAllSessions();
      abortAll();
    },
    setMinionUp: (id, up) => fleet.setUp(id, up),
    setSessionsRefused: (refused) => {
      auth.refusing = refused;
    },
    setDispatchReplyDelay: (ms) => {
      dispatchReplyDelayMs = ms;
    },
    setMinionLatency: (id, latencyS) => {
      fleet.require(id).latencyS = latencyS;
    },
    setMasterDown: (mode) => {
      masterDown = mode;
    },
    setClientsEnabled: (clients) => {
      clientsEnabled = [...clients];
    },
    setGrains: (id, grains) => fleet.setGrains(id, grains),
    addMinion: (m) => fleet.add(m),
    removeMinion: (id) => fleet.remove(id),
    minions: () => fleet.all().map((m) => ({ ...m })),
    minion: (id) => {
      const m = fleet.get(id);
      return m ? { ...m } : undefined;
    },
    sessionCount: () => auth.sessionCount(),
    requests: () => [...log],
  };
}
