/**
 * The Oracle forms DataConnect scripts are written in, turned into SQL another engine runs. A
 * small tokenizer (strings, quoted identifiers and comments stay whole, so nothing inside a literal
 * is ever rewritten), then one pass over the tokens:
 *
 * - `SYSDATE`, `SYSTIMESTAMP`, `CURRENT_DATE`, `CURRENT_TIMESTAMP`, `LOCALTIMESTAMP` → the engine's
 *   "now" as a DataConnect timestamp (UTC).
 * - date arithmetic in days: `<date> ± <number>` (`SYSDATE - 1/24`, `TIMESTAMP_TIMEZONE + 7`,
 *   `SYSDATE - NUMTODSINTERVAL(6, 'HOUR')`, `SYSDATE - INTERVAL '30' MINUTE`) and `<date> - <date>`
 *   (days between). A date is one of the words above, a timestamp column of a view, `TO_DATE(…)`,
 *   `TO_TIMESTAMP(…)`, `TRUNC(…)`, `DATE '…'` or `TIMESTAMP '…'`.
 * - `/` divides exactly, as Oracle's NUMBER does (`1/24` is not 0).
 * - `OFFSET n ROWS` and `FETCH FIRST|NEXT n ROW|ROWS ONLY` → `LIMIT n OFFSET m`.
 * - unquoted identifiers read in upper case, and a select-list expression without an alias is
 *   named by its text in upper case, as Oracle names result columns.
 * - `TO_CHAR`, `TO_DATE`, `TO_TIMESTAMP`, `TRUNC`, `NUMTODSINTERVAL`, `NVL`, `NVL2`, `DECODE`,
 *   `INSTR`, `SUBSTR`, `LENGTH`, `UPPER`, `LOWER`, `ROUND`, `COALESCE`… are functions of the
 *   engine's connection (sqlite-functions.ts), so they need no rewriting.
 *
 * Forms that would mean something else here are refused with DC_UNSUPPORTED naming the form:
 * `ROWNUM`, `CONNECT BY`, `(+)` outer joins, `FETCH … PERCENT` or `WITH TIES`, bind variables,
 * `MERGE`, and the bracket or back-quote identifiers of other dialects.
 *
 * The pass also collects every table reference (after FROM, JOIN, a comma of a FROM list, or IN),
 * so the caller can allow only the views (sqlite-engine.ts).
 */
import { OpenMntError } from '../errors.js';

export type TokenKind = 'ws' | 'comment' | 'string' | 'qident' | 'ident' | 'number' | 'op';

export interface Token {
  kind: TokenKind;
  text: string;
}

function unsupported(construct: string, hint: string): never {
  throw new OpenMntError('DC_UNSUPPORTED', `${construct} is not supported by DataConnect here: ${hint}`);
}

const IDENT_START = /[A-Za-z_]/;
const IDENT_PART = /[A-Za-z0-9_$#]/;

export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i]!;
    const start = i;
    if (/\s/.test(c)) {
      while (i < n && /\s/.test(sql[i]!)) i++;
      tokens.push({ kind: 'ws', text: sql.slice(start, i) });
    } else if (c === '-' && sql[i + 1] === '-') {
      while (i < n && sql[i] !== '\n') i++;
      tokens.push({ kind: 'comment', text: sql.slice(start, i) });
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      if (end < 0) throw new OpenMntError('DC_SQL_ERROR', 'a /* comment is not closed');
      i = end + 2;
      tokens.push({ kind: 'comment', text: sql.slice(start, i) });
    } else if (c === "'" || c === '"') {
      // Doubled quotes stand for one quote inside (both SQL standard and Oracle).
      i++;
      for (;;) {
        if (i >= n) throw new OpenMntError('DC_SQL_ERROR', `a ${c === "'" ? 'string' : 'quoted identifier'} is not closed`);
        if (sql[i] === c) {
          if (sql[i + 1] === c) i += 2;
          else break;
        } else i++;
      }
      i++;
      tokens.push({ kind: c === "'" ? 'string' : 'qident', text: sql.slice(start, i) });
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(sql[i + 1] ?? ''))) {
      while (i < n && /[0-9]/.test(sql[i]!)) i++;
      if (sql[i] === '.' && /[0-9]/.test(sql[i + 1] ?? '')) {
        i++;
        while (i < n && /[0-9]/.test(sql[i]!)) i++;
      } else if (sql[i] === '.' && !/[A-Za-z_]/.test(sql[i + 1] ?? '')) i++;
      if (/[eE]/.test(sql[i] ?? '') && /[-+0-9]/.test(sql[i + 1] ?? '')) {
        i += sql[i + 1] === '-' || sql[i + 1] === '+' ? 2 : 1;
        while (i < n && /[0-9]/.test(sql[i]!)) i++;
      }
      tokens.push({ kind: 'number', text: sql.slice(start, i) });
    } else if (IDENT_START.test(c)) {
      while (i < n && IDENT_PART.test(sql[i]!)) i++;
      tokens.push({ kind: 'ident', text: sql.slice(start, i) });
    } else if (c === '`' || c === '[') {
      unsupported(`the identifier quote ${c}`, 'quote identifiers with double quotes, as Oracle does');
    } else if (c === '?' || c === ':' || c === '@') {
      unsupported(`the bind variable ${sql.slice(i, i + 12).split(/\s/)[0]}`, 'write the value into the statement');
    } else {
      const two = sql.slice(i, i + 2);
      if (['||', '<=', '>=', '<>', '!=', '==', '<<', '>>'].includes(two)) i += 2;
      else i++;
      tokens.push({ kind: 'op', text: sql.slice(start, i) });
    }
  }
  return tokens;
}

/** What a translation hands to the engine. */
export interface Translation {
  sql: string;
  /** Table references, upper case, as written (before any check). */
  tables: string[];
  /** Names the statement defines itself (common table expressions), upper case. */
  ctes: string[];
}

/** What the translator needs to know of the target engine and of the views. */
export interface DialectTarget {
  /** An expression for "now" as a DataConnect timestamp. */
  now: string;
  /** `fn(date, days)`: the date moved by a number of days (may be negative). */
  dateAdd: (date: string, days: string) => string;
  /** `fn(a, b)`: days from b to a. */
  daysBetween: (a: string, b: string) => string;
  /** A literal `DATE '…'` or `TIMESTAMP '…'`. */
  dateLiteral: (literal: string) => string;
  /** Days in `INTERVAL 'n' unit`. */
  interval: (count: string, unit: string) => string;
  /** Names of view columns that hold timestamps, upper case. */
  dateColumns: ReadonlySet<string>;
  /** `a / b` computed exactly (never an integer division). */
  divide: string;
  /** The LIMIT of an OFFSET without FETCH FIRST (SQLite: -1; PostgreSQL: ALL). */
  noLimit?: string;
  /** Give a subquery in FROM an alias when it has none (Oracle and SQLite need none; PostgreSQL before 16 does). */
  aliasSubqueries?: boolean;
}

const NOW_WORDS = new Set(['SYSDATE', 'SYSTIMESTAMP', 'CURRENT_DATE', 'CURRENT_TIMESTAMP', 'LOCALTIMESTAMP']);
const DATE_FUNCTIONS = new Set(['TO_DATE', 'TO_TIMESTAMP', 'TRUNC', 'CAST_DATE']);
const INTERVAL_UNITS = new Set(['DAY', 'HOUR', 'MINUTE', 'SECOND']);
/** Words after which a FROM list ends. */
const FROM_END = new Set(['WHERE', 'GROUP', 'HAVING', 'ORDER', 'LIMIT', 'WINDOW', 'UNION', 'INTERSECT', 'EXCEPT', 'MINUS', 'FETCH', 'OFFSET', 'ON', 'USING', 'SELECT']);
const CLAUSE_WORDS = new Set([...FROM_END, 'FROM', 'JOIN', 'AS', 'AND', 'OR', 'NOT', 'BY', 'ASC', 'DESC', 'NULLS', 'FIRST', 'LAST', 'WHEN', 'THEN', 'ELSE', 'END', 'CASE', 'IS', 'IN', 'LIKE', 'BETWEEN', 'DISTINCT', 'ALL', 'INNER', 'LEFT', 'RIGHT', 'FULL', 'OUTER', 'CROSS', 'NATURAL', 'WITH', 'RECURSIVE', 'ESCAPE', 'OVER', 'PARTITION', 'ROWS', 'RANGE', 'FILTER', 'COLLATE', 'GLOB', 'REGEXP', 'MATCH', 'EXISTS', 'NULL']);

const significant = (t: Token | undefined) => t !== undefined && t.kind !== 'ws' && t.kind !== 'comment';
const word = (t: Token | undefined) => (t !== undefined && t.kind === 'ident' ? t.text.toUpperCase() : '');

/** Translates one Oracle-dialect query for `target`. */
export function translate(sql: string, target: DialectTarget): Translation {
  // Comments go; whitespace shrinks to one space (the column names made from select-list text
  // then read as Oracle prints them).
  const tokens = tokenize(sql).filter((t) => t.kind !== 'comment');
  const toks: Token[] = [];
  for (const t of tokens) {
    if (t.kind === 'ws') {
      if (toks.length > 0 && toks[toks.length - 1]!.kind !== 'ws') toks.push({ kind: 'ws', text: ' ' });
    } else toks.push(t);
  }
  while (toks.length > 0 && toks[toks.length - 1]!.kind === 'ws') toks.pop();
  // One statement: a single trailing semicolon is allowed (scripts copy it from SQL*Plus).
  const semi = toks.findIndex((t) => t.kind === 'op' && t.text === ';');
  if (semi >= 0) {
    if (toks.slice(semi + 1).some(significant)) throw new OpenMntError('DC_SQL_ERROR', 'one statement at a time: remove what follows the ;');
    toks.splice(semi);
    while (toks.length > 0 && toks[toks.length - 1]!.kind === 'ws') toks.pop();
  }
  if (!toks.some(significant)) throw new OpenMntError('DC_SQL_ERROR', 'the statement is empty');
  return new Translator(toks, target).run();
}

class Translator {
  readonly #t: Token[];
  readonly #target: DialectTarget;
  #i = 0;
  #aliases = 0;
  readonly tables: string[] = [];
  readonly ctes: string[] = [];

  constructor(tokens: Token[], target: DialectTarget) {
    this.#t = tokens;
    this.#target = target;
  }

  run(): Translation {
    this.#collectCtes();
    const out = this.#sequence(true);
    return { sql: out, tables: this.tables, ctes: this.ctes };
  }

  /** `name AS (` and `name (cols) AS (` define a common table expression. */
  #collectCtes(): void {
    const sig = this.#t.filter(significant);
    for (let k = 0; k < sig.length; k++) {
      const t = sig[k]!;
      if (t.kind !== 'ident' && t.kind !== 'qident') continue;
      let j = k + 1;
      if (sig[j]?.text === '(') {
        let depth = 0;
        for (; j < sig.length; j++) {
          if (sig[j]!.text === '(') depth++;
          else if (sig[j]!.text === ')' && --depth === 0) break;
        }
        j++;
      }
      if (word(sig[j]) === 'AS' && sig[j + 1]?.text === '(' && (k === 0 || ['WITH', 'RECURSIVE', ','].includes(word(sig[k - 1]) || sig[k - 1]!.text))) {
        this.ctes.push(nameOf(t));
      }
    }
  }

  #peek(offset = 0): Token | undefined {
    let j = this.#i;
    let seen = -1;
    while (j < this.#t.length) {
      if (significant(this.#t[j])) {
        seen++;
        if (seen === offset) return this.#t[j];
      }
      j++;
    }
    return undefined;
  }

  /** Moves past whitespace; returns it (as output). */
  #space(): string {
    let s = '';
    while (this.#i < this.#t.length && !significant(this.#t[this.#i])) s += this.#t[this.#i++]!.text;
    return s;
  }

  #next(): Token {
    this.#space();
    const t = this.#t[this.#i++];
    if (t === undefined) throw new OpenMntError('DC_SQL_ERROR', 'the statement ends too early');
    return t;
  }

  /**
   * Tokens up to the `)` that closes the current depth (not consumed) or the end. `top`: the
   * outermost query, whose select list is named as Oracle names it.
   */
  #sequence(top: boolean, fromItem = false): string {
    let out = '';
    // A parenthesised FROM item (`FROM (t)`, `FROM (a, b)`) names tables too, unless it is a query.
    let inFrom = fromItem;
    let expectTable = fromItem;
    let limit: string | null = null;
    let offset: string | null = null;
    let selectStart = -1;
    let selectEnd = -1;
    let selectStartToken = -1;
    let selectEndToken = -1;
    let selectDone = !top;
    for (;;) {
      const space = this.#space();
      const t = this.#t[this.#i];
      if (t === undefined || (t.kind === 'op' && t.text === ')')) {
        out += space;
        break;
      }
      const w = word(t);
      // The select list of the outermost query: between its first SELECT (and DISTINCT) and FROM.
      if (!selectDone && selectStart < 0 && w === 'SELECT') {
        out += space + this.#emitWord(this.#next());
        const d = word(this.#peek());
        if (d === 'DISTINCT' || d === 'ALL' || d === 'UNIQUE') {
          out += this.#space();
          this.#next();
          out += d === 'UNIQUE' ? 'DISTINCT' : d;
        }
        selectStart = out.length;
        selectStartToken = this.#i;
        continue;
      }
      if (!selectDone && selectStart >= 0 && (w === 'FROM' || FROM_END.has(w))) {
        selectEnd = out.length;
        selectEndToken = this.#i;
        selectDone = true;
      }
      if (w === 'FROM' || w === 'JOIN') {
        out += space + w;
        inFrom = true;
        expectTable = true;
        this.#i++;
        continue;
      }
      if (FROM_END.has(w)) inFrom = false;
      if (w === 'IN' && this.#peek(1) !== undefined && this.#peek(1)!.text !== '(') {
        out += space + w;
        this.#i++;
        expectTable = true;
        continue;
      }
      if (expectTable) {
        expectTable = false;
        if (t.kind === 'op' && t.text === '(') {
          this.#i++;
          const query = ['SELECT', 'WITH', 'VALUES'].includes(word(this.#peek()));
          out += space + this.#parensFromInside(true);
          const next = this.#peek();
          const aliased = next !== undefined && (next.kind === 'qident' || (next.kind === 'ident' && !CLAUSE_WORDS.has(word(next))) || word(next) === 'AS');
          if (query && !aliased && this.#target.aliasSubqueries) out += ` DC_FROM_${++this.#aliases}`;
          continue;
        }
        if ((t.kind === 'ident' || t.kind === 'qident') && !['SELECT', 'WITH', 'VALUES'].includes(w)) {
          this.#i++;
          if (this.#peek()?.text === '.') unsupported(`the qualified name ${t.text}.${this.#peek(1)?.text ?? ''}`, 'query the views by their names alone');
          if (this.#peek()?.text === '(') {
            // A table-valued function (json_each): allowed by the engine check only if listed.
            this.tables.push(`${nameOf(t)}()`);
          } else this.tables.push(nameOf(t));
          out += space + (t.kind === 'ident' ? t.text.toUpperCase() : t.text);
          continue;
        }
      }
      if (inFrom && t.kind === 'op' && t.text === ',') {
        out += space + ',';
        this.#i++;
        expectTable = true;
        continue;
      }
      if (w === 'ROWNUM') unsupported('ROWNUM', 'use FETCH FIRST n ROWS ONLY');
      if (w === 'CONNECT' && word(this.#peek(1)) === 'BY') unsupported('CONNECT BY', 'use a recursive WITH');
      if (w === 'START' && word(this.#peek(1)) === 'WITH') unsupported('START WITH … CONNECT BY', 'use a recursive WITH');
      if (w === 'MERGE') unsupported('MERGE', 'DataConnect is read-only');
      if (t.kind === 'op' && t.text === '(' && this.#peek(1)?.text === '+' && this.#peek(2)?.text === ')') {
        unsupported('the (+) outer join', 'write LEFT JOIN … ON');
      }
      if (w === 'OFFSET') {
        this.#i++;
        offset = this.#number('OFFSET');
        const rows = word(this.#peek());
        if (rows === 'ROW' || rows === 'ROWS') this.#next();
        out += space;
        continue;
      }
      if (w === 'FETCH' && ['FIRST', 'NEXT'].includes(word(this.#peek(1)))) {
        this.#i++;
        this.#next();
        let count = '1';
        if (!['ROW', 'ROWS'].includes(word(this.#peek()))) count = this.#number('FETCH FIRST');
        if (word(this.#peek()) === 'PERCENT') unsupported('FETCH FIRST … PERCENT', 'give a number of rows');
        const rows = word(this.#next());
        if (rows !== 'ROW' && rows !== 'ROWS') throw new OpenMntError('DC_SQL_ERROR', `FETCH FIRST ${count}: expected ROWS, found ${rows}`);
        const only = this.#next();
        if (word(only) === 'WITH') unsupported('FETCH FIRST … WITH TIES', 'use ONLY');
        if (word(only) !== 'ONLY') throw new OpenMntError('DC_SQL_ERROR', `FETCH FIRST ${count} ROWS: expected ONLY, found ${only.text}`);
        limit = count;
        out += space;
        continue;
      }
      out += space + this.#expression();
    }
    if (limit !== null || offset !== null) {
      out = `${out.trimEnd()} LIMIT ${limit ?? this.#target.noLimit ?? '-1'}${offset !== null ? ` OFFSET ${offset}` : ''}`;
    }
    if (top && selectStart >= 0) {
      const end = selectEnd >= 0 ? selectEnd : out.length;
      const original = this.#t.slice(selectStartToken, selectEndToken >= 0 ? selectEndToken : this.#t.length);
      out = out.slice(0, selectStart) + nameSelectList(out.slice(selectStart, end), splitItems(original)) + out.slice(end);
    }
    return out;
  }

  #number(context: string): string {
    const t = this.#next();
    if (t.kind !== 'number' || !/^\d+$/.test(t.text)) throw new OpenMntError('DC_SQL_ERROR', `${context} needs a whole number of rows, found ${t.text}`);
    return t.text;
  }

  /** One operand with the date arithmetic that follows it, or one other token. */
  #expression(): string {
    const start = this.#i;
    const date = this.#dateOperand();
    if (date === null) {
      this.#i = start;
      return this.#token();
    }
    let value = date;
    for (;;) {
      const op = this.#peek();
      if (op?.kind !== 'op' || (op.text !== '+' && op.text !== '-')) break;
      const save = this.#i;
      this.#next();
      const afterOp = this.#i;
      const other = this.#dateOperand();
      if (other !== null && op.text === '-') {
        value = this.#target.daysBetween(value, other);
        continue;
      }
      this.#i = afterOp;
      const term = this.#term();
      if (term === null) {
        this.#i = save;
        break;
      }
      value = this.#target.dateAdd(value, op.text === '-' ? `-(${term})` : `(${term})`);
    }
    return value;
  }

  /** A date operand at the cursor (translated), or null with the cursor anywhere. */
  #dateOperand(): string | null {
    const t = this.#next();
    const w = word(t);
    if (NOW_WORDS.has(w)) {
      // SYSTIMESTAMP(3) and CURRENT_TIMESTAMP(6) take a precision: it changes nothing here.
      if (this.#peek()?.text === '(' && w !== 'SYSDATE') this.#skipParens();
      return this.#target.now;
    }
    if ((w === 'DATE' || w === 'TIMESTAMP') && this.#peek()?.kind === 'string') return this.#target.dateLiteral(this.#next().text);
    if (t.kind === 'ident' && DATE_FUNCTIONS.has(w) && this.#peek()?.text === '(') return `${w}${this.#parens()}`;
    if ((t.kind === 'ident' || t.kind === 'qident') && this.#peek()?.text === '.' ) {
      const column = this.#peek(1);
      if (column !== undefined && (column.kind === 'ident' || column.kind === 'qident') && this.#target.dateColumns.has(nameOf(column))) {
        this.#next();
        this.#next();
        return `${t.kind === 'ident' ? t.text.toUpperCase() : t.text}.${column.kind === 'ident' ? column.text.toUpperCase() : column.text}`;
      }
      return null;
    }
    if ((t.kind === 'ident' || t.kind === 'qident') && this.#target.dateColumns.has(nameOf(t)) && this.#peek()?.text !== '(') {
      return t.kind === 'ident' ? t.text.toUpperCase() : t.text;
    }
    return null;
  }

  /** A multiplicative term (factors joined by * and /) or null when none starts here. */
  #term(): string | null {
    let out = this.#factor();
    if (out === null) return null;
    for (;;) {
      const op = this.#peek();
      if (op?.kind !== 'op' || (op.text !== '*' && op.text !== '/')) return out;
      this.#next();
      const f = this.#factor();
      if (f === null) throw new OpenMntError('DC_SQL_ERROR', `nothing after ${op.text}`);
      out = op.text === '/' ? `${out}${this.#target.divide}${f}` : `${out} * ${f}`;
    }
  }

  #factor(): string | null {
    const t = this.#peek();
    if (t === undefined) return null;
    if (t.kind === 'op' && (t.text === '-' || t.text === '+')) {
      this.#next();
      const f = this.#factor();
      return f === null ? null : `${t.text}${f}`;
    }
    if (t.kind === 'number' || t.kind === 'string') return this.#next().text;
    if (t.kind === 'op' && t.text === '(') {
      this.#next();
      return this.#parensFromInside();
    }
    if (word(t) === 'INTERVAL') return this.#interval();
    if (t.kind === 'ident' || t.kind === 'qident') {
      if (CLAUSE_WORDS.has(word(t))) return null;
      this.#next();
      let name = t.kind === 'ident' ? t.text.toUpperCase() : t.text;
      if (this.#peek()?.text === '.') {
        this.#next();
        const c = this.#next();
        name += `.${c.kind === 'ident' ? c.text.toUpperCase() : c.text}`;
      }
      if (this.#peek()?.text === '(') name += this.#parens();
      return name;
    }
    return null;
  }

  #interval(): string {
    this.#next();
    const count = this.#next();
    if (count.kind !== 'string' && count.kind !== 'number') throw new OpenMntError('DC_SQL_ERROR', `INTERVAL needs a quoted number, found ${count.text}`);
    const unit = word(this.#next());
    if (!INTERVAL_UNITS.has(unit)) unsupported(`INTERVAL … ${unit}`, 'use DAY, HOUR, MINUTE or SECOND');
    if (word(this.#peek()) === 'TO') unsupported('INTERVAL … TO …', 'use NUMTODSINTERVAL(n, unit) or a single unit');
    return this.#target.interval(count.kind === 'string' ? count.text.slice(1, -1) : count.text, unit);
  }

  /** `( … )` at the cursor (the `(` not yet read), translated. */
  #parens(): string {
    this.#next();
    return this.#parensFromInside();
  }

  #parensFromInside(fromItem = false): string {
    const inner = this.#sequence(false, fromItem);
    const close = this.#next();
    if (close.text !== ')') throw new OpenMntError('DC_SQL_ERROR', 'a ( is not closed');
    return `(${inner})`;
  }

  #skipParens(): void {
    this.#next();
    let depth = 1;
    while (depth > 0) {
      const t = this.#next();
      if (t.text === '(') depth++;
      else if (t.text === ')') depth--;
    }
  }

  /** One token that starts no date operand. */
  #token(): string {
    const t = this.#next();
    if (t.kind === 'op' && t.text === '(') return this.#parensFromInside();
    if (t.kind === 'op' && t.text === '/') return this.#target.divide;
    if (t.kind === 'ident') {
      if (word(t) === 'INTERVAL') {
        this.#i--;
        return this.#interval();
      }
      return this.#emitWord(t);
    }
    return t.text;
  }

  #emitWord(t: Token): string {
    return t.kind === 'ident' ? t.text.toUpperCase() : t.text;
  }
}

function nameOf(t: Token): string {
  return (t.kind === 'qident' ? t.text.slice(1, -1).replace(/""/g, '"') : t.text).toUpperCase();
}

/**
 * Gives each select-list item that is an expression without an alias the alias Oracle would show:
 * its text in upper case without spaces. A bare column (`X`, `T.X`) and `*` keep their names.
 */
function nameSelectList(list: string, original: Token[][]): string {
  const translated = splitItems(tokenize(list));
  // The label is the statement's own text (SYSDATE, not what it became), when the items line up.
  const labels = translated.length === original.length ? original : translated;
  return translated.map((item, k) => nameItem(item, labels[k]!)).join(',');
}

/** Tokens split at the commas outside parentheses. */
function splitItems(tokens: Token[]): Token[][] {
  const items: Token[][] = [];
  let depth = 0;
  let current: Token[] = [];
  for (const t of tokens) {
    if (t.kind === 'op' && t.text === '(') depth++;
    if (t.kind === 'op' && t.text === ')') depth--;
    if (depth === 0 && t.kind === 'op' && t.text === ',') {
      items.push(current);
      current = [];
    } else current.push(t);
  }
  items.push(current);
  return items;
}

function nameItem(tokens: Token[], labelTokens: Token[]): string {
  const text = tokens.map((t) => t.text).join('');
  const sig = tokens.filter(significant);
  if (sig.length === 0) return text;
  const last = sig[sig.length - 1]!;
  const before = sig[sig.length - 2];
  const simpleColumn = sig.every((t, k) => (k % 2 === 0 ? t.kind === 'ident' || t.kind === 'qident' || t.text === '*' : t.text === '.'));
  if (simpleColumn) return text;
  // An alias: `expr AS name`, or `expr name` after the end of an expression.
  const name = last.kind === 'ident' || last.kind === 'qident';
  const aliased =
    name &&
    before !== undefined &&
    (word(before) === 'AS' ||
      ((before.kind === 'string' || before.kind === 'number' || before.text === ')' || before.kind === 'qident' || word(before) === 'END') && !CLAUSE_WORDS.has(word(last))));
  if (aliased) return text;
  const label = labelTokens
    .filter(significant)
    .map((t) => (t.kind === 'string' ? t.text : t.text.toUpperCase()))
    .join('')
    .replace(/"/g, '')
    .slice(0, 120);
  return `${text.trimEnd()} AS "${label}"`;
}
