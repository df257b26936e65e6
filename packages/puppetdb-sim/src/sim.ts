import { createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { compileQuery, QueryError } from './query.js';
import type { Row } from './query.js';

/** One node as PuppetDB's `/pdb/query/v4/nodes` returns it, plus its facts. */
export interface SimNode {
  certname: string;
  deactivated: string | null;
  expired: string | null;
  facts_timestamp: string | null;
  report_timestamp: string | null;
  catalog_timestamp: string | null;
  facts_environment: string | null;
  report_environment: string | null;
  catalog_environment: string | null;
  latest_report_status: string | null;
  latest_report_hash: string | null;
  latest_report_noop: boolean | null;
  latest_report_noop_pending: boolean | null;
  latest_report_corrective_change: boolean | null;
  latest_report_job_id: string | null;
  cached_catalog_status: string | null;
  /** Top-level fact name → value (Facter's structured facts). */
  facts: Record<string, unknown>;
}

/** The fields of a node record, in PuppetDB 7.12's (hash) order. */
export const NODE_FIELDS = [
  'deactivated', 'latest_report_hash', 'facts_environment', 'cached_catalog_status', 'report_environment', 'latest_report_corrective_change',
  'catalog_environment', 'facts_timestamp', 'latest_report_noop', 'expired', 'latest_report_noop_pending', 'report_timestamp', 'certname',
  'catalog_timestamp', 'latest_report_job_id', 'latest_report_status',
] as const;
const FACT_FIELDS = ['certname', 'environment', 'name', 'value'] as const;

export function nodeRecord(node: SimNode): Record<string, unknown> {
  return Object.fromEntries(NODE_FIELDS.map((f) => [f, node[f]]));
}

const isActive = (node: SimNode) => node.deactivated === null && node.expired === null;

export interface PuppetDbSimOptions {
  nodes: SimNode[];
  /** HTTPS like PuppetDB's SSL port: a server certificate, and the CA that client certificates must chain to. */
  tls?: { key: string; cert: string; ca: string };
}

export interface PuppetDbSim {
  listen(options?: { host?: string; port?: number }): Promise<string>;
  close(): Promise<void>;
  nodes(): SimNode[];
  setNodes(nodes: SimNode[]): void;
  /** Requests served, by path. */
  requests(): string[];
}

/** PuppetDB writes JSON as Cheshire does: pretty for one object, compact for lists. */
function sendJson(res: ServerResponse, status: number, value: unknown, pretty = false): void {
  const text = pretty ? JSON.stringify(value, null, 2).replace(/": /g, '" : ') : JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json;charset=utf-8' }).end(text);
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain;charset=utf-8' }).end(text);
}

/** PuppetDB's `order_by` ([{field, order}]). */
function order(rows: Record<string, unknown>[], fields: readonly string[], params: URLSearchParams): Record<string, unknown>[] {
  let out = rows;
  const orderBy = params.get('order_by');
  if (orderBy !== null) {
    const spec = JSON.parse(orderBy) as Array<{ field: string; order?: string }>;
    for (const { field } of spec) {
      if (!fields.includes(field)) throw new QueryError(`Unrecognized column '${field}' specified in :order_by; Supported columns are ${[...fields].sort().map((f) => `'${f}'`).join(', ')}`);
    }
    const cmp = (a: unknown, b: unknown) => (a === b ? 0 : a === null || a === undefined ? 1 : b === null || b === undefined ? -1 : String(a) < String(b) ? -1 : 1);
    out = [...out].sort((x, y) => {
      for (const { field, order } of spec) {
        const c = cmp(x[field], y[field]) * (order === 'desc' ? -1 : 1);
        if (c !== 0) return c;
      }
      return 0;
    });
  }
  return out;
}

/** PuppetDB's paging: `offset` and `limit` over the ordered rows. */
function slice(rows: Record<string, unknown>[], params: URLSearchParams): Record<string, unknown>[] {
  const offset = Number(params.get('offset') ?? 0);
  const limit = params.get('limit');
  return rows.slice(offset, limit === null ? undefined : offset + Number(limit));
}

function project(fields: Record<string, unknown>, extract: string[] | undefined): Record<string, unknown> {
  return extract ? Object.fromEntries(extract.map((f) => [f, fields[f]])) : fields;
}

/**
 * A PuppetDB 7.12 query API (v4) simulator: `nodes`, `nodes/<certname>`, `facts` with the AST
 * subset of query.ts, the status service, and PuppetDB's 302 for unknown paths. Agrees with the
 * real captures in fixtures/puppetdb-captures (test/conformance.test.ts).
 */
export function createPuppetDbSim(options: PuppetDbSimOptions): PuppetDbSim {
  let nodes = options.nodes;
  const seen: string[] = [];
  // A paging client asks the same query for page after page: keep its ordered result until the
  // nodes change, as a database would serve it from an index rather than re-sorting every time.
  const results = new Map<string, Record<string, unknown>[]>();

  function query(res: ServerResponse, entity: 'nodes' | 'facts', text: string | undefined, params: URLSearchParams): void {
    const key = JSON.stringify([entity, text, params.get('order_by')]);
    const cached = results.get(key);
    if (cached) return sendJson(res, 200, slice(cached, params));
    let compiled;
    try {
      compiled = compileQuery(entity, entity === 'nodes' ? NODE_FIELDS : FACT_FIELDS, text);
    } catch (error) {
      if (error instanceof QueryError) return sendText(res, 400, error.message);
      throw error;
    }
    const out: Record<string, unknown>[] = [];
    for (const node of nodes) {
      const active = isActive(node);
      if (entity === 'nodes') {
        const row: Row = { fields: nodeRecord(node), active };
        if (compiled.predicate(row)) out.push(project(row.fields, compiled.extract));
        continue;
      }
      for (const [name, value] of Object.entries(node.facts)) {
        const row: Row = { fields: { certname: node.certname, environment: node.facts_environment, name, value }, active };
        if (compiled.predicate(row)) out.push(project(row.fields, compiled.extract));
      }
    }
    let ordered: Record<string, unknown>[];
    try {
      ordered = order(out, entity === 'nodes' ? NODE_FIELDS : FACT_FIELDS, params);
    } catch (error) {
      if (error instanceof QueryError) return sendText(res, 400, error.message);
      throw error;
    }
    if (params.has('limit')) results.set(key, ordered);
    return sendJson(res, 200, slice(ordered, params));
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://puppetdb');
    seen.push(url.pathname);
    const text = url.searchParams.get('query') ?? undefined;
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendText(res, 405, 'Method not allowed');
    if (url.pathname === '/pdb/query/v4/nodes' || url.pathname === '/pdb/query/v4/nodes/') return query(res, 'nodes', text, url.searchParams);
    if (url.pathname === '/pdb/query/v4/facts' || url.pathname === '/pdb/query/v4/facts/') return query(res, 'facts', text, url.searchParams);
    const one = /^\/pdb\/query\/v4\/nodes\/([^/]+)$/.exec(url.pathname);
    if (one) {
      const certname = decodeURIComponent(one[1] ?? '');
      const node = nodes.find((n) => n.certname === certname);
      return node ? sendJson(res, 200, nodeRecord(node), true) : sendJson(res, 404, { error: `No information is known about node ${certname}` }, true);
    }
    if (url.pathname === '/status/v1/services/puppetdb-status') {
      return sendJson(res, 200, { service_version: '7.12.1', service_status_version: 1, detail_level: 'info', state: 'running', status: { 'maintenance_mode?': false, queue_depth: 0, 'read_db_up?': true, 'write_db_up?': true }, active_alerts: [] }, true);
    }
    if (url.pathname === '/pdb/meta/v1/version') return sendJson(res, 200, { version: '7.12.1' }, true);
    // PuppetDB sends any other path to its dashboard.
    res.writeHead(302, { location: `${url.pathname.replace(/\/$/, '')}/dashboard/index.html` }).end();
    return undefined;
  }

  const server: Server = options.tls
    ? createHttpsServer({ key: options.tls.key, cert: options.tls.cert, ca: options.tls.ca, requestCert: true, rejectUnauthorized: true }, handle)
    : createHttpServer(handle);
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  return {
    listen({ host = '127.0.0.1', port = 0 } = {}) {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          const address = server.address() as AddressInfo;
          resolve(`${options.tls ? 'https' : 'http'}://${host}:${address.port}`);
        });
      });
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
    nodes: () => nodes,
    setNodes(next) {
      nodes = next;
      results.clear();
    },
    requests: () => [...seen],
  };
}
