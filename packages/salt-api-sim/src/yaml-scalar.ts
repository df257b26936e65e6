/**
 * PyYAML's scalar decisions, ported so the YAML bytes match salt-api's (`salt.utils.yaml.safe_dump`,
 * which is PyYAML's SafeDumper with `allow_unicode=True`): which strings may stay plain (YAML 1.1 implicit
 * resolvers, `analyze_scalar`) and how plain / quoted scalars fold at column 80.
 */

// PyYAML's implicit resolvers (resolver.py). A string that matches one must be quoted to stay a string.
const IMPLICIT = [
  /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/,
  /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/,
  /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/,
  /^(?:<<)$/,
  /^(?:~|null|Null|NULL|)$/,
  /^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$/,
  /^(?:=)$/,
  /^(?:!|&|\*)$/,
];

const BREAKS = '\n\u0085\u2028\u2029';
const SPACE_OR_BREAK = `\0 \t\r${BREAKS}`;
export const BEST_WIDTH = 80;

export type ScalarStyle = 'plain' | 'single' | 'double';

interface Analysis {
  empty: boolean;
  multiline: boolean;
  allowBlockPlain: boolean;
  allowSingleQuoted: boolean;
}

function isPrintableUnicode(cp: number): boolean {
  return (
    cp === 0x85 ||
    (cp >= 0xa0 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfffd) ||
    (cp >= 0x10000 && cp < 0x10ffff)
  ) && cp !== 0xfeff;
}

/** `Emitter.analyze_scalar` for block context with allow_unicode=True (flow-only fields dropped). */
function analyze(chars: string[]): Analysis {
  if (chars.length === 0) {
    return { empty: true, multiline: false, allowBlockPlain: true, allowSingleQuoted: true };
  }
  const text = chars.join('');
  let blockIndicators = text.startsWith('---') || text.startsWith('...');
  let lineBreaks = false;
  let special = false;
  let leadingSpace = false;
  let leadingBreak = false;
  let trailingSpace = false;
  let trailingBreak = false;
  let breakSpace = false;
  let spaceBreak = false;
  let precededByWhitespace = true;
  let followedByWhitespace = chars.length === 1 || SPACE_OR_BREAK.includes(chars[1] ?? '');
  let previousSpace = false;
  let previousBreak = false;
  for (let index = 0; index < chars.length; index++) {
    const ch = chars[index] ?? '';
    if (index === 0) {
      if ('#,[]{}&*!|>\'"%@`'.includes(ch)) blockIndicators = true;
      if ('?:'.includes(ch) && followedByWhitespace) blockIndicators = true;
      if (ch === '-' && followedByWhitespace) blockIndicators = true;
    } else {
      if (ch === ':' && followedByWhitespace) blockIndicators = true;
      if (ch === '#' && precededByWhitespace) blockIndicators = true;
    }
    if (BREAKS.includes(ch)) lineBreaks = true;
    const cp = ch.codePointAt(0) ?? 0;
    if (!(ch === '\n' || (cp >= 0x20 && cp <= 0x7e)) && !isPrintableUnicode(cp)) special = true;
    if (ch === ' ') {
      if (index === 0) leadingSpace = true;
      if (index === chars.length - 1) trailingSpace = true;
      if (previousBreak) breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if (BREAKS.includes(ch)) {
      if (index === 0) leadingBreak = true;
      if (index === chars.length - 1) trailingBreak = true;
      if (previousSpace) spaceBreak = true;
      previousSpace = false;
      previousBreak = true;
    } else {
      previousSpace = false;
      previousBreak = false;
    }
    precededByWhitespace = SPACE_OR_BREAK.includes(ch);
    followedByWhitespace = index + 2 >= chars.length || SPACE_OR_BREAK.includes(chars[index + 2] ?? '');
  }
  let allowBlockPlain = true;
  let allowSingleQuoted = true;
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) allowBlockPlain = false;
  if (breakSpace) allowBlockPlain = allowSingleQuoted = false;
  if (spaceBreak || special) allowBlockPlain = allowSingleQuoted = false;
  if (lineBreaks) allowBlockPlain = false;
  if (blockIndicators) allowBlockPlain = false;
  return { empty: false, multiline: lineBreaks, allowBlockPlain, allowSingleQuoted };
}

/** `Emitter.choose_scalar_style` for a `str` scalar (`simpleKey`: it is a mapping key). */
export function chooseStyle(chars: string[], simpleKey: boolean): ScalarStyle {
  const analysis = analyze(chars);
  const text = chars.join('');
  const implicitStr = !IMPLICIT.some((re) => re.test(text));
  if (implicitStr && !(simpleKey && (analysis.empty || analysis.multiline)) && analysis.allowBlockPlain) {
    return 'plain';
  }
  if (analysis.allowSingleQuoted && !(simpleKey && analysis.multiline)) return 'single';
  return 'double';
}

/** The output buffer with PyYAML's column bookkeeping. */
export class YamlWriter {
  out = '';
  column = 0;

  write(data: string): void {
    this.out += data;
    this.column += [...data].length;
  }

  /** Newline, then pad to `indent` (what `write_indent` does once past the indent). */
  newline(indent: number): void {
    this.out += `\n${' '.repeat(indent)}`;
    this.column = indent;
  }
}

/** `write_plain`: a single space becomes a line break once the column is past 80. */
export function writePlain(w: YamlWriter, chars: string[], indent: number, split: boolean): void {
  let start = 0;
  let spaces = false;
  for (let end = 0; end <= chars.length; end++) {
    const ch = end < chars.length ? chars[end] : undefined;
    if (spaces) {
      if (ch !== ' ') {
        if (start + 1 === end && w.column > BEST_WIDTH && split) w.newline(indent);
        else w.write(chars.slice(start, end).join(''));
        start = end;
      }
    } else if (ch === undefined || ch === ' ') {
      w.write(chars.slice(start, end).join(''));
      start = end;
    }
    if (ch !== undefined) spaces = ch === ' ';
  }
}

/** `write_single_quoted`, including its folding and line-break doubling. */
export function writeSingleQuoted(w: YamlWriter, chars: string[], indent: number, split: boolean): void {
  w.write("'");
  let start = 0;
  let spaces = false;
  let breaks = false;
  for (let end = 0; end <= chars.length; end++) {
    const ch = end < chars.length ? chars[end] : undefined;
    if (spaces) {
      if (ch !== ' ') {
        if (start + 1 === end && w.column > BEST_WIDTH && split && start !== 0 && end !== chars.length) {
          w.newline(indent);
        } else {
          w.write(chars.slice(start, end).join(''));
        }
        start = end;
      }
    } else if (breaks) {
      if (ch === undefined || !BREAKS.includes(ch)) {
        // The first break is doubled (YAML folding would eat a single one), then the indent.
        if (chars[start] === '\n') w.out += '\n';
        for (const br of chars.slice(start, end)) w.out += br;
        w.out += ' '.repeat(indent);
        w.column = indent;
        start = end;
      }
    } else if (ch === undefined || ch === ' ' || BREAKS.includes(ch) || ch === "'") {
      if (start < end) {
        w.write(chars.slice(start, end).join(''));
        start = end;
      }
    }
    if (ch === "'") {
      w.write("''");
      start = end + 1;
    }
    if (ch !== undefined) {
      spaces = ch === ' ';
      breaks = BREAKS.includes(ch);
    }
  }
  w.write("'");
}

const ESCAPES: Record<string, string> = {
  '\0': '0', '\x07': 'a', '\x08': 'b', '\x09': 't', '\x0A': 'n', '\x0B': 'v', '\x0C': 'f',
  '\x0D': 'r', '\x1B': 'e', '"': '"', '\\': '\\', '\u0085': 'N', '\u00A0': '_', '\u2028': 'L', '\u2029': 'P',
};

function escapeChar(ch: string): string {
  const named = ESCAPES[ch];
  if (named !== undefined) return `\\${named}`;
  const cp = ch.codePointAt(0) ?? 0;
  const hex = cp.toString(16).toUpperCase();
  if (cp <= 0xff) return `\\x${hex.padStart(2, '0')}`;
  if (cp <= 0xffff) return `\\u${hex.padStart(4, '0')}`;
  return `\\U${hex.padStart(8, '0')}`;
}

/** `write_double_quoted` with allow_unicode=True. */
export function writeDoubleQuoted(w: YamlWriter, chars: string[], indent: number, split: boolean): void {
  w.write('"');
  let start = 0;
  for (let end = 0; end <= chars.length; end++) {
    const ch = end < chars.length ? chars[end] : undefined;
    const cp = ch?.codePointAt(0) ?? 0;
    const plainOk =
      ch !== undefined &&
      !'"\\\u0085\u2028\u2029\ufeff'.includes(ch) &&
      ((cp >= 0x20 && cp <= 0x7e) || (cp >= 0xa0 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd));
    if (!plainOk) {
      if (start < end) {
        w.write(chars.slice(start, end).join(''));
        start = end;
      }
      if (ch !== undefined) {
        w.write(escapeChar(ch));
        start = end + 1;
      }
    }
    if (end > 0 && end < chars.length - 1 && (ch === ' ' || start >= end) && w.column + (end - start) > BEST_WIDTH && split) {
      w.write(`${chars.slice(start, end).join('')}\\`);
      if (start < end) start = end;
      w.newline(indent);
      if (chars[start] === ' ') w.write('\\');
    }
  }
  w.write('"');
}
