/**
 * Request bodies and the Accept header the way salt-api's CherryPy tools treat them
 * (`hypermedia_in`, `lowdata_fmt`, `cherrypy.lib.cptools.accept`).
 */
import { parse as parseYaml } from 'yaml';
import { HttpError, MESSAGES } from './errors.js';
import { CONTENT_TYPE_JSON, CONTENT_TYPE_YAML } from './cherrypy.js';

export const MAX_BODY_BYTES = 1_048_576;

function formParams(text: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of new URLSearchParams(text)) {
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

/**
 * `hypermedia_in`: no body (Content-Length absent or 0) → None; otherwise the Content-Type picks the
 * parser, and a type without one (or no type at all) → 406.
 */
export function parseBody(contentLength: string | undefined, contentType: string | undefined, raw: Buffer): unknown {
  if (contentLength === undefined || contentLength === '0') return undefined;
  const media = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  const text = raw.toString('utf8');
  switch (media) {
    case 'application/x-www-form-urlencoded':
      return formParams(text);
    case 'application/json':
      try {
        return JSON.parse(text);
      } catch {
        throw new HttpError(400, MESSAGES.invalidJson);
      }
    case 'application/x-yaml':
    case 'text/yaml':
      try {
        return parseYaml(text, { version: '1.1' });
      } catch {
        throw new HttpError(400, MESSAGES.invalidYaml);
      }
    case 'text/plain':
      try {
        return JSON.parse(text);
      } catch {
        return text;
      }
    default:
      throw new HttpError(406, MESSAGES.contentTypeNotSupported);
  }
}

/** `lowdata_fmt`: a non-empty dict (form posts, single objects) becomes a one-chunk list. */
export function lowdataFmt(data: unknown): unknown {
  if (data && typeof data === 'object' && !Array.isArray(data) && Object.keys(data).length > 0) {
    const chunk = { ...(data as Record<string, unknown>) };
    if ('arg' in chunk && !Array.isArray(chunk.arg)) chunk.arg = [chunk.arg];
    return [chunk];
  }
  return data;
}

const MEDIA = [CONTENT_TYPE_JSON, CONTENT_TYPE_YAML];

interface AcceptElement {
  value: string;
  text: string;
  q: number;
}

function acceptElements(header: string): AcceptElement[] {
  const elements = header
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const [value = '', ...params] = part.split(';').map((p) => p.trim());
      const qParam = params.find((p) => p.startsWith('q='));
      const q = qParam ? Number(qParam.slice(2)) : 1;
      return { value, text: [value, ...params].join(';'), q: Number.isFinite(q) ? q : 0 };
    });
  // CherryPy sorts by (q, str(element)) and reverses: equal q means reverse alphabetical order.
  return elements.sort((a, b) => (a.q !== b.q ? b.q - a.q : a.text < b.text ? 1 : a.text > b.text ? -1 : 0));
}

/** `cptools.accept(['application/json', 'application/x-yaml'])`: the output type, or a 406. */
export function negotiate(accept: string | undefined): string {
  const elements = accept === undefined ? [] : acceptElements(accept);
  if (elements.length === 0) return CONTENT_TYPE_JSON;
  for (const e of elements) {
    if (e.q <= 0) continue;
    if (e.value === '*/*') return CONTENT_TYPE_JSON;
    if (e.value.endsWith('/*')) {
      const hit = MEDIA.find((m) => m.startsWith(e.value.slice(0, -1)));
      if (hit) return hit;
    } else if (MEDIA.includes(e.value)) {
      return e.value;
    }
  }
  const sent = accept === undefined ? 'Your client did not send an Accept header.' : `Your client sent this Accept header: ${accept}.`;
  throw new HttpError(406, `${sent} But this resource only emits these media types: ${MEDIA.join(', ')}.`);
}
