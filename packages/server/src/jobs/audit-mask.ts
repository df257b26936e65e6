/**
 * The audit copy of a job's call: values of keys that look like secrets are masked, in `kwarg` and in
 * salt's `key=value` args (which salt itself turns into kwargs). The real values are only kept sealed.
 */
const SECRET_KEY = /pass|secret|token|key|credential|auth|private/i;
export const MASK = '***';

function maskValue(value: unknown, depth = 0): unknown {
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => maskValue(v, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SECRET_KEY.test(k) ? MASK : maskValue(v, depth + 1)]));
}

export function maskKwarg(kwarg: Record<string, unknown>): Record<string, unknown> {
  return maskValue(kwarg) as Record<string, unknown>;
}

export function maskArgs(args: readonly unknown[]): unknown[] {
  return args.map((arg) => {
    if (typeof arg === 'string') {
      const eq = /^([A-Za-z_]\w*)=/.exec(arg);
      return eq?.[1] && SECRET_KEY.test(eq[1]) ? `${eq[1]}=${MASK}` : arg;
    }
    return maskValue(arg);
  });
}
