import { dottedIpv4Head } from '@act2/shared';
import { z } from 'zod';

// The same checks as the wire contract's IpAddress, so the server never rejects what we send.
// z.ipv4() is only its pattern: read by @act2/shared's dottedIpv4Head in one pass (20,000 minions ×
// a few addresses each). z.ipv6() checks more than a pattern, and IPv6 is rare: parsed.
const Ipv6 = z.ipv6();

/**
 * An address worth reporting: a valid dotted IPv4 that is not loopback (127.0.0.0/8), link-local
 * (169.254.0.0/16) or 0.0.0.0. heartbeat.py's `ip not in ('127.0.0.1')` was a substring test that
 * also dropped 27.0.0.1 or 7.0.0.1; this compares whole octets.
 */
export function isReportableIpv4(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const head = dottedIpv4Head(value);
  if (head < 0 || head >> 8 === 127 || head === 169 * 256 + 254) return false;
  return value !== '0.0.0.0';
}

/** An IPv6 address worth reporting: not loopback, unspecified or link-local (fe80::/10), no zone. */
export function isReportableIpv6(value: unknown): value is string {
  if (typeof value !== 'string' || value.includes('%') || !Ipv6.safeParse(value).success) return false;
  const lower = value.toLowerCase();
  if (lower === '::1' || lower === '::' || /^0*:(0*:)*0*1$/.test(lower)) return false;
  return !/^fe[89ab][0-9a-f]?:/.test(lower);
}

/**
 * Either family, with the filters above (IPv4-mapped IPv6 is judged as its IPv4). The family is
 * picked by the colon first: a failed zod check builds an error, and a Puppet fleet has one IPv6
 * address or more per interface.
 */
export function isReportableIp(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  if (!value.includes(':')) return isReportableIpv4(value);
  if (/^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(value)) return isReportableIpv4(value.slice(7));
  return isReportableIpv6(value);
}

/** Compiles interface globs (`virbr*`, `veth?`) into one anchored regular expression; `lo` always matches. */
export function interfaceMatcher(globs: readonly string[]): (name: string) => boolean {
  const patterns = ['lo', ...globs].map((glob) =>
    glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.'),
  );
  const regex = new RegExp(`^(?:${patterns.join('|')})$`);
  return (name) => regex.test(name);
}
