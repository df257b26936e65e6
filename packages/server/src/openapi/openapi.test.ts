import {
  API_PREFIX,
  EventList,
  EventListQuery,
  Health,
  Job,
  JobIdParams,
  JobList,
  JobListQuery,
  JobRequest,
  JobSummary,
  LookupQuery,
  LookupResponse,
  MasterDeleted,
  MasterDetail,
  MasterList,
  MasterListQuery,
  MinionDetail,
  MinionList,
  MinionListQuery,
  Ready,
  RebindResponse,
  REGISTER_PATH,
  RegisterRequest,
  RegisterResponse,
  SnParams,
  TokenList,
  WebhookDeliveryList,
  WebhookDeliveryListQuery,
} from '@act2/shared';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { useTestApp } from '../../test/helpers/app.js';

interface Operation {
  parameters?: Array<{ name: string; in: string; required: boolean; schema: unknown }>;
  requestBody?: { content: Record<string, { schema: unknown }> };
  responses: Record<string, { content?: Record<string, { schema: unknown }> }>;
}
type Document = { openapi: string; paths: Record<string, Record<string, Operation>> };

/**
 * The schemas each documented operation must carry: the @act2/shared definitions themselves.
 * A route added to the app without a line here fails the first test.
 */
const EXPECTED: Record<string, { params?: z.ZodObject; query?: z.ZodObject; body?: z.ZodType; responses: Record<number, z.ZodType> }> = {
  'GET /healthz': { responses: { 200: Health } },
  'GET /readyz': { responses: { 200: Ready, 503: Ready } },
  [`POST ${REGISTER_PATH}`]: { body: RegisterRequest, responses: { 200: RegisterResponse } },
  [`POST ${API_PREFIX}${REGISTER_PATH}`]: { body: RegisterRequest, responses: { 200: RegisterResponse } },
  [`GET ${API_PREFIX}/masters`]: { query: MasterListQuery, responses: { 200: MasterList } },
  [`GET ${API_PREFIX}/masters/{sn}`]: { params: SnParams, responses: { 200: MasterDetail } },
  [`DELETE ${API_PREFIX}/masters/{sn}`]: { params: SnParams, responses: { 200: MasterDeleted } },
  [`GET ${API_PREFIX}/minions`]: { query: MinionListQuery, responses: { 200: MinionList } },
  [`GET ${API_PREFIX}/minions/{sn}`]: { params: SnParams, responses: { 200: MinionDetail } },
  [`GET ${API_PREFIX}/lookup`]: { query: LookupQuery, responses: { 200: LookupResponse } },
  [`GET ${API_PREFIX}/events`]: { query: EventListQuery, responses: { 200: EventList } },
  [`GET ${API_PREFIX}/tokens`]: { responses: { 200: TokenList } },
  [`POST ${API_PREFIX}/masters/{sn}/rebind`]: { params: SnParams, responses: { 200: RebindResponse } },
  [`GET ${API_PREFIX}/webhooks/deliveries`]: { query: WebhookDeliveryListQuery, responses: { 200: WebhookDeliveryList } },
  [`POST ${API_PREFIX}/jobs`]: { body: JobRequest, responses: { 202: JobSummary } },
  [`GET ${API_PREFIX}/jobs/{id}`]: { params: JobIdParams, responses: { 200: Job } },
  [`GET ${API_PREFIX}/jobs`]: { query: JobListQuery, responses: { 200: JobList } },
};

/** zod's own JSON Schema of a shared schema, computed here independently of the server's transform. */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): unknown {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any', reused: 'inline' }) as Record<string, unknown>;
  return constAsEnum(rest);
}

/** @fastify/swagger writes `const: x` as the equivalent `enum: [x]`. */
function constAsEnum(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(constAsEnum);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    if (key === 'const') out.enum = [inner];
    else out[key] = constAsEnum(inner);
  }
  return out;
}

describe('GET /openapi.json', () => {
  const t = useTestApp('sqlite');
  const document = async () => {
    const response = await t.current.app.inject({ url: '/openapi.json' });
    expect(response.statusCode).toBe(200);
    return response.json<Document>();
  };

  it('documents exactly the routes the app serves (none missing, none stale)', async () => {
    const doc = await document();
    const served = t.current.app
      .routeTable()
      .filter((r) => !r.hidden && r.method !== 'HEAD')
      .map((r) => `${r.method} ${r.url.replace(/:(\w+)/g, '{$1}')}`);
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));

    expect(doc.openapi).toBe('3.1.0');
    expect(documented.sort()).toEqual(served.sort());
    expect(Object.keys(EXPECTED).sort()).toEqual(served.sort());
  });

  it('describes every operation with the @act2/shared schema the route validates with', async () => {
    const doc = await document();
    for (const [key, expected] of Object.entries(EXPECTED)) {
      const [method = '', path = ''] = key.split(' ');
      const op = doc.paths[path]?.[method.toLowerCase()];
      expect(op, key).toBeDefined();
      for (const [status, schema] of Object.entries(expected.responses)) {
        expect(op!.responses[status]?.content?.['application/json']?.schema, `${key} ${status}`).toEqual(jsonSchema(schema, 'output'));
      }
      if (expected.body) expect(op!.requestBody?.content['application/json']?.schema, `${key} body`).toEqual(jsonSchema(expected.body, 'input'));
      for (const [where, schema] of [['query', expected.query], ['path', expected.params]] as const) {
        const object = schema ? (jsonSchema(schema, 'input') as { properties: Record<string, unknown>; required?: string[] }) : undefined;
        const documented = (op!.parameters ?? []).filter((p) => p.in === where);
        expect(documented.map((p) => p.name).sort(), `${key} ${where} parameters`).toEqual(Object.keys(object?.properties ?? {}).sort());
        for (const p of documented) {
          expect(p.schema, `${key} ${where} ${p.name}`).toEqual(object?.properties[p.name]);
          expect(p.required, `${key} ${where} ${p.name} required`).toBe((object?.required ?? []).includes(p.name));
        }
      }
    }
  });

  it('serves the reference page at /docs from the server itself (no CDN) and declares it public', async () => {
    const page = await t.current.app.inject({ url: '/docs/' });
    const scripts = [...page.body.matchAll(/src="([^"]+)"/g)].map((m) => m[1]!);
    const assets = await Promise.all(scripts.map((src) => t.current.app.inject({ url: new URL(src, 'http://act2/docs/').pathname })));

    expect(page.statusCode).toBe(200);
    expect(page.body).not.toMatch(/https?:\/\//);
    expect(scripts.length).toBeGreaterThan(0);
    expect(assets.map((a) => a.statusCode)).toEqual(scripts.map(() => 200));
    const docsRoutes = t.current.app.routeTable().filter((r) => r.url.startsWith('/docs') || r.url === '/openapi.json');
    expect(docsRoutes.length).toBeGreaterThan(0);
    expect(new Set(docsRoutes.map((r) => r.scope))).toEqual(new Set(['public']));
  });
});
