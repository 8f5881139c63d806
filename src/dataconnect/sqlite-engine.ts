/**
 * DataConnect on SQLite: a connection of its own to the store's file, opened read-only, with the
 * views as TEMP views, Oracle's functions registered, and `query_only` set once they exist. What
 * keeps a query from writing is the engine, in three layers: the file is opened read-only (SQLite
 * refuses any write to it), `PRAGMA query_only` refuses writes to the TEMP schema too, and a
 * statement the engine itself reports as writing (`sqlite3_stmt_readonly`) or as returning no rows
 * (ATTACH, PRAGMA assignments, BEGIN…) is refused before it runs.
 *
 * The views are the only names a query may read: every table reference the dialect pass found
 * must be a view or a name the statement defines itself (SQLite has no grants; on PostgreSQL the
 * `dataconnect` role's grants do this).
 *
 * This runs inside a child process (sqlite-child.ts), so a runaway query is stopped by ending the
 * process: better-sqlite3 cannot interrupt a statement, and the node's own threads never wait on it.
 */
import Database from 'better-sqlite3';
import { OpenMntError } from '../errors.js';
import { translate, type DialectTarget } from './dialect.js';
import { registerFunctions, type QueryState } from './sqlite-functions.js';
import { sqliteViewStatements } from './sqlite-views.js';
import { assertViewsOnly, columnType, type QueryRequest, type QueryResult } from './engine.js';
import { DATE_COLUMNS } from './views.js';

export const SQLITE_TARGET: DialectTarget = {
  now: 'DC_SYSDATE()',
  dateAdd: (date, days) => `DC_DATE_ADD(${date}, ${days})`,
  daysBetween: (a, b) => `DC_DAYS_BETWEEN(${a}, ${b})`,
  dateLiteral: (literal) => `DC_TIMESTAMP_LITERAL(${literal})`,
  interval: (count, unit) => `NUMTODSINTERVAL(${Number(count)}, '${unit}')`,
  dateColumns: DATE_COLUMNS,
  // SQLite divides two integers as integers; Oracle's NUMBER never does.
  divide: ' * 1.0 / ',
};

/** Table-valued functions a query may read besides the views. */
const TABLE_FUNCTIONS = new Set(['JSON_EACH()', 'JSON_TREE()']);

export interface EngineInfo {
  path: string;
  nodeName: string;
  version: string;
  failureReasons: { code: string; cause: string }[];
  /** SQLite's heap limit for the connection, bytes. */
  heapLimitBytes: number;
}

export type { QueryColumn, QueryRequest, QueryResult } from './engine.js';

export class SqliteDataConnect {
  readonly #db: Database.Database;
  readonly #state: QueryState;

  constructor(info: EngineInfo) {
    // fileMustExist: a missing store is not made here (and could not be: read-only).
    this.#db = new Database(info.path, { readonly: true, fileMustExist: true });
    this.#db.pragma('busy_timeout = 5000');
    this.#db.pragma(`hard_heap_limit = ${Math.floor(info.heapLimitBytes)}`);
    this.#state = { nowMs: Date.now(), groups: null, nodeName: info.nodeName, version: info.version };
    registerFunctions(this.#db, this.#state);
    const hasAdminLogins = this.#db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'admin_logins'").get() !== undefined;
    this.#db.exec('CREATE TEMP TABLE dc_failure_codes (code TEXT, cause TEXT)');
    const insert = this.#db.prepare('INSERT INTO temp.dc_failure_codes (code, cause) VALUES (?, ?)');
    for (const r of info.failureReasons) insert.run(r.code, r.cause);
    for (const statement of sqliteViewStatements(hasAdminLogins)) this.#db.exec(statement);
    // From here on nothing may change, not even the TEMP schema.
    this.#db.pragma('query_only = ON');
  }

  /** Runs `sql` directly, without the dialect pass or the view check (the engine tests). */
  rawStatement(sql: string): Database.Statement {
    return this.#db.prepare(sql);
  }

  query(request: QueryRequest): QueryResult {
    const translation = translate(request.sql, SQLITE_TARGET);
    let statement: Database.Statement;
    try {
      statement = this.#db.prepare(translation.sql);
    } catch (cause) {
      throw sqlError(cause);
    }
    if (!statement.readonly) throw new OpenMntError('DC_READ_ONLY', 'the statement would write: DataConnect is read-only (refused by the database engine)');
    if (!statement.reader) throw new OpenMntError('DC_READ_ONLY', 'the statement returns no rows (ATTACH, PRAGMA, BEGIN and the like): only queries are run');
    const first = /^\s*\(*\s*([A-Za-z]+)/.exec(translation.sql)?.[1]?.toUpperCase();
    if (first !== 'SELECT' && first !== 'WITH' && first !== 'VALUES') {
      throw new OpenMntError('DC_UNSUPPORTED', `${first ?? 'this statement'} is not a query: use SELECT (or WITH … SELECT)`);
    }
    assertViewsOnly(translation, TABLE_FUNCTIONS);
    this.#state.nowMs = Date.now();
    this.#state.groups = request.groups;
    const columns = statement.columns().map((c) => ({ name: c.name, type: columnType(c.name, translation.tables) }));
    const rows: unknown[][] = [];
    let truncated = false;
    try {
      statement.raw(true);
      for (const row of statement.iterate() as IterableIterator<unknown[]>) {
        if (rows.length >= request.maxRows) {
          truncated = true;
          break;
        }
        rows.push(row.map((v) => (Buffer.isBuffer(v) ? v.toString('hex') : typeof v === 'bigint' ? Number(v) : v)));
      }
    } catch (cause) {
      throw sqlError(cause);
    }
    return { columns, rows, truncated, translated: translation.sql };
  }

  close(): void {
    this.#db.close();
  }
}

/** An engine error as DC_SQL_ERROR (or what a registered function threw, as it is). */
function sqlError(cause: unknown): OpenMntError {
  if (cause instanceof OpenMntError) return cause;
  const error = cause as { message?: string; code?: string };
  const message = error.message ?? String(cause);
  if (error.code === 'SQLITE_READONLY' || /readonly|query_only/i.test(message)) {
    return new OpenMntError('DC_READ_ONLY', `the database refused a write: ${message}`);
  }
  // A function throwing an OpenMntError reaches here as a plain Error with its message.
  return new OpenMntError('DC_SQL_ERROR', message);
}
