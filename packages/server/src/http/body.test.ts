import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonShapeProblem } from './json-shape.js';
import { PIECEWISE_ABOVE, registerBodyHandling } from './body.js';

// Issue 11, finding 2: a body over PIECEWISE_ABOVE is checked and parsed in pieces, yielding to the
// event loop between them. It must give exactly what one structure pass plus one JSON.parse gives.

const shape = { maxContainers: 2_000_000, maxDepth: 32, maxMembers: 256, maxElements: 400_000, maxKeyNames: 1024, maxShortStrings: 2_000_000 };

const minion = (i: number) => ({ sn: `m-${String(i).padStart(6, '0')}`, status: 'running', ips: [`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`] });
const master = { sn: 'big', server: 'http://big:8001', status: 'running', idc: 'b', type: 'salt' };
const bigText = (count: number) => JSON.stringify({ master, minions: Array.from({ length: count }, (_, i) => minion(i)) });

describe('JSON bodies above the piecewise threshold', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = Fastify({ bodyLimit: 64 * 1024 * 1024 });
    registerBodyHandling(app, 64 * 1024 * 1024, shape);
    app.post('/echo', async (request) => request.body);
    await app.ready();
  });
  afterAll(async () => app?.close());

  const post = (payload: string) => app.inject({ method: 'POST', url: '/echo', headers: { 'content-type': 'application/json' }, payload });

  it('parse to the same value as one JSON.parse, whatever the layout', async () => {
    const minions = JSON.stringify(Array.from({ length: 20_000 }, (_, i) => minion(i)));
    const bodies = [
      bigText(20_000),
      // minions first, whitespace around every token, other members after it
      `  {\n "minions" : ${minions.replaceAll(',', ' ,\n ')} ,\n "master": ${JSON.stringify(master)}, "x": [1, {"minions": [2]}]}  `,
      // no minions member, a minions member that is not an array, an empty one, two of them, an escaped name
      JSON.stringify({ master, other: JSON.parse(minions) }),
      JSON.stringify({ master, minions: { a: JSON.parse(minions) } }),
      JSON.stringify({ master, pad: 'x'.repeat(PIECEWISE_ABOVE), minions: [] }),
      `{"minions": [1, 2], "master": ${JSON.stringify(master)}, "minions": ${minions}}`,
      `{"master": ${JSON.stringify(master)}, "min\\u0069ons": ${minions}}`,
      `{"minions": ${minions}, "min\\u0069ons": [3]}`,
      // a top-level array
      minions,
    ];
    for (const body of bodies) {
      expect(body.length).toBeGreaterThan(PIECEWISE_ABOVE);
      const response = await post(body);
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual(JSON.parse(body));
    }
  });

  it('refuses what the whole parse refuses, with the same answer', async () => {
    const good = bigText(20_000);
    const hostile = [
      good.replace(/\]\}$/, ',]}'), // trailing comma in the minions array
      good.replace('"m-001999"', '"m-001999",'), // a syntax error inside a minion
      good.replace(/\}$/, '}}'), // garbage after the body
      good.replace('{"sn":"m-004000"', '{"__proto__":{"x":1},"sn":"m-004000"'), // prototype poisoning in a minion
      good.replace('{"master":{', '{"master":{"constructor":{"prototype":{"x":1}},'), // and in the envelope
      good.slice(0, -10), // cut short
    ];
    for (const body of hostile) {
      expect(body.length).toBeGreaterThan(PIECEWISE_ABOVE);
      const response = await post(body);
      expect([hostile.indexOf(body), response.statusCode, response.json().code]).toEqual([hostile.indexOf(body), 400, "FST_ERR_CTP_INVALID_JSON_BODY"]);
    }
    const tooComplex = `{"minions":[${'{},'.repeat(shape.maxElements)}{}]}`;
    expect(jsonShapeProblem(tooComplex, shape)).toBe('elements');
    const response = await post(tooComplex);
    expect([response.statusCode, response.json().code]).toEqual([413, 'ACT2_BODY_TOO_COMPLEX']);
  });

  it('lets the event loop run while a huge body is checked and parsed', { timeout: 60_000 }, async () => {
    const body = bigText(200_000); // 12 MB
    // What one structure pass plus one JSON.parse of it costs on this machine right now.
    const syncStarted = performance.now();
    expect(jsonShapeProblem(body, shape)).toBeUndefined();
    JSON.parse(body);
    const syncMs = performance.now() - syncStarted;

    let last = performance.now();
    let worstGap = 0;
    let turns = 0;
    let ticking = true;
    const tick = () => {
      const now = performance.now();
      worstGap = Math.max(worstGap, now - last);
      last = now;
      turns += 1;
      if (ticking) setImmediate(tick);
    };
    // The body reaches the parser as one string: only its check and parse are measured.
    const response = await new Promise<Awaited<ReturnType<typeof post>>>((resolve, reject) => {
      setImmediate(tick);
      post(body).then(resolve, reject);
    });
    ticking = false;
    expect(response.statusCode).toBe(200);
    expect(turns).toBeGreaterThan(100);
    // Before the fix, the whole pass and parse ran in one turn: a gap of at least syncMs.
    expect(worstGap).toBeLessThan(syncMs / 2);
  });
});
