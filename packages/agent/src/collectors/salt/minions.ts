import type { CollectedMinion } from '../collector.js';
import { chooseMinionSn, isMeaningfulSerial } from '../../minion-sn.js';
import { minionIps } from './ips.js';
import { MinionGrains } from './schema.js';

export interface MinionOptions {
  /** From interfaceMatcher(--exclude-interfaces). */
  excluded: (name: string) => boolean;
  minionSnGrain?: string;
}

function bounded(value: string | undefined, max: number): string | undefined {
  const text = value?.trim();
  return text ? text.slice(0, max) : undefined;
}

/**
 * One minion as reported: status from manage.status, the rest from its grains when known.
 * Optional fields are left out rather than sent empty, and bounded to the contract's lengths.
 */
export function toCollectedMinion(id: string, running: boolean, raw: Record<string, unknown> | undefined, options: MinionOptions): CollectedMinion {
  const grains = raw === undefined ? {} : MinionGrains.parse(raw);
  const minion: CollectedMinion = {
    id,
    sn: chooseMinionSn(id, options.minionSnGrain === undefined ? undefined : raw?.[options.minionSnGrain]),
    status: running ? 'running' : 'stopped',
    ips: minionIps(grains, options.excluded).slice(0, 1024),
  };
  if (isMeaningfulSerial(grains.serialnumber)) minion.serial = bounded(grains.serialnumber, 255);
  if (isMeaningfulSerial(grains.uuid)) minion.uuid = bounded(grains.uuid, 255);
  const os = bounded([grains.os, grains.osrelease].filter(Boolean).join(' '), 255);
  if (os) minion.os = os;
  const saltversion = bounded(grains.saltversion, 64);
  if (saltversion) minion.saltversion = saltversion;
  return minion;
}
