/** How much structure a JSON body may have before it is parsed at all. */
export interface JsonShapeLimits {
  /** Objects and arrays together. */
  maxContainers: number;
  maxDepth: number;
  /** Members of any one object. */
  maxMembers: number;
  /** Elements of any one array. */
  maxElements: number;
  /** Different member names in the whole document (V8 builds a hidden class per new name). */
  maxKeyNames: number;
  /**
   * Different short string values (at most {@link SHORT_STRING} characters) in the whole document:
   * V8 interns each one while parsing, which costs about a microsecond apiece once there are millions.
   */
  maxShortStrings: number;
}

/** V8's JSON parser interns string values up to this length (longer ones are cheap). */
export const SHORT_STRING = 10;

export type JsonShapeProblem = 'containers' | 'depth' | 'members' | 'elements' | 'keys' | 'strings';

const OBJECT = 1;
const ARRAY = 2;

/**
 * Counts objects/arrays, nesting and the size of each container in JSON text without parsing it:
 * one pass over the characters, no allocation per token. JSON.parse of 16 MiB of `{},{},…` takes
 * seconds and half a gigabyte, as do millions of keys in one object or millions of numbers in one
 * array; this check refuses them in a few milliseconds. Malformed text is left for the real parser.
 */
export function jsonShapeProblem(text: string, limits: JsonShapeLimits): JsonShapeProblem | undefined {
  let depth = 0;
  let containers = 0;
  // Per open container: its kind and the commas seen directly inside it.
  const kinds = new Uint8Array(limits.maxDepth + 2);
  const commas = new Float64Array(limits.maxDepth + 2);
  const keyNames = new Set<number>();
  const shortStrings = new Set<number>();
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      const close = endOfString(text, i);
      if (kinds[depth] === OBJECT && isKey(text, close)) {
        keyNames.add(hash(text, i + 1, close));
        if (keyNames.size > limits.maxKeyNames) return 'keys';
      } else if (close - i - 1 <= SHORT_STRING) {
        shortStrings.add(hash(text, i + 1, close));
        if (shortStrings.size > limits.maxShortStrings) return 'strings';
      }
      i = close;
    } else if (c === 0x2c) {
      if (depth > 0) {
        commas[depth]! += 1;
        const items = commas[depth]! + 1;
        if (kinds[depth] === OBJECT ? items > limits.maxMembers : items > limits.maxElements) {
          return kinds[depth] === OBJECT ? 'members' : 'elements';
        }
      }
    } else if (c === 0x7b || c === 0x5b) {
      containers += 1;
      depth += 1;
      if (depth > limits.maxDepth) return 'depth';
      if (containers > limits.maxContainers) return 'containers';
      kinds[depth] = c === 0x7b ? OBJECT : ARRAY;
      commas[depth] = 0;
    } else if (c === 0x7d || c === 0x5d) {
      if (depth > 0) depth -= 1;
    }
  }
  return undefined;
}

/** Whether the string closed at `close` is followed by `:` (a member name). */
function isKey(text: string, close: number): boolean {
  for (let j = close + 1; j < text.length; j += 1) {
    const c = text.charCodeAt(j);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return c === 0x3a;
  }
  return false;
}

/** FNV-1a of `text[from, to)`: names are counted, never allocated. */
function hash(text: string, from: number, to: number): number {
  let h = 0x811c9dc5;
  for (let j = from; j < to; j += 1) h = Math.imul(h ^ text.charCodeAt(j), 0x01000193);
  return h >>> 0;
}

/** Index of the quote closing the string opened at `open` (or the end of the text). */
function endOfString(text: string, open: number): number {
  let i = open + 1;
  for (;;) {
    const quote = text.indexOf('"', i);
    if (quote < 0) return text.length;
    let backslashes = 0;
    for (let j = quote - 1; j > open && text.charCodeAt(j) === 0x5c; j -= 1) backslashes += 1;
    if (backslashes % 2 === 0) return quote;
    i = quote + 1;
  }
}
