/**
 * DataConnect on PostgreSQL, the engine below service.ts. Queries run on connections of their own
 * that log in as the read-only `dataconnect` role (postgres-views.ts makes it): the session user is
 * the role itself, so neither `SET ROLE`, `RESET ROLE` nor `set_config('role', …)` can reach the
 * store's user, and the role's grants (SELECT on the views) are all a query has. Each query runs in
 * a READ ONLY transaction with `statement_timeout` at its time limit, and is always rolled back,
 * so whatever settings it changed go with it. The database refuses writes and stops a runaway
 * itself; the node's own connections (the store's threads) never wait on it.
 *
 * Before a query the node writes the admin's scope for the query's connection (its backend pid)
 * over a connection of the store's user (the role cannot write it), and removes it afterwards.
 */
import type { Logger } from 'pino';
import type { Sql, TransactionSql } from 'postgres';
import { OpenMntError } from '../errors.js';
import { connectPostgres, type PgConnectOptions } from '../store/postgres/connect.js';
import { translate } from './dialect.js';
import { assertViewsOnly, columnType, type DcEngine, type QueryRequest, type QueryResult } from './engine.js';
import { DC_SEARCH_PATH, POSTGRES_TARGET, setupPostgresDataConnect } from './postgres-views.js';

/** Table functions a query may read besides the views. */
const TABLE_FUNCTIONS = new Set(['GENERATE_SERIES()', 'UNNEST()', 'JSONB_ARRAY_ELEMENTS()', 'JSONB_ARRAY_ELEMENTS_TEXT()', 'JSONB_EACH()', 'JSONB_EACH_TEXT()', 'REGEXP_SPLIT_TO_TABLE()']);
/** How long past its statement_timeout the node waits before cancelling a query itself. */
const CANCEL_GRACE_MS = 2000;

export interface PostgresEngineOptions {
  /** The store's connection (its URL's user owns the views). */
  store: Pick<PgConnectOptions, 'url' | 'tls' | 'connectTimeoutSeconds'>;
  role: string;
  /** The role's password ('' for trust or certificate authentication). */
  password: string;
  nodeName: string;
  version: string;
  failureReasons: { code: string; cause: string }[];
  /** The longest a query may run: the role's statement_timeout for direct connections too. */
  maxTimeoutMs: number;
  concurrency: number;
  maxWaiting: number;
  logger: Logger;
}

class Rollback {
  constructor(readonly result: QueryResult) {}
}

export class PostgresEngine implements DcEngine {
  readonly #o: PostgresEngineOptions;
  /** The store's user: the scope rows. */
  readonly #owner: Sql;
  /** The role: the queries. */
  readonly #reader: Sql;
  #running = 0;
  readonly #waiting: (() => void)[] = [];
  #closed = false;

  /** The schema, views and role made (or the reason they could not be). */
  readonly #ready: Promise<void>;
  #failure: Error | null = null;

  private constructor(o: PostgresEngineOptions) {
    this.#o = o;
    this.#owner = connectPostgres({ ...o.store, poolSize: 1, applicationName: 'openmnt-dataconnect' });
    // The role's sessions are read-only by default, so "read-write" would refuse every server: the
    // primary, where the scope rows are written (a standby could lag behind them).
    this.#reader = connectPostgres({ ...o.store, poolSize: o.concurrency, applicationName: 'openmnt-dataconnect-query', username: o.role, password: o.password, targetSessionAttrs: 'primary', textTimestamps: true, prepare: false });
    this.#ready = setupPostgresDataConnect(this.#owner, { role: o.role, statementTimeoutMs: o.maxTimeoutMs, nodeName: o.nodeName, version: o.version, failureReasons: o.failureReasons, logger: o.logger }).then(
      () => undefined,
      (error: unknown) => {
        this.#failure = error as Error;
        if (!this.#closed) o.logger.error({ err: error }, 'DataConnect could not make its views and role: queries are answered 503');
      },
    );
  }

  /**
   * Opens the engine and makes (or updates) the schema, the views and the role in the background:
   * a node's start does not wait on it (several nodes take turns under the migrations' lock), and
   * a query waits until it is done.
   */
  static open(o: PostgresEngineOptions): PostgresEngine {
    return new PostgresEngine(o);
  }

  /** Opens the engine once its schema is made; throws what stopped it (tests, tools). */
  static async start(o: PostgresEngineOptions): Promise<PostgresEngine> {
    const engine = new PostgresEngine(o);
    await engine.#ready;
    if (engine.#failure !== null) {
      const failure = engine.#failure;
      await engine.close();
      throw failure;
    }
    return engine;
  }

  async run(request: QueryRequest, timeoutMs: number): Promise<QueryResult> {
    const translation = translate(request.sql, POSTGRES_TARGET);
    assertViewsOnly(translation, TABLE_FUNCTIONS);
    await this.#ready;
    if (this.#failure !== null) throw new OpenMntError('UNAVAILABLE', `DataConnect could not make its views on PostgreSQL: ${this.#failure.message}`);
    await this.#acquire();
    try {
      return await this.#transaction(request, translation.sql, translation.tables, timeoutMs);
    } finally {
      this.#release();
    }
  }

  async #transaction(request: QueryRequest, statement: string, tables: string[], timeoutMs: number): Promise<QueryResult> {
    let pid: number | null = null;
    try {
      await this.#reader.begin('read only', async (tx: TransactionSql) => {
        await tx.unsafe(`SET LOCAL statement_timeout = ${Math.round(timeoutMs)}`);
        await tx.unsafe(`SET LOCAL search_path = ${DC_SEARCH_PATH}`);
        await tx.unsafe("SET LOCAL timezone = 'UTC'");
        const [row] = await tx.unsafe('SELECT pg_backend_pid() AS pid');
        pid = Number(row!.pid);
        // Committed before the query's statement starts, so its snapshot sees it.
        await this.#owner.unsafe(
          'INSERT INTO dataconnect.query_scope (pid, node_name, version, groups) VALUES ($1, $2, $3, CAST(CAST($4 AS text) AS jsonb)) ON CONFLICT (pid) DO UPDATE SET node_name = excluded.node_name, version = excluded.version, groups = excluded.groups',
          [pid, this.#o.nodeName, this.#o.version, request.groups === null ? null : JSON.stringify(request.groups)],
        );
        const result = await tx.savepoint((sp) => this.#statement(sp, request.maxRows, statement, tables, timeoutMs)).catch((error: unknown) => ({ error }));
        // A session-level advisory lock taken by the query would outlive the transaction on this pooled connection.
        await tx.unsafe('SELECT pg_advisory_unlock_all()');
        if ('error' in result) throw result.error;
        throw new Rollback(result);
      });
      throw new Error('the DataConnect transaction was not rolled back');
    } catch (error) {
      if (error instanceof Rollback) return error.result;
      throw pgError(error, timeoutMs);
    } finally {
      if (pid !== null) {
        await this.#owner.unsafe('DELETE FROM dataconnect.query_scope WHERE pid = $1 AND node_name = $2', [pid, this.#o.nodeName]).catch((error: unknown) => this.#o.logger.warn({ err: error }, 'DataConnect scope row not removed'));
      }
    }
  }

  async #statement(sp: TransactionSql, maxRows: number, statement: string, tables: string[], timeoutMs: number): Promise<QueryResult> {
    // The extended protocol: one statement, never several. The server parses and describes it
    // first: one that returns no rows (SET, RESET ROLE, COPY, COMMIT, DROP…) is not run at all.
    const described = (await sp.unsafe(statement, [], { prepare: false, simple: false } as { prepare: boolean }).describe()) as unknown as { columns?: unknown[] | null };
    if (described.columns === undefined || described.columns === null || described.columns.length === 0) {
      throw new OpenMntError('DC_READ_ONLY', 'the database reports that the statement returns no rows (SET, RESET, COPY, DROP, a write without RETURNING, transaction control…): only queries are run');
    }
    const query = sp.unsafe(statement, [], { prepare: false, simple: false } as { prepare: boolean }).values();
    // The server's statement_timeout stops it; this only covers a server that did not.
    const backstop = setTimeout(() => void query.cancel(), timeoutMs + CANCEL_GRACE_MS);
    try {
      const rows: unknown[][] = [];
      let truncated = false;
      let columns: { name: string; type?: number }[] | undefined;
      for await (const batch of query.cursor(Math.min(maxRows + 1, 1000)) as AsyncIterable<unknown[][] & { columns?: { name: string; type?: number }[] }>) {
        columns ??= batch.columns;
        // numeric arrives as text (it may not fit a double); Oracle's NUMBER is a number to a script.
        const numbers = new Set((columns ?? []).flatMap((c, k) => (c.type === 1700 ? [k] : [])));
        const dates = new Set((columns ?? []).flatMap((c, k) => (c.type !== undefined && DATE_TYPES.has(c.type) ? [k] : [])));
        for (const row of batch) {
          if (rows.length >= maxRows) {
            truncated = true;
            break;
          }
          rows.push(row.map((v, k) => (dates.has(k) && typeof v === 'string' ? timestampText(v) : numbers.has(k) && typeof v === 'string' ? Number(v) : plain(v))));
        }
        if (truncated) break;
      }
      columns ??= (query as unknown as { statement?: { columns?: { name: string }[] } }).statement?.columns ?? (described.columns as { name: string }[]);
      return { columns: columns.map((c) => ({ name: oracleName(c.name), type: columnType(oracleName(c.name), tables) })), rows, truncated, translated: statement };
    } finally {
      clearTimeout(backstop);
    }
  }

  async #acquire(): Promise<void> {
    if (this.#closed) throw new OpenMntError('UNAVAILABLE', 'DataConnect is stopping');
    if (this.#running < this.#o.concurrency) {
      this.#running++;
      return;
    }
    if (this.#waiting.length >= this.#o.maxWaiting) throw new OpenMntError('UNAVAILABLE', 'too many DataConnect queries at once; try again shortly');
    // The one that leaves hands its place over (#release), so the count stays.
    await new Promise<void>((resolve) => this.#waiting.push(resolve));
  }

  #release(): void {
    const next = this.#waiting.shift();
    if (next !== undefined) next();
    else this.#running--;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#ready;
    await this.#reader.end({ timeout: 1 });
    await this.#owner.end({ timeout: 1 });
  }
}

/** PostgreSQL folds unquoted names to lower case, Oracle to upper case: a lower-case name is shown as Oracle would. */
function oracleName(name: string): string {
  return name === name.toLowerCase() ? name.toUpperCase() : name;
}

/** date, timestamp, timestamptz. */
const DATE_TYPES = new Set([1082, 1114, 1184]);

/**
 * A timestamp as the server printed it (in UTC: the session's zone) as DataConnect shows one on
 * SQLite too, `YYYY-MM-DD HH:MM:SS.SSS`; other forms (infinity, BC dates) as printed.
 */
function timestampText(text: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})(?: (\d{2}:\d{2}:\d{2})(?:\.(\d+))?)?(?:\+00(?::00)?)?$/.exec(text);
  if (m === null) return text;
  return `${m[1]} ${m[2] ?? '00:00:00'}.${(m[3] ?? '').padEnd(3, '0').slice(0, 3)}`;
}

/** A value as JSON carries it. */
function plain(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (Buffer.isBuffer(value)) return value.toString('hex');
  return value;
}

/** The database's refusal as DataConnect's error. */
function pgError(error: unknown, timeoutMs: number): OpenMntError {
  if (error instanceof OpenMntError) return error;
  const e = error as { code?: string; message?: string };
  const message = e.message ?? String(error);
  switch (e.code) {
    case '57014': // query_canceled: the statement_timeout (or the node's own cancel)
      return new OpenMntError('DC_TIMEOUT', `the query ran longer than ${timeoutMs / 1000} s and was stopped; narrow it (a time bound, FETCH FIRST n ROWS ONLY)`);
    case '25006': // read_only_sql_transaction
    case '25001': // active_sql_transaction: "transaction read-write mode must be set before any query"
      return new OpenMntError('DC_READ_ONLY', `the database refused a write: ${message} (DataConnect is read-only)`);
    case '42501': // insufficient_privilege
      return new OpenMntError('DC_READ_ONLY', `the database refused it: ${message} (DataConnect may read the views only)`);
    case '55000': // object_not_in_prerequisite_state: the views cannot be written through
      if (/cannot (insert into|update|delete from) view/.test(message)) return new OpenMntError('DC_READ_ONLY', `the database refused a write: ${message} (DataConnect is read-only)`);
      return new OpenMntError('DC_SQL_ERROR', message);
    case '0A000': // feature_not_supported, as a write inside a function that may not write
      if (/is not allowed in a non-volatile function/.test(message)) return new OpenMntError('DC_READ_ONLY', `the database refused a write: ${message} (DataConnect is read-only)`);
      return new OpenMntError('DC_SQL_ERROR', message);
    case 'UNSAFE_TRANSACTION':
      return new OpenMntError('DC_READ_ONLY', 'transaction control is not a query: only queries are run');
    case 'ECONNREFUSED':
    case 'CONNECT_TIMEOUT':
    case '28P01': // invalid_password
    case '28000': // invalid_authorization_specification
    case '3D000':
      return new OpenMntError('UNAVAILABLE', `DataConnect cannot connect to PostgreSQL as its role: ${message}`);
    default:
      return new OpenMntError('DC_SQL_ERROR', message);
  }
}
