/** Reading requests and writing replies with exactly CherryPy's status line and headers. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { buildHeaders, CONTENT_TYPE_HTML, reasonPhrase } from './cherrypy.js';
import { MAX_BODY_BYTES } from './negotiation.js';
import type { Reply } from './pipeline.js';

/** The whole body, but never more than the size limit plus one byte (enough to answer 413). */
export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES + 1) chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** client/fun of each JSON chunk, for the request log (never credentials). */
export function callsOf(body: Buffer, contentType: string | undefined): Array<{ client?: unknown; fun?: unknown }> {
  if (!contentType?.includes('json') || body.length === 0) return [];
  try {
    const data: unknown = JSON.parse(body.toString('utf8'));
    const chunks = Array.isArray(data) ? data : [data];
    return chunks.filter((c) => c && typeof c === 'object').map((c) => ({ client: (c as Record<string, unknown>).client, fun: (c as Record<string, unknown>).fun }));
  } catch {
    return [];
  }
}

/** A CORS preflight, as salt-api's cors_tool answers it. */
export function preflightReply(): Reply {
  return {
    status: 200,
    contentType: CONTENT_TYPE_HTML,
    body: Buffer.alloc(0),
    cacheControl: false,
    extra: [
      ['Access-Control-Allow-Methods', 'GET, POST'],
      ['Access-Control-Allow-Headers', 'Content-Type, X-Auth-Token, X-Requested-With'],
      ['Access-Control-Max-Age', '1400'],
    ],
  };
}

export function writeReply(res: ServerResponse, method: string, reply: Reply, origin: string | undefined, nowMs: number): void {
  const headers = buildHeaders({
    status: reply.status,
    contentType: reply.contentType,
    contentLength: reply.body.length,
    nowMs,
    origin,
    extra: reply.extra,
    cacheControl: reply.cacheControl,
    setCookie: reply.setCookie,
  });
  // CherryPy sends no Connection/Keep-Alive on HTTP/1.1 and its own Date: drop Node's defaults.
  res.sendDate = false;
  res.removeHeader('Connection');
  res.writeHead(reply.status, reasonPhrase(reply.status), headers);
  res.end(method === 'HEAD' ? undefined : reply.body);
}
