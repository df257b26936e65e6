import { MAX_ERROR_ISSUES, type ErrorBody, type ErrorIssue } from '@act2/shared';

/**
 * A body whose `issues` list is at most {@link MAX_ERROR_ISSUES} long; the rest are counted in
 * `more_issues`. A payload with a million bad entries gets an answer of a few kilobytes.
 */
export function validationBody(message: string, issues: readonly ErrorIssue[], options: { incomplete?: boolean } = {}): ErrorBody {
  const listed = issues.slice(0, MAX_ERROR_ISSUES);
  const more = issues.length - listed.length;
  return {
    code: 'ACT2_VALIDATION',
    message,
    issues: listed,
    ...(more > 0 ? { more_issues: more } : {}),
    ...(options.incomplete ? { incomplete: true } : {}),
  };
}
