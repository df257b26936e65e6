/**
 * The subset of PuppetDB's AST query language (query API v4) the agent and the tests use:
 * `=`, `<`, `>`, `<=`, `>=`, `in` + `array`, `and`, `or`, `not`, `extract`, and `node_state`.
 * Errors answer the way PuppetDB 7.12 does (fixtures/puppetdb-captures): 400 text/plain.
 */

/** A row of an entity (a node record, a fact row) plus whether its node is active. */
export interface Row {
  fields: Record<string, unknown>;
  active: boolean;
}

export class QueryError extends Error {}

type Predicate = (row: Row) => boolean;

/** "'a', 'b', and 'c'": how PuppetDB lists known fields. */
function knownList(fields: readonly string[]): string {
  const quoted = [...fields].sort().map((f) => `'${f}'`);
  return quoted.length < 2 ? quoted.join('') : `${quoted.slice(0, -1).join(', ')}, and ${quoted.at(-1) ?? ''}`;
}

function compare(op: string, a: unknown, b: unknown): boolean {
  if (a === null || a === undefined) return false;
  const x = typeof a === 'string' && typeof b === 'string' && !Number.isNaN(Date.parse(a)) && !Number.isNaN(Date.parse(b)) ? Date.parse(a) : (a as number);
  const y = typeof a === 'string' && typeof b === 'string' && !Number.isNaN(Date.parse(a)) && !Number.isNaN(Date.parse(b)) ? Date.parse(b) : (b as number);
  if (op === '<') return x < y;
  if (op === '>') return x > y;
  if (op === '<=') return x <= y;
  return x >= y;
}

export interface Compiled {
  predicate: Predicate;
  /** Fields to keep (`extract`), or all. */
  extract?: string[];
  /** Whether the query names node_state itself (otherwise only active nodes match). */
  hasNodeState: boolean;
}

/** Compiles a query (the `query` parameter's text) for an entity whose queryable fields are `fields`. */
export function compileQuery(entity: string, fields: readonly string[], text: string | undefined): Compiled {
  if (text === undefined || text.trim() === '') return { predicate: (row) => row.active, hasNodeState: false };
  let ast: unknown;
  try {
    ast = JSON.parse(text);
  } catch (error) {
    throw new QueryError(`Json parse error at line 1, column 1:\n\n${text}\n^\n\n${(error as Error).message}`);
  }
  let hasNodeState = false;
  const field = (name: unknown): string => {
    if (typeof name !== 'string' || !fields.includes(name)) {
      throw new QueryError(`'${String(name)}' is not a queryable object for ${entity}. Known queryable objects are ${knownList(fields)}`);
    }
    return name;
  };
  const compile = (node: unknown): Predicate => {
    if (!Array.isArray(node) || typeof node[0] !== 'string') throw new QueryError(`${JSON.stringify(node)} is not well-formed: queries must contain at least one operator`);
    const [op, ...args] = node as [string, ...unknown[]];
    switch (op) {
      case 'and': {
        const parts = args.map(compile);
        return (row) => parts.every((p) => p(row));
      }
      case 'or': {
        const parts = args.map(compile);
        return (row) => parts.some((p) => p(row));
      }
      case 'not': {
        const inner = compile(args[0]);
        return (row) => !inner(row);
      }
      case '=': {
        if (args[0] === 'node_state') {
          hasNodeState = true;
          if (args[1] === 'active') return (row) => row.active;
          if (args[1] === 'inactive') return (row) => !row.active;
          if (args[1] === 'any') return () => true;
          throw new QueryError(`No matching clause: ${String(args[1])}`);
        }
        const name = field(args[0]);
        return (row) => row.fields[name] === args[1];
      }
      case '<':
      case '>':
      case '<=':
      case '>=': {
        const name = field(args[0]);
        return (row) => compare(op, row.fields[name], args[1]);
      }
      case 'in': {
        const name = field(args[0]);
        const list = args[1];
        if (!Array.isArray(list) || list[0] !== 'array' || !Array.isArray(list[1])) throw new QueryError(`'in' takes a field and an array or a subquery`);
        const values = new Set(list[1] as unknown[]);
        return (row) => values.has(row.fields[name]);
      }
      default:
        throw new QueryError(`'${op}' is not a valid operator for ${entity}`);
    }
  };
  if (Array.isArray(ast) && ast[0] === 'extract') {
    const wanted = (Array.isArray(ast[1]) ? ast[1] : [ast[1]]).map(field);
    const predicate = ast.length > 2 ? compile(ast[2]) : () => true;
    return finish({ predicate, extract: wanted });
  }
  return finish({ predicate: compile(ast) });

  function finish(c: { predicate: Predicate; extract?: string[] }): Compiled {
    const { predicate } = c;
    const withState: Predicate = hasNodeState ? predicate : (row) => row.active && predicate(row);
    return { predicate: withState, hasNodeState, ...(c.extract ? { extract: c.extract } : {}) };
  }
}
