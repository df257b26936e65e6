/** salt's own placeholder for a return bigger than its `max_event_size` (captures 95, 104–108). */
export const SALT_TRIMMED = 'VALUE_TRIMMED';

/**
 * What act2 stores of a target's return: the JSON as is when it fits in `limitBytes`, else the first
 * `limitBytes` of it as text (never splitting a UTF-8 character), flagged `truncated`. Salt's own
 * "VALUE_TRIMMED" is flagged too: the output was lost before it reached act2.
 */
export function limitOutput(value: unknown, limitBytes: number): { json: string; truncated: boolean } {
  const json = JSON.stringify(value === undefined ? null : value);
  if (value === SALT_TRIMMED) return { json, truncated: true };
  // At most 3 UTF-8 bytes per UTF-16 unit: a short return (test.ping's `true`) needs no encoding to tell.
  if (json.length * 3 <= limitBytes || Buffer.byteLength(json, 'utf8') <= limitBytes) return { json, truncated: false };
  const bytes = Buffer.from(json, 'utf8');
  // A string return keeps its own text; anything else is cut in its JSON form.
  const text = typeof value === 'string' ? Buffer.from(value, 'utf8') : bytes;
  let end = Math.min(limitBytes, text.length);
  while (end > 0 && ((text[end] ?? 0) & 0xc0) === 0x80) end -= 1;
  return { json: JSON.stringify(text.subarray(0, end).toString('utf8')), truncated: true };
}
