/**
 * The Oracle dialect pass and the Oracle functions, without a database: what each supported form
 * becomes, that literals and comments are never rewritten, and that each refused form names itself.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isOpenMntError } from '../../src/errors.js';
import { translate, tokenize } from '../../src/dataconnect/dialect.js';
import { SQLITE_TARGET } from '../../src/dataconnect/sqlite-engine.js';
import { formatDate, intervalDays, parseDate, parseTimestamp } from '../../src/dataconnect/sqlite-functions.js';

const sql = (text: string) => translate(text, SQLITE_TARGET).sql;

function refused(text: string, code: string, words: RegExp): void {
  assert.throws(
    () => translate(text, SQLITE_TARGET),
    (e: unknown) => isOpenMntError(e) && e.code === code && words.test(e.message),
    text,
  );
}

test('SYSDATE - 1/24 is an hour back from now, in days, never an integer division', () => {
  assert.equal(sql('SELECT 1 x FROM DUAL WHERE TIMESTAMP_TIMEZONE > SYSDATE - 1/24'), 'SELECT 1 X FROM DUAL WHERE TIMESTAMP_TIMEZONE > DC_DATE_ADD(DC_SYSDATE(), -(1 * 1.0 / 24))');
  assert.equal(sql('SELECT 7/2 x FROM DUAL'), 'SELECT 7 * 1.0 / 2 X FROM DUAL');
  // A chain, a date column on the left, an interval literal, NUMTODSINTERVAL, and date - date.
  assert.equal(sql('SELECT 1 x FROM DUAL WHERE SYSDATE - 1 - 1/24 < SYSDATE'), 'SELECT 1 X FROM DUAL WHERE DC_DATE_ADD(DC_DATE_ADD(DC_SYSDATE(), -(1)), -(1 * 1.0 / 24)) < DC_SYSDATE()');
  assert.equal(sql("SELECT 1 x FROM DUAL WHERE logged_at >= systimestamp - INTERVAL '30' MINUTE"), "SELECT 1 X FROM DUAL WHERE LOGGED_AT >= DC_DATE_ADD(DC_SYSDATE(), -(NUMTODSINTERVAL(30, 'MINUTE')))");
  assert.equal(sql("SELECT 1 x FROM DUAL WHERE t.TIMESTAMP > SYSDATE - NUMTODSINTERVAL(6, 'HOUR')"), "SELECT 1 X FROM DUAL WHERE T.TIMESTAMP > DC_DATE_ADD(DC_SYSDATE(), -(NUMTODSINTERVAL(6, 'HOUR')))");
  assert.equal(sql('SELECT SYSDATE - UPDATE_TIME AS age FROM DUAL'), 'SELECT DC_DAYS_BETWEEN(DC_SYSDATE(), UPDATE_TIME) AS AGE FROM DUAL');
  assert.equal(sql("SELECT DATE '2024-01-02' + 1 d FROM DUAL"), "SELECT DC_DATE_ADD(DC_TIMESTAMP_LITERAL('2024-01-02'), (1)) D FROM DUAL");
});

test('FETCH FIRST and OFFSET become LIMIT and OFFSET, in a subquery too', () => {
  assert.equal(sql('SELECT ID FROM COA_EVENTS ORDER BY ID DESC FETCH FIRST 20 ROWS ONLY'), 'SELECT ID FROM COA_EVENTS ORDER BY ID DESC LIMIT 20');
  assert.equal(sql('SELECT ID FROM COA_EVENTS OFFSET 5 ROWS FETCH NEXT 1 ROW ONLY'), 'SELECT ID FROM COA_EVENTS LIMIT 1 OFFSET 5');
  assert.equal(sql('SELECT ID FROM COA_EVENTS OFFSET 5 ROWS'), 'SELECT ID FROM COA_EVENTS LIMIT -1 OFFSET 5');
  assert.equal(sql('SELECT * FROM (SELECT ID FROM COA_EVENTS FETCH FIRST 2 ROWS ONLY) x'), 'SELECT * FROM (SELECT ID FROM COA_EVENTS LIMIT 2) X');
});

test('identifiers read in upper case; an expression without an alias is named by its own text; literals and quoted names stay as written', () => {
  assert.equal(sql("select to_char(timestamp_timezone, 'HH24:MI:SS') as time, mac_address from endpoints_data"), "SELECT TO_CHAR(TIMESTAMP_TIMEZONE, 'HH24:MI:SS') AS TIME, MAC_ADDRESS FROM ENDPOINTS_DATA");
  assert.equal(sql('SELECT COUNT(*), SYSDATE FROM DUAL'), 'SELECT COUNT(*) AS "COUNT(*)", DC_SYSDATE() AS "SYSDATE" FROM DUAL');
  // An alias that is also a keyword (LAST, FIRST) after AS is an alias.
  assert.equal(sql('SELECT MAX(ID) AS last, COUNT(*) n FROM COA_EVENTS'), 'SELECT MAX(ID) AS LAST, COUNT(*) N FROM COA_EVENTS');
  assert.equal(sql(`SELECT "mixed Case" FROM DUAL WHERE x = 'SYSDATE - 1/24 -- not a comment'`), `SELECT "mixed Case" FROM DUAL WHERE X = 'SYSDATE - 1/24 -- not a comment'`);
  // Comments go; one trailing semicolon is allowed.
  assert.equal(sql('SELECT 1 x /* SYSDATE */ FROM DUAL -- a note\n;'), 'SELECT 1 X FROM DUAL');
});

test('table references are collected (views, the names a WITH defines) for the view check', () => {
  const t = translate('WITH recent AS (SELECT * FROM radius_accounting) SELECT * FROM recent r, COA_EVENTS c JOIN node_list n ON 1=1 WHERE r.ID IN (SELECT ID FROM "auth_records")', SQLITE_TARGET);
  assert.deepEqual(t.tables, ['RADIUS_ACCOUNTING', 'RECENT', 'COA_EVENTS', 'NODE_LIST', 'AUTH_RECORDS']);
  assert.deepEqual(t.ctes, ['RECENT']);
  assert.deepEqual(translate('SELECT 1 X FROM DUAL WHERE 1 IN coa_audit', SQLITE_TARGET).tables, ['DUAL', 'COA_AUDIT']);
});

test('forms that would mean something else are refused, naming the form', () => {
  refused('SELECT * FROM RADIUS_AUTHENTICATIONS WHERE ROWNUM <= 5', 'DC_UNSUPPORTED', /^ROWNUM .*FETCH FIRST/);
  refused('SELECT ID FROM COA_EVENTS FETCH FIRST 10 PERCENT ROWS ONLY', 'DC_UNSUPPORTED', /PERCENT/);
  refused('SELECT ID FROM COA_EVENTS FETCH FIRST 10 ROWS WITH TIES', 'DC_UNSUPPORTED', /WITH TIES/);
  refused('SELECT a.x FROM a, b WHERE a.id = b.id (+)', 'DC_UNSUPPORTED', /\(\+\) outer join/);
  refused('SELECT 1 FROM DUAL CONNECT BY LEVEL < 3', 'DC_UNSUPPORTED', /CONNECT BY/);
  refused('SELECT * FROM COA_EVENTS WHERE COA_EVENT_ID = :id', 'DC_UNSUPPORTED', /bind variable :id/);
  refused('SELECT * FROM COA_EVENTS WHERE COA_EVENT_ID = ?', 'DC_UNSUPPORTED', /bind variable/);
  refused('SELECT * FROM [COA_EVENTS]', 'DC_UNSUPPORTED', /identifier quote \[/);
  refused('SELECT * FROM main.auth_records', 'DC_UNSUPPORTED', /qualified name main\.auth_records/);
  refused("SELECT SYSDATE - INTERVAL '1' MONTH FROM DUAL", 'DC_UNSUPPORTED', /INTERVAL … MONTH/);
  refused('SELECT 1 FROM DUAL; SELECT 2 FROM DUAL', 'DC_SQL_ERROR', /one statement/);
  refused("SELECT 'open FROM DUAL", 'DC_SQL_ERROR', /string is not closed/);
  refused('   ', 'DC_SQL_ERROR', /empty/);
});

test('the tokenizer keeps strings with doubled quotes, quoted identifiers and numbers whole', () => {
  const kinds = tokenize(`'it''s' "a ""b""" 1.5e3 x$1 <> ||`).filter((t) => t.kind !== 'ws').map((t) => `${t.kind}:${t.text}`);
  assert.deepEqual(kinds, [`string:'it''s'`, `qident:"a ""b"""`, 'number:1.5e3', 'ident:x$1', 'op:<>', 'op:||']);
});

test('TO_CHAR, TO_DATE and NUMTODSINTERVAL follow Oracle format models (UTC)', () => {
  const ms = Date.UTC(2026, 0, 5, 14, 3, 9, 42);
  assert.equal(formatDate(ms, 'YYYY-MM-DD HH24:MI:SS'), '2026-01-05 14:03:09');
  assert.equal(formatDate(ms, 'HH24:MI:SS.FF3'), '14:03:09.042');
  assert.equal(formatDate(ms, 'DD-MON-YY HH:MI AM'), '05-JAN-26 02:03 PM');
  assert.equal(formatDate(ms, 'Dy, FMDD Month YYYY'), 'Mon, 5 January 2026');
  assert.equal(formatDate(ms, '"week day" D, "quarter" Q'), 'week day 2, quarter 1');
  assert.throws(() => formatDate(ms, 'YYYY-WW'), (e: unknown) => isOpenMntError(e, 'DC_UNSUPPORTED') && /'WW'/.test(e.message));
  assert.equal(parseDate('2024-01-03 23:59:59', 'YYYY-MM-DD HH24:MI:SS', 'TO_DATE'), Date.UTC(2024, 0, 3, 23, 59, 59));
  assert.equal(parseDate('03-FEB-2024', 'DD-MON-YYYY', 'TO_DATE'), Date.UTC(2024, 1, 3));
  assert.throws(() => parseDate('2024-02-30', 'YYYY-MM-DD', 'TO_DATE'), (e: unknown) => isOpenMntError(e, 'DC_SQL_ERROR') && /not a valid date/.test(e.message));
  assert.throws(() => parseDate('2024-01-03x', 'YYYY-MM-DD', 'TO_DATE'), (e: unknown) => isOpenMntError(e, 'DC_SQL_ERROR'));
  assert.equal(intervalDays(6, 'hour'), 0.25);
  assert.throws(() => intervalDays(1, 'MONTH'), (e: unknown) => isOpenMntError(e, 'DC_UNSUPPORTED'));
  assert.equal(parseTimestamp('2024-01-02T10:00:00+02:00'), Date.UTC(2024, 0, 2, 8));
  assert.equal(parseTimestamp('not a date'), null);
});
