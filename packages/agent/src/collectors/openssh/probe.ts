import { lookup } from 'node:dns/promises';
import { isIP, Socket } from 'node:net';
import { formatDuration } from '@act2/shared';
import { isReportableIp } from '../../ips.js';

/** What probing one roster target found. */
export interface ProbeResult {
  up: boolean;
  /** The target's addresses: the host itself when it is an IP, else what it resolves to (no loopback). */
  ips: string[];
  /** The SSH identification line (`SSH-2.0-OpenSSH_9.2p1 Debian-2`) when `up`. */
  banner?: string;
  /** Why not `up`: refused, timeout, not SSH, host not found, … */
  reason?: string;
}

export interface ProbeOptions {
  timeoutMs: number;
  /** Injected for tests of name resolution; node's resolver by default. */
  resolve?: (host: string) => Promise<string[]>;
}

/** RFC 4253 4.2: lines before the identification are allowed; the identification is at most 255 bytes. */
const MAX_PREAMBLE_BYTES = 8 * 1024;

async function resolveAll(host: string): Promise<string[]> {
  const found = await lookup(host, { all: true, verbatim: true });
  return [...new Set(found.map((a) => a.address))];
}

function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => void): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => {
      onTimeout();
      resolve('timeout');
    }, ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const NOT_SSH = 'answered, but not with an SSH identification line';

/**
 * Connects and waits for the server's `SSH-` identification line; never throws. `received`
 * tells a silent port from one that answered something else when the caller's timer fires.
 */
function readBanner(address: string, port: number, socket: Socket, state: { received: number }): Promise<{ banner?: string; reason?: string }> {
  return new Promise((resolve) => {
    let buffered = '';
    const done = (result: { banner?: string; reason?: string }) => {
      socket.destroy();
      resolve(result);
    };
    socket.on('data', (chunk: Buffer) => {
      state.received += chunk.length;
      buffered += chunk.toString('latin1');
      const lines = buffered.split('\n');
      for (const line of lines.slice(0, -1)) {
        if (line.startsWith('SSH-')) return done({ banner: line.replace(/\r$/, '').slice(0, 255) });
      }
      if (buffered.length > MAX_PREAMBLE_BYTES) done({ reason: NOT_SSH });
      return undefined;
    });
    socket.on('end', () => done({ reason: buffered.length > 0 ? NOT_SSH : 'closed the connection without an SSH identification line' }));
    socket.on('error', (error: NodeJS.ErrnoException) => done({ reason: error.code === 'ECONNREFUSED' ? 'connection refused' : (error.code ?? error.message) }));
    socket.connect({ host: address, port });
  });
}

/**
 * Whether host:port answers like an SSH server within `timeoutMs` (name resolution included).
 * Only the server's identification line is read; nothing is sent, no login is tried.
 */
export async function probeSsh(host: string, port: number, options: ProbeOptions): Promise<ProbeResult> {
  const started = Date.now();
  const left = () => Math.max(1, options.timeoutMs - (Date.now() - started));
  let ips: string[];
  let address: string;
  if (isIP(host) !== 0) {
    ips = [host];
    address = host;
  } else {
    let resolved: string[] | 'timeout';
    try {
      resolved = await withTimeout((options.resolve ?? resolveAll)(host), left(), () => undefined);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      return { up: false, ips: [], reason: code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'ENODATA' ? 'host name not found' : `name resolution failed (${code ?? String(error)})` };
    }
    if (resolved === 'timeout') return { up: false, ips: [], reason: 'name resolution timed out' };
    if (resolved.length === 0) return { up: false, ips: [], reason: 'host name not found' };
    ips = resolved.filter(isReportableIp);
    address = resolved[0] ?? host;
  }
  const socket = new Socket();
  const state = { received: 0 };
  const outcome = await withTimeout(readBanner(address, port, socket, state), left(), () => socket.destroy());
  if (outcome === 'timeout') return { up: false, ips, reason: state.received > 0 ? NOT_SSH : `no SSH identification within ${formatDuration(options.timeoutMs)}` };
  return outcome.banner === undefined ? { up: false, ips, reason: outcome.reason ?? 'no SSH identification line' } : { up: true, ips, banner: outcome.banner };
}

/** Runs `task` over `items` with at most `limit` at once, keeping the input order in the output. */
export async function mapBounded<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await task(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
