import { createHash } from 'node:crypto';
import { yieldToEventLoop } from '../yield.js';
import type { PreparedSummary } from './worker-protocol.js';

/** Bytes hashed between two yields to the event loop (about 2 ms with SHA extensions). */
const HASH_STEP = 4 * 1024 * 1024;

/**
 * The SHA-256 of a body's exact bytes, hashed a few megabytes at a time with the event loop
 * running between steps (an 18 MB body is not one long step).
 */
export async function bodyHash(bytes: Uint8Array): Promise<string> {
  const hash = createHash('sha256');
  for (let at = 0; at < bytes.byteLength; at += HASH_STEP) {
    if (at > 0) await yieldToEventLoop();
    hash.update(bytes.subarray(at, Math.min(at + HASH_STEP, bytes.byteLength)));
  }
  return hash.digest('hex');
}

/**
 * What preparing a huge registration body (prepare.ts: structure check, parse, validation,
 * normalising, digest) gave, for the last body each master had accepted, keyed by the hash of the
 * body's exact bytes: the steady state (the same master re-sending the same 2.6 MB every 30 min)
 * then costs a hash of the bytes instead of a worker's parse, validation and normalising.
 *
 * Why a hit is as good as preparing the body again: preparing is a pure function of the bytes and
 * of the limits (fixed for the process, like this memo); it reads no stored state and no clock.
 * Equal SHA-256 hashes mean equal bytes, so the summary kept here (the envelope with every master
 * field, the counts, the digest of the normalised set) is exactly what the worker would answer,
 * validation included: a body that would be refused is never here, and anything not byte-identical
 * to an accepted body misses and is checked in full.
 *
 * What is NOT taken from here: anything stored. The registration runs as ever (the claim and the
 * credentials checked against the envelope, the master row upserted with the body's master fields,
 * status and last_seen written, a timed-out master recovered, events recorded); the set is skipped
 * only when the digest equals the master's stored one, read under its lock, as for any body. When
 * the stored state has moved since (another instance wrote a different set, an interrupted chunked
 * write cleared the digest, the master was deleted and is created again) the digests differ and the
 * body is prepared in the worker after all, its minions diffed as usual (OffloadedRegistration).
 *
 * Bounded: one entry per master (its last accepted body) and at most `maxEntries` in all, the
 * least recently used dropped first. An entry is an envelope (a few hundred bytes), never minions.
 * The envelope carries the master's salt-api credentials in clear, as every request does while it
 * is handled; here they stay in the process's memory, which also holds the key that seals them.
 *
 * In this process only: after a restart, or on another instance, a master's first re-send is
 * prepared in full (and remembered). A hash kept in the database would not spare that: the master
 * fields must still be read from the body, and a parse of its envelope is most of a full parse.
 */
export class AcceptedBodies {
  private readonly byHash = new Map<string, { sn: string; summary: PreparedSummary }>();
  private readonly hashBySn = new Map<string, string>();

  constructor(private readonly maxEntries = 20_000) {}

  get size(): number {
    return this.byHash.size;
  }

  has(hash: string): boolean {
    return this.byHash.has(hash);
  }

  /** The summary of an accepted body with these bytes (a copy the caller may keep), or undefined. */
  get(hash: string): PreparedSummary | undefined {
    const entry = this.byHash.get(hash);
    if (entry === undefined) return undefined;
    // Most recently used last.
    this.byHash.delete(hash);
    this.byHash.set(hash, entry);
    return structuredClone(entry.summary);
  }

  /** Notes that the body with this hash, prepared into `summary`, was accepted (answered 200). */
  remember(hash: string, summary: PreparedSummary): void {
    const sn = summary.envelope.master.sn;
    const previous = this.hashBySn.get(sn);
    if (previous !== undefined) this.byHash.delete(previous);
    this.byHash.delete(hash);
    this.byHash.set(hash, { sn, summary: structuredClone(summary) });
    this.hashBySn.set(sn, hash);
    while (this.byHash.size > this.maxEntries) {
      const [oldest, entry] = this.byHash.entries().next().value as [string, { sn: string }];
      this.byHash.delete(oldest);
      if (this.hashBySn.get(entry.sn) === oldest) this.hashBySn.delete(entry.sn);
    }
  }

  /** Forgets a master's body (its registration failed after the body was remembered, or it is gone). */
  forget(sn: string): void {
    const hash = this.hashBySn.get(sn);
    if (hash === undefined) return;
    this.hashBySn.delete(sn);
    this.byHash.delete(hash);
  }
}
