import type { Dispatcher } from 'undici';
import type { Logger } from 'pino';
import type { MinionStatus, ReportedMasterStatus, ServerType } from '@act2/shared';
import type { AgentConfig } from '../config.js';
import type { AgentErrorCode } from '../errors.js';

/** What a collector learnt about one minion; the payload builder turns it into a RegisterMinion. */
export interface CollectedMinion {
  /** The id the master knows the minion by (salt's minion id). */
  id: string;
  /** The `sn` to report: the id, or a chosen grain (see minion-sn.ts). */
  sn: string;
  status: MinionStatus;
  ips: string[];
  serial?: string;
  uuid?: string;
  os?: string;
  saltversion?: string;
}

export interface CollectContext {
  config: AgentConfig;
  log: Logger;
  /** HTTP dispatcher for the managing service's API (TLS settings applied). */
  dispatcher: Dispatcher;
  now: () => number;
}

/**
 * A collector's outcome. `running` carries the complete minion set; `stopped` means the
 * service could not be asked (the server then keeps the last known set) and says why.
 */
export type CollectResult =
  | { status: Extract<ReportedMasterStatus, 'running'>; minions: CollectedMinion[]; warnings: string[] }
  | { status: Extract<ReportedMasterStatus, 'stopped'>; minions: []; error: string; code: AgentErrorCode; warnings: string[] };

/**
 * Reads a master's minions from the service that manages them (salt-api, …). `collect` never
 * throws: whatever fails becomes a `stopped` result with a one-line reason, so the heartbeat
 * still tells act2 that the host is alive.
 */
export interface Collector {
  readonly type: ServerType;
  collect(ctx: CollectContext): Promise<CollectResult>;
}
