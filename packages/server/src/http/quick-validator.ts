import { dottedIpv4Head } from '@act2/shared';
import type { FastifySchemaCompiler } from 'fastify';
import { validatorCompiler } from 'fastify-type-provider-zod';

type HttpPart = 'params' | 'querystring';

/**
 * A route's validator compiler for its hot path: `accepts` is a hand check that says yes only to
 * input the route's zod schema accepts unchanged (so it can be used as it is); everything else,
 * and every other part of the request, is judged by zod as before, with the same errors. A zod
 * parse costs about half a microsecond per request, a tenth of what a hot read spends of its own.
 */
export function quickValidator(part: HttpPart, accepts: (data: unknown) => boolean): FastifySchemaCompiler<unknown> {
  return (route) => {
    const full = (validatorCompiler as FastifySchemaCompiler<unknown>)(route);
    if (route.httpPart !== part) return full;
    return (data) => (accepts(data) ? { value: data } : full(data));
  };
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
  if (typeof sn !== 'string' || sn.length === 0 || sn.length > 255) return false;
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
