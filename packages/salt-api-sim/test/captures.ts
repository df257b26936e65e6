/**
 * Reads fixtures/salt-api-captures/NN-*.txt (+ .body.*) and replays a capture's request byte for byte
 * over node:http(s), returning the raw status, header pairs and body for comparison.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CAPTURES_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../../fixtures/salt-api-captures');

export type HeaderPairs = Array<[string, string]>;

export interface CapturedExchange {
  id: string;
  name: string;
  /** Epoch ms the capture started (NaN when the file does not say). */
  capturedAt: number;
  request: { method: string; path: string; headers: HeaderPairs; body?: string };
  response: { status: number; headers: HeaderPairs; body: Buffer; bodyType?: 'json' | 'yaml' | 'html' };
}

function section(lines: string[], title: string): string[] {
  const start = lines.findIndex((l) => l.startsWith(title));
  if (start === -1) return [];
  const end = lines.findIndex((l, i) => i > start && l.startsWith('### '));
  return lines.slice(start + 1, end === -1 ? undefined : end);
}

function headerBlock(lines: string[]): { first: string; headers: HeaderPairs } {
  const blank = lines.indexOf('');
  const block = lines.slice(0, blank === -1 ? undefined : blank);
  const headers = block.slice(1).map((l): [string, string] => {
    const at = l.indexOf(':');
    return [l.slice(0, at), l.slice(at + 1).trim()];
  });
  return { first: block[0] ?? '', headers };
}

/** `id` is a capture number (its first file) or a full capture name such as `99-master-down-local`. */
export function loadCapture(id: string): CapturedExchange {
  const files = readdirSync(CAPTURES_DIR);
  const txt = files.find((f) => f === `${id}.txt`) ?? files.find((f) => f.startsWith(`${id}-`) && f.endsWith('.txt'));
  if (!txt) throw new Error(`no capture ${id}`);
  const name = txt.slice(0, -4);
  const text = readFileSync(join(CAPTURES_DIR, txt), 'utf8');
  const capturedAt = Date.parse(/captured (\S+Z)/.exec(text)?.[1] ?? '');
  const lines = text.split('\n');
  const req = headerBlock(section(lines, '### REQUEST LINE'));
  const [method = 'GET', path = '/'] = req.first.split(' ');
  const bodyStart = text.indexOf('### REQUEST BODY\n');
  const body = bodyStart === -1 ? undefined : text.slice(bodyStart + '### REQUEST BODY\n'.length, text.indexOf('\n### TIMING'));
  const res = headerBlock(section(lines, '### RESPONSE STATUS'));
  const bodyFile = files.find((f) => f.startsWith(`${name}.body.`));
  const bodyType = bodyFile?.split('.').pop() as 'json' | 'yaml' | 'html' | undefined;
  return {
    id,
    name,
    capturedAt,
    request: { method, path, headers: req.headers, body },
    response: {
      status: Number(res.first.split(' ')[1] ?? 0),
      headers: res.headers,
      body: bodyFile ? readFileSync(join(CAPTURES_DIR, bodyFile)) : Buffer.alloc(0),
      bodyType,
    },
  };
}

export interface RawResponse {
  status: number;
  headers: HeaderPairs;
  body: Buffer;
}

/** Sends exactly the given headers (Host and Content-Length are set from the target and body). */
export function send(
  baseUrl: string,
  req: { method: string; path: string; headers: HeaderPairs; body?: string },
  tls?: { ca?: string | Buffer; rejectUnauthorized?: boolean },
): Promise<RawResponse> {
  const url = new URL(req.path, baseUrl);
  const payload = req.body === undefined ? undefined : Buffer.from(req.body);
  const headers: Record<string, string> = {};
  for (const [k, v] of req.headers) {
    if (!['host', 'content-length', 'user-agent'].includes(k.toLowerCase())) headers[k] = v;
  }
  if (payload) headers['Content-Length'] = String(payload.length);
  const doRequest = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const r = doRequest(url, { method: req.method, headers, agent: false, ...(tls ?? {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const pairs: HeaderPairs = [];
        for (let i = 0; i < res.rawHeaders.length; i += 2) pairs.push([res.rawHeaders[i] ?? '', res.rawHeaders[i + 1] ?? '']);
        resolve({ status: res.statusCode ?? 0, headers: pairs, body: Buffer.concat(chunks) });
      });
      res.on('error', reject);
    });
    r.on('error', reject);
    r.end(payload);
  });
}

export function headerValue(headers: HeaderPairs, name: string): string | undefined {
  return headers.find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
}
