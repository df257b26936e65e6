import { isIP } from 'node:net';
import { parse } from 'yaml';
import { AgentError } from '../../errors.js';

/** One salt-ssh roster target, as far as the collector reads it. */
export interface RosterTarget {
  /** The roster id (reported as the minion sn). */
  id: string;
  host: string;
  port: number;
  user?: string;
}

const DEFAULT_PORT = 22;

function hostOf(id: string, value: unknown): { host?: string; port?: unknown; user?: unknown } {
  // salt-ssh also takes `id: host` and, without `host`, connects to the id itself.
  if (typeof value === 'string') return { host: value };
  if (value === null || value === undefined) return { host: id };
  if (typeof value !== 'object' || Array.isArray(value)) return {};
  const entry = value as Record<string, unknown>;
  const host = entry.host === undefined ? id : typeof entry.host === 'string' || typeof entry.host === 'number' ? String(entry.host) : undefined;
  return { ...(host === undefined ? {} : { host }), port: entry.port, user: entry.user };
}

/**
 * Parses a salt-ssh roster (YAML: `id: {host, port, user, passwd, priv, …}`). Only `host`,
 * `port` and `user` are read; a target that names no usable host or port is skipped with a
 * warning rather than failing the run: the other hosts still deserve a heartbeat.
 */
export function parseRoster(text: string, path: string): { targets: RosterTarget[]; warnings: string[] } {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (error) {
    throw new AgentError('ACT2_ROSTER_INVALID', `roster ${path} is not valid YAML: ${(error as Error).message.split('\n')[0] ?? ''}`);
  }
  if (doc === null || doc === undefined) return { targets: [], warnings: [`roster ${path} is empty`] };
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new AgentError('ACT2_ROSTER_INVALID', `roster ${path} is not a mapping of id: {host, port, user}`);
  }
  const targets: RosterTarget[] = [];
  const warnings: string[] = [];
  for (const [id, value] of Object.entries(doc as Record<string, unknown>)) {
    const { host, port, user } = hostOf(id, value);
    const portNumber = port === undefined || port === null ? DEFAULT_PORT : Number(port);
    if (host === undefined || host.trim() === '') {
      warnings.push(`roster target ${JSON.stringify(id)}: no usable host, skipped`);
      continue;
    }
    if (!Number.isInteger(portNumber) || portNumber < 1 || portNumber > 65535) {
      warnings.push(`roster target ${JSON.stringify(id)}: port ${JSON.stringify(port)} is not a TCP port, skipped`);
      continue;
    }
    targets.push({ id, host: host.trim(), port: portNumber, ...(typeof user === 'string' && user !== '' ? { user } : {}) });
  }
  return { targets, warnings };
}

/** `[::1]`-style brackets are URL syntax, not part of the address. */
export function bareHost(host: string): string {
  return host.startsWith('[') && host.endsWith(']') && isIP(host.slice(1, -1)) === 6 ? host.slice(1, -1) : host;
}
