/**
 * external_auth permission checks as the master makes them (salt/utils/minions.py): `match_check`
 * (re.match, anchored at the start only), `spec_check` for runner/wheel (`@runner`, `@runners`,
 * `@<module>`, or `{ "@runner": [...] }`), `auth_check` for local calls with target-limited entries.
 */
import { matchMinions } from './targeting.js';
import type { Perm, SimMinion } from './types.js';

function reMatch(regex: string, fun: string): boolean {
  try {
    return new RegExp(`^(?:${regex})`).test(fun);
  } catch {
    return false;
  }
}

function funCheck(allowed: unknown, fun: string): boolean {
  const list = Array.isArray(allowed) ? allowed : [allowed];
  return list.some((entry) => typeof entry === 'string' && reMatch(entry, fun));
}

/** `spec_check(auth_list, fun, args, form)` for form `runner` / `wheel`. */
export function specCheck(perms: readonly Perm[], fun: string, form: 'runner' | 'wheel'): boolean {
  const [mod, name] = fun.split('.');
  for (const perm of perms) {
    if (typeof perm === 'string') {
      if (perm.startsWith('@') && (perm.slice(1) === mod || perm.slice(1) === form || perm === `@${form}s`)) return true;
      continue;
    }
    const keys = Object.keys(perm);
    const valid = keys[0];
    if (keys.length !== 1 || valid === undefined || !valid.startsWith('@')) continue;
    if (valid.slice(1) === mod && funCheck(perm[valid], name ?? '')) return true;
    if ((valid.slice(1) === form || valid === `@${form}s`) && funCheck(perm[valid], fun)) return true;
  }
  return false;
}

/** `auth_check` for a local call: a bare regex allows any target; `{tgt: [funs]}` only a subset of it. */
export function localAllowed(perms: readonly Perm[], fun: string, fleet: readonly SimMinion[], targeted: readonly SimMinion[]): boolean {
  if (fun === 'saltutil.find_job') return true;
  for (const perm of perms) {
    if (typeof perm === 'string') {
      if (reMatch(perm, fun)) return true;
      continue;
    }
    const keys = Object.keys(perm);
    const valid = keys[0];
    if (keys.length !== 1 || valid === undefined) continue;
    const allowedIds = new Set(matchMinions(fleet, valid, 'compound').map((m) => m.id));
    if (targeted.every((m) => allowedIds.has(m.id)) && funCheck(perm[valid], fun)) return true;
  }
  return false;
}

/** `netapi.sorted_permissions`: strings deduplicated and sorted, then the dict entries. */
export function sortedPermissions(perms: readonly Perm[]): Perm[] {
  const strings = [...new Set(perms.filter((p): p is string => typeof p === 'string'))].sort();
  const dicts = perms.filter((p) => typeof p !== 'string');
  return [...strings, ...dicts];
}
