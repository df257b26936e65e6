import { Kysely, type KyselyConfig, type KyselyPlugin } from 'kysely';
import type { Database, DbOrTrx } from '../database.js';

/**
 * The raw handles (a pg pool, the better-sqlite3 database) behind the Kysely instances a dialect
 * opened, for running hot statements straight on the driver (`SqlDialect.runPrepared`). Only
 * instances that run each query on the whole pool have one: the opened instance and those
 * `withPlugin`/`withoutPlugins` derive from it. Instances bound to one connection
 * (`connection()`, `transaction()`) have none, so their queries keep going through Kysely, on
 * their connection.
 */
export class PoolHandles<H> {
  readonly #handles = new WeakMap<object, H>();

  /** A Kysely on `config` whose pool is `handle`. */
  open(config: KyselyConfig, handle: H): Kysely<Database> {
    return new PoolKysely(config, (db) => this.#handles.set(db, handle));
  }

  /** The handle `db` runs its queries on, or undefined when `db` is bound to one connection. */
  of(db: DbOrTrx): H | undefined {
    return this.#handles.get(db);
  }
}

class PoolKysely extends Kysely<Database> {
  readonly #track: (db: Kysely<Database>) => void;

  constructor(config: KyselyConfig, track: (db: Kysely<Database>) => void) {
    super(config);
    this.#track = track;
    track(this);
  }

  override withPlugin(plugin: KyselyPlugin): Kysely<Database> {
    const derived = super.withPlugin(plugin);
    this.#track(derived);
    return derived;
  }

  override withoutPlugins(): Kysely<Database> {
    const derived = super.withoutPlugins();
    this.#track(derived);
    return derived;
  }
}
