import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { RegisterRequest } from '@act2/shared';
import { errorCodes, type FastifyBaseLogger } from 'fastify';
import { HttpError } from '../http/http-error.js';
import type { MembershipChanges } from '../minions/membership.js';
import type { ChangeCounts } from './diff.js';
import type { PrepareLimits } from './prepare.js';
import type { SnapshotSource } from './snapshot.js';
import { AcceptedBodies, bodyHash } from './accepted-bodies.js';
import type { PreparedSummary, WorkerAnswer, WorkerData, WorkerFailure, WorkerRequest } from './worker-protocol.js';

/**
 * A registration body too big to parse on the main thread, as the body parser hands it to the
 * route (body.ts): its bytes, untouched (handed to the worker, which leaves them empty here).
 * `master` is filled in once the worker has read the sn, for a rejection's log line.
 */
export class LargeJsonBody {
  master?: { sn: string };
  /** `hash`: the bytes' {@link bodyHash}, when already known. */
  constructor(
    readonly bytes: Buffer,
    readonly hash?: string,
  ) {}
}

/**
 * Where the built registration worker is: beside the bundle (`dist/register-worker.js`). From
 * sources (tests) there is none unless one is built and given (see AppDeps.registerWorker).
 */
export function defaultRegisterWorker(log?: Pick<FastifyBaseLogger, 'warn'>): URL | undefined {
  return registerWorkerBeside(import.meta.url, log);
}

/**
 * `register-worker.js` beside the module at `moduleUrl`, when that module is a build (`.js`); a
 * build without it still works (huge registrations are then parsed on the main thread, in pieces)
 * but is incomplete, which is worth a warning at start-up. From sources (`.ts`) there is none, quietly.
 */
export function registerWorkerBeside(moduleUrl: string, log?: Pick<FastifyBaseLogger, 'warn'>): URL | undefined {
  if (!moduleUrl.endsWith('.js')) return undefined;
  const script = new URL('./register-worker.js', moduleUrl);
  if (existsSync(fileURLToPath(script))) return script;
  log?.warn(
    { worker: fileURLToPath(script) },
    'the registration worker is missing beside the server bundle: registrations over 1 MiB are parsed on the main thread (reinstall act2-server)',
  );
  return undefined;
}

/**
 * The longest one request to a worker may take (parsing and checking an 18 MB body takes a few
 * seconds on a loaded core; each later step less). A worker that has not answered by then is
 * stopped and the registration answered 500 ACT2_INTERNAL: a hung worker must not hold its
 * registration, and the slot every huge registration queues for, forever.
 */
export const DEFAULT_CALL_TIMEOUT_MS = 120_000;

export interface OffloaderOptions {
  /** Registrations parsed at once (the others wait their turn); default 2. */
  maxWorkers?: number;
  /** Default {@link DEFAULT_CALL_TIMEOUT_MS}. */
  callTimeoutMs?: number;
}

/** How long a worker with nothing to do is kept for the next huge registration. */
const IDLE_MS = 15_000;
/**
 * A worker that parsed a body larger than this is stopped after it rather than kept: its heap has
 * grown by hundreds of megabytes, which an idle worker would hold, while its start (~80 ms of CPU)
 * is small beside the seconds such a body costs anyway.
 */
const KEEP_AFTER_AT_MOST = 4 * 1024 * 1024;

/**
 * Runs huge registrations' parsing, validation, normalising, digest and diff in worker threads, at
 * most `maxWorkers` registrations at once (the others wait their turn). A worker serves one
 * registration at a time; between two it forgets everything, and one left idle for
 * {@link IDLE_MS}, or done with a body over {@link KEEP_AFTER_AT_MOST}, exits, which gives its
 * whole heap back (starting one costs ~80 ms of CPU). The main thread keeps only the body's bytes
 * (off its heap) and the pieces it writes: no long synchronous step and no garbage collection of a
 * heap holding 300,000 minions holds the event loop.
 */
export class RegistrationOffloader {
  private busy = 0;
  private readonly waiting: Array<() => void> = [];
  private readonly idle = new Map<WorkerClient, NodeJS.Timeout>();
  private closed = false;

  private readonly maxWorkers: number;
  private readonly callTimeoutMs: number;

  constructor(
    private readonly script: URL,
    private readonly limits: PrepareLimits,
    options: OffloaderOptions = {},
  ) {
    this.maxWorkers = options.maxWorkers ?? 2;
    this.callTimeoutMs = options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
  }

  /**
   * Parses and checks `body` in a worker; throws the same errors the in-process path would. Close
   * the result when done. A body byte-identical to one its master had accepted (see
   * AcceptedBodies) is not sent to a worker unless its minions turn out to be needed.
   */
  async prepare(body: LargeJsonBody): Promise<OffloadedRegistration> {
    const hash = body.hash ?? (await bodyHash(body.bytes));
    const known = this.accepted.get(hash);
    if (known !== undefined) {
      body.master = { sn: known.envelope.master.sn };
      return new OffloadedRegistration(known, {
        load: () => this.prepareInWorker(body),
        accepted: (summary) => this.accepted.remember(hash, summary),
      });
    }
    const { worker, summary, done } = await this.prepareInWorker(body);
    return new OffloadedRegistration(summary, {
      worker,
      done,
      accepted: (s) => this.accepted.remember(hash, s),
    });
  }

  /** Bodies accepted lately, by the hash of their bytes (exposed for tests). */
  readonly accepted = new AcceptedBodies();
  /** The hash of a small registration body parsed on the main thread, until its route has answered. */
  private readonly smallHashes = new WeakMap<object, string>();

  /**
   * A registration body of at most a megabyte (hashed at once: about half a millisecond) that its
   * master had accepted before: handed to the route as a {@link LargeJsonBody}, so {@link prepare}
   * takes its summary from {@link accepted} and nothing parses it unless its minions are needed.
   * Any other is parsed on the main thread as ever, its hash kept for {@link rememberSmall}.
   */
  knownSmallBody(request: object, bytes: Buffer): LargeJsonBody | undefined {
    const hash = createHash('sha256').update(bytes).digest('hex');
    if (this.accepted.has(hash)) return new LargeJsonBody(bytes, hash);
    this.smallHashes.set(request, hash);
    return undefined;
  }

  /**
   * A small registration body parsed and stored on the main thread was accepted: remembered as the
   * worker would have prepared it (the validated request without its minions, the minions listed,
   * and the distinct count and digest of the normalised set: the same functions on both sides).
   */
  rememberSmall(request: object, summary: PreparedSummary): void {
    const hash = this.smallHashes.get(request);
    if (hash !== undefined) this.accepted.remember(hash, summary);
  }

  private async prepareInWorker(body: LargeJsonBody): Promise<{ worker: WorkerClient; summary: PreparedSummary; done: () => void }> {
    await this.acquire();
    const keep = body.bytes.byteLength <= KEEP_AFTER_AT_MOST;
    let worker: WorkerClient;
    try {
      worker = this.takeIdle() ?? new WorkerClient(this.script, { limits: this.limits }, this.callTimeoutMs);
    } catch (err) {
      // No worker could be started (a missing script, out of threads): the slot is given back.
      this.release();
      throw err;
    }
    worker.ref();
    try {
      const bytes = body.bytes;
      const owned = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
      const summary = (await worker.call({ op: 'prepare', bytes }, owned ? [bytes.buffer as ArrayBuffer] : [])) as PreparedSummary;
      body.master = { sn: summary.envelope.master.sn };
      return { worker, summary, done: () => this.finished(worker, keep) };
    } catch (err) {
      const sn = (err as { claimedSn?: string }).claimedSn;
      if (sn !== undefined) body.master = { sn };
      this.finished(worker, keep);
      throw err;
    }
  }

  /** Stops the idle workers; registrations under way keep theirs until they end. */
  async close(): Promise<void> {
    this.closed = true;
    const workers = [...this.idle.keys()];
    for (const timer of this.idle.values()) clearTimeout(timer);
    this.idle.clear();
    await Promise.all(workers.map((w) => w.close()));
  }

  private takeIdle(): WorkerClient | undefined {
    for (const [worker, timer] of this.idle) {
      this.idle.delete(worker);
      clearTimeout(timer);
      if (worker.healthy) return worker;
      void worker.close();
    }
    return undefined;
  }

  /** A registration is done with `worker`: kept for the next one if asked and sound, stopped otherwise. */
  private finished(worker: WorkerClient, keep: boolean): void {
    if (keep && worker.healthy && !this.closed) {
      worker.forget();
      // An idle worker does not keep the process alive.
      worker.unref();
      const timer = setTimeout(() => {
        this.idle.delete(worker);
        void worker.close();
      }, IDLE_MS);
      timer.unref();
      this.idle.set(worker, timer);
    } else {
      void worker.close();
    }
    this.release();
  }

  private async acquire(): Promise<void> {
    if (this.busy < this.maxWorkers) {
      this.busy += 1;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.busy -= 1;
  }
}

interface Loaded {
  worker: WorkerClient;
  summary: PreparedSummary;
  done: () => void;
}

/**
 * A registration prepared in a worker: its envelope on this thread, its minions in the worker. One
 * whose bytes were accepted before (AcceptedBodies) starts with the envelope only; its minions are
 * prepared in a worker the first time they are asked for (`load`), which a re-send whose digest
 * equals the stored one never does.
 */
export class OffloadedRegistration {
  /** The registration without its minions. */
  readonly request: RegisterRequest;
  /** Minions listed in the body, repeats included. */
  readonly listed: number;
  /** Distinct minions (0 for a `stopped` registration). */
  readonly count: number;
  readonly digest: string | undefined;

  private done = false;
  private worker: WorkerClient | undefined;
  private loading: Promise<WorkerClient> | undefined;
  private release: (() => void) | undefined;

  constructor(
    private readonly summary: PreparedSummary,
    private readonly how: {
      /** The worker holding the prepared body, and how to hand it back. */
      worker?: WorkerClient;
      done?: () => void;
      /** Prepares the body in a worker (a body known by its hash, whose minions are needed after all). */
      load?: () => Promise<Loaded>;
      /** Remembers the body as accepted. */
      accepted: (summary: PreparedSummary) => void;
    },
  ) {
    this.request = summary.envelope;
    this.listed = summary.listed;
    this.count = summary.count;
    this.digest = summary.digest;
    this.worker = how.worker;
    this.release = how.done;
  }

  /** Whether the minions are still to be prepared in a worker (a body known by its hash). */
  get unloaded(): boolean {
    return this.worker === undefined;
  }

  /** The worker holding the minions, preparing the body in one first if need be. */
  async load(): Promise<WorkerClient> {
    if (this.worker) return this.worker;
    if (this.done) throw new Error('the registration is closed');
    this.loading ??= (async () => {
      const loaded = await this.how.load!();
      this.release = loaded.done;
      if (this.done) {
        loaded.done();
        throw new Error('the registration is closed');
      }
      // The same bytes prepare the same way (see AcceptedBodies); anything else is a bug, not a body to store.
      if (loaded.summary.digest !== this.digest || loaded.summary.count !== this.count) {
        throw new Error('a body known by its hash prepared differently');
      }
      this.worker = loaded.worker;
      return loaded.worker;
    })();
    return this.loading;
  }

  /**
   * The snapshot as a write reads it, diffed in the worker: in pieces of one kind for the chunked
   * SQLite write (chunked.ts), or with joined and changed minions merged in sn order for the one
   * transaction (`mergeUpserts`, see ChangeCursor).
   */
  snapshot(options: { mergeUpserts?: boolean } = {}): SnapshotSource {
    if (this.digest === undefined) throw new Error('a stopped registration has no snapshot');
    const load = () => this.load();
    return {
      count: this.count,
      digest: this.digest,
      async addStored(page) {
        const worker = await load();
        if (page.length > 0) await worker.call({ op: 'stored', page });
      },
      async diff() {
        return (await (await load()).call({ op: 'diff', mergeUpserts: options.mergeUpserts === true })) as ChangeCounts;
      },
      async nextChanges(max) {
        return (((await load()).call({ op: 'changes', max })) as Promise<MembershipChanges | null>).then((c) => c ?? undefined);
      },
    };
  }

  /** Forgets the stored set handed over so far (a retried transaction reads it again). */
  async reset(): Promise<void> {
    // Nothing handed over to a worker not started.
    if (this.worker) await this.worker.call({ op: 'reset' });
  }

  /** The registration was stored and answered: a byte-identical re-send may skip preparing. */
  accepted(): void {
    this.how.accepted(this.summary);
  }

  /** Hands the worker back (see RegistrationOffloader); call once the registration is answered. */
  close(): void {
    if (this.done) return;
    this.done = true;
    this.release?.();
  }
}

type Pending = { resolve: (value: unknown) => void; reject: (err: Error) => void; timer: NodeJS.Timeout };

/** One worker thread and its request/answer messages. */
class WorkerClient {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;
  private failed: Error | undefined;

  constructor(
    script: URL,
    data: WorkerData,
    private readonly timeoutMs: number,
  ) {
    this.worker = new Worker(script, { workerData: data });
    this.worker.on('message', (answer: WorkerAnswer) => {
      const pending = this.pending.get(answer.id);
      if (!pending) return;
      this.pending.delete(answer.id);
      clearTimeout(pending.timer);
      if (answer.ok) pending.resolve(answer.value);
      else {
        // A failure of the worker's own (not a rejected body) leaves it in doubt: not reused.
        if (answer.failure.kind === 'internal') this.failed ??= new Error(answer.failure.message);
        pending.reject(toError(answer.failure));
      }
    });
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => this.fail(new Error(`the registration worker exited (${code})`)));
  }

  /** Alive, with nothing asked of it, and never failed on its own. */
  get healthy(): boolean {
    return !this.closed && this.failed === undefined && this.pending.size === 0;
  }

  call(request: DistributiveOmit<WorkerRequest, 'id'>, transfer: ArrayBuffer[] = []): Promise<unknown> {
    if (this.failed) return Promise.reject(this.failed);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        // Hung (or far too slow): stopped, so that neither its thread nor its slot stays taken.
        this.fail(new Error(`no answer to '${request.op}' within ${this.timeoutMs} ms`));
        void this.close();
      }, this.timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.worker.postMessage({ ...request, id }, transfer);
    });
  }

  /** Tells the worker to drop the registration it holds (no answer awaited). */
  forget(): void {
    this.worker.postMessage({ id: 0, op: 'forget' } satisfies WorkerRequest);
  }

  ref(): void {
    this.worker.ref();
  }

  unref(): void {
    this.worker.unref();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.worker.terminate();
  }

  private fail(err: Error): void {
    this.failed ??= new Error(`the registration worker failed: ${err.message}`);
    for (const pending of this.pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(this.failed);
    }
    this.pending.clear();
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

function toError(failure: WorkerFailure): Error {
  switch (failure.kind) {
    case 'http':
      return Object.assign(new HttpError(failure.status, failure.code, failure.message, failure.issues, failure.body), { claimedSn: failure.claimedSn });
    case 'json':
      // What fastify's own JSON parser answers (toErrorResponse turns it into a 400).
      return new errorCodes.FST_ERR_CTP_INVALID_JSON_BODY();
    case 'internal':
      return new Error(`the registration worker failed: ${failure.message}`);
  }
}
