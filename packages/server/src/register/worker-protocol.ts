import type { ErrorBody, ErrorCode, ErrorIssue, RegisterRequest } from '@act2/shared';
import type { Member, MembershipChanges } from '../minions/membership.js';
import type { ChangeCounts } from './diff.js';
import type { PrepareLimits } from './prepare.js';

// Messages between the main thread (offload.ts) and a registration worker (worker.ts). Each
// request carries an id; the worker answers each one, in order, with the same id (`forget`, sent
// when a registration is done with the worker, is answered with id 0, which nobody waits for).

export interface WorkerData {
  limits: PrepareLimits;
}

export type WorkerRequest =
  | { id: number; op: 'prepare'; bytes: Uint8Array }
  | { id: number; op: 'stored'; page: Member[] }
  | { id: number; op: 'diff'; mergeUpserts?: boolean }
  | { id: number; op: 'reset' }
  | { id: number; op: 'forget' }
  | { id: number; op: 'changes'; max: number };

/** What `prepare` answers: the registration without its minions, and what the main thread needs to know of them. */
export interface PreparedSummary {
  envelope: RegisterRequest;
  listed: number;
  /** Distinct minions (a `running` registration), 0 otherwise. */
  count: number;
  digest: string | undefined;
}

export type WorkerFailure =
  | { kind: 'http'; status: number; code: ErrorCode; message: string; issues?: ErrorIssue[] | undefined; body?: ErrorBody | undefined; claimedSn?: string | undefined }
  | { kind: 'json' }
  | { kind: 'internal'; message: string };

export type WorkerAnswer =
  | { id: number; ok: true; value: PreparedSummary | Member[] | ChangeCounts | MembershipChanges | null }
  | { id: number; ok: false; failure: WorkerFailure };
