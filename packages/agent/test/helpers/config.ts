import type { AgentConfig } from '../../src/config.js';

/** A complete, valid config for tests; override what the test is about. */
export function testConfig(overrides: Partial<AgentConfig> = {}): AgentConfig {
  return {
    logLevel: 'debug',
    saltServer: 'http://127.0.0.1:9',
    saltUser: 'apiuser',
    saltPassword: 'pw-s3cret-123',
    saltPasswordSource: 'file',
    saltEauth: 'file',
    saltTls: { insecure: false },
    act2Server: 'http://127.0.0.1:9',
    act2Tls: { insecure: false },
    srvType: 'salt',
    idc: 'idc-sh-01',
    masterSn: 'MASTER-SN-1',
    timeoutMs: 5000,
    pingTimeoutMs: 1000,
    gatherJobTimeoutMs: 2000,
    deadlineMs: 10_000,
    splayMs: 0,
    intervalMs: 1_800_000,
    sendCredentials: true,
    gzip: true,
    dryRun: false,
    excludeInterfaces: ['docker0', 'virbr*', 'veth*'],
    grainsSource: 'live',
    ...overrides,
  };
}
