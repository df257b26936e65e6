import type { Option } from 'commander';
import type { Dispatcher } from 'undici';
import type { Logger } from 'pino';
import type { MasterOptions, MinionStatus, RegisterMinionInput, ReportedMasterStatus, ServerType } from '@act2/shared';
import type { Raw, Validator } from '../config-values.js';
import type { CoreConfig, TlsConfig } from '../core-config.js';
import type { AgentErrorCode } from '../errors.js';

/** What a collector learnt about one minion; the payload builder turns it into a RegisterMinion. */
export interface CollectedMinion extends Pick<RegisterMinionInput, 'serial' | 'uuid' | 'os' | 'saltversion'> {
  /** The id the managing service knows the minion by (salt minion id, Puppet certname, roster id). */
  id: string;
  /** The `sn` to report: the id, or a chosen grain / fact (see minion-sn.ts). */
  sn: string;
  status: MinionStatus;
  ips: string[];
}

export interface CollectContext {
  log: Logger;
  /** HTTP dispatcher for the managing service's API, with the collector's TLS settings applied. */
  dispatcher: Dispatcher;
  now: () => number;
}

/**
 * A collector's outcome. `running` carries the complete minion set; `stopped` means the
 * service could not be asked (the server then keeps the last known set) and says why.
 */
export type CollectResult =
  | {
      status: Extract<ReportedMasterStatus, 'running'>;
      minions: CollectedMinion[];
      warnings: string[];
      /** `master.options` learnt while collecting (the roster's user), instead of the configured ones. */
      masterOptions?: MasterOptions;
    }
  | { status: Extract<ReportedMasterStatus, 'stopped'>; minions: []; error: string; code: AgentErrorCode; warnings: string[] };

/** A collector with its settings parsed: what the core runs and reports, knowing no details. */
export interface ConfiguredCollector {
  readonly type: ServerType;
  /** The collector's parsed settings (for tests and in-process callers; may hold secrets: never log it). */
  readonly settings: object;
  /** Non-secret settings for the `config loaded` log line. */
  readonly summary: Record<string, unknown>;
  /** `master.server` and `master.options` as this kind of master reports them. */
  readonly master: { server: string; options?: MasterOptions };
  /** TLS settings of the service's HTTP API (salt-api, PuppetDB); absent when it has none. */
  readonly tls?: TlsConfig;
  /**
   * Reads the minions. Never throws: whatever fails becomes a `stopped` result with a one-line
   * reason, so the heartbeat still tells act2 that the host is alive.
   */
  collect(ctx: CollectContext): Promise<CollectResult>;
}

/** What a collector's `configure` gets: the parsed flags and the validated core settings. */
export interface CollectorConfigInput {
  /** Option values as commander left them (strings, booleans, undefined). */
  raw: Raw;
  /** Collects errors (every problem is reported at once). */
  v: Validator;
  /** Where a value came from: `cli`, `env` or `default` (a password on argv earns a warning). */
  source: (key: string) => string | undefined;
  readFile: (path: string) => string;
  core: CoreConfig;
}

/**
 * One kind of master (`--srv-type`): a folder under collectors/ that owns its flags, their
 * environment variables, their validation and the master fields it reports. Listed once in
 * registry.ts; `--help` shows its flags under `title`.
 */
export interface Collector {
  readonly type: ServerType;
  /** Heading of its flags in `--help`. */
  readonly title: string;
  /** Fresh commander options (an Option belongs to one Command). */
  options(): Option[];
  /** Validates this collector's flags; errors go to `input.v.errors`. */
  configure(input: CollectorConfigInput): { collector: ConfiguredCollector; warnings: string[] };
}
