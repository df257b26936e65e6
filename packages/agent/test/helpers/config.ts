import type { AgentConfig, CoreConfig } from '../../src/config.js';
import type { SaltSettings } from '../../src/collectors/salt/config.js';
import { configureSalt } from '../../src/collectors/salt/index.js';

/** Valid salt collector settings for tests. */
export function testSaltSettings(overrides: Partial<SaltSettings> = {}): SaltSettings {
  return {
    server: 'http://127.0.0.1:9',
    user: 'apiuser',
    password: 'pw-s3cret-123',
    passwordSource: 'file',
    eauth: 'file',
    tls: { insecure: false },
    pingTimeoutMs: 1000,
    gatherJobTimeoutMs: 2000,
    sendCredentials: true,
    grainsSource: 'live',
    ...overrides,
  };
}

/** A complete, valid core config for tests. */
export function testCoreConfig(overrides: Partial<CoreConfig> = {}): CoreConfig {
  return {
    logLevel: 'debug',
    act2Server: 'http://127.0.0.1:9',
    act2Tls: { insecure: false },
    srvType: 'salt',
    idc: 'idc-sh-01',
    masterSn: 'MASTER-SN-1',
    timeoutMs: 5000,
    deadlineMs: 10_000,
    splayMs: 0,
    intervalMs: 1_800_000,
    gzip: true,
    dryRun: false,
    excludeInterfaces: ['docker0', 'virbr*', 'veth*'],
    ...overrides,
  };
}

/** A complete, valid config with the salt collector; override what the test is about. */
export function testConfig(overrides: Partial<CoreConfig> & { salt?: Partial<SaltSettings> } = {}): AgentConfig {
  const { salt, ...rest } = overrides;
  const core = testCoreConfig(rest);
  return { ...core, collector: configureSalt(testSaltSettings(salt), core) };
}
