/** Renders a stored epoch-millisecond time as the read API's ISO 8601 UTC string. */
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}
