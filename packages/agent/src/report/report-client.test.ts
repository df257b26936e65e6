import { Agent } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import type { RegisterRequestInput } from '@act2/shared';
import { saltJson } from '../../test/helpers/captures.js';
import { captureLogs } from '../../test/helpers/logs.js';
import { startReplayServer } from '../../test/helpers/replay-server.js';
import type { Expectation, ReplayServer } from '../../test/helpers/replay-server.js';
import { exitCodeFor } from '../errors.js';
import { createReportClient } from './report-client.js';

const PAYLOAD: RegisterRequestInput = {
  master: { sn: 'SN-1', server: 'http://localhost:8001', status: 'running', idc: 'idc-1', type: 'salt' },
  minions: [{ sn: 'web-01', status: 'running', ips: ['10.0.0.1'] }],
};
const RESPONSE = { master: { sn: 'SN-1', status: 'running', recovered: false, created: true }, minions: { total: 1, joined: 1, left: 0, changed: 0 } };
const register = (reply: Expectation['reply'], check?: Expectation['check']): Expectation => ({ method: 'POST', path: '/act2/register', reply, ...(check ? { check } : {}) });
const unavailable = saltJson({ code: 'ACT2_DB_UNAVAILABLE', message: 'database unavailable' }, 503);

let server: ReplayServer | undefined;
let agent: Agent | undefined;

afterEach(async () => {
  await agent?.close();
  await server?.close();
});

/** A client on a fake clock: sleeping advances time instantly and is recorded. */
async function clientFor(
  expectations: Expectation[],
  options: { deadlineMs?: number; timeoutMs?: number; gzipThresholdBytes?: number; gzip?: boolean; baseUrl?: string; realTime?: boolean } = {},
) {
  server = await startReplayServer(expectations);
  agent = new Agent();
  let clock = 0;
  const started = performance.now();
  const sleeps: number[] = [];
  const logs = captureLogs();
  const client = createReportClient({
    baseUrl: options.baseUrl ?? `${server.url}/act2`,
    dispatcher: agent,
    timeoutMs: options.timeoutMs ?? 2000,
    deadlineMs: options.deadlineMs ?? 60_000,
    log: logs.log,
    // realTime: requests advance the clock too (for what depends on how long an attempt took).
    now: () => clock + (options.realTime ? Math.round(performance.now() - started) : 0),
    sleep: async (ms) => {
      sleeps.push(ms);
      clock += ms;
    },
    random: () => 1,
    gzipThresholdBytes: options.gzipThresholdBytes ?? 1_000_000,
    ...(options.gzip === undefined ? {} : { gzip: options.gzip }),
    backoff: { baseMs: 500, maxMs: 8000 },
  });
  return { client, sleeps, logs };
}

describe('act2-server report client', () => {
  it('POSTs JSON to {act2-server}/register and returns the parsed response', async () => {
    const { client } = await clientFor([
      register(saltJson(RESPONSE), (req) => {
        expect(req.json).toEqual(PAYLOAD);
        expect([req.headers['content-type'], req.headers['content-encoding']]).toEqual(['application/json', undefined]);
      }),
    ]);
    expect(await client.register(PAYLOAD)).toMatchObject({ status: 200, attempts: 1, response: RESPONSE, gzip: false, server: 'act2-server' });
    server?.assertDone();
  });

  it('retries 503, 429 (honouring Retry-After) and a hanging attempt with backoff, then succeeds', async () => {
    const { client, sleeps, logs } = await clientFor(
      [register(unavailable), register({ headers: { 'retry-after': '3' }, answer: saltJson({}, 429) }), register({ hang: true }), register(saltJson(RESPONSE, 201))],
      { timeoutMs: 150 },
    );
    expect(await client.register(PAYLOAD)).toMatchObject({ status: 201, attempts: 4, response: RESPONSE });
    expect(sleeps).toEqual([500, 3000, 2000]);
    expect(logs.lines().filter((l) => l.msg === 'register failed, retrying').map((l) => l.reason)).toEqual(['HTTP 503 ACT2_DB_UNAVAILABLE: database unavailable', 'HTTP 429', 'no answer within 150ms']);
    server?.assertDone();
  });

  it('does not retry a 4xx and logs the server’s code, message and issues', async () => {
    const issues = [{ path: 'minions.0.ips.0', message: 'Invalid IPv4 address' }];
    const { client, logs } = await clientFor([register(saltJson({ code: 'ACT2_VALIDATION', message: 'invalid registration', issues }, 400))]);
    const error = await client.register(PAYLOAD).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ACT2_SERVER_REJECTED', message: 'act2-server rejected the registration: HTTP 400 ACT2_VALIDATION: invalid registration' });
    expect(exitCodeFor(error)).toBe(4);
    expect(logs.lines().at(-1)).toMatchObject({ msg: 'act2-server rejected the registration', status: 400, code: 'ACT2_VALIDATION', issues });
    server?.assertDone();
  });

  it('makes one last attempt at the end of --deadline when the next wait would pass it', async () => {
    const { client, sleeps, logs } = await clientFor([register(unavailable), register(unavailable), register(unavailable), register(saltJson(RESPONSE))], { deadlineMs: 3000 });
    expect(await client.register(PAYLOAD)).toMatchObject({ status: 200, attempts: 4 });
    // Waits of 500 and 1000 leave 1500 ms; the next wait (2000) would pass the deadline, so the
    // fast-failing server is tried once more when 1 s (the least an attempt gets) is left.
    expect(sleeps).toEqual([500, 1000, 500]);
    expect(logs.lines().at(-2)).toMatchObject({ level: 40, msg: 'register failed, last attempt with the time left', attempt: 3, retry_in_ms: 500, timeout_ms: 1000 });
    server?.assertDone();
  });

  it('gives up after that last attempt (exit code 3)', async () => {
    const { client, sleeps } = await clientFor([register(unavailable), register(unavailable), register(unavailable), register(unavailable)], { deadlineMs: 3000 });
    const error = await client.register(PAYLOAD).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ACT2_SERVER_UNREACHABLE', message: expect.stringContaining('after 4 attempt(s): HTTP 503 ACT2_DB_UNAVAILABLE: database unavailable') });
    expect(exitCodeFor(error)).toBe(3);
    expect(sleeps).toEqual([500, 1000, 500]);
    server?.assertDone();
  });

  it('gives a server that timed out the time left at once, not after a wait', async () => {
    const { client, sleeps, logs } = await clientFor([register({ hang: true }), register(saltJson(RESPONSE))], { deadlineMs: 2400, timeoutMs: 1200, realTime: true });
    expect(await client.register(PAYLOAD)).toMatchObject({ status: 200, attempts: 2 });
    expect(sleeps).toEqual([]);
    expect(logs.lines().find((l) => l.msg === 'register failed, last attempt with the time left')).toMatchObject({ retry_in_ms: 0 });
    server?.assertDone();
  });

  it('makes no last attempt when Retry-After asks for more than is left', async () => {
    const busy = { headers: { 'retry-after': '10' }, answer: saltJson({}, 429) };
    const { client, sleeps } = await clientFor([register(unavailable), register(busy)], { deadlineMs: 5000 });
    await expect(client.register(PAYLOAD)).rejects.toMatchObject({ code: 'ACT2_SERVER_UNREACHABLE', message: expect.stringContaining('after 2 attempt(s): HTTP 429') });
    expect(sleeps).toEqual([500]);
    server?.assertDone();
  });

  it('refuses a 2xx that is not act2-server (a proxy or web server page) without retrying: exit code 4', async () => {
    const page = { status: 200, contentType: 'text/html', body: Buffer.from('<html><body>Welcome to nginx!</body></html>') };
    const { client, logs } = await clientFor([register(page)]);
    const error = await client.register(PAYLOAD).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'ACT2_SERVER_BAD_RESPONSE',
      message: `act2-server at ${server?.url}/act2 answered HTTP 200 with a body that is not a registration result (text/html): is --act2-server the act2-server URL?`,
    });
    expect(exitCodeFor(error)).toBe(4);
    expect(logs.lines().at(-1)).toMatchObject({ msg: 'act2-server answered with an unexpected body', status: 200, content_type: 'text/html' });
    server?.assertDone();
  });

  it('refuses a 2xx JSON body that is not a RegisterResponse, and accepts one with fields it does not read missing or added', async () => {
    const { client } = await clientFor([register(saltJson({ ok: true })), register(saltJson({ master: { sn: 'SN-1', status: 'running', epoch: 3 }, minions: {}, extra: 1 }))]);
    await expect(client.register(PAYLOAD)).rejects.toMatchObject({ code: 'ACT2_SERVER_BAD_RESPONSE' });
    expect(await client.register(PAYLOAD)).toMatchObject({ status: 200, response: { master: { sn: 'SN-1', status: 'running' } } });
    server?.assertDone();
  });

  it('retries connection refused with backoff until the deadline, not giving up with time left (issue 11 #11)', async () => {
    const { client, sleeps } = await clientFor([], { baseUrl: 'http://127.0.0.1:9', deadlineMs: 20_000, timeoutMs: 60_000 });
    await expect(client.register(PAYLOAD)).rejects.toMatchObject({
      code: 'ACT2_SERVER_UNREACHABLE',
      message: 'act2-server at http://127.0.0.1:9 not reachable within --deadline after 7 attempt(s): connection refused',
    });
    // Backoff 0.5 + 1 + 2 + 4 + 8 s brings it to 15.5 s; the last attempt waits until 1 s is left.
    expect(sleeps).toEqual([500, 1000, 2000, 4000, 8000, 3500]);
    expect(sleeps.reduce((a, b) => a + b, 0)).toBe(19_000);
  });

  it("counts the original act2's {status: success} envelope as registered", async () => {
    const { client } = await clientFor([register(saltJson({ status: 'success', message: '', content: null }))]);
    expect(await client.register(PAYLOAD)).toMatchObject({ status: 200, attempts: 1, server: 'original act2' });
    server?.assertDone();
  });

  it("rejects on the original act2's {status: error} envelope (HTTP 200) with its message, without retrying: exit code 4", async () => {
    const { client, logs } = await clientFor([register(saltJson({ status: 'error', message: 'record not found: idc sh-99', content: null }))]);
    const error = await client.register(PAYLOAD).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ACT2_SERVER_REJECTED', message: 'the original act2 rejected the registration: record not found: idc sh-99' });
    expect(exitCodeFor(error)).toBe(4);
    expect(logs.lines().at(-1)).toMatchObject({ level: 50, msg: 'act2-server rejected the registration', server: 'original act2', message: 'record not found: idc sh-99' });
    server?.assertDone();
  });

  it('gzips bodies from the threshold on (the test server gunzips them)', async () => {
    const { client } = await clientFor(
      [
        register(saltJson(RESPONSE), (req) => {
          expect(req.headers['content-encoding']).toBe('gzip');
          expect(req.rawBody.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
          expect(req.json).toEqual(PAYLOAD);
        }),
      ],
      { gzipThresholdBytes: 100 },
    );
    expect(await client.register(PAYLOAD)).toMatchObject({ gzip: true, status: 200 });
    server?.assertDone();
  });

  it('never gzips with gzip off (--no-gzip), whatever the size', async () => {
    const { client } = await clientFor([register(saltJson(RESPONSE), (req) => expect(req.headers['content-encoding']).toBeUndefined())], { gzipThresholdBytes: 1, gzip: false });
    expect(await client.register(PAYLOAD)).toMatchObject({ gzip: false, attempts: 1 });
    server?.assertDone();
  });

  const gzipped = (req: { headers: Record<string, unknown> }) => expect(req.headers['content-encoding']).toBe('gzip');
  const plain = (req: { headers: Record<string, unknown>; json: unknown }) => {
    expect(req.headers['content-encoding']).toBeUndefined();
    expect(req.json).toEqual(PAYLOAD);
  };

  it.each([
    ['415', saltJson({ code: 'ACT2_UNSUPPORTED_MEDIA_TYPE', message: 'Unsupported Content-Encoding: only gzip is accepted' }, 415)],
    ['400 ACT2_BAD_ENCODING', saltJson({ code: 'ACT2_BAD_ENCODING', message: 'Request body is not valid gzip' }, 400)],
  ])('sends the body again uncompressed, at once, when the gzipped one gets %s, and suggests --no-gzip', async (_, refusal) => {
    const { client, sleeps, logs } = await clientFor([register(refusal, gzipped), register(saltJson(RESPONSE), plain)], { gzipThresholdBytes: 1 });
    expect(await client.register(PAYLOAD)).toMatchObject({ status: 200, gzip: false, attempts: 2, response: RESPONSE });
    expect(sleeps).toEqual([]);
    expect(logs.lines().filter((l) => l.level === 40)).toEqual([
      expect.objectContaining({ msg: 'act2-server refused the gzipped body, sending it uncompressed', status: refusal.status, hint: 'set --no-gzip (ACT2_NO_GZIP=1) for this act2-server' }),
    ]);
    server?.assertDone();
  });

  // What the original act2's json.Unmarshal says about a gzipped body (its first byte is 0x1f).
  const goGzipError = saltJson({ status: 'error', message: "invalid character '\\x1f' looking for beginning of value", content: null });

  it("sends the body again uncompressed, once, when the original act2 answers a gzipped one with an error envelope", async () => {
    const ok = saltJson({ status: 'success', message: '', content: null });
    const { client, sleeps, logs } = await clientFor([register(goGzipError, gzipped), register(ok, plain)], { gzipThresholdBytes: 1 });
    expect(await client.register(PAYLOAD)).toMatchObject({ status: 200, gzip: false, attempts: 2, server: 'original act2' });
    expect(sleeps).toEqual([]);
    expect(logs.lines().filter((l) => l.level === 40)).toEqual([
      expect.objectContaining({
        msg: 'the original act2 could not read the gzipped body, sending it uncompressed',
        message: "invalid character '\\x1f' looking for beginning of value",
        hint: 'set --no-gzip (ACT2_NO_GZIP=1) for this act2 server',
      }),
    ]);
    server?.assertDone();
  });

  it('rejects when the uncompressed body gets an error envelope too: one resend, no more', async () => {
    const refusal = saltJson({ status: 'error', message: 'record not found: idc sh-99', content: null });
    const { client } = await clientFor([register(goGzipError, gzipped), register(refusal, plain)], { gzipThresholdBytes: 1 });
    await expect(client.register(PAYLOAD)).rejects.toMatchObject({ code: 'ACT2_SERVER_REJECTED', message: 'the original act2 rejected the registration: record not found: idc sh-99' });
    server?.assertDone();
  });

  it('falls back to uncompressed only once, and not for other 400s', async () => {
    const refusal = saltJson({ code: 'ACT2_UNSUPPORTED_MEDIA_TYPE', message: 'no' }, 415);
    const { client } = await clientFor([register(refusal, gzipped), register(refusal, plain), register(saltJson({ code: 'ACT2_VALIDATION', message: 'bad' }, 400), gzipped)], { gzipThresholdBytes: 1 });
    await expect(client.register(PAYLOAD)).rejects.toMatchObject({ code: 'ACT2_SERVER_REJECTED', message: 'act2-server rejected the registration: HTTP 415 ACT2_UNSUPPORTED_MEDIA_TYPE: no' });
    await expect(client.register(PAYLOAD)).rejects.toMatchObject({ code: 'ACT2_SERVER_REJECTED', message: 'act2-server rejected the registration: HTTP 400 ACT2_VALIDATION: bad' });
    server?.assertDone();
  });
});
