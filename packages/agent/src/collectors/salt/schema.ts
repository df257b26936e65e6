import { z } from 'zod';

/*
 * salt-api output, parsed permissively: only the fields the agent reads, unknown keys ignored,
 * a field of the wrong type reads as missing (`.catch`) so one odd grain never sinks a run.
 */

const strings = z.array(z.unknown()).transform((items) => items.filter((i): i is string => typeof i === 'string'));

/** Runner `manage.status`: sorted minion ids that answered the ping and those that did not. */
export const ManageStatus = z.object({ up: strings, down: strings });
export type ManageStatus = z.infer<typeof ManageStatus>;

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
  /** Interface name → IPv4 addresses (lo, docker0 and bridges included). */
  ip4_interfaces?: Record<string, unknown[]> | undefined;
  /** Every IPv4 address of the minion, loopback included. */
  ipv4?: unknown[] | undefined;
  serialnumber?: string | undefined;
  uuid?: string | undefined;
  os?: string | undefined;
  osrelease?: string | undefined;
  saltversion?: string | undefined;
}

const STRING_GRAINS = ['id', 'serialnumber', 'uuid', 'os', 'osrelease', 'saltversion'] as const;

/**
 * One minion's grains, read permissively: unknown keys ignored, a grain of the wrong type reads as
 * missing (an interface whose address list is not a list reads as no addresses), so one odd grain
 * never sinks a run.
 */
export function readMinionGrains(raw: Record<string, unknown>): MinionGrains {
  const grains: MinionGrains = {};
  for (const key of STRING_GRAINS) {
    const value = raw[key];
    if (typeof value === 'string') grains[key] = value;
  }
  const interfaces = raw.ip4_interfaces;
  if (typeof interfaces === 'object' && interfaces !== null && !Array.isArray(interfaces)) {
    const byName: Record<string, unknown[]> = {};
    for (const [name, addresses] of Object.entries(interfaces)) byName[name] = Array.isArray(addresses) ? addresses : [];
    grains.ip4_interfaces = byName;
  }
  if (Array.isArray(raw.ipv4)) grains.ipv4 = raw.ipv4;
  return grains;
}

/** Grains requested with `grains.item` (plus `--minion-sn-grain` when set). */
export const GRAIN_NAMES = ['id', 'ip4_interfaces', 'ipv4', 'serialnumber', 'uuid', 'os', 'osrelease', 'saltversion'] as const;
