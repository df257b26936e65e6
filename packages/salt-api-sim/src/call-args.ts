/**
 * How salt turns a runner lowstate into a Python call (RunnerClient._reformat_low, load_args_and_kwargs):
 * positional `arg` (with `name=value` strings turned into kwargs), then `kwarg`, then any other top-level
 * key (those win). Unknown kwargs are dropped unless the function takes **kwargs; a bad call is a Python
 * TypeError, which the runner mixin turns into the 200 "Passed invalid arguments" string.
 */
import { parse as parseYaml } from 'yaml';

export interface PySignature {
  name: string;
  /** Parameters in order; `required` ones have no default. */
  params: Array<{ name: string; required?: boolean; default?: unknown }>;
  varKwargs?: boolean;
  doc: string;
}

export class PyTypeError extends Error {}

const RESERVED = new Set(['fun', 'username', 'password', 'eauth', 'token', 'client', 'user', 'key', 'arg', 'kwarg', 'timeout', 'full_return']);
const KW_ARG = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s;

/** `yamlify_arg`: `timeout=1` gives the number 1, not the string. */
function yamlify(text: string): unknown {
  try {
    return parseYaml(text) ?? text;
  } catch {
    return text;
  }
}

/** `salt.utils.args.parse_input(args, condition=False)`: `name=value` strings become kwargs. */
function parseInput(args: unknown[]): { args: unknown[]; kwargs: Record<string, unknown> } {
  const out: unknown[] = [];
  const kwargs: Record<string, unknown> = {};
  for (const a of args) {
    const m = typeof a === 'string' ? KW_ARG.exec(a) : null;
    if (m?.[1] !== undefined) kwargs[m[1]] = yamlify(m[2] ?? '');
    else out.push(a);
  }
  return { args: out, kwargs };
}

/** Positional args and kwargs of a runner chunk, before binding to a signature. */
export function runnerCallArgs(low: Record<string, unknown>): { args: unknown[]; kwargs: Record<string, unknown> } {
  const rawArgs = Array.isArray(low.arg) ? low.arg : low.arg === undefined ? [] : [low.arg];
  const parsed = parseInput(rawArgs);
  const kwargs: Record<string, unknown> = { ...parsed.kwargs };
  if (low.kwarg && typeof low.kwarg === 'object' && !Array.isArray(low.kwarg)) Object.assign(kwargs, low.kwarg);
  for (const [k, v] of Object.entries(low)) if (!RESERVED.has(k)) kwargs[k] = v;
  return { args: parsed.args, kwargs };
}

function quoteList(names: string[]): string {
  const q = names.map((n) => `'${n}'`);
  return q.length <= 1 ? (q[0] ?? '') : `${q.slice(0, -1).join(', ')} and ${q[q.length - 1]}`;
}

/** Binds like Python would, raising PyTypeError with CPython 3.10's messages. */
export function bindCall(sig: PySignature, args: unknown[], kwargs: Record<string, unknown>): Record<string, unknown> {
  const params = sig.params;
  if (args.length > params.length) {
    const required = params.filter((p) => p.required).length;
    const takes = required === params.length ? `${params.length}` : `from ${required} to ${params.length}`;
    const plural = params.length === 1 && required === params.length ? 'argument' : 'arguments';
    throw new PyTypeError(`${sig.name}() takes ${takes} positional ${plural} but ${args.length} were given`);
  }
  const bound: Record<string, unknown> = {};
  params.forEach((p, i) => {
    if (i < args.length) bound[p.name] = args[i];
  });
  for (const [k, v] of Object.entries(kwargs)) {
    const known = params.some((p) => p.name === k);
    if (!known && !sig.varKwargs) continue;
    if (k in bound) throw new PyTypeError(`${sig.name}() got multiple values for argument '${k}'`);
    bound[k] = v;
  }
  const missing = params.filter((p) => p.required && !(p.name in bound)).map((p) => p.name);
  if (missing.length > 0) {
    const noun = missing.length === 1 ? 'argument' : 'arguments';
    throw new PyTypeError(`${sig.name}() missing ${missing.length} required positional ${noun}: ${quoteList(missing)}`);
  }
  for (const p of params) if (!(p.name in bound)) bound[p.name] = p.default;
  return bound;
}

/** The string `salt/client/mixins.py` returns (with HTTP 200) when a runner is called wrongly. */
export function invalidArgumentsText(err: PyTypeError, sig: PySignature): string {
  return `\nPassed invalid arguments: ${err.message}\n\nUsage:\n${sig.doc}`;
}
