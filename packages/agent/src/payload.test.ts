import { describe, expect, it } from 'vitest';
import { testConfig } from '../test/helpers/config.js';
import type { CollectResult } from './collectors/collector.js';
import { assertValidPayload, buildPayload } from './payload.js';

const agent = { version: '0.1.0', hostname: 'salt-master-01' };
const running: CollectResult = {
  status: 'running',
  warnings: [],
  minions: [
    { id: 'web-02', sn: 'web-02', status: 'stopped', ips: ['10.0.0.12'] },
    { id: 'web-01', sn: 'CZ123', status: 'running', ips: ['10.0.0.11'], serial: 'CZ123', os: 'Debian 12', saltversion: '3006.10' },
  ],
};

describe('buildPayload', () => {
  it("builds seed 000's shape plus the extensions, minions sorted by id", () => {
    const config = testConfig({ salt: { server: 'http://localhost:8001' }, intervalMs: 1_800_000 });
    const { payload } = buildPayload({ config, masterSn: 'MASTER-SN-1', result: running, agent });
    expect(payload).toEqual({
      master: {
        sn: 'MASTER-SN-1',
        server: 'http://localhost:8001',
        status: 'running',
        idc: 'idc-sh-01',
        type: 'salt',
        options: { username: 'apiuser', password: 'pw-s3cret-123' },
      },
      minions: [
        { sn: 'CZ123', status: 'running', ips: ['10.0.0.11'], id: 'web-01', serial: 'CZ123', os: 'Debian 12', saltversion: '3006.10' },
        { sn: 'web-02', status: 'stopped', ips: ['10.0.0.12'], id: 'web-02' },
      ],
      schema_version: 1,
      agent: { version: '0.1.0', hostname: 'salt-master-01' },
      interval_s: 1800,
    });
    expect(() => assertValidPayload(payload)).not.toThrow();
  });

  it('reports a stopped master with its reason and no minions; advertises --advertise-server; omits credentials on request', () => {
    const config = testConfig({ advertiseServer: 'https://salt.example:8000', srvType: 'salt', salt: { sendCredentials: false } });
    const result: CollectResult = { status: 'stopped', minions: [], error: 'cannot reach salt-api at http://127.0.0.1:9: connection refused', code: 'ACT2_SALT_UNREACHABLE', warnings: [] };
    const { payload } = buildPayload({ config, masterSn: 'SN', result, agent });
    expect(payload.master).toEqual({
      sn: 'SN',
      server: 'https://salt.example:8000',
      status: 'stopped',
      idc: 'idc-sh-01',
      type: 'salt',
      error: 'cannot reach salt-api at http://127.0.0.1:9: connection refused',
    });
    expect(payload.minions).toEqual([]);
  });

  it('falls back to the minion id when several minions share a grain sn', () => {
    const shared: CollectResult = {
      status: 'running',
      warnings: [],
      minions: ['a', 'b', 'c'].map((id) => ({ id, sn: id === 'c' ? 'c' : 'HOST-SERIAL', status: 'running' as const, ips: [] })),
    };
    const built = buildPayload({ config: testConfig(), masterSn: 'SN', result: shared, agent });
    expect([built.payload.minions.map((m) => m.sn), built.duplicateSns]).toEqual([['a', 'b', 'c'], 2]);
  });

  it('assertValidPayload names what breaks the contract', () => {
    const { payload } = buildPayload({ config: testConfig(), masterSn: ' ', result: running, agent });
    expect(() => assertValidPayload(payload)).toThrow(expect.objectContaining({ code: 'ACT2_INVALID_PAYLOAD', message: expect.stringContaining('master.sn') }));
  });

  it('checks only the envelope on the send path (act2-server checks the minions), all of it otherwise', () => {
    const { payload } = buildPayload({ config: testConfig(), masterSn: 'SN', result: running, agent });
    const broken = { ...payload, minions: [{ sn: '', status: 'running' as const, ips: ['not an ip'] }] };

    expect(() => assertValidPayload(broken, { minions: false })).not.toThrow();
    expect(() => assertValidPayload(broken)).toThrow(expect.objectContaining({ code: 'ACT2_INVALID_PAYLOAD', message: expect.stringContaining('minions.0') }));
    expect(() => assertValidPayload({ ...broken, master: { ...broken.master, sn: ' ' } }, { minions: false })).toThrow(
      expect.objectContaining({ code: 'ACT2_INVALID_PAYLOAD', message: expect.stringContaining('master.sn') }),
    );
  });
});
