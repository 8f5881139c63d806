/**
 * The DataConnect views on PostgreSQL — UNTESTED: written before the PostgreSQL store exists, from
 * its promise of the same table and column names as SQLite. What must be checked against it: the
 * column types (epoch milliseconds as bigint, `passed` as 0/1 or boolean, JSON columns as text or
 * jsonb — the expressions below accept both), and every statement run once.
 *
 * Unlike SQLite, the views are real ones in a schema of their own, `dataconnect`, so reporting
 * tools can connect as the read-only `dataconnect` role and see nothing else. Timestamps are native
 * (`timestamptz` for TIMESTAMP WITH TIME ZONE columns, `timestamp` in UTC for TIMESTAMP ones), so
 * PostgreSQL's own TO_CHAR (whose format models are Oracle's), TO_DATE and TO_TIMESTAMP apply.
 *
 * Per query, the node sets in its transaction (`SET LOCAL`): `dataconnect.scope` ('all' or
 * 'groups'), `dataconnect.groups` (a JSON array), `dataconnect.node_name`, `dataconnect.version`;
 * a direct connection of the `dataconnect` role leaves them unset, which reads as 'all'. The node
 * runs each query as `BEGIN READ ONLY; SET LOCAL ROLE dataconnect; SET LOCAL statement_timeout …;
 * <query>; ROLLBACK`, so the engine refuses writes and stops a runaway itself.
 */
import type { DialectTarget } from './dialect.js';
import { viewSelects, type ViewSql } from './view-sql.js';
import { DATE_COLUMNS } from './views.js';

const setting = (name: string) => `current_setting('dataconnect.${name}', true)`;

export const POSTGRES_SQL: ViewSql = {
  timestamp: (ms, type) => (type === 'TIMESTAMP' ? `(to_timestamp((${ms}) / 1000.0) AT TIME ZONE 'UTC')` : `to_timestamp((${ms}) / 1000.0)`),
  json: (column, field) => `(${column}::jsonb ->> '${field}')`,
  attribute: (column, name) => `dataconnect.dc_attr(${column}, '${name}')`,
  policyPart: (p, part) =>
    part === 'set' ? `CASE WHEN strpos(${p}, ' >> ') > 0 THEN split_part(${p}, ' >> ', 1) END` : `CASE WHEN strpos(${p}, ' >> ') > 0 THEN substr(${p}, strpos(${p}, ' >> ') + 4) ELSE ${p} END`,
  text: (x) => `CAST(${x} AS TEXT)`,
  isTrue: (column) => `(${column})::int = 1`,
  nodeName: `coalesce(${setting('node_name')}, 'openmnt')`,
  nodeVersion: setting('version'),
  nowMs: '(EXTRACT(EPOCH FROM now()) * 1000)',
  scopeAll: `coalesce(${setting('scope')}, 'all') = 'all'`,
  scopeGroups: `SELECT jsonb_array_elements_text(coalesce(${setting('groups')}, '[]')::jsonb)`,
  distinct: (a, b) => `${a} IS DISTINCT FROM ${b}`,
  deviceGroup: (data, prefix) => `(SELECT substr(g, ${prefix.length + 2}) FROM jsonb_array_elements_text(${data}::jsonb -> 'deviceGroups') g WHERE g LIKE '${prefix}#%' LIMIT 1)`,
  deviceGroupNames: "(SELECT DISTINCT g AS name FROM policy_objects p, jsonb_array_elements_text(p.data::jsonb -> 'deviceGroups') g WHERE p.kind = 'devices') d",
  failureCodes: 'dataconnect.failure_codes f',
  oneRow: '(SELECT 1) one',
  nullType: (type) => (type === 'NUMBER' ? 'numeric' : type === 'TIMESTAMP' ? 'timestamp' : type === 'VARCHAR2' ? 'text' : 'timestamptz'),
};

/** The dialect pass for PostgreSQL: native dates, days as numbers, exact division. */
export const POSTGRES_TARGET: DialectTarget = {
  now: 'now()',
  dateAdd: (date, days) => `(${date} + (${days}) * interval '1 day')`,
  daysBetween: (a, b) => `(EXTRACT(EPOCH FROM (${a}) - (${b})) / 86400)`,
  dateLiteral: (literal) => `(${literal})::timestamptz`,
  interval: (count, unit) => `dataconnect.numtodsinterval(${Number(count)}, '${unit}')`,
  dateColumns: DATE_COLUMNS,
  // PostgreSQL divides integers as integers too; Oracle's NUMBER never does.
  divide: ' * 1.0 / ',
};

/** Oracle's functions that PostgreSQL lacks, in the dataconnect schema (NUMTODSINTERVAL answers days, as on SQLite). */
const FUNCTIONS = `
CREATE OR REPLACE FUNCTION dataconnect.numtodsinterval(n numeric, unit text) RETURNS double precision
  LANGUAGE sql IMMUTABLE AS $$
  SELECT n * CASE upper(unit) WHEN 'DAY' THEN 1.0 WHEN 'HOUR' THEN 1.0 / 24 WHEN 'MINUTE' THEN 1.0 / 1440 WHEN 'SECOND' THEN 1.0 / 86400 END
$$;
CREATE OR REPLACE FUNCTION dataconnect.dc_attr(attributes text, name text) RETURNS text
  LANGUAGE sql IMMUTABLE AS $$
  SELECT substr(p, length(name) + 2) FROM unnest(string_to_array(attributes, ':!:')) p WHERE p LIKE name || '=%' LIMIT 1
$$;
CREATE OR REPLACE FUNCTION dataconnect.nvl(a anyelement, b anyelement) RETURNS anyelement LANGUAGE sql IMMUTABLE AS $$ SELECT coalesce(a, b) $$;
CREATE OR REPLACE FUNCTION dataconnect.nvl2(a anyelement, b anyelement, c anyelement) RETURNS anyelement LANGUAGE sql IMMUTABLE AS $$ SELECT CASE WHEN a IS NULL THEN c ELSE b END $$;
CREATE OR REPLACE FUNCTION dataconnect.trunc(t timestamptz, unit text DEFAULT 'DD') RETURNS timestamptz
  LANGUAGE sql STABLE AS $$
  SELECT date_trunc(CASE upper(unit) WHEN 'DD' THEN 'day' WHEN 'HH' THEN 'hour' WHEN 'HH24' THEN 'hour' WHEN 'MI' THEN 'minute'
    WHEN 'MM' THEN 'month' WHEN 'Q' THEN 'quarter' WHEN 'YYYY' THEN 'year' END, t, 'UTC')
$$;
`;

/**
 * Everything to run once (as the owner of the store's tables) to create the schema, its functions,
 * the failure catalogue and the views. `failureReasons`: the catalogue's code and cause.
 */
export function postgresDataConnectStatements(hasAdminLogins: boolean, failureReasons: { code: string; cause: string }[]): string[] {
  const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;
  return [
    'CREATE SCHEMA IF NOT EXISTS dataconnect',
    FUNCTIONS.trim(),
    'CREATE TABLE IF NOT EXISTS dataconnect.failure_codes (code text PRIMARY KEY, cause text)',
    'TRUNCATE dataconnect.failure_codes',
    ...(failureReasons.length === 0 ? [] : [`INSERT INTO dataconnect.failure_codes (code, cause) VALUES ${failureReasons.map((r) => `(${quote(r.code)}, ${quote(r.cause)})`).join(', ')}`]),
    ...viewSelects(POSTGRES_SQL, hasAdminLogins).map((v) => `CREATE OR REPLACE VIEW dataconnect.${v.name} AS\n${v.sql}`),
  ];
}

/**
 * The read-only role reporting tools connect as (`dataconnect` by default; roles are shared by every
 * database of a cluster, so tests give their own name): the views and nothing else (a view reads
 * its tables with its owner's rights, so the role needs no grant on them), read-only and
 * time-bounded by default. The password is set by the operator (`ALTER ROLE dataconnect PASSWORD …`).
 */
export function postgresRoleStatements(role = 'dataconnect'): string[] {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(role)) throw new Error(`role name ${role}: lower-case letters, digits and _`);
  return [
    `DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${role}') THEN CREATE ROLE ${role} LOGIN; END IF; END $$`,
    `REVOKE ALL ON SCHEMA public FROM ${role}`,
    `GRANT USAGE ON SCHEMA dataconnect TO ${role}`,
    `GRANT SELECT ON ALL TABLES IN SCHEMA dataconnect TO ${role}`,
    `GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA dataconnect TO ${role}`,
    `ALTER ROLE ${role} SET default_transaction_read_only = on`,
    `ALTER ROLE ${role} SET statement_timeout = '30s'`,
    `ALTER ROLE ${role} SET search_path = dataconnect`,
  ];
}
