/**
 * Salt's minion targeting (salt/utils/minions.py CkMinions) over the simulated key list: glob (fnmatch),
 * list, pcre (re.match: anchored at the start only), grain (`key:glob`, case-insensitive), and a small
 * compound matcher (`G@`, `L@`, `E@`, globs, and/or/not, parentheses). Down minions are matched too: salt
 * targets accepted keys and cached grains, and reports the silent ones as `false`.
 */
import type { Grains, SimMinion } from './types.js';

const globCache = new Map<string, RegExp>();

/** Python `fnmatch.translate` for `*`, `?`, `[seq]`, `[!seq]`. */
export function globToRegExp(pattern: string, flags = ''): RegExp {
  const key = `${flags}/${pattern}`;
  const hit = globCache.get(key);
  if (hit) return hit;
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] ?? '';
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const close = pattern.indexOf(']', i + 2);
      if (close === -1) re += '\\[';
      else {
        let body = pattern.slice(i + 1, close).replace(/\\/g, '\\\\');
        if (body.startsWith('!')) body = `^${body.slice(1)}`;
        else if (body.startsWith('^')) body = `\\${body}`;
        re += `[${body}]`;
        i = close;
      }
    } else re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  const compiled = new RegExp(`^(?:${re})$`, `s${flags}`);
  if (globCache.size > 1000) globCache.clear();
  globCache.set(key, compiled);
  return compiled;
}

export function globMatch(value: string, pattern: string): boolean {
  return pattern === '*' || globToRegExp(pattern).test(value);
}

function pcre(expr: string): RegExp | undefined {
  try {
    return new RegExp(`^(?:${expr})`);
  } catch {
    return undefined;
  }
}

/** `salt.utils.data.subdict_match` with fnmatch on lower-cased values (grain targeting). */
export function grainMatch(grains: Grains, expr: string, regex = false): boolean {
  const parts = expr.split(':');
  for (let idx = 1; idx < parts.length; idx++) {
    let node: unknown = grains;
    for (const key of parts.slice(0, idx)) {
      node = node !== null && typeof node === 'object' && !Array.isArray(node) ? (node as Grains)[key] : undefined;
    }
    if (node === undefined) continue;
    const pattern = parts.slice(idx).join(':');
    const values = Array.isArray(node) ? node : [node];
    const test = regex
      ? (v: unknown) => pcre(pattern)?.test(String(v)) ?? false
      : (v: unknown) => globToRegExp(pattern.toLowerCase()).test(String(v).toLowerCase());
    if (values.some(test)) return true;
  }
  return false;
}

function listIds(tgt: unknown): string[] {
  if (Array.isArray(tgt)) return tgt.map(String);
  return typeof tgt === 'string' ? tgt.split(',').filter(Boolean) : [];
}

function compoundMatcher(expr: string): (m: SimMinion) => boolean {
  const tokens = expr.replace(/\(/g, ' ( ').replace(/\)/g, ' ) ').split(/\s+/).filter(Boolean);
  let pos = 0;
  const atom = (): ((m: SimMinion) => boolean) => {
    const t = tokens[pos++] ?? '';
    if (t === 'not') {
      const inner = atom();
      return (m) => !inner(m);
    }
    if (t === '(') {
      const inner = orExpr();
      pos++;
      return inner;
    }
    if (t.startsWith('G@')) return (m) => grainMatch(m.grains, t.slice(2));
    if (t.startsWith('P@')) return (m) => grainMatch(m.grains, t.slice(2), true);
    if (t.startsWith('L@')) {
      const ids = new Set(listIds(t.slice(2)));
      return (m) => ids.has(m.id);
    }
    if (t.startsWith('E@')) return (m) => pcre(t.slice(2))?.test(m.id) ?? false;
    return (m) => globMatch(m.id, t);
  };
  const andExpr = (): ((m: SimMinion) => boolean) => {
    let left = atom();
    while (tokens[pos] === 'and') {
      pos++;
      const l = left;
      const r = atom();
      left = (m) => l(m) && r(m);
    }
    return left;
  };
  const orExpr = (): ((m: SimMinion) => boolean) => {
    let left = andExpr();
    while (tokens[pos] === 'or') {
      pos++;
      const l = left;
      const r = andExpr();
      left = (m) => l(m) || r(m);
    }
    return left;
  };
  return orExpr();
}

/**
 * The minions a target selects, in salt's order: key-list order, except `list` targets, which keep the
 * order they were given in (CkMinions._check_list_minions).
 */
export function matchMinions(fleet: readonly SimMinion[], tgt: unknown, tgtType: unknown = 'glob'): SimMinion[] {
  const type = typeof tgtType === 'string' ? tgtType : 'glob';
  if (type === 'list') {
    const byId = new Map(fleet.map((m) => [m.id, m]));
    const seen = new Set<string>();
    const out: SimMinion[] = [];
    for (const id of listIds(tgt)) {
      const m = byId.get(id);
      if (m && !seen.has(id)) {
        seen.add(id);
        out.push(m);
      }
    }
    return out;
  }
  if (typeof tgt !== 'string') return [];
  if (type === 'glob') return tgt === '*' ? [...fleet] : fleet.filter((m) => globMatch(m.id, tgt));
  if (type === 'pcre') {
    const re = pcre(tgt);
    return re ? fleet.filter((m) => re.test(m.id)) : [];
  }
  if (type === 'grain') return fleet.filter((m) => grainMatch(m.grains, tgt));
  if (type === 'grain_pcre') return fleet.filter((m) => grainMatch(m.grains, tgt, true));
  if (type === 'compound') {
    const match = compoundMatcher(tgt);
    return fleet.filter(match);
  }
  return [];
}
