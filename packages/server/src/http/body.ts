import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { HttpError } from './http-error.js';
import { jsonShapeProblem, type JsonShapeLimits, type JsonShapeProblem } from './json-shape.js';

const SHAPE_MESSAGES: Record<JsonShapeProblem, (limits: JsonShapeLimits) => string> = {
  containers: (l) => `Request body holds more than ${l.maxContainers} JSON objects and arrays`,
  depth: (l) => `Request body nests JSON deeper than ${l.maxDepth} levels`,
  members: (l) => `Request body has an object with more than ${l.maxMembers} members`,
  elements: (l) => `Request body has an array with more than ${l.maxElements} elements`,
  keys: (l) => `Request body uses more than ${l.maxKeyNames} different member names`,
  strings: (l) => `Request body holds more than ${l.maxShortStrings} different short strings (raise --max-minions for a master this large)`,
};

/**
 * Request bodies: JSON only (charset parameter allowed; fastify answers 415 for anything else),
 * optionally gzip-encoded. A gzip body is inflated as a stream and cut off as soon as the
 * inflated size passes the body limit, so a small gzip bomb costs at most `limit` bytes of work.
 */
export function registerBodyHandling(app: FastifyInstance, limitBytes: number, shape: JsonShapeLimits): void {
  // Only JSON is accepted: with fastify's text/plain parser a text body would reach validation (400) instead of 415.
  app.removeContentTypeParser('text/plain');

  // fastify's own JSON parser (prototype poisoning refused), behind a structure check: parsing
  // millions of empty objects costs seconds of CPU and gigabytes before any validation can run.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const problem = jsonShapeProblem(body as string, shape);
    if (problem !== undefined) {
      done(new HttpError(413, 'ACT2_BODY_TOO_COMPLEX', SHAPE_MESSAGES[problem](shape)), undefined);
      return;
    }
    parseJson(request, body as string, done);
  });

  app.addHook('preParsing', async (request, _reply, payload) => {
    const encoding = request.headers['content-encoding']?.trim().toLowerCase();
    if (!encoding || encoding === 'identity') return payload;
    if (encoding !== 'gzip' && encoding !== 'x-gzip') {
      throw new HttpError(415, 'ACT2_UNSUPPORTED_MEDIA_TYPE', 'Unsupported Content-Encoding: only gzip is accepted');
    }
    return inflate(payload, limitBytes);
  });
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
