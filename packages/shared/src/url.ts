import { hasControlCharacter, isWellFormedText, singleLineText } from './text.js';

/**
 * Why `text` is not an http(s) URL act2 may store and call, or undefined when it is one.
 * Credentials in the URL are refused: they would be stored in clear and served by the read API
 * (salt-api credentials belong in `options`, which is encrypted at rest).
 */
export function serviceUrlProblem(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'must be an http:// or https:// URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an http:// or https:// URL';
  if (url.username !== '' || url.password !== '') return 'must not contain credentials (user:password@); send them in master.options';
  if (url.hostname === '') return 'must name a host';
  return undefined;
}

/** An http:// or https:// URL without credentials (see {@link serviceUrlProblem}). */
export function serviceUrl(max: number) {
  return singleLineText(max)
    .min(1)
    .superRefine((text, ctx) => {
      // Already reported by singleLineText: one issue per field is enough.
      if (hasControlCharacter(text) || !isWellFormedText(text)) return;
      const problem = serviceUrlProblem(text);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
    });
}
