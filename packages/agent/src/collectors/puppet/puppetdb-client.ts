import { request } from 'undici';
import type { Dispatcher } from 'undici';
import type { Logger } from 'pino';
import { AgentError, firstLine } from '../../errors.js';
import { describeNetworkError } from '@act2/shared';
import { USER_AGENT } from '../../version.js';

export interface PuppetDbClientOptions {
  /** PuppetDB base URL without trailing slash. */
  baseUrl: string;
  dispatcher: Dispatcher;
  timeoutMs: number;
  log: Logger;
  now: () => number;
}

/** Read-only PuppetDB query API (v4) client: one GET per query, AST queries as the `query` parameter. */
export function createPuppetDbClient(options: PuppetDbClientOptions) {
  const { baseUrl, dispatcher, log, now } = options;

  /** One query; `page` adds PuppetDB's paging parameters (`order_by`, `limit`, `offset`). */
  async function query(endpoint: string, ast: unknown, page?: { orderBy: unknown; limit: number; offset: number }): Promise<unknown> {
    const params = new URLSearchParams({ query: JSON.stringify(ast) });
    if (page) {
      params.set('order_by', JSON.stringify(page.orderBy));
      params.set('limit', String(page.limit));
      params.set('offset', String(page.offset));
    }
    const url = `${baseUrl}/pdb/query/v4/${endpoint}?${params.toString()}`;
    const signal = AbortSignal.timeout(options.timeoutMs);
    const started = now();
    let status: number;
    let text: string;
    let type: string;
    try {
      const res = await request(url, { method: 'GET', headers: { accept: 'application/json', 'user-agent': USER_AGENT }, dispatcher, signal });
      status = res.statusCode;
      const header = res.headers['content-type'];
      type = (Array.isArray(header) ? header[0] : header) ?? '';
      text = await res.body.text();
    } catch (error) {
      const failure = describeNetworkError(error, signal.aborted, options.timeoutMs);
      const code = failure.kind === 'timeout' ? 'ACT2_PUPPETDB_TIMEOUT' : failure.kind === 'tls' ? 'ACT2_PUPPETDB_TLS' : 'ACT2_PUPPETDB_UNREACHABLE';
      throw new AgentError(code, `cannot query PuppetDB at ${baseUrl}: ${failure.reason}`, { cause: error, details: { url: `${baseUrl}/pdb/query/v4/${endpoint}` } });
    }
    log.debug({ method: 'GET', endpoint, status, bytes: text.length, ms: now() - started }, 'puppetdb call');
    if (status !== 200) {
      // PuppetDB explains a refused query in text/plain; a wrong URL gets a 302 to its dashboard.
      const why = status >= 300 && status < 400 ? 'a redirect (is --puppetdb-url the PuppetDB root URL?)' : firstLine(text, 300);
      throw new AgentError('ACT2_PUPPETDB_HTTP', `PuppetDB ${endpoint} query answered HTTP ${status}: ${why}`, { details: { status, endpoint } });
    }
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new AgentError('ACT2_PUPPETDB_BAD_RESPONSE', `PuppetDB ${endpoint} query answered HTTP 200 with a body that is not JSON (${type || 'no content type'})`, { details: { endpoint } });
    }
  }

  return { query };
}
export type PuppetDbClient = ReturnType<typeof createPuppetDbClient>;
