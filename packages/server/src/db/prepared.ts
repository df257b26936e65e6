import { CompiledQuery, createQueryId, type Compilable, type Kysely, type QueryResult, type UnknownRow } from 'kysely';
import type { Database, DbOrTrx } from './database.js';
import { dialectOf } from './dialects/index.js';

type Slot = { param: string } | { constant: unknown };
interface Compiled {
  sql: string;
  slots: Slot[];
}

const MARKER = '\u0000act2-param:';

/**
 * What Kysely does with a result after the driver: each plugin of `db` (e.g. the outage tracker's,
 * db/outage-plugin.ts) sees it, in order.
 */
async function withPluginsOf<Row>(db: DbOrTrx, result: QueryResult<Row>): Promise<QueryResult<Row>> {
  const plugins = db.getExecutor().plugins;
  if (plugins.length === 0) return result;
  let out = result as QueryResult<UnknownRow>;
  const queryId = createQueryId();
  for (const plugin of plugins) out = await plugin.transformResult({ result: out, queryId });
  return out as QueryResult<Row>;
}

/**
 * A query built and compiled once per dialect, then run as a prepared statement (see
 * `SqlDialect.prepare`) straight on the driver where it can (`SqlDialect.runPrepared`): no Kysely
 * query building, no executor and no SQL parsing per call. `build` receives
 * a stand-in for each parameter; the compiled parameters that are stand-ins are filled from the
 * call's `params`, any others (constants of the query) are kept.
 */
export function preparedQuery<P extends string, Row>(
  name: string,
  params: readonly P[],
  build: (db: Kysely<Database>, p: Record<P, string>) => Compilable<Row>,
): (db: DbOrTrx, values: Record<P, unknown>) => Promise<Row[]> {
  const byDialect = new Map<string, Compiled>();
  const markers = Object.fromEntries(params.map((p) => [p, `${MARKER}${p}`])) as Record<P, string>;
  return async (db, values) => {
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
    if (direct === undefined) return (await db.executeQuery<Row>(CompiledQuery.raw(compiled.sql, parameters))).rows;
    return (await withPluginsOf(db, { rows: (await direct) as Row[] })).rows;
  };
}
