/**
 * Execution modules the simulated minions answer. Unknown functions answer like a real minion does:
 * the string `'<fun>' is not available.` with retcode 1 and the `nested` outputter (capture 103).
 */
import type { Fleet } from './fleet.js';
import { renderJinja, runShell } from './shell.js';
import type { Grains, SimMinion } from './types.js';

export interface MinionReturn {
  ret: unknown;
  /** The outputter salt names in full returns and job results (`nested` for grains). */
  out?: string;
  retcode: number;
  /** Simulated seconds the function itself took (`sleep` in a command). */
  tookS?: number;
}

type MinionFunction = (m: SimMinion, args: unknown[], kwargs: Record<string, unknown>, fleet: Fleet) => MinionReturn;

/** `salt.utils.data.traverse_dict_and_list`: `a:b:0` walks dicts and list indexes. */
export function traverse(grains: Grains, key: string, fallback: unknown, delimiter: string): unknown {
  let node: unknown = grains;
  for (const part of key.split(delimiter)) {
    if (Array.isArray(node)) {
      const index = Number(part);
      if (!Number.isInteger(index) || index < 0 || index >= node.length) return fallback;
      node = node[index];
    } else if (node !== null && typeof node === 'object' && part in (node as Grains)) {
      node = (node as Grains)[part];
    } else {
      return fallback;
    }
  }
  return node;
}

const ok = (ret: unknown, out?: string): MinionReturn => (out ? { ret, out, retcode: 0 } : { ret, retcode: 0 });

const FUNCTIONS: Record<string, MinionFunction> = {
  'test.ping': () => ok(true),
  'test.true': () => ok(true),
  'test.version': (m) => ok(m.grains.saltversion ?? '3006.10'),
  'test.echo': (_m, args) => ok(args[0] ?? '', 'nested'),
  // A grain the minion lacks comes back as "" (captures 14, 18: serialnumber, uuid).
  'grains.item': (m, args, kwargs) => {
    const delimiter = typeof kwargs.delimiter === 'string' ? kwargs.delimiter : ':';
    const fallback = 'default' in kwargs ? kwargs.default : '';
    const ret: Grains = {};
    for (const arg of args) ret[String(arg)] = traverse(m.grains, String(arg), fallback, delimiter);
    return ok(ret, 'nested');
  },
  'grains.items': (m, _args, _kwargs, fleet) => ok(fleet.grainsRaw(m), 'nested'),
  'grains.get': (m, args, kwargs) => {
    const key = String(args[0] ?? kwargs.key ?? '');
    const fallback = args[1] ?? kwargs.default ?? '';
    const delimiter = typeof kwargs.delimiter === 'string' ? kwargs.delimiter : ':';
    return ok(traverse(m.grains, key, fallback, delimiter), 'nested');
  },
  'grains.ls': (m) => ok(Object.keys(m.grains).sort(), 'nested'),
  'saltutil.find_job': () => ok({}, 'nested'),
  // cmd.run merges stderr into its answer; cmd.run_all returns both with the retcode inside (110).
  'cmd.run': (m, args, kwargs) => {
    const r = runShell(command(m, args, kwargs));
    return { ret: [r.stdout, r.stderr].filter((s) => s !== '').join('\n'), retcode: r.retcode, tookS: r.sleptS };
  },
  'cmd.run_all': (m, args, kwargs) => {
    const r = runShell(command(m, args, kwargs));
    return { ret: { pid: pidOf(m.id), retcode: r.retcode, stdout: r.stdout, stderr: r.stderr }, retcode: r.retcode, tookS: r.sleptS };
  },
};

function command(m: SimMinion, args: unknown[], kwargs: Record<string, unknown>): string {
  const cmd = String(args[0] ?? kwargs.cmd ?? '');
  return kwargs.template === 'jinja' ? renderJinja(cmd, m.grains) : cmd;
}

/** A plausible, stable pid per minion. */
function pidOf(id: string): number {
  let h = 0;
  for (const c of id) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return 1000 + (h % 60000);
}

export function callMinion(fun: string, m: SimMinion, args: unknown[], kwargs: Record<string, unknown>, fleet: Fleet): MinionReturn {
  const f = FUNCTIONS[fun];
  return f ? f(m, args, kwargs, fleet) : { ret: `'${fun}' is not available.`, out: 'nested', retcode: 1 };
}
