import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { RegisterRequest } from '@act2/shared';
import { errorCodes } from 'fastify';
import { HttpError } from '../http/http-error.js';
import type { MembershipChanges } from '../minions/membership.js';
import type { ChangeCounts } from './diff.js';
import type { PrepareLimits } from './prepare.js';
import type { SnapshotSource } from './snapshot.js';
import type { PreparedSummary, WorkerAnswer, WorkerData, WorkerFailure, WorkerRequest } from './worker-protocol.js';

/**
 * A registration body too big to parse on the main thread, as the body parser hands it to the
 * route (body.ts): its bytes, untouched (handed to the worker, which leaves them empty here).
 * `master` is filled in once the worker has read the sn, for a rejection's log line.
 */
export class LargeJsonBody {
  master?: { sn: string };
  constructor(readonly bytes: Buffer) {}
}

/**
 * Where the built registration worker is: beside the bundle (`dist/register-worker.js`). From
 * sources (tests) there is none unless one is built and given (see AppDeps.registerWorker).
 */
export function defaultRegisterWorker(): URL | undefined {
  if (!import.meta.url.endsWith('.js')) return undefined;
  const script = new URL('./register-worker.js', import.meta.url);
  return existsSync(fileURLToPath(script)) ? script : undefined;
}

/**
 * Runs huge registrations' parsing, validation, normalising, digest and diff in worker threads,
 * one worker per registration (terminated after it, which gives its whole heap back), at most
 * `maxWorkers` at once (the others wait their turn). The main thread keeps only the body's bytes
 * (off its heap) and the pieces it writes: no long synchronous step and no garbage collection of
 * a heap holding 300,000 minions holds the event loop.
 */
export class RegistrationOffloader {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly script: URL,
    private readonly limits: PrepareLimits,
    private readonly maxWorkers = 2,
  ) {}

  /** Parses and checks `body` in a worker; throws the same errors the in-process path would. Close the result when done. */
  async prepare(body: LargeJsonBody): Promise<OffloadedRegistration> {
    await this.acquire();
    let worker: WorkerClient | undefined;
    try {
      worker = new WorkerClient(this.script, { limits: this.limits }, () => this.release());
      const bytes = body.bytes;
      const owned = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
      const summary = (await worker.call({ op: 'prepare', bytes }, owned ? [bytes.buffer as ArrayBuffer] : [])) as PreparedSummary;
      body.master = { sn: summary.envelope.master.sn };
      return new OffloadedRegistration(worker, summary);
    } catch (err) {
      const sn = (err as { claimedSn?: string }).claimedSn;
      if (sn !== undefined) body.master = { sn };
      if (worker) await worker.close();
      else this.release();
      throw err;
    }
  }

  private async acquire(): Promise<void> {
    if (this.running < this.maxWorkers) {
      this.running += 1;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running -= 1;
  }
}

/** A registration prepared in a worker: its envelope on this thread, its minions in the worker. */
export class OffloadedRegistration {
  /** The registration without its minions. */
  readonly request: RegisterRequest;
  /** Minions listed in the body, repeats included. */
  readonly listed: number;
  /** Distinct minions (0 for a `stopped` registration). */
  readonly count: number;
  readonly digest: string | undefined;

  constructor(
    private readonly worker: WorkerClient,
    summary: PreparedSummary,
  ) {
    this.request = summary.envelope;
    this.listed = summary.listed;
    this.count = summary.count;
    this.digest = summary.digest;
  }

  /**
   * The snapshot as a write reads it, diffed in the worker: in pieces of one kind for the chunked
   * SQLite write (chunked.ts), or with joined and changed minions merged in sn order for the one
   * transaction (`mergeUpserts`, see ChangeCursor).
   */
  snapshot(options: { mergeUpserts?: boolean } = {}): SnapshotSource {
    if (this.digest === undefined) throw new Error('a stopped registration has no snapshot');
    const worker = this.worker;
    return {
      count: this.count,
      digest: this.digest,
      async addStored(page) {
        if (page.length > 0) await worker.call({ op: 'stored', page });
      },
      async diff() {
        return (await worker.call({ op: 'diff', mergeUpserts: options.mergeUpserts === true })) as ChangeCounts;
      },
      async nextChanges(max) {
        return ((await worker.call({ op: 'changes', max })) as MembershipChanges | null) ?? undefined;
      },
    };
  }

  /** Forgets the stored set handed over so far (a retried transaction reads it again). */
  async reset(): Promise<void> {
    await this.worker.call({ op: 'reset' });
  }

  async close(): Promise<void> {
    await this.worker.close();
  }
}

type Pending = { resolve: (value: unknown) => void; reject: (err: Error) => void };

/** One worker thread and its request/answer messages. */
class WorkerClient {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;
  private failed: Error | undefined;

  constructor(script: URL, data: WorkerData, private readonly onClosed: () => void) {
    this.worker = new Worker(script, { workerData: data });
    this.worker.on('message', (answer: WorkerAnswer) => {
      const pending = this.pending.get(answer.id);
      if (!pending) return;
      this.pending.delete(answer.id);
      if (answer.ok) pending.resolve(answer.value);
      else pending.reject(toError(answer.failure));
    });
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => {
      this.fail(new Error(`the registration worker exited (${code})`));
      this.finish();
    });
  }

  call(request: DistributiveOmit<WorkerRequest, 'id'>, transfer: ArrayBuffer[] = []): Promise<unknown> {
    if (this.failed) return Promise.reject(this.failed);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...request, id }, transfer);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.worker.terminate();
  }

  private fail(err: Error): void {
    this.failed ??= new Error(`the registration worker failed: ${err.message}`);
    for (const pending of this.pending.values()) pending.reject(this.failed);
    this.pending.clear();
  }

  private finishedOnce = false;
  private finish(): void {
    if (this.finishedOnce) return;
    this.finishedOnce = true;
    this.onClosed();
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
