import { dottedIpv4Head, MINION_LIMITS, type RegisterMinion } from '@act2/shared';

/*
 * The contract's RegisterMinion check for the usual minion, by hand: a registration lists up to
 * hundreds of thousands of them, and zod's pass (an object, a trimmed identifier, an IP union per
 * address, refinements on every text) was a third of an identical re-send's CPU. This accepts only
 * minions RegisterMinion accepts, and returns what it would return; anything it is not sure of
 * (an IPv6 address, a field of another type, a text at a limit or with a character to look at)
 * is left to RegisterMinion itself, which also words the errors. minion-check.test.ts holds the
 * two side by side.
 */

/** What the contract's texts refuse, or the checks cannot decide alone: C0 controls, DEL, and any surrogate. */
const SUSPECT = /[\u0000-\u001f\u007f\ud800-\udfff]/;

/** Contract texts (RegisterMinion's fields), without the characters only zod decides on. */
const plainText = (value: unknown, max: number): value is string => typeof value === 'string' && value.length <= max && !SUSPECT.test(value);

/** The fields RegisterMinion declares: a field added to the contract makes minion-check.test.ts fail until it is checked here. */
export const CHECKED_MINION_KEYS = ['sn', 'status', 'ips', 'id', 'serial', 'uuid', 'os', 'saltversion'] as const;

function plainIps(ips: unknown): ips is string[] {
  if (!Array.isArray(ips) || ips.length > MINION_LIMITS.ips) return false;
  // IPv4 by the contract's pattern; IPv6 is rare and left to zod.
  for (const ip of ips) if (typeof ip !== 'string' || dottedIpv4Head(ip) < 0) return false;
  return true;
}

/**
 * RegisterMinion's result for `input` when it is a plain minion (an untrimmed-safe sn, IPv4
 * addresses, texts within their limits and free of control characters and surrogates), or
 * undefined: then RegisterMinion.safeParse decides.
 */
export function checkPlainMinion(input: unknown): RegisterMinion | undefined {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return undefined;
  const { sn, status, ips, id, serial, uuid, os, saltversion } = input as Record<string, unknown>;
  // sn is trimmed by the contract: only an sn with nothing to trim is taken here.
  if (!plainText(sn, MINION_LIMITS.text) || sn.length === 0 || sn.trim() !== sn) return undefined;
  if (status !== 'running' && status !== 'stopped') return undefined;
  if (ips !== undefined && !plainIps(ips)) return undefined;
  if (id !== undefined && !plainText(id, MINION_LIMITS.text)) return undefined;
  if (serial !== undefined && !plainText(serial, MINION_LIMITS.text)) return undefined;
  if (uuid !== undefined && !plainText(uuid, MINION_LIMITS.text)) return undefined;
  if (os !== undefined && !plainText(os, MINION_LIMITS.text)) return undefined;
  if (saltversion !== undefined && !plainText(saltversion, MINION_LIMITS.saltversion)) return undefined;
  // A parsed JSON object (plain data: the route's body parser made it) that holds nothing but
  // contract fields is what zod would return, a copy of the same fields and values: taken as it
  // is, without 10,000 copies to collect afterwards.
  if (ips !== undefined && Object.getPrototypeOf(input) === Object.prototype) {
    const fields = 3 + +(id !== undefined) + +(serial !== undefined) + +(uuid !== undefined) + +(os !== undefined) + +(saltversion !== undefined);
    let keys = 0;
    for (const key in input) if (Object.hasOwn(input, key)) keys += 1;
    if (keys === fields) return input as RegisterMinion;
  }
  const minion: RegisterMinion = { sn, status, ips: ips === undefined ? [] : ips };
  if (id !== undefined) minion.id = id;
  if (serial !== undefined) minion.serial = serial;
  if (uuid !== undefined) minion.uuid = uuid;
  if (os !== undefined) minion.os = os;
  if (saltversion !== undefined) minion.saltversion = saltversion;
  return minion;
}
