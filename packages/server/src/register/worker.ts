import { parentPort, workerData } from 'node:worker_threads';
import { HttpError } from '../http/http-error.js';
import type { Member } from '../minions/membership.js';
import { ChangeCursor, changeCounts, diffMembership } from './diff.js';
import { InvalidJsonBody, prepareRegistration, type Prepared } from './prepare.js';
import type { WorkerAnswer, WorkerData, WorkerFailure, WorkerRequest } from './worker-protocol.js';

// A registration worker (see offload.ts): one huge registration body, from its bytes to the
// pieces of its diff, with everything it parses and builds on this thread's heap. It serves one
// registration at a time, forgets it when told (or at the next one), and exits when left idle.

const { limits } = workerData as WorkerData;
const port = parentPort!;

let prepared: Prepared | undefined;
const stored: Member[] = [];
let cursor: ChangeCursor | undefined;

async function handle(request: WorkerRequest): Promise<unknown> {
  switch (request.op) {
    case 'prepare': {
      forget();
      prepared = await prepareRegistration(request.bytes, limits);
      return { envelope: prepared.envelope, listed: prepared.listed, count: prepared.members?.length ?? 0, digest: prepared.digest };
    }
    case 'stored':
      for (const member of request.page) stored.push(member);
      return null;
    case 'forget':
      forget();
      return null;
    case 'reset':
      // A transaction that read the stored set is being retried: it reads it again.
      stored.length = 0;
      cursor = undefined;
      return null;
    case 'diff': {
      const changes = diffMembership(stored, prepared?.members ?? []);
      stored.length = 0;
      cursor = new ChangeCursor(changes, { mergeUpserts: request.mergeUpserts === true });
      return changeCounts(changes);
    }
    case 'changes':
      return cursor?.next(request.max) ?? null;
  }
}

/** Drops everything of the last registration (its heap is then garbage). */
function forget(): void {
  prepared = undefined;
  stored.length = 0;
  cursor = undefined;
}

function failure(err: unknown): WorkerFailure {
  if (err instanceof HttpError) {
    const { claimedSn } = err as HttpError & { claimedSn?: string };
    return { kind: 'http', status: err.statusCode, code: err.code, message: err.message, issues: err.issues, body: err.body, claimedSn };
  }
  if (err instanceof InvalidJsonBody) return { kind: 'json' };
  return { kind: 'internal', message: err instanceof Error ? err.message : String(err) };
}

// One request at a time, in order: the main thread waits for each answer before the next.
let queue = Promise.resolve();
port.on('message', (request: WorkerRequest) => {
  queue = queue.then(async () => {
    let answer: WorkerAnswer;
    try {
      answer = { id: request.id, ok: true, value: (await handle(request)) as never };
    } catch (err) {
      answer = { id: request.id, ok: false, failure: failure(err) };
    }
    port.postMessage(answer);
  });
});
