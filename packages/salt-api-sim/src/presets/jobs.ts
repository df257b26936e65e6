/**
 * The installation of the job captures 80–131 (fixtures/salt-api-captures/README-jobs.md): minions
 * `m-1`..`m-3`, master id `vm`, external_auth file user `apiuser` with `.*`, `@runner`, `@wheel`,
 * `@jobs`. The HA part (120–131) is two simulators built from this preset: each keeps its own job store
 * and sessions. The password stands in for the captures' `<PASSWORD>`.
 */
import type { SimMinion, SimUser } from '../types.js';

export const JOBS_SECRETS = { '<PASSWORD>': 'jobs-apiuser-pw' } as const;

export const JOBS_USERS: SimUser[] = [
  { name: 'apiuser', password: JOBS_SECRETS['<PASSWORD>'], eauth: 'file', perms: ['.*', '@runner', '@wheel', '@jobs'] },
];

export const JOBS_MASTER_ID = 'vm';

export function jobsMinions(): SimMinion[] {
  return ['m-1', 'm-2', 'm-3'].map((id) => ({ id, up: true, grains: { id, os: 'Debian', osrelease: '12', ipv4: ['127.0.0.1'] } }));
}

/** Options reproducing the job-capture installation; spread into `createSaltApiSim`. */
export function jobsPreset() {
  return { minions: jobsMinions(), users: JOBS_USERS, masterId: JOBS_MASTER_ID };
}
