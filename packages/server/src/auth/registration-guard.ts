import type { DbOrTrx, EpochMs, MastersTable } from '../db/database.js';
import { HttpError } from '../http/http-error.js';
import { bindMasterKey, findMasterKeyHash } from './master-keys.js';
import { describePrincipal, type Principal } from './principal.js';
import { generateMasterKey, hashSecret } from './secrets.js';

/**
 * What a principal may do to master `sn` of `idc`, decided before the transaction: a token
 * limited to another idc, a key or certificate of another master, a key enrolled by a token of
 * another idc. Nothing is read or written.
 */
export function checkRegistrationClaim(principal: Principal, master: { sn: string; idc: string }): void {
  if (principal.kind === 'token' && principal.idc !== null && principal.idc !== master.idc) {
    throw new HttpError(403, 'ACT2_FORBIDDEN', `The token "${principal.name}" may only register masters of idc ${principal.idc}, not ${master.idc}`);
  }
  if (principal.kind === 'master-key' && principal.sn !== master.sn) {
    throw new HttpError(409, 'ACT2_MASTER_BOUND', 'This master key belongs to another master: a master may only register itself');
  }
  if (principal.kind === 'master-key' && principal.idc !== null && principal.idc !== master.idc) {
    throw new HttpError(
      403,
      'ACT2_FORBIDDEN',
      `The key of master ${principal.sn} was enrolled by a token of idc ${principal.idc}: it may not register it in idc ${master.idc}`,
    );
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
 * Inside the registration's transaction, after the master row is locked (`stored`: that row,
 * undefined for a master this registration creates): refuses (403 or 409, the transaction rolls
 * back, nothing changes) a registration that may not write this master, and binds a master that
 * a register token enrolls for the first time to a new key, limited to the token's idc, returned once.
 */
export async function guardRegistration(
  trx: DbOrTrx,
  principal: Principal,
  sn: string,
  stored: Pick<MastersTable, 'idc'> | undefined,
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
      // The request's idc was checked before; a token of sh-01 must not claim a bj-01 master either.
      if (principal.idc !== null && stored !== undefined && stored.idc !== principal.idc) {
        throw new HttpError(403, 'ACT2_FORBIDDEN', `The token "${principal.name}" may only register masters of idc ${principal.idc}; master ${sn} is of idc ${stored.idc}`);
      }
      if ((await findMasterKeyHash(trx, sn)) !== undefined) throw boundError(sn, principal);
      const key = generateMasterKey();
      // Two instances enrolling the same sn at once: the second insert finds the first binding.
      const bound = await bindMasterKey(trx, { sn, keyHash: hashSecret(key), enrolledBy: describePrincipal(principal), idc: principal.idc }, now);
      if (!bound) throw boundError(sn, principal);
      return { issuedKey: key };
    }
  }
}
