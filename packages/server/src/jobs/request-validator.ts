/**
 * `POST /api/v1/jobs`' body validator. A job to 10,000 minions is mostly its target list, and zod
 * checks 10,000 sns in 10–40 ms: a list of plain sns (those the contract takes unchanged) is checked
 * here by hand and the rest of the body by `JobRequest` itself without its target, so what is valid
 * is still defined once, in @act2/shared. Any other body (IPs, an sn zod would trim or refuse, extra
 * keys, an invalid field) is judged by `JobRequest` whole, with its errors.
 */
import { JobRequest, MAX_JOB_TARGETS } from '@act2/shared';
import { onlyKey, plainSn, quickValidator } from '../http/quick-validator.js';

const JobRequestBesidesTarget = JobRequest.omit({ target: true });

/** `{ minions: [sn…] }` that `JobTarget` takes unchanged: 1 to MAX_JOB_TARGETS plain sns (duplicates allowed, as zod allows them). */
export function plainMinionsTarget(target: unknown): target is { minions: string[] } {
  if (!onlyKey(target, 'minions')) return false;
  const minions = target.minions;
  if (!Array.isArray(minions) || minions.length === 0 || minions.length > MAX_JOB_TARGETS) return false;
  // A hole (not from JSON) reads as undefined and is refused.
  for (let i = 0; i < minions.length; i += 1) if (!plainSn(minions[i])) return false;
  return true;
}

/** The body `JobRequest` would give for a plain-sn target, or undefined (then `JobRequest` judges it whole, with its errors). */
function quickJobRequest(data: unknown): { value: unknown } | undefined {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
  const target = (data as { target?: unknown }).target;
  if (!plainMinionsTarget(target)) return undefined;
  const rest = JobRequestBesidesTarget.safeParse(data);
  if (!rest.success) return undefined;
  return { value: { target: { minions: target.minions }, ...rest.data } };
}

export const jobRequestValidator = quickValidator('body', quickJobRequest);
