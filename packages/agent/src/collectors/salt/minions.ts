import { boundedText } from '@act2/shared';
import type { CollectedMinion } from '../collector.js';
import { chooseMinionSn, isMeaningfulSerial, isReportableSn } from '../../minion-sn.js';
import { minionIps } from './ips.js';
import { readMinionGrains } from './schema.js';

export interface MinionOptions {
  /** From interfaceMatcher(--exclude-interfaces). */
  excluded: (name: string) => boolean;
  minionSnGrain?: string;
}

/** `os osrelease`, either one alone, or undefined. */
function osName(os: string | undefined, release: string | undefined): string | undefined {
  if (!os) return release || undefined;
  return release ? `${os} ${release}` : os;
}

/** A minion id the contract can carry (see isReportableSn). */
export const isReportableId = isReportableSn;

/**
 * One minion as reported: status from manage.status, the rest from its grains when known.
 * Optional fields are left out rather than sent empty, and bounded to the contract's lengths.
 */
export function toCollectedMinion(id: string, running: boolean, raw: Record<string, unknown> | undefined, options: MinionOptions): CollectedMinion {
  const grains = raw === undefined ? {} : readMinionGrains(raw);
  const minion: CollectedMinion = {
    id,
    sn: chooseMinionSn(id, options.minionSnGrain === undefined ? undefined : raw?.[options.minionSnGrain]),
    status: running ? 'running' : 'stopped',
    ips: minionIps(grains, options.excluded).slice(0, 1024),
  };
  if (isMeaningfulSerial(grains.serialnumber)) minion.serial = boundedText(grains.serialnumber, 255);
  if (isMeaningfulSerial(grains.uuid)) minion.uuid = boundedText(grains.uuid, 255);
  const os = boundedText(osName(grains.os, grains.osrelease), 255);
  if (os) minion.os = os;
  const saltversion = boundedText(grains.saltversion, 64);
  if (saltversion) minion.saltversion = saltversion;
  return minion;
}
