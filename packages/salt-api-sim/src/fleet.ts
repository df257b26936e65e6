/**
 * The simulated master's accepted keys and what it knows about each minion. Serialised grains are cached
 * per minion (grains only change through `setGrains`), so a 20,000-minion cache.grains is assembled from
 * ready buffers instead of being serialised again on every request.
 */
import { SimError } from './errors.js';
import { RawJson, plainPyJson } from './py-json.js';
import type { Grains, SimMinion } from './types.js';

/** Shared by every simulator in the process, so an HA pair built from one list serialises grains once. */
const grainsJsonCache = { utf8: new WeakMap<Grains, RawJson>(), ascii: new WeakMap<Grains, RawJson>() };

export class Fleet {
  private list: SimMinion[] = [];
  private byId = new Map<string, SimMinion>();

  constructor(
    minions: readonly SimMinion[],
    private readonly ensureAscii: boolean,
  ) {
    this.replace(minions);
  }

  /** Each simulator keeps its own copy: an HA pair shares ids and grains but not up/down state. */
  replace(minions: readonly SimMinion[]): void {
    const seen = new Set<string>();
    this.list = [];
    for (const m of minions) {
      if (seen.has(m.id)) throw new SimError('ACT2_SIM_DUPLICATE_MINION', `duplicate minion id: ${m.id}`);
      seen.add(m.id);
      this.list.push({ ...m });
    }
    this.byId = new Map(this.list.map((m) => [m.id, m]));
  }

  all(): readonly SimMinion[] {
    return this.list;
  }

  get(id: string): SimMinion | undefined {
    return this.byId.get(id);
  }

  require(id: string): SimMinion {
    const m = this.byId.get(id);
    if (!m) throw new SimError('ACT2_SIM_UNKNOWN_MINION', `unknown minion: ${id}`);
    return m;
  }

  setUp(id: string, up: boolean): void {
    this.require(id).up = up;
  }

  setGrains(id: string, grains: Grains): void {
    this.require(id).grains = grains;
  }

  add(minion: SimMinion): void {
    if (this.byId.has(minion.id)) throw new SimError('ACT2_SIM_DUPLICATE_MINION', `duplicate minion id: ${minion.id}`);
    const copy = { ...minion };
    this.list.push(copy);
    this.byId.set(copy.id, copy);
  }

  remove(id: string): void {
    if (!this.byId.delete(id)) throw new SimError('ACT2_SIM_UNKNOWN_MINION', `unknown minion: ${id}`);
    this.list = this.list.filter((m) => m.id !== id);
  }

  /** The minion's full grains as a ready JSON fragment (cached by grains object: treat grains as immutable). */
  grainsRaw(minion: SimMinion): RawJson {
    const cache = this.ensureAscii ? grainsJsonCache.ascii : grainsJsonCache.utf8;
    let raw = cache.get(minion.grains);
    if (!raw) {
      raw = new RawJson(plainPyJson(minion.grains, { ensureAscii: this.ensureAscii }), minion.grains);
      cache.set(minion.grains, raw);
    }
    return raw;
  }
}
