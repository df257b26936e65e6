/**
 * The hot statements of one dialect: the texts registered through `SqlDialect.prepare`, each with
 * its name. Connections look a statement's text up here to decide whether to keep it prepared;
 * registration is done by code (db/prepared.ts), so the set is small and bounded.
 */
export class PreparedRegistry {
  readonly #names = new Map<string, string>();
  readonly #texts = new Map<string, string>();

  register(name: string, sql: string): void {
    const known = this.#texts.get(name);
    if (known !== undefined && known !== sql) throw new Error(`prepared statement "${name}" registered with two different texts`);
    this.#texts.set(name, sql);
    this.#names.set(sql, name);
  }

  /** The statement name `sql` was registered under, or undefined when it is not a hot statement. */
  nameOf(sql: string): string | undefined {
    return this.#names.get(sql);
  }
}
