import { MysqlAdapter, PostgresAdapter, sql, type ColumnDefinitionBuilder, type CreateTableBuilder, type Expression, type Kysely } from 'kysely';

// Frozen in time with the migrations that use it: a name here must keep meaning the same
// column type forever. Add new names; never change what an existing one produces. It imports
// nothing from the application, like the migrations themselves.

type DataType = Parameters<CreateTableBuilder<string, never>['addColumn']>[1];

export interface ColumnTypes {
  /** Identifiers that are keys or indexed (sn, ip, names): at most 255 characters, compared byte for byte. */
  key: DataType;
  /** Free text up to 64 KiB (URLs, messages, sealed secrets). */
  text: DataType;
  /** JSON documents stored as text (parsed by the application): up to 16 MiB on MySQL. */
  json: DataType;
  /** Epoch milliseconds. */
  ms: DataType;
  /** A generated numeric primary key `id`: `.addColumn('id', t.id, t.idColumn)`. */
  id: DataType;
  idColumn: (column: ColumnDefinitionBuilder) => ColumnDefinitionBuilder;
  /** Finishes a CREATE TABLE: on MySQL, InnoDB and utf8mb4 with a binary, no-pad collation. */
  table: <T extends string, C extends string>(builder: CreateTableBuilder<T, C>) => CreateTableBuilder<T, C>;
}

/**
 * The column types of this database. MySQL cannot index TEXT, so keys are VARCHAR(255); every
 * MySQL table is utf8mb4 with a binary collation so `Web-01` and `web-01` are two minions and
 * `a` is not `a ` (MySQL 8: utf8mb4_0900_bin; MariaDB: utf8mb4_nopad_bin; utf8mb4_bin before).
 */
export async function columnTypes(db: Kysely<any>): Promise<ColumnTypes> {
  const adapter = db.getExecutor().adapter;
  if (adapter instanceof MysqlAdapter) {
    const collation = await binaryCollation(db);
    const options: Expression<unknown> = sql`engine = InnoDB default character set utf8mb4 collate ${sql.raw(collation)}`;
    return {
      key: sql`varchar(255)`,
      text: 'text',
      json: sql`mediumtext`,
      ms: 'bigint',
      id: 'bigint',
      idColumn: (c) => c.primaryKey().autoIncrement(),
      table: (builder) => builder.modifyEnd(options),
    };
  }
  const postgres = adapter instanceof PostgresAdapter;
  return {
    key: 'text',
    text: 'text',
    json: 'text',
    ms: 'bigint',
    id: postgres ? 'bigserial' : 'integer',
    idColumn: (c) => (postgres ? c.primaryKey() : c.primaryKey().autoIncrement()),
    table: (builder) => builder,
  };
}

async function binaryCollation(db: Kysely<any>): Promise<string> {
  const { rows } = await sql<{ name: string }>`
    select collation_name as name from information_schema.collations
    where collation_name in ('utf8mb4_0900_bin', 'utf8mb4_nopad_bin', 'utf8mb4_bin')`.execute(db);
  const names = new Set(rows.map((r) => r.name));
  return ['utf8mb4_0900_bin', 'utf8mb4_nopad_bin', 'utf8mb4_bin'].find((n) => names.has(n)) ?? 'utf8mb4_bin';
}
