/**
 * A session list's pages as SQLite writes them: the summary columns, a page as JSON arrays (read
 * back here into SessionSummary objects) or as the bytes of JSON objects whose members a caller
 * names (Store.listSessionJsonPages). The store runs the page queries (store.ts, #summaryPages).
 */
import { OpenMntError } from '../../errors.js';
import { SESSION_COLUMNS, SUMMARY_COLUMNS, selectList, summaryOfRow } from '../schema.js';
import type { JsonMember, SessionSummary } from '../types.js';

const column = (key: string) => SESSION_COLUMNS.find((c) => c.key === key)!.name;
/** The summary columns, as the page queries select them from a sessions table. */
export const SUMMARY_SELECT = selectList(SUMMARY_COLUMNS);
/** A page as the JSON text of an array of rows of SUMMARY_COLUMNS (read back by summariesOfJson). */
export const SUMMARY_ARRAYS = `json_group_array(json_array(${SUMMARY_SELECT}))`;

/**
 * One JSON object of `members` over a session row, as an SQL expression. `json_quote` writes a
 * string as JSON.stringify does (every character below U+0800 compared; a lone surrogate cannot be
 * stored). A member whose field has no value is left out or written "" as it says, and an object
 * without members is `{}`. When every member has its value (most rows) one json_object call writes
 * the whole object; a row missing one is written member by member (concat), which costs twice as
 * much (0.34 and 0.63 µs a session more than the rows' JSON arrays, measured at 300,000).
 */
function jsonObjectSql(members: readonly JsonMember[]): string {
  if (members.length === 0) return `'{}'`;
  const present: string[] = [];
  const whole: string[] = [];
  const parts: string[] = [];
  for (const { name, field, absent } of members) {
    if (!/^[A-Za-z0-9_]+$/.test(name)) throw new OpenMntError('INVALID_ARGUMENT', `a JSON member name must be letters, digits and _: ${JSON.stringify(name)}`);
    const value = column(field);
    if (absent === 'empty') {
      whole.push(`'${name}', coalesce(${value}, '')`);
      parts.push(`',"${name}":' || json_quote(coalesce(${value}, ''))`);
      continue;
    }
    const has = absent === 'omitEmpty' ? `${value} IS NOT NULL AND ${value} <> ''` : `${value} IS NOT NULL`;
    present.push(has);
    whole.push(`'${name}', ${value}`);
    parts.push(`iif(${has}, ',"${name}":' || json_quote(${value}), '')`);
  }
  const byMember = `'{' || substr(concat(${parts.join(', ')}), 2) || '}'`;
  return present.length === 0 ? `json_object(${whole.join(', ')})` : `iif(${present.join(' AND ')}, json_object(${whole.join(', ')}), ${byMember})`;
}

/** A page as the UTF-8 of its rows' JSON objects of `members`, comma-separated (a BLOB). */
export function summaryObjectsSql(members: readonly JsonMember[]): string {
  return `CAST(group_concat(${jsonObjectSql(members)}, ',') AS BLOB)`;
}

/** What makes two member lists the same statement. */
export const membersKey = (members: readonly JsonMember[]) => members.map((m) => `${m.name}=${m.field}/${m.absent ?? 'omit'}`).join(',');

/** A page from summaryPagesAsJson as SessionSummary objects. */
export function summariesOfJson(page: string): SessionSummary[] {
  const rows = JSON.parse(page) as [number, ...unknown[]][];
  // SQLite does not promise an aggregate's input order; the subquery's order is what it uses, and
  // a list must stay in id order whatever a later SQLite does.
  for (let i = 1; i < rows.length; i++) {
    if (rows[i]![0] < rows[i - 1]![0]) {
      rows.sort((a, b) => a[0] - b[0]);
      break;
    }
  }
  return rows.map(summaryOfRow);
}
