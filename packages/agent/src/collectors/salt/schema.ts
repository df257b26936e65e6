import { z } from 'zod';

/*
 * salt-api output, parsed permissively: only the fields the agent reads, unknown keys ignored,
 * a field of the wrong type reads as missing (`.catch`) so one odd grain never sinks a run.
 */

const strings = z.array(z.unknown()).transform((items) => items.filter((i): i is string => typeof i === 'string'));

/** Runner `manage.status`: sorted minion ids that answered the ping and those that did not. */
export const ManageStatus = z.object({ up: strings, down: strings });
export type ManageStatus = z.infer<typeof ManageStatus>;

/** `grains.item` / `cache.grains`: minion id → grains, or `false` (grains.item: did not answer). */
export const GrainsByMinion = z.record(z.string(), z.unknown());
export type GrainsByMinion = z.infer<typeof GrainsByMinion>;

const optionalString = z.string().optional().catch(undefined);
const optionalStrings = z.array(z.unknown()).optional().catch(undefined);

/** The grains the agent reads. `grains.item` gives `""` for a grain the minion lacks. */
export const MinionGrains = z.object({
  id: optionalString,
  /** Interface name → IPv4 addresses (lo, docker0 and bridges included). */
  ip4_interfaces: z.record(z.string(), z.array(z.unknown()).catch([])).optional().catch(undefined),
  /** Every IPv4 address of the minion, loopback included. */
  ipv4: optionalStrings,
  serialnumber: optionalString,
  uuid: optionalString,
  os: optionalString,
  osrelease: optionalString,
  saltversion: optionalString,
});
export type MinionGrains = z.infer<typeof MinionGrains>;

/** Grains requested with `grains.item` (plus `--minion-sn-grain` when set). */
export const GRAIN_NAMES = ['id', 'ip4_interfaces', 'ipv4', 'serialnumber', 'uuid', 'os', 'osrelease', 'saltversion'] as const;
