import { dottedIpv4Head, MAX_SN_LENGTH } from '@act2/shared';
import type { FastifySchemaCompiler } from 'fastify';
import { validatorCompiler } from 'fastify-type-provider-zod';

type HttpPart = 'params' | 'querystring' | 'body';

/**
 * A route's validator compiler for its hot path: `quick` is a hand check that answers `{ value }`
 * only for input the route's zod schema takes, with the value zod would give; for anything else it
 * answers undefined and zod judges, with the same errors, as it does every other part of the
 * request. A zod parse of a read's params costs about half a microsecond, a tenth of what a hot
 * read spends of its own; of a job's 10,000 sns, 10–40 ms.
 */
export function quickValidator(part: HttpPart, quick: (data: unknown) => { value: unknown } | undefined): FastifySchemaCompiler<unknown> {
  return (route) => {
    const full = (validatorCompiler as FastifySchemaCompiler<unknown>)(route);
    if (route.httpPart !== part) return full;
    return (data) => quick(data) ?? full(data);
  };
}

/** A hand check for `quickValidator` from a test that says yes only to input zod takes unchanged. */
export function unchanged(accepts: (data: unknown) => boolean): (data: unknown) => { value: unknown } | undefined {
  return (data) => (accepts(data) ? { value: data } : undefined);
}

/** True when `data` is an object with `name` as its only own key. */
export function onlyKey(data: unknown, name: string): data is Record<string, unknown> {
  if (typeof data !== 'object' || data === null) return false;
  let keys = 0;
  for (const key in data) {
    if (!Object.hasOwn(data, key)) continue;
    if (key !== name) return false;
    keys += 1;
  }
  return keys === 1;
}

/**
 * `{ sn }` that SnParams takes unchanged: 1–255 printable ASCII characters without spaces (nothing
 * to trim, no control character, well-formed). Other sns are SnParams' to judge.
 */
export function plainSnParams(data: unknown): boolean {
  return onlyKey(data, 'sn') && plainSn(data.sn);
}

/** An sn the contract's sn rule (1–255 characters, trimmed, single line) takes unchanged: printable ASCII without spaces. */
export function plainSn(sn: unknown): sn is string {
  if (typeof sn !== 'string' || sn.length === 0 || sn.length > MAX_SN_LENGTH) return false;
  for (let i = 0; i < sn.length; i += 1) {
    const c = sn.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

/** `{ ip }` with a dotted IPv4 address, which LookupQuery takes unchanged; IPv6 is LookupQuery's to judge. */
export function dottedIpv4Query(data: unknown): boolean {
  return onlyKey(data, 'ip') && typeof data.ip === 'string' && dottedIpv4Head(data.ip) >= 0;
}
