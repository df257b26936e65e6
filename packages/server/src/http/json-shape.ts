import { HttpError } from './http-error.js';

/** How much structure a JSON body may have before it is parsed at all. */
export interface JsonShapeLimits {
  /** Objects and arrays together. */
  maxContainers: number;
  maxDepth: number;
  /** Members of any one object. */
  maxMembers: number;
  /** Elements of any one array. */
  maxElements: number;
  /**
   * Elements of the top-level `minions` array (a registration's `--max-minions`): over it the
   * answer is `413 ACT2_TOO_MANY_MINIONS`, found by the same early-stopping pass. Unset: that
   * array is counted as any other.
   */
  maxMinions?: number;
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

export type JsonShapeProblem = 'containers' | 'depth' | 'members' | 'elements' | 'keys' | 'strings' | 'minions';

const SHAPE_MESSAGES: Record<Exclude<JsonShapeProblem, 'minions'>, (limits: JsonShapeLimits) => string> = {
  containers: (l) => `Request body holds more than ${l.maxContainers} JSON objects and arrays`,
  depth: (l) => `Request body nests JSON deeper than ${l.maxDepth} levels`,
  members: (l) => `Request body has an object with more than ${l.maxMembers} members`,
  elements: (l) => `Request body has an array with more than ${l.maxElements} elements`,
  keys: (l) => `Request body uses more than ${l.maxKeyNames} different member names`,
  strings: (l) => `Request body holds more than ${l.maxShortStrings} different short strings (raise --max-minions for a master this large)`,
};

/** The 413 for a body over one of the structure limits. */
export function shapeError(problem: JsonShapeProblem, limits: JsonShapeLimits): HttpError {
  if (problem === 'minions') return tooManyMinions(limits.maxMinions ?? limits.maxElements);
  return new HttpError(413, 'ACT2_BODY_TOO_COMPLEX', SHAPE_MESSAGES[problem](limits));
}

/** The 413 for a registration listing more than `--max-minions` minions (`got`: how many, when counted). */
export function tooManyMinions(maxMinions: number, got?: number): HttpError {
  const count = got === undefined ? `more than ${maxMinions}` : String(got);
  return new HttpError(413, 'ACT2_TOO_MANY_MINIONS', `A registration may list at most ${maxMinions} minions (got ${count}); raise --max-minions on the server`);
}

const OBJECT = 1;
const ARRAY = 2;

/** Where the top-level `minions` array lies in the text: its brackets and the commas directly inside it. */
export interface MinionsLayout {
  open: number;
  close: number;
  commas: number[];
}

/**
 * The structure check as a pass that can stop and resume: {@link ShapeScan.run} scans up to an
 * offset, so a huge body can be scanned a megabyte at a time with the event loop running between.
 * It also notes where the top-level `minions` array is, so that the body can be parsed in slices
 * (see body.ts). Counting is the same whether the text is scanned in one go or in pieces.
 */
export class ShapeScan {
  private pos = 0;
  private depth = 0;
  private containers = 0;
  // Per open container: its kind and the commas seen directly inside it.
  private readonly kinds: Uint8Array;
  private readonly commas: Float64Array;
  private readonly keyNames = new Set<number>();
  private readonly shortStrings = new Set<number>();
  private problem: JsonShapeProblem | undefined;
  // The top-level `minions` array, when the body is one object holding exactly one such member.
  private topObjects = 0;
  private minionsKeys = 0;
  private lastTopKeyIsMinions = false;
  // Inside an array that is the value of a top-level member named `minions` (checked against maxMinions).
  private inMinions = false;
  private oddTopKey = false;
  private minionsOpen = -1;
  private minionsClose = -1;
  private readonly minionsCommas: number[] = [];

  constructor(
    private readonly text: string,
    private readonly limits: JsonShapeLimits,
  ) {
    this.kinds = new Uint8Array(limits.maxDepth + 2);
    this.commas = new Float64Array(limits.maxDepth + 2);
  }

  get done(): boolean {
    return this.problem !== undefined || this.pos >= this.text.length;
  }

  /** Scans up to offset `until` (or a little past it, to the end of a string); the problem found so far, if any. */
  run(until: number): JsonShapeProblem | undefined {
    if (this.problem !== undefined) return this.problem;
    const { text, limits, kinds, commas, keyNames, shortStrings } = this;
    let { depth, containers } = this;
    const end = Math.min(until, text.length);
    let i = this.pos;
    let problem: JsonShapeProblem | undefined;
    for (; i < end; i += 1) {
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        const close = endOfString(text, i);
        if (kinds[depth] === OBJECT && isKey(text, close)) {
          keyNames.add(hash(text, i + 1, close));
          if (keyNames.size > limits.maxKeyNames) {
            problem = 'keys';
            break;
          }
          if (depth === 1) this.topKey(i + 1, close);
        } else if (close - i - 1 <= SHORT_STRING) {
          shortStrings.add(hash(text, i + 1, close));
          if (shortStrings.size > limits.maxShortStrings) {
            problem = 'strings';
            break;
          }
        }
        i = close;
      } else if (c === 0x2c) {
        if (depth > 0) {
          commas[depth]! += 1;
          const items = commas[depth]! + 1;
          if (depth === 2 && this.inMinions && items > limits.maxMinions!) {
            problem = 'minions';
            break;
          }
          if (kinds[depth] === OBJECT ? items > limits.maxMembers : items > limits.maxElements) {
            problem = kinds[depth] === OBJECT ? 'members' : 'elements';
            break;
          }
          if (depth === 2 && this.minionsOpen >= 0 && this.minionsClose < 0) this.minionsCommas.push(i);
        }
      } else if (c === 0x7b || c === 0x5b) {
        containers += 1;
        depth += 1;
        if (depth > limits.maxDepth) {
          problem = 'depth';
          break;
        }
        if (containers > limits.maxContainers) {
          problem = 'containers';
          break;
        }
        kinds[depth] = c === 0x7b ? OBJECT : ARRAY;
        commas[depth] = 0;
        if (depth === 1) this.topObjects += 1;
        else if (depth === 2 && c === 0x5b && this.lastTopKeyIsMinions) {
          if (this.minionsOpen < 0) this.minionsOpen = i;
          this.inMinions = limits.maxMinions !== undefined && kinds[1] === OBJECT;
        }
      } else if (c === 0x7d || c === 0x5d) {
        if (depth === 2) this.inMinions = false;
        if (depth === 2 && c === 0x5d && this.minionsOpen >= 0 && this.minionsClose < 0) this.minionsClose = i;
        if (depth > 0) depth -= 1;
      }
    }
    this.pos = problem === undefined ? Math.max(i, end) : i;
    this.depth = depth;
    this.containers = containers;
    this.problem = problem;
    return problem;
  }

  /**
   * The top-level `minions` array, once the whole text is scanned without a problem, if the body
   * is a single object with exactly one member named plainly `minions` whose value is an array
   * (anything else is parsed whole).
   */
  minionsLayout(): MinionsLayout | undefined {
    if (!this.done || this.problem !== undefined) return undefined;
    if (this.topObjects !== 1 || this.minionsKeys !== 1 || this.oddTopKey) return undefined;
    if (this.minionsOpen < 0 || this.minionsClose < 0 || this.kinds[1] !== OBJECT) return undefined;
    return { open: this.minionsOpen, close: this.minionsClose, commas: this.minionsCommas };
  }

  /** A member name of the top-level object, `text[from, to)`. */
  private topKey(from: number, to: number): void {
    // An escaped name could spell `minions` in another way: leave such a body to the whole parse.
    for (let j = from; j < to; j += 1) if (this.text.charCodeAt(j) === 0x5c) this.oddTopKey = true;
    this.lastTopKeyIsMinions = to - from === 7 && this.text.startsWith('minions', from);
    if (this.lastTopKeyIsMinions) this.minionsKeys += 1;
  }
}

/**
 * Counts objects/arrays, nesting and the size of each container in JSON text without parsing it:
 * one pass over the characters, no allocation per token. JSON.parse of 16 MiB of `{},{},…` takes
 * seconds and half a gigabyte, as do millions of keys in one object or millions of numbers in one
 * array; this check refuses them in a few milliseconds. Malformed text is left for the real parser.
 */
export function jsonShapeProblem(text: string, limits: JsonShapeLimits): JsonShapeProblem | undefined {
  return new ShapeScan(text, limits).run(text.length);
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
