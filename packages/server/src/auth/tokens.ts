import { TokenScope, type ApiToken } from '@act2/shared';
import type { Selectable } from 'kysely';
import type { ApiTokensTable, DbOrTrx, EpochMs } from '../db/database.js';
import { bumpAuthEpoch } from './epoch.js';
import { generateToken, generateTokenId, hashSecret } from './secrets.js';

/** A token as `token list` shows it: never the secret, never its hash. */
export interface TokenInfo {
  id: string;
  name: string;
  scopes: TokenScope[];
  idc: string | null;
  createdAt: EpochMs;
  lastUsedAt: EpochMs | null;
  expiresAt: EpochMs | null;
  revokedAt: EpochMs | null;
}

export interface NewToken {
  name: string;
  scopes: readonly TokenScope[];
  idc?: string | undefined;
  expiresAt?: EpochMs | undefined;
}

/** Stable codes for the CLI to map to messages. */
export class TokenError extends Error {
  constructor(
    readonly code: 'ACT2_TOKEN_NAME_TAKEN' | 'ACT2_TOKEN_NOT_FOUND' | 'ACT2_TOKEN_INVALID',
    message: string,
  ) {
    super(message);
    this.name = 'TokenError';
  }
}

/**
 * The longest token name, in characters: a key it enrolls records `token:<name>` in
 * master_keys.enrolled_by, a key column (VARCHAR(255) on MySQL, where a longer value is an error).
 */
export const TOKEN_NAME_MAX = 200;

/** Creates a token; the returned `token` is the only time its secret exists outside the caller. */
export async function createToken(db: DbOrTrx, input: NewToken, now: EpochMs): Promise<{ token: string; info: TokenInfo }> {
  const name = input.name.trim();
  const length = [...name].length;
  if (length === 0 || length > TOKEN_NAME_MAX) {
    throw new TokenError('ACT2_TOKEN_INVALID', `a token name is 1 to ${TOKEN_NAME_MAX} characters (this one has ${length})`);
  }
  const scopes = [...new Set(input.scopes)].sort();
  if (scopes.length === 0) throw new TokenError('ACT2_TOKEN_INVALID', `give at least one --scope (${TokenScope.options.join(', ')})`);
  if (input.expiresAt !== undefined && input.expiresAt <= now) throw new TokenError('ACT2_TOKEN_INVALID', 'the expiry is in the past');
  const existing = await db.selectFrom('api_tokens').select('id').where('name', '=', name).executeTakeFirst();
  if (existing) throw new TokenError('ACT2_TOKEN_NAME_TAKEN', `a token named "${name}" exists (${existing.id}): choose another name`);
  const token = generateToken();
  const row = {
    id: generateTokenId(),
    name,
    token_hash: hashSecret(token),
    scopes: scopes.join(','),
    idc: input.idc?.trim() || null,
    created_at: now,
    last_used_at: null,
    expires_at: input.expiresAt ?? null,
    revoked_at: null,
  } satisfies Selectable<ApiTokensTable>;
  await db.insertInto('api_tokens').values(row).execute();
  return { token, info: toInfo(row) };
}

export async function listTokens(db: DbOrTrx): Promise<TokenInfo[]> {
  const rows = await db.selectFrom('api_tokens').selectAll().orderBy('created_at').orderBy('id').execute();
  return rows.map(toInfo);
}

/**
 * Revokes by id or name, in one transaction with the auth epoch bump that makes every instance
 * drop its cached checks. Revoking a revoked token keeps its first revocation time and bumps the
 * epoch again, so re-running a revocation repairs one whose bump never landed.
 */
export async function revokeToken(db: DbOrTrx, idOrName: string, now: EpochMs): Promise<TokenInfo> {
  const revoke = async (trx: DbOrTrx): Promise<TokenInfo> => {
    const row = await trx
      .selectFrom('api_tokens')
      .selectAll()
      .where((eb) => eb.or([eb('id', '=', idOrName), eb('name', '=', idOrName)]))
      .executeTakeFirst();
    if (!row) throw new TokenError('ACT2_TOKEN_NOT_FOUND', `no token with id or name "${idOrName}" (see: act2-server token list)`);
    if (row.revoked_at === null) {
      await trx.updateTable('api_tokens').set({ revoked_at: now }).where('id', '=', row.id).where('revoked_at', 'is', null).execute();
      row.revoked_at = now;
    }
    await bumpAuthEpoch(trx);
    return toInfo(row);
  };
  return db.isTransaction ? revoke(db) : db.transaction().execute(revoke);
}

/** Tokens that can still authenticate at `now`: what start-up counts to warn about an unusable server. */
export async function countUsableTokens(db: DbOrTrx, now: EpochMs): Promise<number> {
  const row = await db
    .selectFrom('api_tokens')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('revoked_at', 'is', null)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** The token whose secret hashes to `hash`, revoked or not (the caller decides). */
export async function findTokenByHash(db: DbOrTrx, hash: string): Promise<TokenInfo | undefined> {
  const row = await db.selectFrom('api_tokens').selectAll().where('token_hash', '=', hash).executeTakeFirst();
  return row ? toInfo(row) : undefined;
}

export async function touchToken(db: DbOrTrx, id: string, now: EpochMs): Promise<void> {
  await db.updateTable('api_tokens').set({ last_used_at: now }).where('id', '=', id).execute();
}

function toInfo(row: Selectable<ApiTokensTable>): TokenInfo {
  const num = (v: number | null) => (v === null ? null : Number(v));
  return {
    id: row.id,
    name: row.name,
    scopes: row.scopes.split(',').filter((s): s is TokenScope => TokenScope.safeParse(s).success),
    idc: row.idc,
    createdAt: Number(row.created_at),
    lastUsedAt: num(row.last_used_at),
    expiresAt: num(row.expires_at),
    revokedAt: num(row.revoked_at),
  };
}

/** `2026-06-01T12:00:00Z`: times in token listings, to the second. */
export function isoSeconds(ms: EpochMs): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function tokenState(token: TokenInfo, now: EpochMs): ApiToken['state'] {
  if (token.revokedAt !== null) return 'revoked';
  if (token.expiresAt !== null && token.expiresAt <= now) return 'expired';
  return 'active';
}

/** A token as `token list --json` and `GET /api/v1/tokens` show it. */
export function toApiToken(token: TokenInfo, now: EpochMs): ApiToken {
  const at = (ms: EpochMs | null) => (ms === null ? null : isoSeconds(ms));
  return {
    id: token.id,
    name: token.name,
    scopes: token.scopes,
    idc: token.idc,
    created_at: isoSeconds(token.createdAt),
    last_used_at: at(token.lastUsedAt),
    expires_at: at(token.expiresAt),
    revoked_at: at(token.revokedAt),
    state: tokenState(token, now),
  };
}
