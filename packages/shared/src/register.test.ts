import { describe, expect, it } from 'vitest';
import { RegisterRequest } from './register.js';

/** Built exactly as heartbeat.py builds it (scripts/heartbeat.py in idcos/cloud-act2). */
function originalPayload() {
  return {
    master: {
      server: 'http://localhost:8001',
      options: { username: 'salt-api', password: 'secret' },
      status: 'running',
      idc: 'idc-sh-01',
      type: 'salt',
      sn: '4C4C4544-0042-3510-8052-B4C04F384B32\n',
    },
    minions: [
      { sn: 'web-01', ips: ['10.0.0.11', '172.17.0.1'], status: 'running' },
      { sn: 'web-02', status: 'stopped' },
      { sn: 'web-03', status: 'running' },
    ],
  };
}

describe('RegisterRequest', () => {
  it('accepts the original heartbeat.py payload, trimming the master sn and defaulting ips', () => {
    const parsed = RegisterRequest.parse(originalPayload());
    expect(parsed.master.sn).toBe('4C4C4544-0042-3510-8052-B4C04F384B32');
    expect(parsed.master.options).toEqual({ username: 'salt-api', password: 'secret' });
    expect(parsed.minions.map((m) => m.ips)).toEqual([['10.0.0.11', '172.17.0.1'], [], []]);
  });

  it('strips unknown fields instead of rejecting them (newer agents)', () => {
    const payload = { ...originalPayload(), future_field: 1, master: { ...originalPayload().master, zone: 'a' } };
    const parsed = RegisterRequest.parse(payload);
    expect(parsed).not.toHaveProperty('future_field');
    expect(parsed.master).not.toHaveProperty('zone');
  });

  it('is strict about types and names the failing field', () => {
    const payload = originalPayload();
    (payload.minions[0] as { ips: unknown }).ips = ['10.0.0.300'];
    const result = RegisterRequest.safeParse(payload);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['minions', 0, 'ips', 0]);
  });

  it('rejects an empty master sn and an unknown status', () => {
    const payload = originalPayload();
    payload.master.sn = ' \n';
    payload.master.status = 'maybe';
    const result = RegisterRequest.safeParse(payload);
    expect(result.error?.issues.map((i) => i.path.join('.')).sort()).toEqual(['master.sn', 'master.status']);
  });

  it('rejects NUL in any string and control characters in identifiers, naming each field', () => {
    const payload = originalPayload() as ReturnType<typeof originalPayload> & { master: { error?: string } };
    payload.master.sn = 'master\u0000';
    payload.master.idc = 'idc\u001b[31m';
    payload.master.error = 'salt-api said \u0000';
    payload.master.options.password = 'pw\u0000';
    payload.minions[1] = { sn: 'web\t02', status: 'stopped', os: 'Ubuntu\u0000' } as never;

    const result = RegisterRequest.safeParse(payload);

    expect(result.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['master.sn', 'must not contain control characters'],
      ['master.idc', 'must not contain control characters'],
      ['master.options.password', 'must not contain NUL characters'],
      ['master.error', 'must not contain NUL characters'],
      ['minions.1.sn', 'must not contain control characters'],
      ['minions.1.os', 'must not contain NUL characters'],
    ]);
  });

  it('keeps tabs and line breaks in free text', () => {
    const payload = { ...originalPayload(), master: { ...originalPayload().master, status: 'stopped', error: 'line 1\n\tline 2\r\n' } };

    expect(RegisterRequest.parse(payload).master.error).toBe('line 1\n\tline 2\r\n');
  });
});

describe('RegisterRequest strings', () => {
  const base = () => ({
    master: { sn: 'm-1', server: 'http://salt-01:8001', status: 'running', idc: 'idc', type: 'salt' },
    minions: [{ sn: 'web-01', status: 'running' }],
  });
  const failing = (payload: unknown) => RegisterRequest.safeParse(payload).error?.issues.map((i) => i.path.join('.'));

  it('refuses lone surrogates in every string, naming the field', () => {
    const payload = base();
    payload.master.sn = 'r2-\ud800';
    (payload.minions[0] as Record<string, unknown>).os = 'x\udc00y';
    expect(failing(payload)).toEqual(['master.sn', 'minions.0.os']);
    // A surrogate pair is a real character and passes.
    payload.master.sn = 'r2-\ud83d\ude00';
    (payload.minions[0] as Record<string, unknown>).os = 'linux';
    expect(failing(payload)).toBeUndefined();
  });

  it('accepts only http(s) URLs without credentials as master.server', () => {
    for (const server of ['file:///etc/passwd', 'javascript:alert(1)', 'not a url', 'http://user:password@salt:8001', 'https://user@salt', 'ftp://salt']) {
      const payload = base();
      payload.master.server = server;
      expect([server, failing(payload)]).toEqual([server, ['master.server']]);
    }
    for (const server of ['http://salt-01:8001', 'https://10.0.0.1/', 'http://[fd00::1]:8000/api']) {
      const payload = base();
      payload.master.server = server;
      expect([server, failing(payload)]).toEqual([server, undefined]);
    }
  });
});

describe('RegisterRequest numbers', () => {
  it('bounds interval_s to what a 32-bit integer column holds (found by the fuzz suite: a 500 on PostgreSQL)', () => {
    const body = (interval_s: number) => ({
      master: { sn: 'm', server: 'http://m:1', status: 'running', idc: 'i', type: 'salt' },
      minions: [],
      interval_s,
    });
    expect(RegisterRequest.safeParse(body(1800)).success).toBe(true);
    expect(RegisterRequest.safeParse(body(Number.MAX_SAFE_INTEGER)).error?.issues.map((i) => i.path.join('.'))).toEqual(['interval_s']);
  });
});
