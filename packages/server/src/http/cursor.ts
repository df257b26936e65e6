import { hasControlCharacter } from '@act2/shared';
import { HttpError } from './http-error.js';

/** Opaque to clients: base64url of the last row's sort key. */
export function encodeCursor(key: ReadonlyArray<string | number>): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/** Decodes a cursor made by {@link encodeCursor} whose key has the given element types; 400 otherwise. */
export function decodeCursor<const T extends ReadonlyArray<'string' | 'number'>>(
  cursor: string,
  shape: T,
): { [K in keyof T]: T[K] extends 'number' ? number : string } {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    value = undefined;
  }
  const valid =
    Array.isArray(value) && value.length === shape.length && value.every((item, i) => typeof item === shape[i] && isSortKey(item));
  if (!valid) {
    throw new HttpError(400, 'ACT2_VALIDATION', 'Invalid cursor', [
      { path: 'cursor', message: 'not a cursor returned by this endpoint' },
    ]);
  }
  return value as { [K in keyof T]: T[K] extends 'number' ? number : string };
}

/** What we put in cursors: sns (never with control characters; PostgreSQL cannot even hold NUL) and row ids. */
function isSortKey(item: unknown): boolean {
  if (typeof item === 'string') return !hasControlCharacter(item);
  // A tampered 1.5 or 1e308 would reach PostgreSQL's bigint comparison and fail there (500).
  return Number.isSafeInteger(item) && (item as number) >= 0;
}
