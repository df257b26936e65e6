/** A simulator on 127.0.0.1:0 whose delays are recorded instead of waited for, and a small client. */
import { createSaltApiSim, type SaltApiSim, type SaltApiSimOptions } from '../src/index.js';

export interface TestSim {
  sim: SaltApiSim;
  url: string;
  /** Every simulated delay in milliseconds (after timeScale), in order. */
  delays: number[];
}

export async function startSim(options: SaltApiSimOptions = {}): Promise<TestSim> {
  const delays: number[] = [];
  const sim = createSaltApiSim({
    sleep: async (ms) => {
      delays.push(Math.round(ms));
    },
    ...options,
  });
  const url = await sim.listen();
  return { sim, url, delays };
}

export interface CallOptions {
  method?: string;
  token?: string;
  cookie?: string;
  body?: unknown;
  /** Send `body` as is (a string) with this Content-Type instead of JSON. */
  contentType?: string;
  accept?: string;
}

export interface CallResult {
  status: number;
  headers: Headers;
  text: string;
  json(): unknown;
}

export async function call(url: string, path: string, o: CallOptions = {}): Promise<CallResult> {
  const headers: Record<string, string> = { Accept: o.accept ?? 'application/json' };
  if (o.token !== undefined) headers['X-Auth-Token'] = o.token;
  if (o.cookie !== undefined) headers.Cookie = `session_id=${o.cookie}`;
  let body: string | undefined;
  if (o.body !== undefined) {
    headers['Content-Type'] = o.contentType ?? 'application/json';
    body = typeof o.body === 'string' ? o.body : JSON.stringify(o.body);
  }
  const res = await fetch(new URL(path, url), { method: o.method ?? (body === undefined ? 'GET' : 'POST'), headers, body });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: () => JSON.parse(text) };
}

export async function login(url: string, username = 'salt-api', password = 'salt-api', eauth = 'pam'): Promise<string> {
  const res = await call(url, '/login', { body: { username, password, eauth } });
  if (res.status !== 200) throw new Error(`login failed: ${res.status}`);
  return res.headers.get('x-auth-token') ?? '';
}

/** The `<p>` of a CherryPy error page. */
export function pageMessage(html: string): string | undefined {
  return /<p>(.*)<\/p>/.exec(html)?.[1];
}

export const cookieId = (res: CallResult) => /session_id=([0-9a-f]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1];
