import { hasControlCharacter, isWellFormedText } from '@act2/shared';

/**
 * Values firmware and hypervisors put where a serial number should be (salt copies
 * product_serial raw), compared case-insensitively after trimming.
 */
const PLACEHOLDERS = new Set(
  [
    '',
    'none',
    'null',
    'n/a',
    'na',
    '0',
    '00000000',
    'not specified',
    'not applicable',
    'not available',
    'to be filled by o.e.m.',
    'to be filled by oem',
    'default string',
    'system serial number',
    'chassis serial number',
    'serial number',
    '0123456789',
    '123456789',
    'unknown',
  ].map((s) => s.toLowerCase()),
);

/** True for a string that identifies a machine, false for empty, junk or placeholder values. */
export function isMeaningfulSerial(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const text = value.trim().toLowerCase();
  if (PLACEHOLDERS.has(text)) return false;
  // All zeros (with or without dashes): an unset DMI UUID or serial.
  return !/^[0\-\s]+$/.test(text);
}

/**
 * The minion `sn` to report: the minion id (heartbeat.py's choice), or the `--minion-sn-grain`
 * value when that grain holds a meaningful string.
 */
export function chooseMinionSn(id: string, grainValue: unknown): string {
  // The contract caps sn at 255 characters; a longer "serial" is junk, not an identity.
  // Nor may it hold control characters or lone surrogates (the contract rejects them).
  return isMeaningfulSerial(grainValue) && isReportableSn(grainValue.trim()) ? grainValue.trim() : id;
}

/**
 * An sn the contract can carry (1–255 characters once trimmed, no control characters, no lone
 * surrogate). Salt and PuppetDB refuse such ids themselves, so one that fails is junk from a
 * broken cache: it is skipped, not allowed to make the whole registration invalid.
 */
export function isReportableSn(id: string): boolean {
  const trimmed = id.trim();
  return trimmed.length > 0 && trimmed.length <= 255 && !hasControlCharacter(id) && isWellFormedText(id);
}
