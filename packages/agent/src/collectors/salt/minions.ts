import { hasControlCharacter } from '@act2/shared';
import type { CollectedMinion } from '../collector.js';
import { chooseMinionSn, isMeaningfulSerial } from '../../minion-sn.js';
import { minionIps } from './ips.js';
import { readMinionGrains } from './schema.js';

export interface MinionOptions {
  /** From interfaceMatcher(--exclude-interfaces). */
  excluded: (name: string) => boolean;
  minionSnGrain?: string;
}

/** Grain text as the contract takes it: trimmed, without NUL (PostgreSQL cannot store it), bounded. */
function bounded(value: string | undefined, max: number): string | undefined {
  if (value === undefined) return undefined;
  const text = (value.includes('\u0000') ? value.replace(/\u0000/g, '') : value).trim();
  if (!text) return undefined;
  return text.length > max ? text.slice(0, max) : text;
}

/** `os osrelease`, either one alone, or undefined. */
function osName(os: string | undefined, release: string | undefined): string | undefined {
  if (!os) return release || undefined;
  return release ? `${os} ${release}` : os;
}

/**
 * A minion id the contract can carry (1–255 characters, no control characters). Salt itself
 * refuses such ids, so one that fails is junk from a broken cache: it is skipped, not allowed to
 * make the whole registration invalid.
 */
export function isReportableId(id: string): boolean {
  const trimmed = id.trim();
  return trimmed.length > 0 && trimmed.length <= 255 && !hasControlCharacter(id);
}

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
  if (isMeaningfulSerial(grains.serialnumber)) minion.serial = bounded(grains.serialnumber, 255);
  if (isMeaningfulSerial(grains.uuid)) minion.uuid = bounded(grains.uuid, 255);
  const os = bounded(osName(grains.os, grains.osrelease), 255);
  if (os) minion.os = os;
  const saltversion = bounded(grains.saltversion, 64);
  if (saltversion) minion.saltversion = saltversion;
  return minion;
}
