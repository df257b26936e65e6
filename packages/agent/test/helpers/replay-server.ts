import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import type { CapturedAnswer } from './captures.js';

/** A request as the test double received it (body gunzipped when sent with content-encoding gzip). */
export interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  rawBody: Buffer;
  body: string;
  /** Parsed JSON body, or undefined. */
  json: unknown;
}

/** One expected request, in order, and what to answer. `hang` never answers. */
export interface Expectation {
  method: string;
  path: string;
  /** Extra checks on the request; throw (e.g. with expect) to fail it. */
  check?: (request: Received) => void;
  reply: CapturedAnswer | { hang: true } | { headers: Record<string, string>; answer: CapturedAnswer };
}

export interface ReplayServer {
  url: string;
  received: Received[];
  /** Throws when a request was unexpected or failed its check, or an expectation was not used. */
  assertDone(): void;
  close(): Promise<void>;
}

function send(res: ServerResponse, answer: CapturedAnswer, headers: Record<string, string> = {}): void {
  res.writeHead(answer.status, { 'content-type': answer.contentType, ...headers });
  res.end(answer.body);
}

/**
 * A real HTTP server on 127.0.0.1 that answers the expected requests in order with replayed
 * bytes, and fails the test on anything else: a test double that cannot silently pass.
 */
export async function startReplayServer(expectations: Expectation[], options: { tls?: { key: string; cert: string } } = {}): Promise<ReplayServer> {
  const received: Received[] = [];
  const failures: string[] = [];
  let next = 0;
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks);
      const body = (req.headers['content-encoding'] === 'gzip' ? gunzipSync(rawBody) : rawBody).toString('utf8');
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      const request: Received = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, rawBody, body, json };
      received.push(request);
      const expected = expectations[next];
      next += 1;
      if (!expected || expected.method !== request.method || expected.path !== request.path) {
        failures.push(`unexpected request #${received.length}: ${request.method} ${request.path}`);
        res.writeHead(599).end();
        return;
      }
      try {
        expected.check?.(request);
      } catch (error) {
        failures.push(`request #${received.length} ${request.method} ${request.path}: ${(error as Error).message}`);
      }
      const reply = expected.reply;
      if ('hang' in reply) return;
      if ('answer' in reply) send(res, reply.answer, reply.headers);
      else send(res, reply);
    });
  };
  const server = options.tls ? createTlsServer(options.tls, handler) : createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    received,
    assertDone() {
      const unused = expectations.slice(next).map((e) => `expected request not made: ${e.method} ${e.path}`);
      const problems = [...failures, ...unused];
      if (problems.length > 0) throw new Error(problems.join('\n'));
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
