/**
 * The DataConnect views on PostgreSQL, over the PostgreSQL store's own tables (postgres/migrations.ts:
 * SQLite's names, with BIGINT epoch milliseconds, BOOLEAN `passed`, JSONB documents).
 *
 * Unlike SQLite's, the views are real ones, in a schema of their own, `dataconnect`, owned by the
 * store's user: they read the tables with its rights, so the read-only `dataconnect` role needs a
 * grant on the views alone and sees nothing else. Reporting tools connect as that role directly;
 * the node runs `openmnt dc query` as it too (postgres-engine.ts). Timestamps are native
 * (`timestamptz` for TIMESTAMP WITH TIME ZONE columns, `timestamp` in UTC for TIMESTAMP ones), so
 * PostgreSQL's TO_CHAR, whose format models are Oracle's, applies as it is; what Oracle has and
 * PostgreSQL lacks (NUMTODSINTERVAL, NVL, NVL2, DECODE, INSTR, TRUNC of a date, TO_DATE with a
 * time) is a function of the schema, found first by the role's `search_path` (dataconnect, pg_catalog).
 *
 * Who may see which rows: the node writes, before each query, a row of `dataconnect.query_scope`
 * for the query's connection (its backend pid) with the admin's groups, through its own connection
 * (the role cannot write it, so a query cannot widen its own scope), and deletes it afterwards. A
 * connection with no row — a reporting tool's — sees every row.
 *
 * Everything is made at node start, idempotently, under the lock the store's migrations take, so
 * nodes starting together do it one after the other; the views are replaced only when their SQL
 * changed (a digest), so a start does not take locks that would wait on running reports.
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { Sql, TransactionSql } from 'postgres';
import { MIGRATION_LOCK } from '../store/postgres/migrations.js';
import type { DialectTarget } from './dialect.js';
import { viewSelects, type ViewSql } from './view-sql.js';
import { DATE_COLUMNS } from './views.js';

const SCOPE_ROW = 'SELECT s.groups, s.node_name, s.version FROM dataconnect.query_scope s WHERE s.pid = pg_backend_pid()';

export const POSTGRES_SQL: ViewSql = {
  timestamp: (ms, type) => (type === 'TIMESTAMP' ? `(to_timestamp((${ms}) / 1000.0) AT TIME ZONE 'UTC')` : `to_timestamp((${ms}) / 1000.0)`),
  json: (column, field) => `(${column} ->> '${field}')`,
  attribute: (column, name) => `dataconnect.dc_attr(${column}, '${name}')`,
  policyPart: (p, part) =>
    part === 'set' ? `CASE WHEN strpos(${p}, ' >> ') > 0 THEN split_part(${p}, ' >> ', 1) END` : `CASE WHEN strpos(${p}, ' >> ') > 0 THEN substr(${p}, strpos(${p}, ' >> ') + 4) ELSE ${p} END`,
  text: (x) => `CAST(${x} AS TEXT)`,
  isTrue: (column) => column,
  nodeName: `coalesce((SELECT q.node_name FROM (${SCOPE_ROW}) q), (SELECT n.node_name FROM dataconnect.node n), 'openmnt')`,
  nodeVersion: `coalesce((SELECT q.version FROM (${SCOPE_ROW}) q), (SELECT n.version FROM dataconnect.node n))`,
  // bigint, as the columns it is compared with (a numeric would keep their indexes out of use).
  nowMs: 'CAST(EXTRACT(EPOCH FROM now()) * 1000 AS bigint)',
  scopeAll: `NOT EXISTS (SELECT 1 FROM (${SCOPE_ROW}) q WHERE q.groups IS NOT NULL)`,
  scopeGroups: `SELECT jsonb_array_elements_text(q.groups) FROM (${SCOPE_ROW}) q`,
  distinct: (a, b) => `${a} IS DISTINCT FROM ${b}`,
  deviceGroup: (data, prefix) => `(SELECT substr(g, ${prefix.length + 2}) FROM jsonb_array_elements_text(${data} -> 'deviceGroups') g WHERE g LIKE '${prefix}#%' LIMIT 1)`,
  deviceGroupNames: "(SELECT DISTINCT g AS name FROM policy_objects p, jsonb_array_elements_text(p.data -> 'deviceGroups') g WHERE p.kind = 'devices') d",
  failureCodes: 'dataconnect.failure_codes f',
  oneRow: '(SELECT 1) one',
  nullType: (type) => (type === 'NUMBER' ? 'numeric' : type === 'TIMESTAMP' ? 'timestamp' : type === 'VARCHAR2' ? 'text' : 'timestamptz'),
};

/** The dialect pass for PostgreSQL: native dates, days as numbers, exact division. */
export const POSTGRES_TARGET: DialectTarget = {
  now: 'now()',
  dateAdd: (date, days) => `(${date} + (${days}) * interval '1 day')`,
  daysBetween: (a, b) => `(EXTRACT(EPOCH FROM (${a}) - (${b})) / 86400)`,
  dateLiteral: (literal) => `CAST(${literal} AS timestamptz)`,
  interval: (count, unit) => `dataconnect.numtodsinterval(${Number(count)}, '${unit}')`,
  dateColumns: DATE_COLUMNS,
  // PostgreSQL divides integers as integers too; Oracle's NUMBER never does.
  divide: ' * 1.0 / ',
  noLimit: 'ALL',
  aliasSubqueries: true,
};

/** The search_path of every DataConnect query: the schema's Oracle functions before PostgreSQL's. */
export const DC_SEARCH_PATH = 'dataconnect, pg_catalog';

/** DECODE(expr, search, result, …[, default]) for up to this many pairs (Oracle takes 255). */
const DECODE_PAIRS = 8;

function decodeFunctions(): string[] {
  const out: string[] = [];
  for (let pairs = 1; pairs <= DECODE_PAIRS; pairs++) {
    for (const withDefault of [false, true]) {
      // The searches share the expression's type, the results one of their own (anyelement and
      // anycompatible are separate families); NULL matches NULL, as in Oracle's DECODE.
      const args = ['e anyelement'];
      const cases: string[] = [];
      for (let k = 1; k <= pairs; k++) {
        args.push(`s${k} anyelement`, `r${k} anycompatible`);
        cases.push(`WHEN e IS NOT DISTINCT FROM s${k} THEN r${k}`);
      }
      if (withDefault) args.push('d anycompatible');
      out.push(
        `CREATE OR REPLACE FUNCTION dataconnect.decode(${args.join(', ')}) RETURNS anycompatible LANGUAGE sql IMMUTABLE AS $$ SELECT CASE ${cases.join(' ')}${withDefault ? ' ELSE d' : ''} END $$`,
      );
    }
  }
  return out;
}

/** Oracle's functions that PostgreSQL lacks or reads otherwise (NUMTODSINTERVAL answers days, as on SQLite). */
const FUNCTIONS = [
  `CREATE OR REPLACE FUNCTION dataconnect.numtodsinterval(n numeric, unit text) RETURNS double precision LANGUAGE sql IMMUTABLE AS $$
  SELECT n * CASE upper(unit) WHEN 'DAY' THEN 1.0 WHEN 'HOUR' THEN 1.0 / 24 WHEN 'MINUTE' THEN 1.0 / 1440 WHEN 'SECOND' THEN 1.0 / 86400 END
$$`,
  `CREATE OR REPLACE FUNCTION dataconnect.dc_attr(attributes text, name text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT substr(p, length(name) + 2) FROM unnest(string_to_array(attributes, ':!:')) p WHERE p LIKE name || '=%' LIMIT 1
$$`,
  'CREATE OR REPLACE FUNCTION dataconnect.nvl(a anycompatible, b anycompatible) RETURNS anycompatible LANGUAGE sql IMMUTABLE AS $$ SELECT coalesce(a, b) $$',
  'CREATE OR REPLACE FUNCTION dataconnect.nvl2(a anyelement, b anycompatible, c anycompatible) RETURNS anycompatible LANGUAGE sql IMMUTABLE AS $$ SELECT CASE WHEN a IS NULL THEN c ELSE b END $$',
  'CREATE OR REPLACE FUNCTION dataconnect.instr(s text, sub text) RETURNS integer LANGUAGE sql IMMUTABLE AS $$ SELECT strpos(s, sub) $$',
  // Oracle's TRUNC of a date; TRUNC of a number stays PostgreSQL's own.
  `CREATE OR REPLACE FUNCTION dataconnect.trunc(t timestamptz, unit text DEFAULT 'DD') RETURNS timestamptz LANGUAGE sql STABLE AS $$
  SELECT date_trunc(CASE upper(unit) WHEN 'DD' THEN 'day' WHEN 'DDD' THEN 'day' WHEN 'J' THEN 'day' WHEN 'HH' THEN 'hour' WHEN 'HH12' THEN 'hour'
    WHEN 'HH24' THEN 'hour' WHEN 'MI' THEN 'minute' WHEN 'MM' THEN 'month' WHEN 'MON' THEN 'month' WHEN 'MONTH' THEN 'month'
    WHEN 'Q' THEN 'quarter' WHEN 'YYYY' THEN 'year' WHEN 'YEAR' THEN 'year' WHEN 'YY' THEN 'year' END, t, 'UTC')
$$`,
  // Oracle's DATE has a time of day: TO_DATE('… 10:00', '… HH24:MI') keeps it (PostgreSQL's date would not).
  'CREATE OR REPLACE FUNCTION dataconnect.to_date(s text, fmt text) RETURNS timestamptz LANGUAGE sql STABLE AS $$ SELECT pg_catalog.to_timestamp(s, fmt) $$',
  ...decodeFunctions(),
];

/** The tables of the schema: the failure catalogue, the per-query scope, this node, the views' digest. */
const TABLES = [
  'CREATE TABLE IF NOT EXISTS dataconnect.failure_codes (code text PRIMARY KEY, cause text)',
  'CREATE TABLE IF NOT EXISTS dataconnect.query_scope (pid integer PRIMARY KEY, node_name text NOT NULL, version text, groups jsonb)',
  'CREATE TABLE IF NOT EXISTS dataconnect.node (id integer PRIMARY KEY CHECK (id = 1), node_name text NOT NULL, version text)',
  'CREATE TABLE IF NOT EXISTS dataconnect.definition (id integer PRIMARY KEY CHECK (id = 1), digest text NOT NULL)',
];

/** `CREATE VIEW` of every view (PostgreSQL folds the unquoted names to lower case). */
export function postgresViewStatements(): { name: string; sql: string }[] {
  return viewSelects(POSTGRES_SQL, true).map((v) => ({ name: `dataconnect.${v.name.toLowerCase()}`, sql: `CREATE VIEW dataconnect.${v.name} AS\n${v.sql}` }));
}

const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;

export function checkRoleName(role: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(role)) throw new Error(`DataConnect role name ${role}: lower-case letters, digits and _`);
  return role;
}

/**
 * The settings of the role: read-only and time-bounded by default, UTC, the schema's functions
 * first. Run by a user that may alter roles (a superuser, or one with CREATEROLE).
 */
export function postgresRoleSettings(role: string, statementTimeoutMs: number): string[] {
  checkRoleName(role);
  return [
    `ALTER ROLE ${role} SET default_transaction_read_only = on`,
    `ALTER ROLE ${role} SET statement_timeout = ${Math.round(statementTimeoutMs)}`,
    `ALTER ROLE ${role} SET search_path = ${DC_SEARCH_PATH}`,
    `ALTER ROLE ${role} SET timezone = 'UTC'`,
    // A report left open in a transaction would hold back vacuum on the store's tables.
    `ALTER ROLE ${role} SET idle_in_transaction_session_timeout = 300000`,
  ];
}

export interface PostgresDataConnectSetup {
  role: string;
  /** The role's statement timeout (DataConnect's time limit). */
  statementTimeoutMs: number;
  nodeName: string;
  version: string;
  failureReasons: { code: string; cause: string }[];
  logger?: Logger;
}

/**
 * Makes or brings up to date the `dataconnect` schema and its role, as the store's user, under the
 * migrations' lock. Returns whether the role exists (false: the store's user may not create it, and
 * the log says what to run).
 */
export async function setupPostgresDataConnect(sql: Sql, o: PostgresDataConnectSetup): Promise<{ roleExists: boolean }> {
  const role = checkRoleName(o.role);
  const views = postgresViewStatements();
  const digest = createHash('sha256')
    .update([...FUNCTIONS, ...TABLES, ...views.map((v) => v.sql)].join('\n;\n'))
    .digest('hex');
  return (await sql.begin(async (tx: TransactionSql) => {
    await tx.unsafe('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await tx.unsafe('CREATE SCHEMA IF NOT EXISTS dataconnect');
    for (const t of TABLES) await tx.unsafe(t);
    const [current] = await tx.unsafe('SELECT digest FROM dataconnect.definition WHERE id = 1');
    if (current?.digest !== digest) {
      // Dropped and made again, not CREATE OR REPLACE: that cannot change a column's type.
      for (const v of views) await tx.unsafe(`DROP VIEW IF EXISTS ${v.name}`);
      for (const f of FUNCTIONS) await tx.unsafe(f);
      for (const v of views) await tx.unsafe(v.sql);
      await tx.unsafe('INSERT INTO dataconnect.definition (id, digest) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET digest = excluded.digest', [digest]);
    }
    // The catalogue follows this node's release; the last node to start names the node of a direct connection.
    await tx.unsafe('DELETE FROM dataconnect.failure_codes');
    if (o.failureReasons.length > 0) {
      await tx.unsafe(`INSERT INTO dataconnect.failure_codes (code, cause) VALUES ${o.failureReasons.map((r) => `(${quote(r.code)}, ${quote(r.cause)})`).join(', ')} ON CONFLICT (code) DO NOTHING`);
    }
    await tx.unsafe('INSERT INTO dataconnect.node (id, node_name, version) VALUES (1, $1, $2) ON CONFLICT (id) DO UPDATE SET node_name = excluded.node_name, version = excluded.version', [o.nodeName, o.version]);
    // A scope row a node left behind (it stopped mid-query) would narrow a later connection of that
    // pid: rows of backends that are gone go (a running query's backend is alive, so its row stays).
    await tx.unsafe('DELETE FROM dataconnect.query_scope s WHERE NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.pid = s.pid)');

    let roleExists = false;
    try {
      // Roles belong to the whole cluster, and the lock above to this database: a node of another
      // database may make or alter the same role at the same moment. Its win is taken as ours.
      for (let attempt = 1; ; attempt++) {
        roleExists = (await tx.unsafe('SELECT 1 FROM pg_roles WHERE rolname = $1', [role])).length > 0;
        try {
          await tx.savepoint(async (sp) => {
            if (!roleExists) await sp.unsafe(`CREATE ROLE ${role} LOGIN`);
            for (const s of postgresRoleSettings(role, o.statementTimeoutMs)) await sp.unsafe(s);
          });
          roleExists = true;
          break;
        } catch (error) {
          const code = (error as { code?: string }).code;
          // duplicate_object, unique_violation, "tuple concurrently updated" (XX000)
          if (attempt >= 3 || !['42710', '23505', 'XX000'].includes(code ?? '')) throw error;
        }
      }
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code !== '42501') throw error;
      o.logger?.warn(
        { role, statements: [...(roleExists ? [] : [`CREATE ROLE ${role} LOGIN PASSWORD '…'`]), ...postgresRoleSettings(role, o.statementTimeoutMs)] },
        `the store's PostgreSQL user may not ${roleExists ? 'alter' : 'create'} the DataConnect role: run these as a superuser`,
      );
    }
    if (roleExists) {
      // The views and nothing else: the schema's tables (the scope, the catalogue) are read through them.
      await tx.unsafe(`REVOKE ALL ON ALL TABLES IN SCHEMA dataconnect FROM ${role}`);
      await tx.unsafe(`GRANT USAGE ON SCHEMA dataconnect TO ${role}`);
      await tx.unsafe(`GRANT SELECT ON ${views.map((v) => v.name).join(', ')} TO ${role}`);
    }
    return { roleExists };
  })) as { roleExists: boolean };
}
