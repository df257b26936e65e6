import { z } from 'zod';

// PostgreSQL text cannot hold NUL (SQLite can): a NUL that reached the database would be a 500
// on one dialect and a 200 on the other. Identifiers, names and URLs have no business holding
// any control character; free text (an error message) may keep tabs and line breaks.

const NO_CONTROL = { message: 'must not contain control characters' };
const NO_NUL = { message: 'must not contain NUL characters' };

/** True when `text` holds a C0 control character (U+0000–U+001F) or DEL. */
export function hasControlCharacter(text: string): boolean {
  return /[\u0000-\u001f\u007f]/.test(text);
}

/**
 * An identifier, name or URL: no control characters, at most `max` characters. Trimmed first
 * unless `trim: false` (the original heartbeat.py sent its sn with a trailing newline).
 */
export function singleLineText(max: number, options: { trim?: boolean } = {}) {
  const base = options.trim === false ? z.string() : z.string().trim();
  return base.max(max).refine((s) => !hasControlCharacter(s), NO_CONTROL);
}

/** Free text (a message, a grain value): anything but NUL, at most `max` characters. */
export function freeText(max: number) {
  return z
    .string()
    .max(max)
    .refine((s) => !s.includes('\u0000'), NO_NUL);
}
