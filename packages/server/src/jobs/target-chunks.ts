/**
 * A job followed from its creation keeps the targets of each first dispatch as one JSON chunk (table
 * `job_target_chunks`, migration 0009) until the first write for any of its targets (usually that
 * dispatch's first answer; also its expiry, a failover, a recovery): ten small rows before salt-api is
 * called instead of 10,000 `job_targets` rows, and each chunk becomes its rows with the outcomes already
 * in them (or pending, then updated, when the write is scattered). A committed target is in a chunk or
 * in `job_targets`, never both; every write of a target goes through `materializeChunks` first
 * (repository.ts `updateTargets`), every read merges the chunks as the pending rows they stand for
 * (chunks read first, a seq found in both being its row).
 */
import { sql, type RawBuilder, type Updateable } from 'kysely';
import type { DbOrTrx, JobTargetsTable } from '../db/database.js';
import { dialectOf } from '../db/dialects/index.js';
import { pushTo } from './group-by.js';
import type { TargetRow } from './repository.js';
import { fromRanges, toRanges, type SeqRanges } from './seq-ranges.js';

/** One target in a chunk: `[seq, sn, ip, salt_id, candidates]` (candidates: JSON text, as in `job_targets`). */
export type ChunkTarget = [seq: number, sn: string, ip: string | null, saltId: string, candidates: string];

export async function insertChunks(trx: DbOrTrx, jobId: string, chunks: ReadonlyArray<{ chunkId: string; targets: ChunkTarget[] }>): Promise<void> {
  if (chunks.length === 0) return;
  await trx
    .insertInto('job_target_chunks')
    .values(chunks.map((c) => ({ job_id: jobId, chunk_id: c.chunkId, seqs: JSON.stringify(toRanges(c.targets.map((t) => t[0]))), n: c.targets.length, targets: JSON.stringify(c.targets) })))
    .execute();
}

/** The row a chunked target stands for: pending, nothing else known (as createJob writes a pending target). */
function pendingRow(jobId: string, [seq, sn, ip, saltId, candidates]: ChunkTarget): TargetRow {
  return {
    job_id: jobId,
    seq,
    sn,
    ip,
    salt_id: saltId,
    candidates,
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
}

/** The targets of a job still in chunks, as their pending rows. */
export async function chunkedTargets(db: DbOrTrx, jobId: string): Promise<TargetRow[]> {
  const chunks = await db.selectFrom('job_target_chunks').select('targets').where('job_id', '=', jobId).execute();
  return chunks.flatMap((c) => (JSON.parse(c.targets) as ChunkTarget[]).map((t) => pendingRow(jobId, t)));
}

/**
 * True for the jobs (`jobs.id` of the enclosing query) with minion `sn` among their chunked targets (only
 * jobs whose first answers are not stored yet): the database looks into the chunks, nothing is read back.
 */
export function hasChunkedMinion(db: DbOrTrx, sn: string): RawBuilder<boolean> {
  const e = dialectOf(db).jsonArrayRows('c.targets', 'e', ['int', 'key', 'key', 'text', 'text']);
  return sql<boolean>`exists (select 1 from job_target_chunks as c ${e.join} where c.job_id = ${sql.ref('jobs.id')} and ${e.item(1)} = ${sn})`;
}

export async function hasChunks(db: DbOrTrx, jobId: string): Promise<boolean> {
  return (await db.selectFrom('job_target_chunks').select('chunk_id').where('job_id', '=', jobId).limit(1).executeTakeFirst()) !== undefined;
}

/** Targets `seqs` get `patch`: one write of several targets. */
export interface TargetPatch {
  seqs: readonly number[];
  patch: Updateable<JobTargetsTable>;
}

/**
 * The chunks holding any of the patched seqs become their `job_targets` rows, each of those targets
 * with its patch applied (the others pending), in the caller's transaction; returns the patches
 * narrowed to the seqs that were not in a chunk (their rows exist: the caller updates them). The chunks
 * are locked first: of two writers reaching one chunk, the second waits and then finds it gone.
 */
export async function materializeChunks(trx: DbOrTrx, jobId: string, patches: readonly TargetPatch[]): Promise<TargetPatch[]> {
  const dialect = dialectOf(trx);
  const heads = await trx.selectFrom('job_target_chunks').select(['chunk_id', 'seqs']).where('job_id', '=', jobId).execute();
  if (heads.length === 0) return [...patches];
  const patchOf = new Map<number, Updateable<JobTargetsTable>>();
  for (const { seqs, patch } of patches) for (const s of seqs) patchOf.set(s, patch);
  const touched = heads.filter((head) => fromRanges(JSON.parse(head.seqs) as SeqRanges).some((s) => patchOf.has(s))).map((head) => head.chunk_id);
  if (touched.length === 0) return [...patches];
  // Only the chunks this write needs are locked: the ten masters' writes of one job run side by side. A
  // chunk another writer turned into rows meanwhile is not read again (its targets are updated below).
  const chunks = await dialect
    .forUpdate(trx.selectFrom('job_target_chunks').select(['chunk_id', 'seqs']).where('job_id', '=', jobId).where('chunk_id', 'in', touched))
    .execute();
  if (chunks.length === 0) return [...patches];
  const ids = chunks.map((c) => c.chunk_id);
  const covered = new Set<number>();
  for (const c of chunks) for (const s of fromRanges(JSON.parse(c.seqs) as SeqRanges)) covered.add(s);
  // A seq named by several patches takes the last one (as the caller's UPDATEs, applied in order, do).
  const owner = new Map<number, number>();
  patches.forEach(({ seqs }, i) => {
    for (const s of seqs) if (covered.has(s)) owner.set(s, i);
  });
  const groups = new Map<number, number[]>();
  for (const [s, i] of owner) pushTo(groups, i, s);
  const rest = [...covered].filter((s) => !owner.has(s));
  const inChunks = [...groups].map(([i, seqs]) => ({ seqs, patch: patches[i]!.patch }));
  const statements = rest.length > 0 ? [...inChunks, { seqs: rest, patch: {} }] : inChunks;
  const conditions = statements.reduce((n, g) => n + toRanges(g.seqs).length, 0);
  const scattered = statements.length > SQL_GROUPS || conditions > SQL_CONDITIONS;
  if (scattered) {
    // A scattered answer (every third target returned: thousands of ranges) would make each element of
    // the chunk be tested against every range, in statement after statement (a 10,000-target chunk took
    // 65 s on PostgreSQL): the chunks become pending rows in one statement, with no condition at all,
    // and the caller's seq-range UPDATEs write the patches, as for a job stored as rows.
    await insertFromChunks(trx, jobId, ids, null, {});
  } else {
    // The database turns the chunks into rows itself, one statement per distinct patch (a fleet-wide
    // test.ping: one), instead of the application sending 1,000 rows of 16 columns per chunk.
    for (const { seqs, patch } of statements) await insertFromChunks(trx, jobId, ids, toRanges(seqs), patch);
  }
  await trx.deleteFrom('job_target_chunks').where('job_id', '=', jobId).where('chunk_id', 'in', ids).execute();
  if (scattered) return [...patches];
  return patches.map(({ seqs, patch }) => ({ seqs: seqs.filter((s) => !covered.has(s)), patch })).filter((p) => p.seqs.length > 0);
}

/** Distinct patches of one write turned into rows, outcomes included, by INSERT … SELECT; more: pending rows, then UPDATEs. */
const SQL_GROUPS = 4;
/**
 * Seq ranges, over all those statements, tested against each element of the chunks: a master's
 * targets are a few runs of consecutive seqs; beyond this the patches are written by UPDATE instead.
 */
const SQL_CONDITIONS = 16;
const PATCH_COLUMNS = ['outcome', 'master_sn', 'jid', 'retcode', 'success', 'return_json', 'truncated', 'reason', 'started_at', 'finished_at'] as const;

/** INSERT … SELECT of the targets `ranges` (null: all) of chunks `ids`, each with `patch` over the pending defaults. */
async function insertFromChunks(trx: DbOrTrx, jobId: string, ids: readonly string[], ranges: SeqRanges | null, patch: Updateable<JobTargetsTable>): Promise<void> {
  const e = dialectOf(trx).jsonArrayRows('c.targets', 'e', ['int', 'key', 'key', 'text', 'text']);
  const seq = e.item(0);
  const defaults = pendingRow(jobId, [0, '', null, '', '']);
  const values = PATCH_COLUMNS.map((column) => {
    const value = patch[column] ?? defaults[column];
    // Numbers inline (PostgreSQL would type an untyped parameter as text here); text bound.
    return typeof value === 'number' ? sql.lit(value) : value === null ? sql.lit(null) : sql`${value}`;
  });
  const inRanges =
    ranges === null
      ? sql``
      : sql` and (${sql.join(
          ranges.map(([first, last]) => (first === last ? sql`${seq} = ${sql.lit(first)}` : sql`${seq} between ${sql.lit(first)} and ${sql.lit(last)}`)),
          sql` or `,
        )})`;
  await sql`insert into job_targets (job_id, seq, sn, ip, salt_id, candidates, ${sql.join(PATCH_COLUMNS.map((c) => sql.ref(c)))})
    select c.job_id, ${seq}, ${e.item(1)}, ${e.item(2)}, ${e.item(3)}, ${e.item(4)}, ${sql.join(values)}
    from job_target_chunks as c ${e.join}
    where c.job_id = ${jobId} and c.chunk_id in (${sql.join([...ids])})${inRanges}`.execute(trx);
}
