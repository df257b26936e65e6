/**
 * YAML bytes as salt-api writes them for `Accept: application/x-yaml`:
 * `salt.utils.yaml.safe_dump(data, default_flow_style=False)` = PyYAML SafeDumper, block style, keys sorted,
 * 2-space indent, sequences inside mappings not indented, scalars folded past column 80.
 */
import { PyFloat, RawJson, pyFloatRepr } from './py-json.js';
import { YamlWriter, chooseStyle, writeDoubleQuoted, writePlain, writeSingleQuoted } from './yaml-scalar.js';

type Entries = Array<[string, unknown]>;

function unwrap(value: unknown): unknown {
  return value instanceof RawJson ? unwrap(value.value) : value;
}

function mappingEntries(value: unknown): Entries | undefined {
  if (value instanceof Map) return [...value].map(([k, v]) => [String(k), v]);
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof PyFloat)) {
    return Object.entries(value as Record<string, unknown>);
  }
  return undefined;
}

function floatText(n: number): string {
  if (Number.isNaN(n)) return '.nan';
  if (n === Infinity) return '.inf';
  if (n === -Infinity) return '-.inf';
  const text = pyFloatRepr(n).toLowerCase();
  // PyYAML's represent_float: `1e+16` is not a valid !!float, so it becomes `1.0e+16`.
  return !text.includes('.') && text.includes('e') ? text.replace('e', '.0e') : text;
}

/** Non-string scalars are always plain; strings go through PyYAML's style choice. */
function writeScalar(w: YamlWriter, value: unknown, indent: number, simpleKey: boolean): void {
  if (typeof value !== 'string') {
    let text: string;
    if (value === null || value === undefined) text = 'null';
    else if (typeof value === 'boolean') text = value ? 'true' : 'false';
    else if (value instanceof PyFloat) text = floatText(value.value);
    else if (typeof value === 'number') text = Number.isInteger(value) ? String(value) : floatText(value);
    else text = String(value);
    w.write(text);
    return;
  }
  const chars = Array.from(value);
  const style = chooseStyle(chars, simpleKey);
  const split = !simpleKey;
  if (style === 'plain') writePlain(w, chars, indent, split);
  else if (style === 'single') writeSingleQuoted(w, chars, indent, split);
  else writeDoubleQuoted(w, chars, indent, split);
}

function isCollection(value: unknown): boolean {
  return Array.isArray(value) || mappingEntries(value) !== undefined;
}

function isEmptyCollection(value: unknown): string | undefined {
  if (Array.isArray(value)) return value.length === 0 ? '[]' : undefined;
  const entries = mappingEntries(value);
  return entries && entries.length === 0 ? '{}' : undefined;
}

function sortedEntries(value: unknown): Entries {
  return (mappingEntries(value) ?? []).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** A value after `key:` or `- `: scalars and empty collections stay on the line. */
function writeValue(w: YamlWriter, value: unknown, indent: number, inSequence: boolean): void {
  const v = unwrap(value);
  const empty = isEmptyCollection(v);
  if (!isCollection(v) || empty !== undefined) {
    w.write(' ');
    if (empty !== undefined) w.write(empty);
    else writeScalar(w, v, indent + 2, false);
    return;
  }
  if (Array.isArray(v)) {
    if (inSequence) {
      w.write(' ');
      writeSequence(w, v, indent + 2, true);
    } else {
      writeSequence(w, v, indent, false);
    }
    return;
  }
  if (inSequence) {
    w.write(' ');
    writeMapping(w, v, indent + 2, true);
  } else {
    writeMapping(w, v, indent + 2, false);
  }
}

/** `check_simple_key`: shorter than 128 characters, not empty, on one line. */
function isSimpleKey(key: string): boolean {
  const chars = Array.from(key);
  return chars.length > 0 && chars.length < 128 && !chars.some((c) => '\n\u0085\u2028\u2029'.includes(c));
}

function writeMapping(w: YamlWriter, value: unknown, indent: number, firstInline: boolean): void {
  sortedEntries(value).forEach(([key, item], i) => {
    if (i > 0 || !firstInline) w.newline(indent);
    if (isSimpleKey(key)) {
      writeScalar(w, key, indent, true);
      w.write(':');
      writeValue(w, item, indent, false);
      return;
    }
    // A complex key: `? key` (foldable like any scalar), then `: value` on the next line, where a
    // collection starts inline and is indented like a sequence item's.
    w.write('? ');
    writeScalar(w, key, indent + 2, false);
    w.newline(indent);
    w.write(':');
    writeValue(w, item, indent, true);
  });
}

function writeSequence(w: YamlWriter, items: unknown[], indent: number, firstInline: boolean): void {
  items.forEach((item, i) => {
    if (i > 0 || !firstInline) w.newline(indent);
    w.write('-');
    writeValue(w, item, indent, true);
  });
}

/** Serialise like `salt.utils.yaml.safe_dump(value, default_flow_style=False)`. */
export function pyYaml(value: unknown): string {
  const w = new YamlWriter();
  const v = unwrap(value);
  const empty = isEmptyCollection(v);
  if (empty !== undefined) return `${empty}\n`;
  if (Array.isArray(v)) writeSequence(w, v, 0, true);
  else if (mappingEntries(v) !== undefined) writeMapping(w, v, 0, true);
  else {
    writeScalar(w, v, 2, false);
    // A plain root scalar leaves the document open-ended, so PyYAML closes it with `...`.
    const quoted = w.out.startsWith("'") || w.out.startsWith('"');
    return quoted ? `${w.out}\n` : `${w.out}\n...\n`;
  }
  return `${w.out}\n`;
}
