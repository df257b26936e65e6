import { describe, expect, it } from 'vitest';
import { findTokenByHash } from '../auth/tokens.js';
import { hashSecret } from '../auth/secrets.js';
import { createTestDatabase, describeEachDialect } from '../../test/helpers/db.js';
import { isAdminCommand, parseExpiry, runAdminCli } from './commands.js';

const NOW = Date.UTC(2026, 5, 1, 12);

async function cli(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runAdminCli(['node', 'act2-server', ...args], { writeOut: (s) => out.push(s), writeErr: (s) => err.push(s), now: () => NOW });
  return { code, out: out.join(''), err: err.join('') };
}

describeEachDialect('act2-server token / master commands', (dialect) => {
  it('creates a token printed once on stdout, lists it without the secret, revokes it by id', async () => {
    const database = await createTestDatabase(dialect, { migrate: false });
    try {
      // Before the first server start: the command migrates the database itself.
      const created = await cli('token', 'create', '--name', 'agents-sh', '--scope', 'register', '--idc', 'sh-01', '--expires', '90d', '--db', database.url);
      const token = created.out.trim();
      const listed = await cli('token', 'list', '--db', database.url, '--json');
      const [entry] = JSON.parse(listed.out) as Array<Record<string, unknown>>;
      const table = await cli('token', 'list', '--db', database.url);
      const revoked = await cli('token', 'revoke', String(entry?.id), '--db', database.url);
      const after = JSON.parse((await cli('token', 'list', '--db', database.url, '--json')).out) as Array<Record<string, unknown>>;

      expect(created.code).toBe(0);
      expect(token).toMatch(/^act2t_[A-Za-z0-9_-]{43}$/);
      expect(created.err).toContain('It is shown only now');
      expect(entry).toEqual({
        id: expect.stringMatching(/^tok_[0-9a-f]{12}$/),
        name: 'agents-sh',
        scopes: ['register'],
        idc: 'sh-01',
        created_at: '2026-06-01T12:00:00Z',
        last_used_at: null,
        expires_at: '2026-08-30T12:00:00Z',
        revoked_at: null,
        state: 'active',
      });
      expect(listed.out + table.out).not.toContain(token);
      expect(table.out.split('\n').map((line) => line.split(/\s{2,}/))).toEqual([
        ['ID', 'NAME', 'SCOPES', 'IDC', 'CREATED', 'LAST USED', 'EXPIRES', 'STATE'],
        [String(entry?.id), 'agents-sh', 'register', 'sh-01', '2026-06-01T12:00:00Z', '-', '2026-08-30T12:00:00Z', 'active'],
        [''],
      ]);
      expect(revoked).toMatchObject({ code: 0, out: `revoked token ${String(entry?.id)} "agents-sh" (at 2026-06-01T12:00:00Z)\n` });
      expect(after[0]?.state).toBe('revoked');
      expect((await findTokenByHash(database.db, hashSecret(token)))?.revokedAt).toBe(NOW);
    } finally {
      await database.destroy();
    }
  });

  it('refuses bad input with exit 2 and a missing token with exit 1', async () => {
    const database = await createTestDatabase(dialect);
    try {
      const noScope = await cli('token', 'create', '--name', 'x', '--db', database.url);
      const badScope = await cli('token', 'create', '--name', 'x', '--scope', 'read,root', '--db', database.url);
      const past = await cli('token', 'create', '--name', 'x', '--scope', 'read', '--expires', '2020-01-01', '--db', database.url);
      await cli('token', 'create', '--name', 'dup', '--scope', 'read', '--db', database.url);
      const dup = await cli('token', 'create', '--name', 'dup', '--scope', 'read', '--db', database.url);
      const missing = await cli('token', 'revoke', 'nope', '--db', database.url);
      const notBound = await cli('master', 'rebind', 'NOPE', '--db', database.url);

      expect([noScope.code, noScope.err]).toEqual([2, 'act2-server: --scope is required (register, read, jobs, admin)\n']);
      expect([badScope.code, badScope.err]).toEqual([2, 'act2-server: --scope: root is not one of register, read, jobs, admin\n']);
      expect(past.code).toBe(2);
      expect([dup.code, dup.err]).toEqual([1, expect.stringContaining('a token named "dup" exists')]);
      expect([missing.code, missing.err]).toEqual([1, 'act2-server: no token with id or name "nope" (see: act2-server token list)\n']);
      expect([notBound.code, notBound.err]).toEqual([0, 'master NOPE is not bound to a key: nothing to release\n']);
    } finally {
      await database.destroy();
    }
  });
});

describe('admin command help', () => {
  it('names every --db form the servers accept, MySQL and MariaDB included', async () => {
    for (const command of [['token', 'create'], ['token', 'list'], ['token', 'revoke'], ['master', 'rebind']]) {
      const help = await cli(...command, '--help');
      const db = help.out.replace(/\s+/g, ' ').match(/--db <db> (.*?)\(default/)?.[1] ?? '';
      expect([command.join(' '), help.code]).toEqual([command.join(' '), 0]);
      for (const form of ['sqlite:', 'postgres://', 'mysql://', 'mariadb://']) expect(db, command.join(' ')).toContain(form);
    }
  });
});

describe('admin command helpers', () => {
  it('recognises admin commands and reads expiries', () => {
    expect([isAdminCommand(['node', 'x', 'token']), isAdminCommand(['node', 'x', '--port', '1'])]).toEqual([true, false]);
    expect(parseExpiry('12h', NOW)).toBe(NOW + 12 * 3_600_000);
    expect(parseExpiry('2027-01-31', NOW)).toBe(Date.UTC(2027, 0, 31));
    expect([parseExpiry('soon', NOW), parseExpiry('0s', NOW)]).toEqual([undefined, undefined]);
  });
});
