import { CompiledQuery, createQueryId, type Compilable, type Kysely, type KyselyPlugin, type QueryResult, type UnknownRow } from 'kysely';
import type { Database, DbOrTrx } from './database.js';
import { dialectOf } from './dialects/index.js';

type Slot = { param: string } | { constant: unknown };
interface Compiled {
  sql: string;
  slots: Slot[];
}

const MARKER = '\u0000act2-param:';

/**
 * A Kysely plugin whose `transformResult` only looks at a result and returns it unchanged (e.g. the
 * outage tracker's, db/outage-plugin.ts) may also offer this synchronous twin: a hot read run
 * straight on an in-process driver then needs no promise for its plugins.
 */
export interface ResultObserver {
  observeResult(result: QueryResult<UnknownRow>): void;
}

const observes = (plugin: KyselyPlugin): plugin is KyselyPlugin & ResultObserver => typeof (plugin as Partial<ResultObserver>).observeResult === 'function';

/**
 * What Kysely does with a result after the driver: each plugin of `db` sees it, in order.
 * Synchronous when every plugin is a `ResultObserver`.
 */
function withPluginsOf<Row>(db: DbOrTrx, rows: Row[]): Row[] | Promise<Row[]> {
  const plugins = db.getExecutor().plugins;
  if (plugins.length === 0) return rows;
  const result = { rows } as QueryResult<UnknownRow>;
  if (plugins.every(observes)) {
    for (const plugin of plugins) plugin.observeResult(result);
    return rows;
  }
  return transformAll(plugins, result).then((out) => out.rows as Row[]);
}

async function transformAll(plugins: readonly KyselyPlugin[], result: QueryResult<UnknownRow>): Promise<QueryResult<UnknownRow>> {
  let out = result;
  const queryId = createQueryId();
  for (const plugin of plugins) out = await plugin.transformResult({ result: out, queryId });
  return out;
}

/**
 * A query built and compiled once per dialect, then run as a prepared statement (see
 * `SqlDialect.prepare`) straight on the driver where it can (`SqlDialect.runPrepared`): no Kysely
 * query building, no executor and no SQL parsing per call. `build` receives
 * a stand-in for each parameter; the compiled parameters that are stand-ins are filled from the
 * call's `params`, any others (constants of the query) are kept.
 *
 * The rows come back synchronously when the driver answers in-process (SQLite) and every plugin
 * of `db` is a `ResultObserver`, else as a promise; `await` works on both.
 */
export function preparedQuery<P extends string, Row>(
  name: string,
  params: readonly P[],
  build: (db: Kysely<Database>, p: Record<P, string>) => Compilable<Row>,
): (db: DbOrTrx, values: Record<P, unknown>) => Row[] | Promise<Row[]> {
  const byDialect = new Map<string, Compiled>();
  const markers = Object.fromEntries(params.map((p) => [p, `${MARKER}${p}`])) as Record<P, string>;
  return (db, values) => {
    const dialect = dialectOf(db);
    let compiled = byDialect.get(dialect.name);
    if (!compiled) {
      const query = build(db as Kysely<Database>, markers).compile();
      const slots = query.parameters.map((value): Slot =>
        typeof value === 'string' && value.startsWith(MARKER) ? { param: value.slice(MARKER.length) } : { constant: value },
      );
      compiled = { sql: query.sql, slots };
      dialect.prepare(name, query.sql);
      byDialect.set(dialect.name, compiled);
    }
    const parameters = compiled.slots.map((slot) => ('param' in slot ? values[slot.param as P] : slot.constant));
    const direct = dialect.runPrepared(db, name, compiled.sql, parameters);
    if (direct === undefined) return db.executeQuery<Row>(CompiledQuery.raw(compiled.sql, parameters)).then((result) => result.rows);
    if (Array.isArray(direct)) return withPluginsOf(db, direct as Row[]);
    return direct.then((rows) => withPluginsOf(db, rows as Row[]));
  };
}
