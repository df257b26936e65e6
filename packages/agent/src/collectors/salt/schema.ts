/*
 * salt-api output, read permissively and by hand: only the fields the agent reads, unknown keys
 * ignored, a field of the wrong type reads as missing so one odd grain never sinks a run. By hand
 * rather than through zod: these answers hold 20,000 entries, and a zod pass over them (or its
 * compiled fast path, built on first use) costs a cold cron process tens of milliseconds.
 */

/** Runner `manage.status`: sorted minion ids that answered the ping and those that did not. */
export interface ManageStatus {
  up: string[];
  down: string[];
}

const strings = (items: unknown[]): string[] => items.filter((i): i is string => typeof i === 'string');

/** `{up, down}` as lists (entries that are not strings dropped), or undefined when it is not that shape. */
export function readManageStatus(value: unknown): ManageStatus | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const { up, down } = value as Record<string, unknown>;
  if (!Array.isArray(up) || !Array.isArray(down)) return undefined;
  return { up: strings(up), down: strings(down) };
}

/**
 * `grains.item` / `cache.grains`: minion id → grains, or `false` (grains.item: did not answer).
 * Only the top level is checked here (a plain object); each minion's grains are read when the
 * minion is, by {@link readMinionGrains}: a zod pass over 20,000 entries of 5 KB each cost a
 * quarter of a second and the garbage it leaves.
 */
export type GrainsByMinion = Record<string, unknown>;

export function isGrainsByMinion(value: unknown): value is GrainsByMinion {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The grains the agent reads. `grains.item` gives `""` for a grain the minion lacks. */
export interface MinionGrains {
  id?: string | undefined;
  /**
   * Interface name → IPv4 addresses (lo, docker0 and bridges included), as salt-api sent it: an
   * object, but an interface's list is checked when it is read (a non-list reads as no addresses).
   */
  ip4_interfaces?: Record<string, unknown> | undefined;
  /** Every IPv4 address of the minion, loopback included. */
  ipv4?: unknown[] | undefined;
  serialnumber?: string | undefined;
  uuid?: string | undefined;
  os?: string | undefined;
  osrelease?: string | undefined;
  saltversion?: string | undefined;
}

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/**
 * One minion's grains, read permissively: unknown keys ignored, a grain of the wrong type reads as
 * missing, so one odd grain never sinks a run. Each grain is read by name into an object of one
 * fixed shape, and `ip4_interfaces` is kept as sent rather than copied (20,000 minions a run:
 * a loop over grain names and a copy of each interface map cost 60 ms and their garbage).
 */
export function readMinionGrains(raw: Record<string, unknown>): MinionGrains {
  const interfaces = raw.ip4_interfaces;
  const ipv4 = raw.ipv4;
  return {
    id: text(raw.id),
    ip4_interfaces: typeof interfaces === 'object' && interfaces !== null && !Array.isArray(interfaces) ? (interfaces as Record<string, unknown>) : undefined,
    ipv4: Array.isArray(ipv4) ? ipv4 : undefined,
    serialnumber: text(raw.serialnumber),
    uuid: text(raw.uuid),
    os: text(raw.os),
    osrelease: text(raw.osrelease),
    saltversion: text(raw.saltversion),
  };
}

/** Grains requested with `grains.item` (plus `--minion-sn-grain` when set). */
export const GRAIN_NAMES = ['id', 'ip4_interfaces', 'ipv4', 'serialnumber', 'uuid', 'os', 'osrelease', 'saltversion'] as const;
