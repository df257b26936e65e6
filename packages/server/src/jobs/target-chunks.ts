/**
 * A job followed from its creation keeps the targets of each first dispatch as one JSON chunk (table
 * `job_target_chunks`, migration 0009): ten small rows before salt-api is called instead of 10,000
 * `job_targets` rows. A write that gives every target of a chunk the same answer (a fleet-wide
 * test.ping: each master's 1,000 minions returned `true`, retcode 0) stores that answer on the chunk,
 * its `patch` (0010), instead of 1,000 rows, whenever that write comes (the first lookup or a later
 * one: a lookup that finds nothing writes nothing, and the chunk stays). A write reaching only some of a
 * chunk's targets, or giving them different answers, turns the chunk into its rows, the outcomes
 * already in them (each target the chunk's patch, and over it the write's), or rows as the chunk then
 * updated, when the write is scattered. Once the job is finished, its chunks are compacted into rows
 * (compact-chunks.ts: the history reads rows only). What a chunk keeps is in chunk-patch.ts.
 *
 * A committed target is in a chunk or in `job_targets`, never both; every write of a target goes
 * through `materializeChunks` first (repository.ts `updateTargets`), every read merges the chunks as
 * the rows they stand for, the chunk's patch applied (chunks read first, a seq found in both being its row).
 */
import { sql, type RawBuilder, type Updateable } from 'kysely';
import type { DbOrTrx, JobTargetsTable } from '../db/database.js';
import { dialectOf } from '../db/dialects/index.js';
import { merged, patchOf, PATCH_COLUMNS, type ChunkPatch } from './chunk-patch.js';
import { pushTo } from './group-by.js';
import type { TargetRow } from './repository.js';
import { anyWithin, fromRanges, toRanges, type SeqRanges } from './seq-ranges.js';

/** One target in a chunk: `[seq, sn, ip, salt_id, candidates]` (candidates: JSON text, as in `job_targets`). */
export type ChunkTarget = [seq: number, sn: string, ip: string | null, saltId: string, candidates: string];

export async function insertChunks(trx: DbOrTrx, jobId: string, chunks: ReadonlyArray<{ chunkId: string; targets: ChunkTarget[] }>): Promise<void> {
  if (chunks.length === 0) return;
  await trx
    .insertInto('job_target_chunks')
    .values(chunks.map((c) => ({ job_id: jobId, chunk_id: c.chunkId, seqs: JSON.stringify(toRanges(c.targets.map((t) => t[0]))), n: c.targets.length, targets: JSON.stringify(c.targets) })))
    .execute();
}

/** The row a chunked target stands for. */
function chunkRow(jobId: string, [seq, sn, ip, saltId, candidates]: ChunkTarget, patch: ChunkPatch): TargetRow {
  return { job_id: jobId, seq, sn, ip, salt_id: saltId, candidates, ...patch };
}

/**
 * The targets of a job still in chunks, as their rows (each chunk's patch applied). `pendingOnly`: only
 * the chunks whose targets are all pending (a chunk's `outcome` column is its patch's): following a job
 * whose chunks all carry an answer reads no chunk's targets (10,000 of them, 600 KB of JSON, parsed).
 */
export async function chunkedTargets(db: DbOrTrx, jobId: string, { pendingOnly = false } = {}): Promise<TargetRow[]> {
  const chunks = await db
    .selectFrom('job_target_chunks')
    .select(['targets', 'patch'])
    .where('job_id', '=', jobId)
    .$if(pendingOnly, (q) => q.where('outcome', '=', 'pending'))
    .execute();
  return chunks.flatMap((c) => {
    const patch = patchOf(c.patch);
    return (JSON.parse(c.targets) as ChunkTarget[]).map((t) => chunkRow(jobId, t, patch));
  });
}

/**
 * True for the jobs (`jobs.id` of the enclosing query) with minion `sn` among their chunked targets (only
 * jobs not compacted yet: unfinished, or just finished): the database looks into the chunks, nothing is read back.
 * Only a chunk whose text holds `sn` as its JSON string (as `insertChunks` wrote it) is expanded, to
 * compare the sns themselves: a chunk holding it elsewhere (in another sn, an ip, a salt id) is a miss
 * found there, a chunk not holding it costs a text search (16 running jobs of 10,000 chunked targets, a
 * minion in none: 180-190 ms to 15 ms per request on PostgreSQL, 150 to 15 ms MariaDB, 80 to 20 ms SQLite).
 */
export function hasChunkedMinion(db: DbOrTrx, sn: string): RawBuilder<boolean> {
  const dialect = dialectOf(db);
  const e = dialect.jsonArrayRows('c.targets', 'e', ['int', 'key', 'key', 'text', 'text']);
  // The text test bears on the chunk alone: the databases apply it before expanding the chunk.
  return sql<boolean>`exists (select 1 from job_target_chunks as c ${e.join} where c.job_id = ${sql.ref('jobs.id')} and ${dialect.containsText('c.targets', JSON.stringify(sn))} and ${e.item(1)} = ${sn})`;
}

/** Targets `seqs` get `patch`: one write of several targets. */
export interface TargetPatch {
  seqs: readonly number[];
  patch: Updateable<JobTargetsTable>;
}

/** A chunk read under its lock, for a write or a compaction. */
export interface LockedChunk {
  chunk_id: string;
  seqs: string;
  patch: string | null;
}

/**
 * The chunks holding any of the patched seqs, in the caller's transaction: a chunk
 * whose every target gets the same patch keeps it (one UPDATE of the chunk); the others become their
 * `job_targets` rows, each target with its chunk's patch and the write's over it. Returns the patches
 * narrowed to the seqs that were not in a chunk (their rows exist: the caller updates them). The chunks
 * are locked first: of two writers reaching one chunk, the second waits and then finds it gone or patched.
 */
export async function materializeChunks(trx: DbOrTrx, jobId: string, patches: readonly TargetPatch[]): Promise<TargetPatch[]> {
  const dialect = dialectOf(trx);
  const heads = await trx.selectFrom('job_target_chunks').select(['chunk_id', 'seqs']).where('job_id', '=', jobId).execute();
  if (heads.length === 0) return [...patches];
  const patched = new Set<number>();
  for (const { seqs } of patches) for (const s of seqs) patched.add(s);
  // A typed array sorts numbers as numbers (Array#sort would sort them as text: 10 before 2).
  const sorted = Float64Array.from(patched).sort();
  // A chunk's seqs never change (a chunk is patched or deleted, never re-cut): read once, used again under
  // the lock. A chunk is tested by its ranges, and only a touched chunk's seqs are listed: each master's
  // write no longer lists the 10,000 seqs of a job's ten chunks to find its own 1,000.
  const rangesOf = new Map(heads.map((head) => [head.chunk_id, JSON.parse(head.seqs) as SeqRanges]));
  const touched = heads.filter((head) => rangesOf.get(head.chunk_id)!.some(([first, last]) => anyWithin(sorted, first, last))).map((head) => head.chunk_id);
  if (touched.length === 0) return [...patches];
  // Only the chunks this write needs are locked: the ten masters' writes of one job run side by side. A
  // chunk another writer turned into rows meanwhile is not read again (its targets are updated below).
  const chunks: LockedChunk[] = await dialect
    .forUpdate(trx.selectFrom('job_target_chunks').select(['chunk_id', 'seqs', 'patch']).where('job_id', '=', jobId).where('chunk_id', 'in', touched))
    .execute();
  if (chunks.length === 0) return [...patches];
  // A seq named by several patches takes the last one (as the caller's UPDATEs, applied in order, do).
  const covered = new Map<string, number[]>(chunks.map((c) => [c.chunk_id, fromRanges(rangesOf.get(c.chunk_id)!)]));
  const inChunks = new Set([...covered.values()].flat());
  const owner = new Map<number, number>();
  patches.forEach(({ seqs }, i) => {
    for (const s of seqs) if (inChunks.has(s)) owner.set(s, i);
  });

  const toRows: LockedChunk[] = [];
  for (const c of chunks) {
    const kept = uniformPatch(c, covered.get(c.chunk_id)!, owner, patches);
    if (!kept) {
      toRows.push(c);
      continue;
    }
    await trx
      .updateTable('job_target_chunks')
      .set({ patch: JSON.stringify(kept), outcome: kept.outcome })
      .where('job_id', '=', jobId)
      .where('chunk_id', '=', c.chunk_id)
      .execute();
  }
  // Chunks with the same patch (usually none: all pending) become rows together.
  const byBase = new Map<string | null, LockedChunk[]>();
  for (const c of toRows) pushTo(byBase, c.patch, c);
  let scattered = false;
  for (const [base, group] of byBase) {
    scattered = (await chunksToRows(trx, { jobId, chunks: group, base: patchOf(base), patches, owner, covered })) || scattered;
  }
  if (toRows.length > 0) await trx.deleteFrom('job_target_chunks').where('job_id', '=', jobId).where('chunk_id', 'in', toRows.map((c) => c.chunk_id)).execute();
  // Scattered: the patches are written by the caller's UPDATEs (rows of kept chunks do not exist: untouched).
  if (scattered) return [...patches];
  return patches.map(({ seqs, patch }) => ({ seqs: seqs.filter((s) => !inChunks.has(s)), patch })).filter((p) => p.seqs.length > 0);
}

/**
 * The patch chunk `c` keeps when the write gives every one of its targets the same answer (by content:
 * several of the write's patches may be equal); else undefined.
 */
function uniformPatch(c: LockedChunk, seqs: readonly number[], owner: ReadonlyMap<number, number>, patches: readonly TargetPatch[]): ChunkPatch | undefined {
  const indexes = new Set<number>();
  for (const s of seqs) {
    const i = owner.get(s);
    if (i === undefined) return undefined;
    indexes.add(i);
  }
  const base = patchOf(c.patch);
  let kept: ChunkPatch | undefined;
  let json: string | undefined;
  for (const i of indexes) {
    const patch = merged(base, patches[i]!.patch);
    if (!patch) return undefined;
    const text = JSON.stringify(PATCH_COLUMNS.map((column) => patch[column]));
    if (json !== undefined && text !== json) return undefined;
    kept = patch;
    json = text;
  }
  return kept;
}

/** Chunks of one job sharing one `base` patch, locked, to be turned into their rows by one write. */
interface ChunksToRows {
  jobId: string;
  chunks: readonly LockedChunk[];
  base: ChunkPatch;
  /** The write's patches. */
  patches: readonly TargetPatch[];
  /** The index in `patches` of the patch each seq takes (the last naming it); none: it keeps `base`. */
  owner: ReadonlyMap<number, number>;
  /** Each chunk's seqs. */
  covered: ReadonlyMap<string, number[]>;
}

/**
 * Chunks sharing one `base` patch become their rows; true when scattered (the rows are written as the
 * base only, and the caller's UPDATEs must apply the write's patches).
 */
async function chunksToRows(trx: DbOrTrx, { jobId, chunks, base, patches, owner, covered }: ChunksToRows): Promise<boolean> {
  const ids = chunks.map((c) => c.chunk_id);
  const groups = new Map<number, number[]>();
  const rest: number[] = [];
  for (const c of chunks) {
    for (const s of covered.get(c.chunk_id)!) {
      const i = owner.get(s);
      if (i === undefined) rest.push(s);
      else pushTo(groups, i, s);
    }
  }
  const statements = [...groups].map(([i, seqs]) => ({ seqs, patch: merged(base, patches[i]!.patch) }));
  if (rest.length > 0) statements.push({ seqs: rest, patch: base });
  const conditions = statements.reduce((n, g) => n + toRanges(g.seqs).length, 0);
  if (statements.length > SQL_GROUPS || conditions > SQL_CONDITIONS || statements.some((g) => g.patch === undefined)) {
    // A scattered answer (every third target returned: thousands of ranges) would make each element of
    // the chunk be tested against every range, in statement after statement (a 10,000-target chunk took
    // 65 s on PostgreSQL): the chunks become rows as their base in one statement, with no condition at
    // all, and the caller's seq-range UPDATEs write the patches, as for a job stored as rows.
    await insertFromChunks(trx, jobId, ids, null, base);
    return true;
  }
  // The database turns the chunks into rows itself, one statement per distinct patch, instead of the
  // application sending 1,000 rows of 16 columns per chunk.
  for (const { seqs, patch } of statements) await insertFromChunks(trx, jobId, ids, toRanges(seqs), patch!);
  return false;
}

/** Distinct patches of one write turned into rows, outcomes included, by INSERT … SELECT; more: base rows, then UPDATEs. */
const SQL_GROUPS = 4;
/**
 * Seq ranges, over all those statements, tested against each element of the chunks: a master's
 * targets are a few runs of consecutive seqs; beyond this the patches are written by UPDATE instead.
 */
const SQL_CONDITIONS = 16;

/** INSERT … SELECT of the targets `ranges` (null: all) of chunks `ids`, each with every patch column from `patch`. */
export async function insertFromChunks(trx: DbOrTrx, jobId: string, ids: readonly string[], ranges: SeqRanges | null, patch: ChunkPatch): Promise<void> {
  const e = dialectOf(trx).jsonArrayRows('c.targets', 'e', ['int', 'key', 'key', 'text', 'text']);
  const seq = e.item(0);
  const values = PATCH_COLUMNS.map((column) => {
    const value = patch[column];
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
