/** Grains as salt reports them; key order is kept (it is the order salt serialises them in). */
export type Grains = Record<string, unknown>;

/** One accepted minion key on the simulated master. */
export interface SimMinion {
  id: string;
  /** Answers pings and local calls; a down minion still has cached grains (cache.grains). */
  up: boolean;
  grains: Grains;
  /** False: the master never cached its grains, so cache.grains gives `{}` for it. Default true. */
  cached?: boolean;
  /**
   * Simulated seconds between a publish and this minion's return reaching the job cache (scaled by
   * timeScale). `Infinity`: it answers pings but never returns a job. Default 0.
   */
  latencyS?: number;
}

export const EAUTH_BACKENDS = ['pam', 'file', 'sharedsecret', 'auto', 'ldap'] as const;
export type Eauth = (typeof EAUTH_BACKENDS)[number];

/** An external_auth entry: a function regex (`test.*`, `.*`), `@runner`/`@wheel`/`@jobs`/`@<module>`,
 * or `{ "<target glob>": ["<function regex>", ...] }`. */
export type Perm = string | Record<string, string[]>;

export interface SimUser {
  name: string;
  password: string;
  /** The backend(s) that accept this user/password pair. */
  eauth: Eauth | Eauth[];
  perms: Perm[];
}

export type MasterDownMode = false | 'hang' | 'no-ipc';

export const ALL_CLIENTS = [
  'local',
  'local_async',
  'local_batch',
  'local_subset',
  'runner',
  'runner_async',
  'ssh',
  'wheel',
  'wheel_async',
] as const;

/** `netapi_enable_clients` of the captured installation (everything but ssh). */
export const CAPTURED_ENABLED_CLIENTS = [
  'local',
  'local_async',
  'local_batch',
  'local_subset',
  'runner',
  'runner_async',
  'wheel',
  'wheel_async',
];
