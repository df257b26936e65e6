import type { RegisterMinionInput, RegisterRequest, RegisterRequestInput } from '@act2/shared';
import { RegisterRequest as RegisterRequestSchema } from '@act2/shared';

/**
 * Exactly what the original heartbeat.py (idcos/cloud-act2 scripts/heartbeat.py) posts: the
 * product_uuid with its newline, answering minions with ips, silent ones as {sn, status} only,
 * and the salt-api credentials in options.
 */
export function originalHeartbeatPayload(password = 'S3cr3t-salt-pw') {
  return {
    master: {
      server: 'http://localhost:8001',
      options: { username: 'salt-api', password },
      status: 'running',
      idc: 'idc-sh-01',
      type: 'salt',
      sn: '4C4C4544-0042-3510-8052-B4C04F384B32\n',
    },
    minions: [
      { sn: 'web-01', ips: ['10.0.0.11', '172.17.0.1'], status: 'running' },
      { sn: 'web-02', status: 'stopped' },
      { sn: 'web-03', ips: ['10.0.0.13'], status: 'running' },
    ],
  };
}

/** A registration input for tests: running master `sn` with the given minions. */
export function payload(
  sn: string,
  minions: RegisterMinionInput[],
  master: Partial<RegisterRequestInput['master']> = {},
): RegisterRequestInput {
  return {
    master: { sn, server: `http://${sn}:8001`, status: 'running', idc: 'idc-1', type: 'salt', ...master },
    minions,
  };
}

/** The same, parsed as the route would hand it to the service. */
export function request(sn: string, minions: RegisterMinionInput[], master: Partial<RegisterRequestInput['master']> = {}): RegisterRequest {
  return RegisterRequestSchema.parse(payload(sn, minions, master));
}

/** `count` running minions `<prefix>-00001…` with one IP each. */
export function manyMinions(count: number, prefix = 'minion'): RegisterMinionInput[] {
  return Array.from({ length: count }, (_, i) => ({
    sn: `${prefix}-${String(i).padStart(5, '0')}`,
    status: 'running' as const,
    ips: [`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`],
  }));
}
