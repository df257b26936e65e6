import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';

/** Who holds a SQLite file's serve lock (the lock file's content). */
export interface ServeLockOwner {
  pid: number;
  hostname: string;
  startedAt: string;
}

export interface ServeLock {
  /** The lock file (`<db file>.lock`). */
  file: string;
  /** Removes the lock file if it is still ours. */
  release(): void;
}

/** Another live act2-server serves the file. */
export class ServeLockError extends Error {
  readonly code = 'ACT2_DB_IN_USE';
  constructor(
    message: string,
    readonly owner: ServeLockOwner | undefined,
  ) {
    super(message);
    this.name = 'ServeLockError';
  }
}

/**
 * One serving process per SQLite file: two servers would each sweep, cache nothing in common and
 * fight over the write lock. `act2-server` (serve) takes this lock; admin commands run against the
 * same file while it serves (SQLite itself serialises their writes), so they do not take it.
 *
 * The lock is a file beside the database holding the owner's pid, created exclusively. A lock
 * left by a process that is gone (a crash, kill -9, a container restarted with the same pid) is
 * taken over.
 */
/** Lock files this process holds: a lock naming our own pid is ours only if it is listed here. */
const held = new Set<string>();

export function acquireServeLock(dbFile: string, self: Partial<ServeLockOwner> = {}): ServeLock {
  const file = `${dbFile}.lock`;
  const owner: ServeLockOwner = { pid: self.pid ?? process.pid, hostname: self.hostname ?? hostname(), startedAt: self.startedAt ?? new Date().toISOString() };
  const content = `${JSON.stringify(owner)}\n`;
  // The lock is taken before the database is opened, which is what creates a new file's directory.
  mkdirSync(dirname(file), { recursive: true });
  for (let attempt = 0; attempt < 3; attempt += 1) {
    let fd: number;
    try {
      fd = openSync(file, 'wx', 0o644);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = readOwner(file);
      if (holder && isLive(holder, owner, held.has(file))) {
        throw new ServeLockError(
          `${dbFile} is already served by another act2-server (pid ${holder.pid} on ${holder.hostname}, since ${holder.startedAt}): ` +
            `one act2-server per SQLite file; stop that one or give this one another --db. If no such process runs, delete ${file}`,
          holder,
        );
      }
      // Stale (its process is gone) or unreadable (a crash while writing it): take it over.
      try {
        unlinkSync(file);
      } catch (unlinkErr) {
        if ((unlinkErr as NodeJS.ErrnoException).code !== 'ENOENT') throw unlinkErr;
      }
      continue;
    }
    try {
      writeSync(fd, content);
    } finally {
      closeSync(fd);
    }
    held.add(file);
    return {
      file,
      release() {
        held.delete(file);
        try {
          if (readFileSync(file, 'utf8') === content) unlinkSync(file);
        } catch {
          // Already gone: nothing to release.
        }
      },
    };
  }
  throw new ServeLockError(`could not take the serve lock ${file}: other processes keep recreating it`, undefined);
}

function readOwner(file: string): ServeLockOwner | undefined {
  try {
    const value = JSON.parse(readFileSync(file, 'utf8')) as Partial<ServeLockOwner>;
    if (typeof value.pid !== 'number' || typeof value.hostname !== 'string') return undefined;
    return { pid: value.pid, hostname: value.hostname, startedAt: String(value.startedAt ?? 'unknown') };
  } catch {
    return undefined;
  }
}

/** Whether the holder still runs. On another host (a shared filesystem) it cannot be checked: assume so. */
function isLive(holder: ServeLockOwner, self: ServeLockOwner, heldHere: boolean): boolean {
  if (holder.hostname !== self.hostname) return true;
  // Our own pid in a lock we do not hold: left by an earlier life of this container or host.
  if (holder.pid === self.pid) return heldHere;
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
