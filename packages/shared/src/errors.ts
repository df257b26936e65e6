import { z } from 'zod';

/** Stable error codes on the HTTP API; clients match on `code`, never on `message`. */
export const ErrorCode = z.enum([
  'ACT2_VALIDATION',
  'ACT2_BODY_TOO_LARGE',
  /** More JSON objects/arrays or deeper nesting than any registration needs (checked before parsing). */
  'ACT2_BODY_TOO_COMPLEX',
  /** More minions in one registration than the server's `--max-minions`. */
  'ACT2_TOO_MANY_MINIONS',
  'ACT2_METHOD_NOT_ALLOWED',
  /** Only in the server's log: the client went away before its request was read. */
  'ACT2_CLIENT_ABORTED',
  'ACT2_UNSUPPORTED_MEDIA_TYPE',
  'ACT2_BAD_ENCODING',
  'ACT2_NOT_FOUND',
  /** No credential, or one the server does not know (revoked, expired). */
  'ACT2_UNAUTHORIZED',
  /** A valid credential without the scope (or idc, or certificate) the request needs. */
  'ACT2_FORBIDDEN',
  /** Too many failed authentication attempts from this address; retry after `Retry-After`. */
  'ACT2_RATE_LIMITED',
  /** The master sn is bound to its own key (or certificate) and this request did not carry it. */
  'ACT2_MASTER_BOUND',
  'ACT2_DB_UNAVAILABLE',
  'ACT2_INTERNAL',
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

export const ErrorIssue = z.object({ path: z.string(), message: z.string() });
export type ErrorIssue = z.infer<typeof ErrorIssue>;

/** At most this many issues are listed in an error body; the rest are only counted. */
export const MAX_ERROR_ISSUES = 30;

/** Every 4xx/5xx body of act2-server. */
export const ErrorBody = z.object({
  code: ErrorCode,
  message: z.string(),
  /** At most {@link MAX_ERROR_ISSUES}. */
  issues: z.array(ErrorIssue).optional(),
  /**
   * Issues found but not listed. Validation of a hopeless payload stops early, so when
   * `incomplete` is true there may be more than this.
   */
  more_issues: z.number().int().optional(),
  /** Validation stopped before the end of the payload. */
  incomplete: z.boolean().optional(),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

// An issue path or message echoes client input (an unknown key, a long path): cap what goes back.
const MAX_ISSUE_TEXT = 200;

/** `text` cut to at most {@link MAX_ISSUE_TEXT} characters (never splitting a surrogate pair). */
export function clipIssueText(text: string): string {
  if (text.length <= MAX_ISSUE_TEXT) return text;
  return `${text.slice(0, MAX_ISSUE_TEXT).toWellFormed().replace(/\uFFFD$/, '')}…`;
}

/**
 * Turns zod issues into `{ path, message }` pairs with dotted paths (`minions.3.ips.0`). An unknown
 * key is reported at its own path (`stauts`), so the answer names it.
 */
export function toErrorIssues(error: z.ZodError, prefix: ReadonlyArray<PropertyKey> = []): ErrorIssue[] {
  return error.issues.flatMap((issue) => {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ path: clipIssueText([...path, key].map(String).join('.')), message: 'unknown parameter' }));
    }
    return [{ path: clipIssueText(path.map(String).join('.')), message: clipIssueText(issue.message) }];
  });
}
