/** Prepared statements of one connection, made on first use and kept by their SQL. */
import type { Database, Statement } from 'better-sqlite3';

export class StatementCache {
  readonly #db: Database;
  readonly #statements = new Map<string, Statement>();

  constructor(db: Database) {
    this.#db = db;
  }

  /** Prepared on first use: a read-only connection never prepares what it cannot run. */
  get(sql: string): Statement {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }
}
