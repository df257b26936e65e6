import type { RegisterRequest } from '@act2/shared';
import secureJsonParse from 'secure-json-parse';
import { jsonShapeProblem, shapeError, type JsonShapeLimits } from '../http/json-shape.js';
import type { Member } from '../minions/membership.js';
import { normalizeMinions } from './diff.js';
import { membershipDigest } from './digest.js';
import { validateRegistration } from './validate.js';

/** What a registration body must stay within, as the HTTP layer checks it (app.ts). */
export interface PrepareLimits {
  shape: JsonShapeLimits;
  maxMinions: number;
}

/** A registration body parsed, validated and normalised (by the registration worker, see worker.ts). */
export interface Prepared {
  /** The registration without its minions (`minions` is empty). */
  envelope: RegisterRequest;
  /** Minions listed in the body, repeats included. */
  listed: number;
  /** The normalised set sorted by sn, for a `running` registration. */
  members: Member[] | undefined;
  digest: string | undefined;
}

/** The body is not JSON (or carries `__proto__` / `constructor.prototype`): fastify's own 400. */
export class InvalidJsonBody extends Error {
  constructor() {
    super('Body is not valid JSON');
    this.name = 'InvalidJsonBody';
  }
}

/**
 * Everything the HTTP layer and the route do to a registration body before storing it, in one
 * synchronous-minded pass: the structure check (413), fastify's JSON parse with prototype
 * poisoning refused, the registration's validation (413 for too many minions, a bounded 400),
 * normalising and the digest. The same checks in the same order, so the answers are the same.
 */
export async function prepareRegistration(bytes: Uint8Array, limits: PrepareLimits): Promise<Prepared> {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  const problem = jsonShapeProblem(text, limits.shape);
  if (problem !== undefined) throw shapeError(problem, limits.shape);
  let body: unknown;
  try {
    body = secureJsonParse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
  } catch {
    throw new InvalidJsonBody();
  }
  let request: RegisterRequest;
  try {
    request = await validateRegistration(body, { maxMinions: limits.maxMinions });
  } catch (err) {
    // The rejection is logged with the master it names.
    throw Object.assign(err as Error, { claimedSn: claimedSn(body) });
  }
  const members = request.master.status === 'running' ? normalizeMinions(request.minions) : undefined;
  return {
    envelope: { ...request, minions: [] },
    listed: request.minions.length,
    members,
    digest: members === undefined ? undefined : membershipDigest(members),
  };
}

/** The master sn a body names, when it parsed that far (logged with a rejection). */
export function claimedSn(body: unknown): string | undefined {
  const sn = (body as { master?: { sn?: unknown } } | null | undefined)?.master?.sn;
  return typeof sn === 'string' ? sn : undefined;
}
