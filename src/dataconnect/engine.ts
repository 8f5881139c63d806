/**
 * What DataConnect asks of a database engine, and the rules every engine applies the same way
 * (in the manner of FreeRADIUS's rlm_sql: the neutral part above, one driver per engine below).
 * service.ts holds the rest of the neutral part (limits, rights, audit); sqlite-runner.ts and
 * postgres-engine.ts are the engines.
 */
import { OpenMntError } from '../errors.js';
import type { Translation } from './dialect.js';
import { VIEWS, VIEW_NAMES } from './views.js';

export interface QueryRequest {
  sql: string;
  /** At most this many rows; one more is read to tell that there were more. */
  maxRows: number;
  /** Null: every row; a list: a delegated admin's endpoint groups. */
  groups: string[] | null;
}

export interface QueryColumn {
  name: string;
  /** The view column's type when the column is one by name, else null. */
  type: string | null;
}

export interface QueryResult {
  columns: QueryColumn[];
  rows: unknown[][];
  truncated: boolean;
  /** The statement as the engine ran it. */
  translated: string;
}

/** One engine's way of running a query, read-only, within `timeoutMs`. */
export interface DcEngine {
  run(request: QueryRequest, timeoutMs: number): Promise<QueryResult>;
  close(): Promise<void>;
}

const VIEW_TYPES = new Map(VIEWS.map((v) => [v.name, new Map(v.columns.map((c) => [c.name, c.type] as const))]));
/** Column names of one type in every view that has them (SYSLOG_MESSAGE_CODE is not: NUMBER and VARCHAR2). */
const UNAMBIGUOUS_TYPES = (() => {
  const types = new Map<string, Set<string>>();
  for (const v of VIEWS) for (const c of v.columns) types.set(c.name, (types.get(c.name) ?? new Set()).add(c.type));
  return new Map([...types].filter(([, t]) => t.size === 1).map(([name, t]) => [name, [...t][0]!]));
})();

/** A result column's type: from the views the statement reads, in order, else by its name alone. */
export function columnType(name: string, views: readonly string[]): string | null {
  const upper = name.toUpperCase();
  for (const v of views) {
    const type = VIEW_TYPES.get(v)?.get(upper);
    if (type !== undefined) return type;
  }
  return UNAMBIGUOUS_TYPES.get(upper) ?? null;
}

/**
 * The views are the only names a query may read: every table reference the dialect pass found
 * must be a view, a name the statement defines itself, or one of the engine's table functions
 * (`NAME()`). The engine's own rights are the boundary (SQLite: a read-only connection; PostgreSQL:
 * the role's grants); this answers early, naming the views.
 */
export function assertViewsOnly(translation: Translation, tableFunctions: ReadonlySet<string>): void {
  const own = new Set(translation.ctes);
  for (const table of translation.tables) {
    if (!VIEW_NAMES.has(table) && !own.has(table) && !tableFunctions.has(table)) {
      throw new OpenMntError('DC_NOT_A_VIEW', `${table.replace(/\(\)$/, '')} is not a DataConnect view; the views are ${[...VIEW_NAMES].join(', ')}`);
    }
  }
}
