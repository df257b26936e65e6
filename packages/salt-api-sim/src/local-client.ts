/**
 * The `local` family (LocalClient.cmd / run_job / cmd_batch / cmd_subset) against the simulated minions.
 * A publish waits for the silent minions (timeout + gather_job_timeout) and reports them as `false`
 * after the answers that came back (captures 18, 19, 21, 34); nothing targeted gives `{}` at once (22).
 */
import { HttpError, MESSAGES, SaltUnexpectedError } from './errors.js';
import type { Principal } from './master-auth.js';
import { callMinion, type MinionReturn } from './minion-functions.js';
import { localAllowed } from './perms.js';
import { RawJson, plainPyJson } from './py-json.js';
import type { SimRuntime } from './runtime.js';
import { silentMinionWaitS } from './runtime.js';
import { matchMinions } from './targeting.js';
import type { SimMinion } from './types.js';

/** Python truthiness, for flags that arrive as JSON or as form text. */
export function pyTruthy(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v as object).length > 0;
  return true;
}

interface Publish {
  fun: string;
  args: unknown[];
  kwargs: Record<string, unknown>;
  targeted: SimMinion[];
  /** Ids of a list target that have no accepted key (captures 88, 114). */
  unknown: string[];
}

/** `max_event_size` (salt's default): a bigger return becomes "VALUE_TRIMMED" on the minion (95, 104–108). */
export const DEFAULT_MAX_EVENT_SIZE = 1_048_576;

/** salt.utils.dicttrim.trim_dict, approximated: the return's JSON size against max_event_size. */
function trimmed(ret: unknown, maxEventSize: number): unknown {
  if (typeof ret === 'string' ? ret.length * 1.2 < maxEventSize / 2 : ret === null || typeof ret !== 'object') return ret;
  return Buffer.byteLength(JSON.stringify(ret) ?? '') > maxEventSize ? 'VALUE_TRIMMED' : ret;
}

function prepare(rt: SimRuntime, low: Record<string, unknown>, principal: Principal): Publish {
  if (!('tgt' in low) || !('fun' in low)) throw new SaltUnexpectedError('local call without tgt or fun');
  const fun = String(low.fun);
  const args = Array.isArray(low.arg) ? low.arg : low.arg === undefined ? [] : [low.arg];
  const kwargs = low.kwarg && typeof low.kwarg === 'object' ? (low.kwarg as Record<string, unknown>) : {};
  const targeted = matchMinions(rt.fleet.all(), low.tgt, low.tgt_type ?? 'glob');
  if (!localAllowed(principal.perms, fun, rt.fleet.all(), targeted)) throw new HttpError(401, MESSAGES.authorizationError);
  const unknown = low.tgt_type === 'list' && Array.isArray(low.tgt) ? low.tgt.map(String).filter((id) => !rt.fleet.get(id)) : [];
  return { fun, args, kwargs, targeted, unknown };
}

function isPlain(v: unknown): boolean {
  return !(v instanceof RawJson) && !(v instanceof Map);
}

/** A minion-keyed dict; when every value is plain JSON it is serialised in one fast pass. */
function minionDict(entries: Array<[string, unknown]>, ensureAscii: boolean): unknown {
  const indexLike = entries.some(([id]) => /^(?:0|[1-9]\d{0,9})$/.test(id));
  if (indexLike || !entries.every(([, v]) => isPlain(v))) return new Map(entries);
  const obj = Object.fromEntries(entries);
  return new RawJson(plainPyJson(obj, { ensureAscii }), obj);
}

/** Job `Arguments`: the args, then the kwargs as a trailing `{"__kwarg__": true, …}` (capture 100). */
function jobArgs(p: Publish): unknown[] {
  return Object.keys(p.kwargs).length > 0 ? [...p.args, { __kwarg__: true, ...p.kwargs }] : p.args;
}

/** A minion's answer and when (simulated seconds after the publish) it reaches the master. */
interface Answer extends MinionReturn {
  afterS: number;
}

function recordJob(rt: SimRuntime, low: Record<string, unknown>, p: Publish, user: string, answers: Map<string, Answer>) {
  const job = rt.jobs.record({
    fun: p.fun,
    args: jobArgs(p),
    target: low.tgt,
    tgtType: String(low.tgt_type ?? 'glob'),
    user,
    minions: p.targeted.map((m) => m.id),
    ...(low.metadata !== undefined ? { metadata: low.metadata } : {}),
  });
  const startMs = rt.nowMs();
  for (const [id, r] of answers) {
    if (!Number.isFinite(r.afterS)) continue;
    job.results.set(id, { return: r.ret, retcode: r.retcode, success: r.retcode === 0, ...(r.out ? { out: r.out } : {}), readyAtMs: startMs + rt.simToRealMs(r.afterS) });
  }
  return job;
}

function answer(rt: SimRuntime, p: Publish): Map<string, Answer> {
  const answers = new Map<string, Answer>();
  for (const m of p.targeted) {
    if (!m.up) continue;
    const r = callMinion(p.fun, m, p.args, p.kwargs, rt.fleet);
    answers.set(m.id, { ...r, ret: trimmed(r.ret, rt.maxEventSize), afterS: (m.latencyS ?? 0) + (r.tookS ?? 0) });
  }
  return answers;
}

function noResponse(jid: string): string {
  return `Minion did not return. [No response]\nThe minions may not have all finished running and any remaining minions will return upon completion. To look up the return data for this job later, run the following command:\n\nsalt-run jobs.lookup_jid ${jid}`;
}

/** Sync publish; `local_batch` yields one return element per minion, the others one dict. */
export async function runLocal(
  rt: SimRuntime,
  low: Record<string, unknown>,
  principal: Principal,
  signal: AbortSignal,
  variant: 'local' | 'local_batch' | 'local_subset',
): Promise<unknown[]> {
  const p = prepare(rt, low, principal);
  if (variant === 'local_subset') {
    const sub = Number(low.sub ?? 3);
    p.targeted = p.targeted.filter((m) => m.up).slice(0, Number.isFinite(sub) ? sub : 3);
  }
  if (p.targeted.length === 0) return variant === 'local_batch' ? [] : [{}];
  const allAnswers = answer(rt, p);
  const job = recordJob(rt, low, p, principal.user, allAnswers);
  // A minion slower than the publish timeout is silent to this call, like a down one.
  const waitS = silentMinionWaitS(low.timeout, low.gather_job_timeout);
  const answers = new Map([...allAnswers].filter(([, r]) => r.afterS <= waitS));
  const silent = p.targeted.filter((m) => !answers.has(m.id)).map((m) => m.id);
  if (silent.length > 0) {
    rt.jobs.record({ fun: 'saltutil.find_job', args: [job.jid], target: silent, tgtType: 'list', user: principal.user, minions: silent });
    await rt.sleep(waitS, signal);
  } else {
    await rt.sleep(Math.max(0, ...[...answers.values()].map((r) => r.afterS)), signal, rt.pingLatencyMs);
  }
  const full = pyTruthy(low.full_return);
  const shape = (r: MinionReturn): unknown =>
    full ? { ret: r.ret, ...(r.out ? { out: r.out } : {}), retcode: r.retcode, jid: job.jid } : r.ret;
  const entries: Array<[string, unknown]> = [...answers].map(([id, r]) => [id, shape(r)]);
  if (variant === 'local_batch') return entries.map(([id, v]) => new Map([[id, v]]));
  for (const id of silent) entries.push([id, false]);
  // An id without a key answers at once with salt's "[No response]" text (capture 88).
  for (const id of p.unknown) entries.push([id, noResponse(job.jid)]);
  return [minionDict(entries, rt.ensureAscii)];
}

/** `local_async` (run_job): `{"jid", "minions"}` right away, `{}` when nothing matched. */
export function runLocalAsync(rt: SimRuntime, low: Record<string, unknown>, principal: Principal): unknown {
  const p = prepare(rt, low, principal);
  if (p.targeted.length === 0) return {};
  const job = recordJob(rt, low, p, principal.user, answer(rt, p));
  return { jid: job.jid, minions: p.targeted.map((m) => m.id) };
}
