import { generateMinions, type SimMinion } from '@act2/salt-api-sim';

/** One simulated salt-master of the demo. */
export interface DemoMaster {
  sn: string;
  idc: string;
  minions: SimMinion[];
  /** The other master of an HA pair (seed 001: both masters share keys and minions). */
  pair?: string;
}

/**
 * Three masters: a standalone one in Shanghai and an HA pair in Beijing that reports the very same
 * minions (the same generated list is given to both simulators).
 */
export function demoFleet(): DemoMaster[] {
  const shanghai = generateMinions({ count: 30, down: 2, seed: 'sh-01', prefix: 'sh-web-', domain: 'sh.example.net' });
  const beijing = generateMinions({ count: 24, down: 1, seed: 'bj-01', prefix: 'bj-app-', domain: 'bj.example.net' });
  return [
    { sn: 'SH-MASTER-01', idc: 'sh-01', minions: shanghai },
    { sn: 'BJ-MASTER-01', idc: 'bj-01', minions: beijing, pair: 'BJ-MASTER-02' },
    { sn: 'BJ-MASTER-02', idc: 'bj-01', minions: beijing, pair: 'BJ-MASTER-01' },
  ];
}
