import type { ServerType } from '@act2/shared';
import type { LogLevelName } from './log.js';

/** TLS settings of one end (a collector's service or act2-server). */
export interface TlsConfig {
  /** PEM text of the CA file, read at config time so a bad path is a config error. */
  ca?: string;
  /** Skip certificate verification (salt-api's usual self-signed certificate). */
  insecure: boolean;
  /**
   * PEM client certificate (chain) and its key: PuppetDB's HTTPS port wants the host's Puppet
   * certificate; act2-server --tls-client-ca wants one too.
   */
  cert?: string;
  key?: string;
}

/** The settings every kind of master shares, validated and normalised (URLs without trailing slash, durations in ms). */
export interface CoreConfig {
  logLevel: LogLevelName;
  logFile?: string;
  /** Undefined only with `dryRun`. */
  act2Server?: string;
  act2Tls: TlsConfig;
  /**
   * The act2-server API token (scope register): enrolls this master on its first registration.
   * From --act2-token-file or ACT2_TOKEN, never a flag value (ps would show it).
   */
  act2Token?: string;
  /** Where the master key is kept (0600 file); undefined: no key store (in-process use). */
  stateDir?: string;
  srvType: ServerType;
  idc: string;
  masterSn?: string;
  /** The URL act2 should use for this master, when the collector's own URL is not it. */
  advertiseServer?: string;
  /** Per request, to the collector's service and to act2-server. */
  timeoutMs: number;
  deadlineMs: number;
  splayMs: number;
  intervalMs: number;
  /** Gzip large registrations (default); `--no-gzip` for a proxy that refuses compressed bodies. */
  gzip: boolean;
  dryRun: boolean;
  /** Interface name globs (`*`, `?`) whose IPs are not reported; `lo` is always excluded on top of these. */
  excludeInterfaces: string[];
}
