/**
 * JSON bytes exactly as salt-api writes them: `salt.utils.json.dumps` → Python's `json.dumps` with the
 * default `", "` / `": "` separators. Salt's wrapper defaults `ensure_ascii` to False (salt/utils/json.py),
 * so non-ASCII text goes out as raw UTF-8; `ensureAscii: true` gives the plain-Python `\uXXXX` form.
 *
 * Two writers: `pyJson` walks any value (PyFloat, Map, RawJson); `plainPyJson` is the fast path for
 * JSON-shaped data such as grains: V8's JSON.stringify, then one byte pass adding Python's spaces.
 * Big responses are assembled from cached `RawJson` buffers (one per minion) by `pyJsonBuffer`.
 */

/** A Python float: JS cannot tell `1.0` from `1`, so values that salt sends as floats are wrapped. */
export class PyFloat {
  constructor(readonly value: number) {}
}

/** An already serialised JSON fragment, written verbatim; `value` is what other formats (YAML) use. */
export class RawJson {
  constructor(
    readonly json: Buffer,
    readonly value: unknown,
  ) {}
}

export interface PyJsonOptions {
  /** Escape every non-ASCII character as `\uXXXX` (Python's default; salt turns it off). */
  ensureAscii?: boolean;
}

/** Python `repr(float)`: shortest round-trip digits, exponent form outside 1e-4 <= |x| < 1e16. */
export function pyFloatRepr(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const [mantissa = '0', expText = '0'] = value.toExponential().split('e');
  const exp = Number(expText);
  if (exp < -4 || exp >= 16) {
    const abs = Math.abs(exp);
    return `${mantissa}e${exp < 0 ? '-' : '+'}${abs < 10 ? `0${abs}` : abs}`;
  }
  const text = String(value);
  return text.includes('.') ? text : `${text}.0`;
}

const NON_ASCII = /[\u007f-\uffff]/g;

/** Python escapes the same characters as JSON.stringify (`"`, `\`, controls) when ensure_ascii is off. */
function quote(s: string, ascii: boolean): string {
  const q = JSON.stringify(s);
  return ascii ? q.replace(NON_ASCII, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) : q;
}

/** Safe integers are Python ints; anything else can only have been a float. */
function writeNumber(n: number): string {
  return Number.isSafeInteger(n) ? String(n) : pyFloatRepr(n);
}

interface Sink {
  parts: Buffer[];
  cur: string;
}

function write(value: unknown, ascii: boolean, sink: Sink): void {
  if (value === null || value === undefined) {
    sink.cur += 'null';
    return;
  }
  switch (typeof value) {
    case 'string':
      sink.cur += quote(value, ascii);
      return;
    case 'boolean':
      sink.cur += value ? 'true' : 'false';
      return;
    case 'number':
      sink.cur += writeNumber(value);
      return;
    case 'bigint':
      sink.cur += value.toString();
      return;
    default:
      break;
  }
  if (value instanceof RawJson) {
    if (sink.cur) sink.parts.push(Buffer.from(sink.cur));
    sink.cur = '';
    sink.parts.push(value.json);
    return;
  }
  if (value instanceof PyFloat) {
    sink.cur += pyFloatRepr(value.value);
    return;
  }
  if (Array.isArray(value)) {
    sink.cur += '[';
    value.forEach((item, i) => {
      if (i > 0) sink.cur += ', ';
      write(item, ascii, sink);
    });
    sink.cur += ']';
    return;
  }
  const entries = value instanceof Map ? value.entries() : Object.entries(value as Record<string, unknown>);
  sink.cur += '{';
  let first = true;
  for (const [k, v] of entries) {
    sink.cur += `${first ? '' : ', '}${quote(String(k), ascii)}: `;
    first = false;
    write(v, ascii, sink);
  }
  sink.cur += '}';
}

/** Serialise like `salt.utils.json.dumps(value)` into bytes (objects keep insertion order; Map = dict). */
export function pyJsonBuffer(value: unknown, options: PyJsonOptions = {}): Buffer {
  const sink: Sink = { parts: [], cur: '' };
  write(value, options.ensureAscii ?? false, sink);
  if (sink.parts.length === 0) return Buffer.from(sink.cur);
  if (sink.cur) sink.parts.push(Buffer.from(sink.cur));
  return Buffer.concat(sink.parts);
}

/** Serialise like `salt.utils.json.dumps(value)`. */
export function pyJson(value: unknown, options: PyJsonOptions = {}): string {
  return pyJsonBuffer(value, options).toString('utf8');
}

const COMMA = 0x2c;
const COLON = 0x3a;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** JSON.stringify and Python disagree on tiny floats (`0.00001` / `1e-05`) and unsafe integers. */
function numberFixup(token: string): string | undefined {
  const needs = token.includes('e') || /^-?0\.0000/.test(token) || (/^-?\d{16,}$/.test(token) && !Number.isSafeInteger(Number(token)));
  return needs ? writeNumber(Number(token)) : undefined;
}

function isNumberByte(c: number | undefined): boolean {
  return c !== undefined && ((c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x2d || c === 0x2b || c === 0x65 || c === 0x45);
}

// Byte classes outside strings: 1 opens a string, 2 is a separator, 3 starts a number.
const CLASS = new Uint8Array(256);
CLASS[QUOTE] = 1;
CLASS[COMMA] = 2;
CLASS[COLON] = 2;
CLASS[0x2d] = 3;
for (let d = 0x30; d <= 0x39; d++) CLASS[d] = 3;

/**
 * Fast path for JSON-shaped data (what JSON.parse returns: no PyFloat, Map or RawJson inside).
 * In UTF-8, `"` and `\` never occur inside multi-byte sequences, so strings are copied byte-wise up to
 * their closing quote and only the bytes between them are looked at.
 */
export function plainPyJson(value: unknown, options: PyJsonOptions = {}): Buffer {
  const json = JSON.stringify(value) ?? 'null';
  const text = options.ensureAscii
    ? json.replace(NON_ASCII, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
    : json;
  const src = Buffer.from(text);
  const n = src.length;
  // At most one space per source byte; the result is copied to a right-sized buffer at the end.
  const out = Buffer.allocUnsafe(n * 2 + 16);
  let o = 0;
  let i = 0;
  while (i < n) {
    const c = src[i] as number;
    const cls = CLASS[c];
    if (cls === 1) {
      out[o++] = c;
      i++;
      for (;;) {
        const d = src[i++] as number;
        out[o++] = d;
        if (d === QUOTE) break;
        if (d === BACKSLASH) out[o++] = src[i++] as number;
      }
    } else if (cls === 3) {
      let j = i + 1;
      let suspicious = false;
      while (j < n && isNumberByte(src[j])) {
        if (src[j] === 0x65 || src[j] === 0x45 || (src[j] === 0x2e && src[j + 1] === 0x30)) suspicious = true;
        j++;
      }
      if (suspicious || j - i >= 16) {
        const token = src.toString('latin1', i, j);
        o += out.write(numberFixup(token) ?? token, o, 'latin1');
      } else {
        while (i < j) out[o++] = src[i++] as number;
      }
      i = j;
    } else {
      out[o++] = c;
      i++;
      if (cls === 2) out[o++] = 0x20;
    }
  }
  return Buffer.from(out.subarray(0, o));
}
