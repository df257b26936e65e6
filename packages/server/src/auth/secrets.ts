import { hash, randomBytes } from 'node:crypto';
import { MASTER_KEY_PREFIX, TOKEN_PREFIX } from '@act2/shared';

/** 32 random bytes = 256 bits, the floor for anything that authenticates on its own. */
const SECRET_BYTES = 32;

/** A new API token: `act2t_` + 256 random bits in base64url. Shown once, never stored. */
export function generateToken(): string {
  return `${TOKEN_PREFIX}${randomBytes(SECRET_BYTES).toString('base64url')}`;
}

/** A new per-master key: `act2k_` + 256 random bits in base64url. */
export function generateMasterKey(): string {
  return `${MASTER_KEY_PREFIX}${randomBytes(SECRET_BYTES).toString('base64url')}`;
}

/** The public handle of a token (`tok_` + 48 random bits): safe in logs, lists and commands. */
export function generateTokenId(): string {
  return `tok_${randomBytes(6).toString('hex')}`;
}

/**
 * What the database keeps of a token or key: SHA-256, hex. A fast hash is enough (and lets the
 * lookup be an index probe): the secrets are 256 random bits, so there is nothing to brute-force
 * that a slow password hash would protect.
 */
export function hashSecret(secret: string): string {
  // One-shot crypto.hash: a third of createHash's cost on short input, and this runs on every request.
  return hash('sha256', secret, 'hex');
}

/** Whether a bearer value looks like one of ours (prefix and length), before touching the database. */
export function credentialKind(value: string): 'token' | 'master-key' | undefined {
  if (!/^[A-Za-z0-9_-]{40,100}$/.test(value)) return undefined;
  if (value.startsWith(TOKEN_PREFIX)) return 'token';
  if (value.startsWith(MASTER_KEY_PREFIX)) return 'master-key';
  return undefined;
}
