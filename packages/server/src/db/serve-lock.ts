import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
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
 * The lock is a file beside the database holding the owner's pid. It is written whole under a
 * private name, then hard-linked into place: link() fails if the lock exists, so exactly one of
 * several starting servers wins, and nobody ever reads a lock that is created but not yet written.
 * A lock left by a process that is gone (a crash, kill -9, a container restarted with the same
 * pid) is taken over, without ever removing a lock another process took meanwhile (see takeAway).
 */
/** Lock files this process holds: a lock naming our own pid is ours only if it is listed here. */
const held = new Set<string>();

export function acquireServeLock(dbFile: string, self: Partial<ServeLockOwner> = {}): ServeLock {
  const file = `${dbFile}.lock`;
  const owner: ServeLockOwner = { pid: self.pid ?? process.pid, hostname: self.hostname ?? hostname(), startedAt: self.startedAt ?? new Date().toISOString() };
  const content = `${JSON.stringify(owner)}\n`;
  // The lock is taken before the database is opened, which is what creates a new file's directory.
  mkdirSync(dirname(file), { recursive: true });
  const draft = privateName(file, 'new');
  writeFileSync(draft, content, { flag: 'wx', mode: 0o644 });
  try {
    for (let attempt = 0; attempt < 5; attempt += 1) {
      try {
        linkSync(draft, file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const seen = readText(file);
        if (seen === undefined) continue; // removed meanwhile: try again
        const holder = parseOwner(seen);
        if (holder && isLive(holder, owner, held.has(file))) {
          throw new ServeLockError(
            `${dbFile} is already served by another act2-server (pid ${holder.pid} on ${holder.hostname}, since ${holder.startedAt}): ` +
              `one act2-server per SQLite file; stop that one or give this one another --db. If no such process runs, delete ${file}`,
            holder,
          );
        }
        // Stale (its process is gone) or unreadable: take it away, then try again.
        takeAway(file, seen);
        continue;
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
  } finally {
    removeQuietly(draft);
  }
  throw new ServeLockError(`could not take the serve lock ${file}: other processes keep recreating it`, undefined);
}

/**
 * Removes the stale lock whose content was `seen`, but not a lock another starting server put in
 * its place since we read it: the lock is first renamed aside (atomic), then compared with what
 * was judged stale; a different one is linked back. (That can only fail if a third server took
 * the slot in that instant, which needs three servers starting on one file over a stale lock.)
 */
function takeAway(file: string, seen: string): void {
  const aside = privateName(file, 'stale');
  try {
    renameSync(file, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return; // another process took it away
    throw err;
  }
  try {
    if (readText(aside) !== seen) {
      try {
        linkSync(aside, file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
  } finally {
    removeQuietly(aside);
  }
}

/** A name beside `file` that no other process uses. */
function privateName(file: string, kind: string): string {
  return `${file}.${process.pid}.${randomBytes(6).toString('hex')}.${kind}`;
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function removeQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // Gone already.
  }
}

function parseOwner(text: string): ServeLockOwner | undefined {
  try {
    const value = JSON.parse(text) as Partial<ServeLockOwner>;
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
