import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveSecretKey } from './key-file.js';
import { createSecretBox, parseSecretKey } from './secret-box.js';

const KEY = Buffer.alloc(32, 7);

describe('secret box', () => {
  it('round-trips, uses a fresh IV every time and rejects tampering or another key', () => {
    const box = createSecretBox(KEY);

    const a = box.seal('salt-api password');
    const b = box.seal('salt-api password');

    expect(a).not.toBe(b);
    expect(box.open(a)).toBe('salt-api password');
    const tampered = `v1:${Buffer.from(Buffer.from(a.slice(3), 'base64').map((byte, i) => (i === 30 ? byte ^ 1 : byte))).toString('base64')}`;
    expect(() => box.open(tampered)).toThrow();
    expect(() => createSecretBox(Buffer.alloc(32, 8)).open(a)).toThrow();
  });

  it('accepts keys as hex or base64 of exactly 32 bytes', () => {
    expect(parseSecretKey(KEY.toString('hex'))).toEqual(KEY);
    expect(parseSecretKey(KEY.toString('base64'))).toEqual(KEY);
    expect(parseSecretKey(KEY.toString('base64url'))).toEqual(KEY);
    expect(parseSecretKey('abcd')).toBeUndefined();
  });
});

describe('resolveSecretKey', () => {
  const dirs: string[] = [];
  const tmp = () => {
    const dir = mkdtempSync(join(tmpdir(), 'act2-key-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('creates secret.key (mode 0600) beside the SQLite file on first start and reuses it', () => {
    const dir = tmp();
    const db = `sqlite:${join(dir, 'act2.sqlite')}`;

    const first = resolveSecretKey({ db });
    const second = resolveSecretKey({ db });

    expect(first.source).toBe('created');
    expect(second).toEqual({ key: first.key, source: 'file', file: join(dir, 'secret.key') });
    expect(statSync(join(dir, 'secret.key')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, 'secret.key'), 'utf8')).toBe(`${first.key.toString('hex')}\n`);
    // The file it was written under before being linked into place is gone.
    expect(readdirSync(dir)).toEqual(['secret.key']);
  });

  it('refuses to invent a key for PostgreSQL', () => {
    expect(() => resolveSecretKey({ db: 'postgres://db/act2' })).toThrow(/--secret-key or --secret-key-file/);
  });

  it('prefers the configured key, then the key file', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'k'), `${KEY.toString('base64')}\n`);

    expect(resolveSecretKey({ db: 'postgres://db/act2', secretKey: KEY.toString('hex') }).key).toEqual(KEY);
    expect(resolveSecretKey({ db: 'postgres://db/act2', secretKeyFile: join(dir, 'k') }).key).toEqual(KEY);
    expect(() => resolveSecretKey({ db: 'x.sqlite', secretKey: 'short' })).toThrow(/32 bytes/);
    expect(readFileSync(join(dir, 'k'), 'utf8')).toContain(KEY.toString('base64'));
  });
});
