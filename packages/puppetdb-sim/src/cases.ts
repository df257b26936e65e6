/** One captured request: a query API call and why it is in the set. */
export interface CaptureCase {
  name: string;
  note: string;
  path: string;
  /** AST (sent as JSON) or raw text for the `query` parameter. */
  query?: unknown;
  /** Other query-string parameters (paging). */
  params?: Record<string, string>;
}

/** The query string of a case, as the capture script and the conformance test send it. */
export function caseQueryString(c: Pick<CaptureCase, 'query' | 'params'>): string {
  const params = new URLSearchParams();
  if (c.query !== undefined) params.set('query', typeof c.query === 'string' ? c.query : JSON.stringify(c.query));
  for (const [k, v] of Object.entries(c.params ?? {})) params.set(k, v);
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

/** The agent's own facts query (see packages/agent/src/collectors/puppet/index.ts). */
export const AGENT_FACTS_QUERY = ['extract', ['certname', 'name', 'value'], ['and', ['=', 'node_state', 'any'], ['in', 'name', ['array', ['networking', 'os', 'dmi']]]]];

/** The agent's nodes query. */
export const AGENT_NODES_QUERY = ['extract', ['certname', 'deactivated', 'expired', 'facts_timestamp', 'report_timestamp'], ['=', 'node_state', 'any']];

export const CASES: CaptureCase[] = [
  { name: '01-nodes-default', note: 'no query: active nodes only (deactivated and expired left out)', path: '/pdb/query/v4/nodes' },
  { name: '02-nodes-any', note: "the agent's nodes query: node_state any includes deactivated nodes", path: '/pdb/query/v4/nodes', query: ['=', 'node_state', 'any'] },
  { name: '03-nodes-inactive', note: 'node_state inactive: deactivated or expired only', path: '/pdb/query/v4/nodes', query: ['=', 'node_state', 'inactive'] },
  { name: '04-node-one', note: 'one node by certname', path: '/pdb/query/v4/nodes/web-01.example.com' },
  { name: '05-node-unknown', note: 'an unknown certname', path: '/pdb/query/v4/nodes/nope.example.com' },
  { name: '06-facts-agent', note: "the agent's facts query (extract, node_state any, in name array)", path: '/pdb/query/v4/facts', query: AGENT_FACTS_QUERY },
  { name: '07-facts-one-node', note: 'every fact of one node, without extract (environment included)', path: '/pdb/query/v4/facts', query: ['=', 'certname', 'db-01.example.com'] },
  { name: '08-facts-default-state', note: 'facts without node_state: the deactivated node is left out', path: '/pdb/query/v4/facts', query: ['extract', ['certname', 'name'], ['=', 'name', 'networking']] },
  { name: '09-nodes-extract', note: 'extract on nodes', path: '/pdb/query/v4/nodes', query: ['extract', ['certname', 'deactivated'], ['=', 'node_state', 'any']] },
  { name: '10-nodes-bad-field', note: 'unknown field: 400 text/plain listing the known ones', path: '/pdb/query/v4/nodes', query: ['=', 'certnam', 'x'] },
  { name: '11-facts-bad-field', note: 'unknown field on facts', path: '/pdb/query/v4/facts', query: ['=', 'nam', 'x'] },
  { name: '12-nodes-bad-json', note: 'a query that is not JSON', path: '/pdb/query/v4/nodes', query: 'not json' },
  { name: '13-nodes-bad-node-state', note: 'an unknown node_state value', path: '/pdb/query/v4/nodes', query: ['=', 'node_state', 'bogus'] },
  { name: '14-unknown-endpoint', note: 'a path under the query API that does not exist', path: '/pdb/query/v4/nope' },
  { name: '15-nodes-and-or', note: 'and / or / not over node fields', path: '/pdb/query/v4/nodes', query: ['and', ['=', 'node_state', 'any'], ['or', ['=', 'certname', 'web-01.example.com'], ['=', 'certname', 'old-01.example.com']], ['not', ['=', 'certname', 'web-01.example.com']]] },
  {
    name: '16-facts-agent-paged',
    note: "the agent's facts query, one page: order_by certname then name, limit and offset",
    path: '/pdb/query/v4/facts',
    query: AGENT_FACTS_QUERY,
    params: { order_by: '[{"field":"certname"},{"field":"name"}]', limit: '4', offset: '3' },
  },
  { name: '17-facts-bad-order-by', note: 'order_by on a field facts do not have', path: '/pdb/query/v4/facts', query: AGENT_FACTS_QUERY, params: { order_by: '[{"field":"nope"}]', limit: '2' } },
  {
    name: '18-nodes-agent-paged',
    note: "the agent's nodes query, one page: extract the status fields, node_state any, order_by certname",
    path: '/pdb/query/v4/nodes',
    query: AGENT_NODES_QUERY,
    params: { order_by: '[{"field":"certname"}]', limit: '3', offset: '1' },
  },
];
