import { z } from 'zod';

/** Stable error codes on the HTTP API; clients match on `code`, never on `message`. */
export const ErrorCode = z.enum([
  'ACT2_VALIDATION',
  'ACT2_BODY_TOO_LARGE',
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

/** Every 4xx/5xx body of act2-server. */
export const ErrorBody = z.object({
  code: ErrorCode,
  message: z.string(),
  issues: z.array(ErrorIssue).optional(),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

/** Turns zod issues into `{ path, message }` pairs with dotted paths (`minions.3.ips.0`). */
export function toErrorIssues(error: z.ZodError): ErrorIssue[] {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join('.'),
    message: issue.message,
  }));
}
