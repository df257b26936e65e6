import { z } from 'zod';

// PostgreSQL text cannot hold NUL (SQLite can): a NUL that reached the database would be a 500
// on one dialect and a 200 on the other. Identifiers, names and URLs have no business holding
// any control character; free text (an error message) may keep tabs and line breaks.
//
// Every string must also be well-formed UTF-16: a lone surrogate has no UTF-8 form, so each
// database stores something else (PostgreSQL and SQLite both replace it with U+FFFD), and two
// different sns (`r2-\ud800`, `r2-\udc00`) would become one row.

const NO_CONTROL = { message: 'must not contain control characters' };
const NO_NUL = { message: 'must not contain NUL characters' };
const WELL_FORMED = { message: 'must be well-formed Unicode (no lone surrogates)' };

/** True when `text` holds a C0 control character (U+0000–U+001F) or DEL. */
export function hasControlCharacter(text: string): boolean {
  return /[\u0000-\u001f\u007f]/.test(text);
}

/** True when `text` has no lone UTF-16 surrogate, i.e. it survives a round trip through UTF-8. */
export function isWellFormedText(text: string): boolean {
  return text.isWellFormed();
}

/** Any contract string: well-formed Unicode of at most `max` characters. */
export function wellFormedText(max: number) {
  return z.string().max(max).refine(isWellFormedText, WELL_FORMED);
}

/**
 * An identifier, name or URL: no control characters, well-formed, at most `max` characters.
 * Trimmed first unless `trim: false` (the original heartbeat.py sent its sn with a trailing newline).
 */
export function singleLineText(max: number, options: { trim?: boolean } = {}) {
  const base = options.trim === false ? z.string() : z.string().trim();
  return base
    .max(max)
    .refine(isWellFormedText, WELL_FORMED)
    .refine((s) => !hasControlCharacter(s), NO_CONTROL);
}

/** Free text (a message, a grain value): anything well-formed but NUL, at most `max` characters. */
export function freeText(max: number) {
  return wellFormedText(max).refine((s) => !s.includes('\u0000'), NO_NUL);
}

/**
 * Outside text (a grain, a fact) as the contract can carry it: NUL removed, lone surrogates
 * replaced by U+FFFD, trimmed, cut to at most `max` characters without splitting a surrogate
 * pair; undefined when nothing is left. For collectors, which must not let one odd value make a
 * whole registration invalid.
 */
export function boundedText(value: unknown, max: number): string | undefined {
  if (typeof value !== 'string') return undefined;
  let text = (value.includes('\u0000') ? value.replace(/\u0000/g, '') : value).trim();
  if (!text.isWellFormed()) text = text.toWellFormed();
  if (text.length > max) {
    const cut = text.charCodeAt(max - 1);
    // A high surrogate at the cut would be left alone: cut before it.
    text = text.slice(0, cut >= 0xd800 && cut <= 0xdbff ? max - 1 : max).trimEnd();
  }
  return text || undefined;
}
