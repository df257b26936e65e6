import { gzipSync } from 'node:zlib';
import fc from 'fast-check';

/** One request the fuzz suite sends. `body` is sent as is (already encoded). */
export interface FuzzRequest {
  /** `register:mutated*` and `register:large-*` may happen to be valid; every other kind is refused by construction (or reads only). */
  kind: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer | string;
}

const JSON_HEADERS = { 'content-type': 'application/json' };

/** A valid registration the mutations start from. */
export function basePayload(n: number): Record<string, unknown> {
  return {
    master: { sn: `fz-${n % 16}`, server: 'http://fz.example:8001', status: 'running', idc: 'fz', type: 'salt', options: { username: 'salt-api', password: 'pw' } },
    minions: [
      { sn: `fz-m-${n % 7}`, status: 'running', ips: ['10.0.0.1', 'fd00::1'] },
      { sn: 'fz-m-shared', status: 'stopped' },
    ],
    agent: { version: '1.0.0' },
  };
}

const LONE = ['\ud800', '\udbff', '\udc00', '\udfff'];
const hostileString = fc.oneof(
  fc.constantFrom(...LONE).map((s) => `a${s}b`),
  fc.constantFrom('\u0000', '\u0001', '\u001f', '\u007f', '\n', '\r\n', '\t').map((c) => `x${c}y`),
  fc.integer({ min: 256, max: 70_000 }).map((n) => 'x'.repeat(n)),
  fc.constantFrom('file:///etc/passwd', 'javascript:alert(1)', 'not a url', 'http://user:pw@h:1', 'http://', '//h', 'gopher://h', ''),
  fc.constantFrom('10.0.0.300', '::g', '1.2.3.4/24', '1.2.3', '0x7f.1', ' 10.0.0.1', '10.0.0.1 '),
  fc.constantFrom('RUNNING', 'timeout', 'unknown', 'salt ', '__proto__', 'constructor'),
  fc.string({ maxLength: 40 }),
);
const hostileNumber = fc.constantFrom(-1, 0, 1.5, 1e308, -0, 2 ** 53 + 1, Number.MAX_SAFE_INTEGER);

/** Something that does not belong where it is put. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: hostileString },
  { weight: 2, arbitrary: hostileNumber },
  { weight: 2, arbitrary: fc.constantFrom(null, true, false, [], {}) },
  { weight: 1, arbitrary: fc.integer({ min: 20, max: 40 }).map((depth) => nest(depth)) },
  { weight: 1, arbitrary: fc.integer({ min: 1025, max: 1500 }).map((n) => Array.from({ length: n }, (_, i) => `10.1.${i >> 8}.${i & 255}`)) },
  { weight: 1, arbitrary: fc.integer({ min: 50, max: 3000 }).map((n) => Array.from({ length: n }, () => ({}))) },
  { weight: 1, arbitrary: fc.integer({ min: 50, max: 3000 }).map((n) => Array.from({ length: n }, (_, i) => ({ sn: i, status: 'running' }))) },
  { weight: 1, arbitrary: fc.array(fc.constantFrom(null, 1, 'x', []), { maxLength: 500 }) },
);

function nest(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i += 1) value = i % 2 ? [value] : { a: value };
  return value;
}

const PATHS: Array<Array<string | number>> = [
  [],
  ['master'],
  ['master', 'sn'],
  ['master', 'server'],
  ['master', 'status'],
  ['master', 'idc'],
  ['master', 'type'],
  ['master', 'options'],
  ['master', 'options', 'password'],
  ['master', 'options', 'username'],
  ['master', 'error'],
  ['minions'],
  ['minions', 0],
  ['minions', 0, 'sn'],
  ['minions', 0, 'ips'],
  ['minions', 0, 'ips', 0],
  ['minions', 1, 'status'],
  ['minions', 1, 'os'],
  ['agent'],
  ['agent', 'version'],
  ['interval_s'],
  ['schema_version'],
];

/** `target` with the value at `path` replaced (or deleted when `value` is undefined). */
function mutate(target: Record<string, unknown>, path: Array<string | number>, value: unknown): unknown {
  if (path.length === 0) return value;
  let node: Record<string | number, unknown> = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null) return target;
    node = next as Record<string | number, unknown>;
  }
  const last = path[path.length - 1]!;
  if (value === undefined) delete node[last];
  else node[last] = value;
  return target;
}

const mutatedRegistration: fc.Arbitrary<FuzzRequest> = fc
  .record({
    n: fc.nat(1000),
    mutations: fc.array(fc.record({ path: fc.constantFrom(...PATHS), value: fc.option(hostileValue, { nil: undefined, freq: 6 }) }), { minLength: 1, maxLength: 3 }),
  })
  .map(({ n, mutations }) => {
    let body: unknown = basePayload(n);
    for (const { path, value } of mutations) {
      // A copy: fast-check hands out the same [] and {} instances again, which later mutations would fill.
      const fresh = value === undefined ? undefined : structuredClone(value);
      body = typeof body === 'object' && body !== null ? mutate(body as Record<string, unknown>, path, fresh) : body;
    }
    return { kind: 'register:mutated', method: 'POST', path: '/register', headers: JSON_HEADERS, body: JSON.stringify(body) ?? 'null' };
  });

const validText = JSON.stringify(basePayload(1));
// A gzip bomb: 20 MiB of JSON whitespace in about 20 KB.
const bomb = gzipSync(Buffer.alloc(20 * 1024 * 1024, 0x20));

const rawRegistration: fc.Arbitrary<FuzzRequest> = fc.oneof(
  fc.nat(validText.length - 1).map((cut) => ({ kind: 'register:truncated', method: 'POST', path: '/register', headers: JSON_HEADERS, body: validText.slice(0, cut) })),
  fc.uint8Array({ maxLength: 2000 }).map((bytes) => ({ kind: 'register:bytes', method: 'POST', path: '/register', headers: JSON_HEADERS, body: Buffer.from(bytes) })),
  fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'application/xml', 'multipart/form-data; boundary=x', 'application/jsonx').map((type) => ({
    kind: 'register:content-type',
    method: 'POST',
    path: '/register',
    headers: { 'content-type': type },
    body: validText,
  })),
  fc.constantFrom('br', 'deflate', 'gzip, gzip', 'compress').map((encoding) => ({
    kind: 'register:encoding',
    method: 'POST',
    path: '/register',
    headers: { ...JSON_HEADERS, 'content-encoding': encoding },
    body: validText,
  })),
  fc.uint8Array({ minLength: 1, maxLength: 300 }).map((bytes) => ({
    kind: 'register:bad-gzip',
    method: 'POST',
    path: '/register',
    headers: { ...JSON_HEADERS, 'content-encoding': 'gzip' },
    body: Buffer.concat([Buffer.from([0x1f, 0x8b]), Buffer.from(bytes)]),
  })),
  fc.constantFrom(
    '{"__proto__":{"polluted":true},"master":{}}',
    '{"constructor":{"prototype":{"polluted":true}}}',
    'null',
    '[]',
    '"x"',
    '1',
    '',
    '{}',
    '{"master":null,"minions":null}',
    `{"master":${JSON.stringify(basePayload(1).master)},"minions":{"length":1000000000}}`,
  ).map((body) => ({ kind: 'register:odd-json', method: 'POST', path: '/register', headers: JSON_HEADERS, body })),
);

/** A value for a query parameter, already percent-encoded. */
const queryValue = fc.oneof(
  fc.string({ maxLength: 30 }).map((s) => encodeURIComponent(s)),
  fc.constantFrom('%ED%A0%80', '%00', '%FF', '%', '%zz', '%C0%AF', 'running', 'stopped', 'timeout', '-1', '0', '1001', '1e3', '1.5', 'NaN', '2026-02-30', '2026-11-30', 'yesterday'),
  fc.integer({ min: 1000, max: 20_000 }).map((n) => 'a'.repeat(n)),
  fc.constantFrom('[1.5]', '["\\u0000"]', '[1e308]', '[{}]', '[-1]', '["a","b"]', '[9007199254740993]').map((json) => Buffer.from(json).toString('base64url')),
  fc.uint8Array({ maxLength: 40 }).map((bytes) => Buffer.from(bytes).toString('base64url')),
);
const PARAMS = ['status', 'idc', 'type', 'limit', 'cursor', 'master', 'ip', 'kind', 'since', 'stauts', 'token', '__proto__', 'limit[]', 'a%00b'];
const ROUTES = ['/api/v1/masters', '/api/v1/minions', '/api/v1/events', '/api/v1/lookup', '/api/v1/masters/fz-1', '/api/v1/minions/fz-m-shared', '/readyz', '/healthz'];

const query: fc.Arbitrary<FuzzRequest> = fc
  .record({ route: fc.constantFrom(...ROUTES), params: fc.array(fc.tuple(fc.constantFrom(...PARAMS), queryValue), { maxLength: 4 }) })
  .map(({ route, params }) => ({
    kind: 'query',
    method: 'GET',
    path: params.length > 0 ? `${route}?${params.map(([k, v]) => `${k}=${v}`).join('&')}` : route,
    headers: {},
  }));

const detailPath: fc.Arbitrary<FuzzRequest> = fc
  .record({ route: fc.constantFrom('/api/v1/masters/', '/api/v1/minions/'), sn: queryValue })
  .map(({ route, sn }) => ({ kind: 'detail', method: 'GET', path: `${route}${sn || 'x'}`, headers: {} }));

const wrongMethod: fc.Arbitrary<FuzzRequest> = fc
  .record({ route: fc.constantFrom(...ROUTES, '/register'), method: fc.constantFrom('DELETE', 'PUT', 'PATCH', 'OPTIONS', 'POST', 'GET') })
  .map(({ route, method }) => ({ kind: 'method', method, path: route, headers: method === 'POST' ? JSON_HEADERS : {}, ...(method === 'POST' ? { body: '{}' } : {}) }));

/** The mix the fuzz suite sends: most weight on registrations, the rest on the read API. */
export const fuzzRequest: fc.Arbitrary<FuzzRequest> = fc.oneof(
  { weight: 10, arbitrary: mutatedRegistration },
  { weight: 4, arbitrary: rawRegistration },
  { weight: 6, arbitrary: query },
  { weight: 2, arbitrary: detailPath },
  { weight: 2, arbitrary: wrongMethod },
);

/** Rare, heavy payloads: the structure limit, the minion limit and a hopeless validation, at full size. */
export function heavyRequests(): FuzzRequest[] {
  const master = JSON.stringify(basePayload(0).master);
  const empties = (n: number) => `{"master":${master},"minions":[${'{},'.repeat(n - 1)}{}]}`;
  return [
    { kind: 'heavy:1m-empty', method: 'POST', path: '/register', headers: JSON_HEADERS, body: empties(1_000_000) },
    { kind: 'heavy:250k-empty', method: 'POST', path: '/register', headers: JSON_HEADERS, body: empties(250_000) },
    { kind: 'heavy:190k-empty', method: 'POST', path: '/register', headers: JSON_HEADERS, body: empties(190_000) },
    { kind: 'heavy:deep', method: 'POST', path: '/register', headers: JSON_HEADERS, body: `${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}` },
    { kind: 'heavy:gzip-bomb', method: 'POST', path: '/register', headers: { ...JSON_HEADERS, 'content-encoding': 'gzip' }, body: bomb },
  ];
}

/** Over this many bytes the built server hands a registration to its worker (PIECEWISE_ABOVE). */
const LARGE = 1024 * 1024 + 1;

/** A registration of `count` valid minions (about 55 bytes each). */
function manyMinionsText(n: number, count: number): string {
  const minions = Array.from({ length: count }, (_, i) => ({ sn: `fz-big-${n % 4}-${String(i).padStart(6, '0')}`, status: 'running', ips: [`10.2.${(i >> 8) & 255}.${i & 255}`] }));
  return JSON.stringify({ ...basePayload(n), minions });
}

/**
 * Registrations over 1 MiB, which the built server parses, checks and diffs in its registration
 * worker: the mutated ones padded with JSON whitespace (before, after, or inside the minions
 * array), and ones with thousands of minions cut short, spoiled in one minion, or given a stray
 * byte (then padded). Few minions, so that one that happens to be valid is cheap to store.
 */
export const largeRegistration: fc.Arbitrary<FuzzRequest> = fc.oneof(
  fc.record({ request: mutatedRegistration, where: fc.constantFrom('before', 'after', 'inside') }).map(({ request, where }) => {
    const text = String(request.body);
    const pad = ' '.repeat(LARGE);
    const inside = text.indexOf('[');
    const body = where === 'before' ? pad + text : where === 'after' || inside < 0 ? text + pad : `${text.slice(0, inside + 1)}${pad}${text.slice(inside + 1)}`;
    return { ...request, kind: 'register:mutated-large', body };
  }),
  fc
    .record({
      n: fc.nat(1000),
      count: fc.integer({ min: 100, max: 3_000 }),
      spoil: fc.oneof(
        fc.record({ how: fc.constant('cut' as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }),
        fc.record({ how: fc.constant('byte' as const), at: fc.double({ min: 0, max: 1, noNaN: true }), byte: fc.constantFrom('\u0000', '"', '}', ']', ',', ':', '\\', 'x', '\ud800') }),
        fc.record({
          how: fc.constant('minion' as const),
          at: fc.double({ min: 0, max: 1, noNaN: true }),
          field: fc.constantFrom('sn', 'status', 'ips', 'os', '__proto__', ''),
          value: hostileValue,
        }),
      ),
    })
    .map(({ n, count, spoil }) => {
      let body = manyMinionsText(n, count);
      if (spoil.how === 'cut') body = body.slice(0, Math.floor(spoil.at * body.length));
      else if (spoil.how === 'byte') {
        const at = Math.floor(spoil.at * body.length);
        body = body.slice(0, at) + spoil.byte + body.slice(at);
      } else {
        const parsed = JSON.parse(body) as { minions: Array<Record<string, unknown>> };
        parsed.minions[Math.floor(spoil.at * (count - 1))]![spoil.field] = structuredClone(spoil.value);
        body = JSON.stringify(parsed);
      }
      return { kind: `register:large-${spoil.how}`, method: 'POST', path: '/register', headers: JSON_HEADERS, body: ' '.repeat(LARGE) + body };
    }),
);
