import { RegisterRequest, SCHEMA_VERSION, toErrorIssues } from '@act2/shared';
import type { RegisterMinionInput, RegisterRequestInput } from '@act2/shared';
import type { CollectedMinion, CollectResult } from './collectors/collector.js';
import type { AgentConfig } from './config.js';
import { AgentError } from './errors.js';

export interface PayloadInput {
  config: AgentConfig;
  masterSn: string;
  result: CollectResult;
  agent: { version: string; hostname: string };
}

export interface BuiltPayload {
  payload: RegisterRequestInput;
  /** Minions whose grain- or fact-based sn was shared with another minion and replaced by their id. */
  duplicateSns: number;
}

/** The contract's optional minion fields a collector may fill (seed 000 has none of them). */
const MINION_EXTENSIONS = ['serial', 'uuid', 'os', 'saltversion'] as const satisfies ReadonlyArray<keyof CollectedMinion & keyof RegisterMinionInput>;

const byId = (a: CollectedMinion, b: CollectedMinion) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * A serial grain can be shared (cloned VMs, containers seeing the host's DMI): an sn must name
 * one minion, so a shared one falls back to the minion id.
 */
function uniqueSns(minions: CollectedMinion[]): { sns: string[]; duplicates: number } {
  const counts = new Map<string, number>();
  for (const m of minions) counts.set(m.sn, (counts.get(m.sn) ?? 0) + 1);
  let duplicates = 0;
  const sns = minions.map((m) => {
    if (m.sn === m.id || counts.get(m.sn) === 1) return m.sn;
    duplicates += 1;
    return m.id;
  });
  return { sns, duplicates };
}

/** The /register body: seed 000's shape plus the optional extensions of @act2/shared. */
export function buildPayload({ config, masterSn, result, agent }: PayloadInput): BuiltPayload {
  const sorted = [...result.minions].sort(byId);
  const { sns, duplicates } = uniqueSns(sorted);
  const minions = sorted.map((m, index): RegisterMinionInput => {
    const minion: RegisterMinionInput = { sn: sns[index] ?? m.id, status: m.status, ips: m.ips, id: m.id };
    for (const key of MINION_EXTENSIONS) if (m[key] !== undefined) minion[key] = m[key];
    return minion;
  });
  const { server } = config.collector.master;
  const options = (result.status === 'running' ? result.masterOptions : undefined) ?? config.collector.master.options;
  const master: RegisterRequestInput['master'] = {
    sn: masterSn,
    server: server.replace(/\/+$/, ''),
    status: result.status,
    idc: config.idc,
    type: config.collector.type,
  };
  if (options) master.options = options;
  if (result.status === 'stopped') master.error = result.error.slice(0, 4096);
  const payload: RegisterRequestInput = {
    master,
    minions,
    schema_version: SCHEMA_VERSION,
    agent: { version: agent.version, hostname: agent.hostname.slice(0, 255) },
    interval_s: Math.max(1, Math.round(config.intervalMs / 1000)),
  };
  return { payload, duplicateSns: duplicates };
}

// Everything of the contract but the minions: a few fields, checked before every send.
const Envelope = RegisterRequest.omit({ minions: true });

/**
 * Checks the payload against the contract. act2-server checks every registration in full, so the
 * send path checks only the envelope (`minions: false`): the collectors build each minion to the
 * contract (bounded texts, the contract's IP patterns, reportable ids), and a second full zod pass
 * over 20,000 minions cost a cold process a third of a second. `--dry-run` (nothing else checks
 * it) and a 400 from act2-server (to name what broke) check the minions too.
 */
export function assertValidPayload(payload: RegisterRequestInput, { minions = true }: { minions?: boolean } = {}): void {
  const parsed = minions ? RegisterRequest.safeParse(payload) : Envelope.safeParse(payload);
  if (parsed.success) return;
  const issues = toErrorIssues(parsed.error).slice(0, 10);
  throw new AgentError('ACT2_INVALID_PAYLOAD', `the payload does not match the /register contract: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, { details: { issues } });
}
