/**
 * The DataConnect views on SQLite: TEMP views of the DataConnect connection only
 * (sqlite-engine.ts), so the store's schema and migrations know nothing of them.
 *
 * Timestamps are text, `YYYY-MM-DD HH:MM:SS.SSS` in UTC: they compare as text, print as people read
 * them, and TO_CHAR, TRUNC and the date arithmetic of the dialect work on them (sqlite-functions.ts,
 * where the DC_… functions are registered on the connection).
 */
import { viewSelects, type ViewSql } from './view-sql.js';

export const SQLITE_SQL: ViewSql = {
  timestamp: (ms) => `strftime('%Y-%m-%d %H:%M:%f', (${ms}) / 1000.0, 'unixepoch')`,
  json: (column, field) => `json_extract(${column}, '$.${field}')`,
  attribute: (column, name) => `DC_ATTR(${column}, '${name}')`,
  policyPart: (p, part) =>
    part === 'set'
      ? `CASE WHEN instr(${p}, ' >> ') > 0 THEN substr(${p}, 1, instr(${p}, ' >> ') - 1) END`
      : `CASE WHEN instr(${p}, ' >> ') > 0 THEN substr(${p}, instr(${p}, ' >> ') + 4) ELSE ${p} END`,
  text: (x) => `CAST(${x} AS TEXT)`,
  isTrue: (column) => column,
  nodeName: 'DC_NODE_NAME()',
  nodeVersion: 'DC_NODE_VERSION()',
  nowMs: 'DC_NOW_MS()',
  scopeAll: 'DC_SCOPE_ALL()',
  scopeGroups: 'SELECT value FROM json_each(DC_SCOPE_GROUPS())',
  distinct: (a, b) => `${a} IS NOT ${b}`,
  deviceGroup: (data, prefix) => `(SELECT substr(g.value, ${prefix.length + 2}) FROM json_each(${data}, '$.deviceGroups') g WHERE g.value LIKE '${prefix}#%' LIMIT 1)`,
  deviceGroupNames: "(SELECT DISTINCT g.value AS name FROM policy_objects p, json_each(p.data, '$.deviceGroups') g WHERE p.kind = 'devices') d",
  failureCodes: 'temp.dc_failure_codes f',
  oneRow: '(SELECT 1)',
  nullType: (type) => (type === 'NUMBER' ? 'NUMERIC' : 'TEXT'),
};

/** `CREATE TEMP VIEW` statements for every view. `hasAdminLogins`: whether the store records sign-ins. */
export function sqliteViewStatements(hasAdminLogins: boolean): string[] {
  return viewSelects(SQLITE_SQL, hasAdminLogins).map((v) => `CREATE TEMP VIEW ${v.name} AS\n${v.sql}`);
}
