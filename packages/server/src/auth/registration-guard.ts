import type { DbOrTrx, EpochMs } from '../db/database.js';
import { HttpError } from '../http/http-error.js';
import { bindMasterKey, findMasterKeyHash } from './master-keys.js';
import { describePrincipal, type Principal } from './principal.js';
import { generateMasterKey, hashSecret } from './secrets.js';

/**
 * What a principal may do to master `sn` of `idc`, decided before the transaction: a token
 * limited to another idc, a key or certificate of another master. Nothing is read or written.
 */
export function checkRegistrationClaim(principal: Principal, master: { sn: string; idc: string }): void {
  if (principal.kind === 'token' && principal.idc !== null && principal.idc !== master.idc) {
    throw new HttpError(403, 'ACT2_FORBIDDEN', `The token "${principal.name}" may only register masters of idc ${principal.idc}, not ${master.idc}`);
  }
  if (principal.kind === 'master-key' && principal.sn !== master.sn) {
    throw new HttpError(409, 'ACT2_MASTER_BOUND', 'This master key belongs to another master: a master may only register itself');
  }
  if (principal.kind === 'certificate' && principal.cn !== master.sn) {
    throw new HttpError(403, 'ACT2_FORBIDDEN', `The client certificate (CN ${principal.cn}) may only register master ${principal.cn}`);
  }
}

function boundError(sn: string, principal: Principal): HttpError {
  const who = principal.kind === 'anonymous' ? 'an anonymous registration' : principal.kind === 'token' ? 'a register token alone' : 'this key';
  return new HttpError(
    409,
    'ACT2_MASTER_BOUND',
    `Master ${sn} is bound to its own key, and ${who} cannot change it: send the key the agent stored in --state-dir, ` +
      `or (a reinstalled master) have an admin run: act2-server master rebind ${sn}`,
  );
}

/**
 * Inside the registration's transaction, after the master row is locked: refuses (409, the
 * transaction rolls back, nothing changes) a registration that may not write this master, and
 * binds a master that a register token enrolls for the first time to a new key, returned once.
 */
export async function guardRegistration(
  trx: DbOrTrx,
  principal: Principal,
  sn: string,
  now: EpochMs,
): Promise<{ issuedKey?: string }> {
  switch (principal.kind) {
    case 'none':
    case 'certificate':
      return {};
    case 'anonymous':
      if ((await findMasterKeyHash(trx, sn)) !== undefined) throw boundError(sn, principal);
      return {};
    case 'master-key':
      // The plugin resolved this key to this sn at most --auth-cache ago; a rebind takes effect
      // within that, like a token revocation. No query here: this is every agent's hot path.
      return {};
    case 'token': {
      if ((await findMasterKeyHash(trx, sn)) !== undefined) throw boundError(sn, principal);
      const key = generateMasterKey();
      // Two instances enrolling the same sn at once: the second insert finds the first binding.
      const bound = await bindMasterKey(trx, { sn, keyHash: hashSecret(key), enrolledBy: describePrincipal(principal) }, now);
      if (!bound) throw boundError(sn, principal);
      return { issuedKey: key };
    }
  }
}
