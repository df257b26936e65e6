import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, chmod, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { AgentError } from './errors.js';

/** Default of --state-dir. */
export const DEFAULT_STATE_DIR = '/var/lib/act2-heartbeat';
/** The file in --state-dir that holds the master key. */
export const MASTER_KEY_FILE = 'master-key.json';

/**
 * The per-master key act2-server issued when this master enrolled, kept in `--state-dir`
 * (directory 0700, file 0600). It is the master's identity from then on: without it, act2-server
 * refuses every registration of this sn until an admin runs `act2-server master rebind SN`.
 */
export interface MasterKeyStore {
  readonly file: string;
  /** The stored key for `sn`, or undefined (no file, or a key for another sn). */
  load(sn: string): Promise<string | undefined>;
  /** Fails (ACT2_STATE_DIR) unless a key could be saved: checked before enrolling, so a key is never issued into the void. */
  assertWritable(): Promise<void>;
  /** Writes atomically: a private temporary file, fsynced, renamed over the old one. */
  save(sn: string, key: string, server: string): Promise<void>;
}

interface KeyFile {
  sn: string;
  key: string;
  server?: string;
  saved_at?: string;
}

function stateError(dir: string, what: string, error: unknown): AgentError {
  const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
  return new AgentError('ACT2_STATE_DIR', `--state-dir ${dir}: cannot ${what} (${reason})`, { cause: error });
}

export function createMasterKeyStore(dir: string, options: { warn?: (fields: Record<string, unknown>, msg: string) => void } = {}): MasterKeyStore {
  const file = join(dir, MASTER_KEY_FILE);
  return {
    file,
    async load(sn) {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw stateError(dir, `read ${MASTER_KEY_FILE}`, error);
      }
      let parsed: Partial<KeyFile>;
      try {
        parsed = JSON.parse(text) as Partial<KeyFile>;
      } catch (error) {
        throw stateError(dir, `read ${MASTER_KEY_FILE}: not JSON`, error);
      }
      if (typeof parsed.key !== 'string' || typeof parsed.sn !== 'string') throw new AgentError('ACT2_STATE_DIR', `${file} holds no master key`);
      if (parsed.sn !== sn) {
        options.warn?.({ file, stored_sn: parsed.sn, sn }, 'the stored master key belongs to another sn; enrolling this one');
        return undefined;
      }
      const mode = (await stat(file)).mode & 0o077;
      if (mode !== 0) options.warn?.({ file, mode: (mode | 0o600).toString(8) }, 'the master key file is readable by group or others: chmod 600 it');
      return parsed.key;
    },
    async assertWritable() {
      try {
        await mkdir(dir, { recursive: true, mode: 0o700 });
        await access(dir, constants.W_OK | constants.X_OK);
      } catch (error) {
        throw stateError(dir, 'create or write the directory (the master key is stored there)', error);
      }
    },
    async save(sn, key, server) {
      const body: KeyFile = { sn, key, server, saved_at: new Date().toISOString() };
      const temp = join(dir, `.${MASTER_KEY_FILE}.${randomBytes(6).toString('hex')}`);
      try {
        await mkdir(dir, { recursive: true, mode: 0o700 });
        const handle = await open(temp, 'wx', 0o600);
        try {
          await handle.writeFile(`${JSON.stringify(body)}\n`);
          await handle.sync();
        } finally {
          await handle.close();
        }
        // The umask cannot widen a mode given to open, but an existing ACL could: be explicit.
        await chmod(temp, 0o600);
        await rename(temp, file);
      } catch (error) {
        await rm(temp, { force: true }).catch(() => undefined);
        throw stateError(dir, `store the master key in ${MASTER_KEY_FILE}`, error);
      }
    },
  };
}
