import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { FastifyBodyParser, FastifyInstance, FastifyRequest } from 'fastify';
import { yieldToEventLoop } from '../yield.js';
import { HttpError } from './http-error.js';
import { jsonShapeProblem, shapeError, ShapeScan, type JsonShapeLimits } from './json-shape.js';

/**
 * A JSON body longer than this (in bytes) is checked and parsed in pieces with the event loop
 * running between them: the structure pass a megabyte at a time, the `minions` array
 * {@link PARSE_SLICE} elements per JSON.parse. One JSON.parse of a 300,000-minion body (18 MB) holds
 * the process for 0.2 s on an idle core and over a second on a loaded one.
 */
export const PIECEWISE_ABOVE = 1024 * 1024;
/** Characters of structure pass between two yields. */
const SCAN_STEP = 1024 * 1024;
/** Minions per JSON.parse when a big body is parsed in slices. */
const PARSE_SLICE = 2_000;

export interface BodyOptions {
  /**
   * For a JSON body over {@link PIECEWISE_ABOVE} bytes: what the route gets instead of the parsed
   * value (it parses the bytes itself, see register/offload.ts), or undefined to parse it here.
   */
  largeBody?: (request: FastifyRequest, bytes: Buffer) => unknown;
  /**
   * For a smaller JSON body: what the route gets instead of the parsed value (a body it knows by
   * its bytes, see register/accepted-bodies.ts), or undefined to parse it here.
   */
  smallBody?: (request: FastifyRequest, bytes: Buffer) => unknown;
  /** The structure limits of a route's bodies, when not the default ones (registrations: `maxMinions`). */
  shapeFor?: (request: FastifyRequest) => JsonShapeLimits | undefined;
}

/**
 * Request bodies: JSON only (charset parameter allowed; fastify answers 415 for anything else),
 * optionally gzip-encoded. A gzip body is inflated as a stream and cut off as soon as the
 * inflated size passes the body limit, so a small gzip bomb costs at most `limit` bytes of work.
 */
export function registerBodyHandling(app: FastifyInstance, limitBytes: number, defaultShape: JsonShapeLimits, options: BodyOptions = {}): void {
  // Only JSON is accepted: with fastify's text/plain parser a text body would reach validation (400) instead of 415.
  app.removeContentTypeParser('text/plain');

  // fastify's own JSON parser (prototype poisoning refused), behind a structure check: parsing
  // millions of empty objects costs seconds of CPU and gigabytes before any validation can run.
  // The body arrives as bytes: decoding 18 MB to a string is itself a pause of a tenth of a
  // second, which a body handed on whole (`largeBody`) never pays here.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const bytes = body as Buffer;
    const shape = options.shapeFor?.(request) ?? defaultShape;
    if (bytes.length > PIECEWISE_ABOVE) {
      const handedOn = options.largeBody?.(request, bytes);
      if (handedOn !== undefined) {
        done(null, handedOn);
        return;
      }
      parsePiecewise(bytes.toString('utf8'), shape, (t) => parseNow(parseJson, request, t)).then(
        (value) => done(null, value),
        (err: Error) => done(err, undefined),
      );
      return;
    }
    const known = options.smallBody?.(request, bytes);
    if (known !== undefined) {
      done(null, known);
      return;
    }
    const text = bytes.toString('utf8');
    const problem = jsonShapeProblem(text, shape);
    if (problem !== undefined) {
      done(shapeError(problem, shape), undefined);
      return;
    }
    parseJson(request, text, done);
  });

  // A callback hook: it runs for every request (GETs too), and the usual answer costs no promise.
  app.addHook('preParsing', (request, _reply, payload, done) => {
    const encoding = request.headers['content-encoding']?.trim().toLowerCase();
    if (!encoding || encoding === 'identity') {
      done(null, payload);
      return;
    }
    if (encoding !== 'gzip' && encoding !== 'x-gzip') {
      done(new HttpError(415, 'ACT2_UNSUPPORTED_MEDIA_TYPE', 'Unsupported Content-Encoding: only gzip is accepted'));
      return;
    }
    done(null, inflate(payload, limitBytes));
  });
}

type Parsed = { ok: true; value: unknown } | { ok: false; error: Error };

/** Runs fastify's JSON parser (synchronous, prototype poisoning refused) on `text`. */
function parseNow(parseJson: FastifyBodyParser<string>, request: FastifyRequest, text: string): Parsed {
  let parsed: Parsed | undefined;
  parseJson(request, text, (error: Error | null, value?: unknown) => {
    parsed = error ? { ok: false, error } : { ok: true, value };
  });
  if (parsed === undefined) throw new Error('the JSON parser did not answer synchronously');
  return parsed;
}

/**
 * The same checks and the same result as the structure check plus one JSON.parse, in pieces: the
 * structure pass yields every {@link SCAN_STEP} characters and notes where the top-level `minions`
 * array's elements are; the rest of the body is parsed with `[]` in the array's place, then the
 * minions {@link PARSE_SLICE} at a time, yielding between slices. A slice that does not parse
 * means the body is not valid JSON (fastify's parser answers one error for any syntax problem, and
 * refuses prototype poisoning in a slice as in the whole).
 * A body of another layout (no `minions` array, two of them, an escaped member name) is parsed whole.
 */
async function parsePiecewise(text: string, shape: JsonShapeLimits, parse: (text: string) => Parsed): Promise<unknown> {
  const scan = new ShapeScan(text, shape);
  for (let until = SCAN_STEP; ; until += SCAN_STEP) {
    const problem = scan.run(until);
    if (problem !== undefined) throw shapeError(problem, shape);
    if (scan.done) break;
    await yieldToEventLoop();
  }
  const whole = () => {
    const parsed = parse(text);
    if (!parsed.ok) throw parsed.error;
    return parsed.value;
  };
  const layout = scan.minionsLayout();
  if (layout === undefined) return whole();
  const rest = parse(`${text.slice(0, layout.open)}[]${text.slice(layout.close + 1)}`);
  if (!rest.ok) throw rest.error;
  const envelope = rest.value;
  if (typeof envelope !== 'object' || envelope === null || Array.isArray(envelope) || !Array.isArray((envelope as { minions?: unknown }).minions)) {
    return whole();
  }
  await yieldToEventLoop();
  const bounds = [layout.open, ...layout.commas, layout.close];
  const minions: unknown[] = [];
  for (let from = 0; from < bounds.length - 1; from += PARSE_SLICE) {
    const to = Math.min(from + PARSE_SLICE, bounds.length - 1);
    const slice = parse(`[${text.slice(bounds[from]! + 1, bounds[to])}]`);
    if (!slice.ok) throw slice.error;
    const parsed = slice.value as unknown[];
    // As many elements as the commas delimit (an empty one, `[1,]`, parses to one fewer): any
    // other count means the text is not what the scan took it for; the whole parse decides then.
    if (parsed.length !== to - from && !(layout.commas.length === 0 && parsed.length === 0)) return whole();
    for (const minion of parsed) minions.push(minion);
    await yieldToEventLoop();
  }
  (envelope as { minions: unknown[] }).minions = minions;
  return envelope;
}

/** The inflated stream fastify's body reader consumes; `receivedEncodedLength` is what fastify checks Content-Length against. */
function inflate(raw: Readable, limitBytes: number): Readable & { receivedEncodedLength: number } {
  const gunzip = createGunzip();
  let inflated = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, callback: TransformCallback) {
      inflated += chunk.length;
      if (inflated > limitBytes) {
        callback(new HttpError(413, 'ACT2_BODY_TOO_LARGE', `Request body is larger than ${limitBytes} bytes once decompressed`));
        return;
      }
      callback(null, chunk);
    },
  }) as Transform & { receivedEncodedLength: number };
  counter.receivedEncodedLength = 0;
  raw.on('data', (chunk: Buffer) => {
    counter.receivedEncodedLength += chunk.length;
  });

  const stop = (err: Error) => {
    raw.unpipe(gunzip);
    gunzip.destroy();
    // Let the rest of the upload drain so the 4xx response can still be written.
    raw.resume();
    counter.destroy(err);
  };
  // The client went away mid-upload: end the body with its error (a client abort, see errors.ts)
  // instead of leaving fastify waiting for the rest until the request timeout.
  raw.on('error', (err) => {
    if (!counter.destroyed) stop(err);
  });
  gunzip.on('error', () => stop(new HttpError(400, 'ACT2_BAD_ENCODING', 'Request body is not valid gzip')));
  counter.on('error', (err) => {
    if (!gunzip.destroyed) stop(err);
  });
  raw.pipe(gunzip).pipe(counter);
  return counter;
}
