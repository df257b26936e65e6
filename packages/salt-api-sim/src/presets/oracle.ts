/**
 * The captured installation (fixtures/salt-api-captures/README.md): minions oracle-minion-1..3 with
 * their captured grains (paths redacted as in the captures), master id `vm`, external_auth users
 * `apiuser` (file, sharedsecret), `limited` (`test.*` only) and `saltpam` (pam). The captures hide the
 * real passwords; these stand in for the `<PASSWORD>`-style placeholders.
 */
import type { SimMinion, SimUser } from '../types.js';
import grains from './oracle-grains.json' with { type: 'json' };

export const ORACLE_SECRETS = {
  '<PASSWORD>': 'oracle-apiuser-pw',
  '<LIMITED_PASSWORD>': 'oracle-limited-pw',
  '<SHARED_SECRET>': 'oracle-shared-secret',
  '<PAM_PASSWORD>': 'oracle-pam-pw',
} as const;

const FULL_PERMS = ['.*', '@runner', '@wheel', '@jobs'];

export const ORACLE_USERS: SimUser[] = [
  { name: 'apiuser', password: ORACLE_SECRETS['<PASSWORD>'], eauth: 'file', perms: FULL_PERMS },
  { name: 'apiuser', password: ORACLE_SECRETS['<SHARED_SECRET>'], eauth: 'sharedsecret', perms: FULL_PERMS },
  { name: 'limited', password: ORACLE_SECRETS['<LIMITED_PASSWORD>'], eauth: 'file', perms: ['test.*'] },
  { name: 'saltpam', password: ORACLE_SECRETS['<PAM_PASSWORD>'], eauth: 'pam', perms: FULL_PERMS },
];

export const ORACLE_MASTER_ID = 'vm';

/** A fresh copy of the three captured minions, all up. */
export function oracleMinions(): SimMinion[] {
  return Object.entries(grains as Record<string, Record<string, unknown>>).map(([id, g]) => ({ id, up: true, grains: g }));
}

/** Options reproducing the capture installation; spread into `createSaltApiSim`. */
export function oraclePreset() {
  return { minions: oracleMinions(), users: ORACLE_USERS, masterId: ORACLE_MASTER_ID };
}
