import { boundedText } from '@act2/shared';
import { isMeaningfulSerial, chooseMinionSn } from '../../minion-sn.js';
import { isReportableIp } from '../../ips.js';
import type { CollectedMinion } from '../collector.js';
import type { PdbNode } from './schema.js';

/** The facts a node's minion is built from (top-level fact name → value). */
export type NodeFacts = Map<string, unknown>;

/** The value at a dotted fact path (`dmi.product.serial_number`), or undefined. */
export function factAt(facts: NodeFacts | undefined, path: string): unknown {
  const [head, ...rest] = path.split('.');
  let value: unknown = head === undefined ? undefined : facts?.get(head);
  for (const key of rest) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The node's addresses from the `networking` fact: every interface's bindings (IPv4, then IPv6)
 * except excluded interfaces, then loopback, link-local and unspecified addresses. A node whose
 * fact lists no interfaces falls back to `networking.ip` / `ip6`. Read by hand rather than through
 * a schema: this runs for every node of a 20,000-node PuppetDB, and anything of an unexpected
 * shape simply reads as missing.
 */
export function nodeIps(networking: unknown, excluded: (name: string) => boolean): string[] {
  if (!isObject(networking)) return [];
  const ips: string[] = [];
  const add = (value: unknown) => {
    if (isReportableIp(value) && !ips.includes(value)) ips.push(value);
  };
  const interfaces = isObject(networking.interfaces) ? networking.interfaces : {};
  const names = Object.keys(interfaces);
  if (names.length === 0) {
    add(networking.ip);
    add(networking.ip6);
    return ips;
  }
  for (const name of names) {
    const iface = interfaces[name];
    if (excluded(name) || !isObject(iface)) continue;
    for (const key of ['bindings', 'bindings6']) {
      const bindings = iface[key];
      if (!Array.isArray(bindings)) continue;
      for (const binding of bindings) if (isObject(binding)) add(binding.address);
    }
  }
  return ips.slice(0, 1024);
}

const newest = (...stamps: Array<string | null | undefined>) =>
  Math.max(...stamps.map((s) => (s ? Date.parse(s) : Number.NaN)).filter((t) => !Number.isNaN(t)), Number.NEGATIVE_INFINITY);

/** `running`: active (neither deactivated nor expired) and its last report or facts newer than the stale limit. */
export function isRunning(node: PdbNode, nowMs: number, staleMs: number): boolean {
  if (node.deactivated || node.expired) return false;
  return newest(node.report_timestamp, node.facts_timestamp) > nowMs - staleMs;
}

export interface NodeOptions {
  excluded: (name: string) => boolean;
  nowMs: number;
  staleMs: number;
  snFact?: string;
}

/**
 * What the minion needs from a node's facts, kept instead of the facts themselves: a 20,000-node
 * PuppetDB answers tens of megabytes of facts, read page by page and digested as they arrive.
 */
export interface FactDigest {
  ips?: string[];
  serial?: string;
  uuid?: string;
  os?: string;
  /** The --puppet-sn-fact value, when meaningful. */
  sn?: string;
}

/** Folds one fact row into the node's digest. */
export function digestFact(digest: FactDigest, name: string, value: unknown, options: Pick<NodeOptions, 'excluded' | 'snFact'>): void {
  if (name === 'networking') {
    digest.ips = nodeIps(value, options.excluded);
    if (options.snFact?.split('.')[0] !== name) return;
  }
  const facts: NodeFacts = new Map([[name, value]]);
  if (options.snFact !== undefined && options.snFact.split('.')[0] === name) {
    const sn = factAt(facts, options.snFact);
    if (isMeaningfulSerial(sn)) digest.sn = sn;
  }
  if (name === 'dmi') {
    const serial = factAt(facts, 'dmi.product.serial_number');
    if (isMeaningfulSerial(serial)) digest.serial = boundedText(serial, 255);
    const uuid = factAt(facts, 'dmi.product.uuid');
    if (isMeaningfulSerial(uuid)) digest.uuid = boundedText(uuid, 255);
  }
  if (name === 'os') {
    const os = boundedText([factAt(facts, 'os.name'), factAt(facts, 'os.release.full')].filter((v) => typeof v === 'string' && v !== '').join(' '), 255);
    if (os) digest.os = os;
  }
}

/** What is kept of a node record while its facts are read: its name and its verdict. */
export interface NodeState {
  certname: string;
  running: boolean;
}

export function nodeState(node: PdbNode, options: Pick<NodeOptions, 'nowMs' | 'staleMs'>): NodeState {
  return { certname: node.certname, running: isRunning(node, options.nowMs, options.staleMs) };
}

/** One PuppetDB node as a minion: certname as id, status from its timestamps, the rest from its facts' digest. */
export function toCollectedMinion(node: NodeState, digest: FactDigest | undefined): CollectedMinion {
  const minion: CollectedMinion = {
    id: node.certname,
    sn: chooseMinionSn(node.certname, digest?.sn),
    status: node.running ? 'running' : 'stopped',
    ips: digest?.ips ?? [],
  };
  if (digest?.serial !== undefined) minion.serial = digest.serial;
  if (digest?.uuid !== undefined) minion.uuid = digest.uuid;
  if (digest?.os !== undefined) minion.os = digest.os;
  return minion;
}
