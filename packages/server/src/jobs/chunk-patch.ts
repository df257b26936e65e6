/**
 * What a chunk keeps for all its targets (0010): every column a write sets, as JSON, null while they are
 * all pending; and how a write's patch goes over it.
 */
import type { Updateable } from 'kysely';
import type { JobTargetsTable } from '../db/database.js';
import type { TargetRow } from './repository.js';

export const PATCH_COLUMNS = ['outcome', 'master_sn', 'jid', 'retcode', 'success', 'return_json', 'truncated', 'reason', 'started_at', 'finished_at'] as const;
export type PatchColumn = (typeof PATCH_COLUMNS)[number];

const NUMERIC = new Set<string>(['retcode', 'success', 'truncated', 'started_at', 'finished_at']);

/** What every target of a chunk has beyond its identity: all the columns a write sets. */
export type ChunkPatch = Pick<TargetRow, PatchColumn>;

/** A target as createJob writes it pending: nothing known yet. */
export const PENDING: ChunkPatch = {
  outcome: 'pending',
  master_sn: null,
  jid: null,
  retcode: null,
  success: null,
  return_json: null,
  truncated: 0,
  reason: null,
  started_at: null,
  finished_at: null,
};

/** A chunk's stored patch (null: every target pending). */
export function patchOf(json: string | null): ChunkPatch {
  return json === null ? PENDING : { ...PENDING, ...(JSON.parse(json) as Partial<ChunkPatch>) };
}

/**
 * `base` with the write's `patch` over it; undefined when the patch is not plain values of the patch
 * columns (an expression, another column): such a write is made on rows, never kept on a chunk.
 */
export function merged(base: ChunkPatch, patch: Updateable<JobTargetsTable>): ChunkPatch | undefined {
  const out: Record<string, unknown> = { ...base };
  for (const [column, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    if (!(PATCH_COLUMNS as readonly string[]).includes(column)) return undefined;
    if (value !== null && typeof value !== 'string' && typeof value !== 'number') return undefined;
    // A number read back from PostgreSQL (bigint) is a string: kept as the number it is.
    out[column] = typeof value === 'string' && NUMERIC.has(column) ? Number(value) : value;
  }
  return out as ChunkPatch;
}
