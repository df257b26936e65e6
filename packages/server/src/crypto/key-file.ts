import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parseDbTarget, type ServerConfig } from '../config.js';
import { KEY_BYTES, parseSecretKey } from './secret-box.js';

export const KEY_FILE_NAME = 'secret.key';

export class SecretKeyError extends Error {
  readonly code = 'ACT2_SECRET_KEY';
  constructor(message: string) {
    super(message);
    this.name = 'SecretKeyError';
  }
}

/** Where the key comes from, and whether it was just created. */
export interface ResolvedKey {
  key: Buffer;
  source: 'config' | 'file' | 'created';
  file?: string;
}

/**
 * The key for stored passwords: `secretKey`, else `secretKeyFile`, else (SQLite only) `secret.key`
 * beside the database file, created with mode 0600 on first start. A shared database (PostgreSQL,
 * MySQL) refuses to guess: every instance on one database must share one key, so it has to be given.
 */
export function resolveSecretKey(config: Pick<ServerConfig, 'db' | 'secretKey' | 'secretKeyFile'>): ResolvedKey {
  if (config.secretKey !== undefined) {
    const key = parseSecretKey(config.secretKey);
    if (!key) throw new SecretKeyError('--secret-key must be 32 bytes written as 64 hex digits or base64');
    return { key, source: 'config' };
  }
  if (config.secretKeyFile !== undefined) return { key: readKeyFile(config.secretKeyFile), source: 'file', file: config.secretKeyFile };
  const target = parseDbTarget(config.db);
  if (target.dialect !== 'sqlite') {
    throw new SecretKeyError(
      `with a shared database (${target.dialect}), --secret-key or --secret-key-file (ACT2_SECRET_KEY / ACT2_SECRET_KEY_FILE) is required: ` +
        'every instance sharing the database must use the same key (generate one with `openssl rand -hex 32`)',
    );
  }
  if (target.file === ':memory:') return { key: randomBytes(KEY_BYTES), source: 'created' };
  return loadOrCreateKeyFile(join(dirname(target.file), KEY_FILE_NAME));
}

export function loadOrCreateKeyFile(file: string): ResolvedKey {
  if (existsSync(file)) return { key: readKeyFile(file), source: 'file', file };
  // The database directory may not exist yet on first start.
  mkdirSync(dirname(file), { recursive: true });
  // Written in full (and synced) under a private name, then hard-linked into place. link() fails
  // when the name exists, so of several instances starting at once exactly one key wins, none is
  // overwritten, and nobody ever reads a created-but-not-yet-written file (as with open 'wx').
  const key = randomBytes(KEY_BYTES);
  const temp = join(dirname(file), `.${basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}`);
  writeDurably(temp, `${key.toString('hex')}\n`);
  try {
    linkSync(temp, file);
    return { key, source: 'created', file };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EEXIST') throw new SecretKeyError(`cannot create secret key file ${file}: ${code ?? 'error'}`);
  } finally {
    rmSync(temp, { force: true });
  }
  // Another instance created it first: use its key.
  return { key: readKeyFile(file), source: 'file', file };
}

function writeDurably(file: string, text: string): void {
  const fd = openSync(file, 'wx', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function readKeyFile(file: string): Buffer {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new SecretKeyError(`cannot read secret key file ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  const key = parseSecretKey(text);
  if (!key) throw new SecretKeyError(`secret key file ${file} must hold 32 bytes as 64 hex digits or base64`);
  return key;
}

/** True when group or others may read the key file (worth a warning at start-up). */
export function isKeyFileExposed(file: string): boolean {
  return (statSync(file).mode & 0o077) !== 0;
}
