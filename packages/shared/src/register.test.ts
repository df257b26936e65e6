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
});
