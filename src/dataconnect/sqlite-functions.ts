/**
 * Oracle's functions as SQLite functions of the DataConnect connection, over DataConnect
 * timestamps (`YYYY-MM-DD HH:MM:SS.SSS`, UTC text; see sqlite-views.ts). Bad arguments answer
 * DC_SQL_ERROR with the function's name; nothing here writes.
 */
import type { Database } from 'better-sqlite3';
import { OpenMntError } from '../errors.js';

const DAY_MS = 86_400_000;
type Value = string | number | bigint | null | Buffer;

/** What the per-query state the functions read (set by the engine before each statement). */
export interface QueryState {
  nowMs: number;
  /** Null: every row; a list: a delegated admin's endpoint groups. */
  groups: string[] | null;
  nodeName: string;
  version: string;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

export function formatTimestamp(ms: number): string {
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) throw new OpenMntError('DC_SQL_ERROR', 'a date is out of range');
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}`;
}

const TIMESTAMP_TEXT = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/;

/** Milliseconds of a DataConnect timestamp (or an ISO 8601 text), null when it is none. */
export function parseTimestamp(text: string): number | null {
  const m = TIMESTAMP_TEXT.exec(text.trim());
  if (m === null) return null;
  const [, y, mo, d, h, mi, s, f, zone] = m;
  let ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h ?? 0), Number(mi ?? 0), Number(s ?? 0), Number((f ?? '0').padEnd(3, '0').slice(0, 3)));
  if (zone !== undefined && zone !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    ms -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
  }
  return Number.isNaN(ms) ? null : ms;
}

function timestampArgument(value: Value, fn: string): number | null {
  if (value === null) return null;
  if (typeof value !== 'string') throw new OpenMntError('DC_SQL_ERROR', `${fn}: ${String(value)} is not a date`);
  const ms = parseTimestamp(value);
  if (ms === null) throw new OpenMntError('DC_SQL_ERROR', `${fn}: '${value}' is not a date (YYYY-MM-DD HH:MM:SS)`);
  return ms;
}

function numberArgument(value: Value, fn: string): number | null {
  if (value === null) return null;
  const n = typeof value === 'bigint' ? Number(value) : typeof value === 'string' ? Number(value) : value;
  if (typeof n !== 'number' || Number.isNaN(n)) throw new OpenMntError('DC_SQL_ERROR', `${fn}: '${String(value)}' is not a number`);
  return n;
}

const UNIT_DAYS: Record<string, number> = { DAY: 1, HOUR: 1 / 24, MINUTE: 1 / 1440, SECOND: 1 / 86_400 };

/** Days in `n` of `unit` (NUMTODSINTERVAL and INTERVAL literals). */
export function intervalDays(n: number, unit: string): number {
  const per = UNIT_DAYS[unit.trim().toUpperCase()];
  if (per === undefined) throw new OpenMntError('DC_UNSUPPORTED', `the interval unit '${unit}' is not supported: use DAY, HOUR, MINUTE or SECOND`);
  return n * per;
}

const MONTHS = ['JANUARY', 'FEBRUARY', 'MARCH', 'APRIL', 'MAY', 'JUNE', 'JULY', 'AUGUST', 'SEPTEMBER', 'OCTOBER', 'NOVEMBER', 'DECEMBER'];
const DAYS = ['SUNDAY', 'MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY'];
/** Format elements, longest first so `HH24` is not read as `HH` then `24`. */
const ELEMENTS = ['YYYY', 'MONTH', 'HH24', 'HH12', 'FF9', 'FF6', 'FF3', 'FF1', 'FF2', 'FF4', 'FF5', 'FF7', 'FF8', 'MON', 'DDD', 'DAY', 'YYY', 'A.M.', 'P.M.', 'YY', 'MM', 'DD', 'DY', 'HH', 'MI', 'SS', 'FF', 'AM', 'PM', 'FM', 'Q', 'D', 'Y', 'J'];

function formatElements(format: string, fn: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < format.length) {
    const c = format[i]!;
    if (c === '"') {
      const end = format.indexOf('"', i + 1);
      if (end < 0) throw new OpenMntError('DC_SQL_ERROR', `${fn}: a " in the format '${format}' is not closed`);
      out.push(`"${format.slice(i + 1, end)}`);
      i = end + 1;
      continue;
    }
    const upper = format.slice(i).toUpperCase();
    const element = ELEMENTS.find((e) => upper.startsWith(e));
    if (element !== undefined) {
      out.push(format.slice(i, i + element.length));
      i += element.length;
    } else if (/[-/,.;: T]/.test(c)) {
      out.push(`"${c}`);
      i++;
    } else {
      throw new OpenMntError('DC_UNSUPPORTED', `${fn}: the format element at '${format.slice(i)}' is not supported (YYYY, YY, MM, MON, MONTH, DD, DDD, DY, DAY, D, HH, HH12, HH24, MI, SS, FF1-9, AM, PM, Q, FM, "text")`);
    }
  }
  return out;
}

/** Oracle's case rule for names: `MON` → JAN, `Mon` → Jan, `mon` → jan. */
function cased(element: string, word: string): string {
  if (element === element.toUpperCase()) return word.toUpperCase();
  if (element[0] === element[0]!.toUpperCase()) return word[0]!.toUpperCase() + word.slice(1).toLowerCase();
  return word.toLowerCase();
}

/** TO_CHAR of a timestamp with an Oracle format model. */
export function formatDate(ms: number, format: string, fn = 'TO_CHAR'): string {
  const d = new Date(ms);
  let fill = true;
  let out = '';
  const num = (n: number, width: number) => (fill ? pad(n, width) : String(n));
  const start = Date.UTC(d.getUTCFullYear(), 0, 1);
  for (const e of formatElements(format, fn)) {
    if (e.startsWith('"')) {
      out += e.slice(1);
      continue;
    }
    const u = e.toUpperCase();
    const hours12 = d.getUTCHours() % 12 === 0 ? 12 : d.getUTCHours() % 12;
    if (u === 'FM') fill = !fill;
    else if (u === 'YYYY') out += pad(d.getUTCFullYear(), 4);
    else if (u === 'YYY') out += pad(d.getUTCFullYear() % 1000, 3);
    else if (u === 'YY') out += pad(d.getUTCFullYear() % 100, 2);
    else if (u === 'Y') out += String(d.getUTCFullYear() % 10);
    else if (u === 'MM') out += num(d.getUTCMonth() + 1, 2);
    else if (u === 'MON') out += cased(e, MONTHS[d.getUTCMonth()]!.slice(0, 3));
    else if (u === 'MONTH') out += cased(e, fill ? MONTHS[d.getUTCMonth()]!.padEnd(9) : MONTHS[d.getUTCMonth()]!);
    else if (u === 'DD') out += num(d.getUTCDate(), 2);
    else if (u === 'DDD') out += num(Math.floor((ms - start) / DAY_MS) + 1, 3);
    else if (u === 'D') out += String(d.getUTCDay() + 1);
    else if (u === 'DY') out += cased(e, DAYS[d.getUTCDay()]!.slice(0, 3));
    else if (u === 'DAY') out += cased(e, fill ? DAYS[d.getUTCDay()]!.padEnd(9) : DAYS[d.getUTCDay()]!);
    else if (u === 'HH24') out += num(d.getUTCHours(), 2);
    else if (u === 'HH' || u === 'HH12') out += num(hours12, 2);
    else if (u === 'MI') out += num(d.getUTCMinutes(), 2);
    else if (u === 'SS') out += num(d.getUTCSeconds(), 2);
    else if (u.startsWith('FF')) out += (pad(d.getUTCMilliseconds(), 3) + '000000').slice(0, u === 'FF' ? 6 : Number(u.slice(2)));
    else if (u === 'AM' || u === 'PM') out += d.getUTCHours() < 12 ? 'AM' : 'PM';
    else if (u === 'A.M.' || u === 'P.M.') out += d.getUTCHours() < 12 ? 'A.M.' : 'P.M.';
    else if (u === 'Q') out += String(Math.floor(d.getUTCMonth() / 3) + 1);
    else if (u === 'J') out += String(Math.floor(ms / DAY_MS) + 2_440_588);
  }
  return out;
}

/** TO_DATE / TO_TIMESTAMP: a text read with an Oracle format model. */
export function parseDate(text: string, format: string, fn: string): number {
  let i = 0;
  const parts = { y: 1970, mo: 1, d: 1, h: 0, mi: 0, s: 0, ms: 0, pm: null as boolean | null };
  const digits = (max: number, what: string) => {
    const m = new RegExp(`^\\d{1,${max}}`).exec(text.slice(i));
    if (m === null) throw new OpenMntError('DC_SQL_ERROR', `${fn}: '${text}' does not match the format '${format}' (${what} expected at '${text.slice(i)}')`);
    i += m[0].length;
    return m[0];
  };
  for (const e of formatElements(format, fn)) {
    const u = e.toUpperCase();
    if (e.startsWith('"')) {
      i += e.length - 1;
      continue;
    }
    if (u === 'FM') continue;
    if (u === 'YYYY') parts.y = Number(digits(4, 'a year'));
    else if (u === 'YY') parts.y = 2000 + Number(digits(2, 'a year'));
    else if (u === 'MM') parts.mo = Number(digits(2, 'a month'));
    else if (u === 'MON' || u === 'MONTH') {
      const at = MONTHS.findIndex((m) => text.slice(i).toUpperCase().startsWith(u === 'MON' ? m.slice(0, 3) : m));
      if (at < 0) throw new OpenMntError('DC_SQL_ERROR', `${fn}: a month name expected at '${text.slice(i)}'`);
      parts.mo = at + 1;
      i += u === 'MON' ? 3 : MONTHS[at]!.length;
    } else if (u === 'DD') parts.d = Number(digits(2, 'a day'));
    else if (u === 'HH24') parts.h = Number(digits(2, 'an hour'));
    else if (u === 'HH' || u === 'HH12') parts.h = Number(digits(2, 'an hour')) % 12;
    else if (u === 'MI') parts.mi = Number(digits(2, 'minutes'));
    else if (u === 'SS') parts.s = Number(digits(2, 'seconds'));
    else if (u.startsWith('FF')) parts.ms = Number(digits(9, 'a fraction').padEnd(3, '0').slice(0, 3));
    else if (u === 'AM' || u === 'PM') {
      const word = text.slice(i, i + 2).toUpperCase();
      if (word !== 'AM' && word !== 'PM') throw new OpenMntError('DC_SQL_ERROR', `${fn}: AM or PM expected at '${text.slice(i)}'`);
      parts.pm = word === 'PM';
      i += 2;
    } else throw new OpenMntError('DC_UNSUPPORTED', `${fn}: the format element ${e} cannot be read`);
  }
  if (text.slice(i).trim() !== '') throw new OpenMntError('DC_SQL_ERROR', `${fn}: '${text}' has more than the format '${format}' reads ('${text.slice(i)}')`);
  if (parts.pm === true) parts.h += 12;
  const ms = Date.UTC(parts.y, parts.mo - 1, parts.d, parts.h, parts.mi, parts.s, parts.ms);
  const back = new Date(ms);
  if (back.getUTCMonth() !== parts.mo - 1 || back.getUTCDate() !== parts.d || parts.h > 23 || parts.mi > 59 || parts.s > 59) {
    throw new OpenMntError('DC_SQL_ERROR', `${fn}: '${text}' is not a valid date`);
  }
  return ms;
}

/** TRUNC of a timestamp to a unit (Oracle's default: the day). */
function truncDate(ms: number, unit: string): number {
  const d = new Date(ms);
  switch (unit.toUpperCase()) {
    case 'DD':
    case 'DDD':
    case 'J':
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
    case 'HH':
    case 'HH12':
    case 'HH24':
      return ms - (ms % 3_600_000);
    case 'MI':
      return ms - (ms % 60_000);
    case 'MM':
    case 'MON':
    case 'MONTH':
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
    case 'Q':
      return Date.UTC(d.getUTCFullYear(), Math.floor(d.getUTCMonth() / 3) * 3, 1);
    case 'YYYY':
    case 'YEAR':
    case 'YY':
      return Date.UTC(d.getUTCFullYear(), 0, 1);
    default:
      throw new OpenMntError('DC_UNSUPPORTED', `TRUNC: the unit '${unit}' is not supported (DD, HH, HH24, MI, MM, Q, YYYY)`);
  }
}

/** Registers every function on `db`; `state` is read at each call (set it before each statement). */
export function registerFunctions(db: Database, state: QueryState): void {
  const det = { deterministic: true };
  const vary = { deterministic: false };
  db.function('DC_SYSDATE', det, () => formatTimestamp(state.nowMs));
  db.function('DC_NOW_MS', det, () => state.nowMs);
  db.function('DC_NODE_NAME', det, () => state.nodeName);
  db.function('DC_NODE_VERSION', det, () => state.version);
  db.function('DC_SCOPE_ALL', vary, () => (state.groups === null ? 1 : 0));
  db.function('DC_SCOPE_GROUPS', vary, () => JSON.stringify(state.groups ?? []));
  db.function('DC_DATE_ADD', det, (date: Value, days: Value) => {
    const n = numberArgument(days, 'date arithmetic');
    if (date === null || n === null) return null;
    // A number on the left: plain arithmetic (TRUNC of a number, say).
    if (typeof date === 'number' || typeof date === 'bigint') return Number(date) + n;
    return formatTimestamp(timestampArgument(date, 'date arithmetic')! + Math.round(n * DAY_MS));
  });
  db.function('DC_DAYS_BETWEEN', det, (a: Value, b: Value) => {
    if (a === null || b === null) return null;
    if (typeof a !== 'string' || typeof b !== 'string') return numberArgument(a, 'subtraction')! - numberArgument(b, 'subtraction')!;
    return (timestampArgument(a, 'date subtraction')! - timestampArgument(b, 'date subtraction')!) / DAY_MS;
  });
  db.function('DC_TIMESTAMP_LITERAL', det, (text: Value) => formatTimestamp(timestampArgument(text, 'DATE/TIMESTAMP literal')!));
  db.function('NUMTODSINTERVAL', det, (n: Value, unit: Value) => {
    const count = numberArgument(n, 'NUMTODSINTERVAL');
    if (count === null || unit === null) return null;
    return intervalDays(count, String(unit));
  });
  const toChar = (value: Value, format?: Value) => {
    if (value === null) return null;
    if (format === undefined || format === null) return typeof value === 'string' ? value : String(value);
    if (typeof value === 'string') return formatDate(timestampArgument(value, 'TO_CHAR')!, String(format));
    const n = numberArgument(value, 'TO_CHAR')!;
    // Number formats: the count of decimals after the point is honoured, the rest is plain.
    const decimals = /[.D](9+|0+)/i.exec(String(format))?.[1]?.length ?? 0;
    return n.toFixed(decimals);
  };
  db.function('TO_CHAR', { ...det, varargs: true }, (...args: Value[]) => {
    if (args.length < 1 || args.length > 3) throw new OpenMntError('DC_SQL_ERROR', 'TO_CHAR takes a value and a format');
    return toChar(args[0]!, args[1]);
  });
  const toDate = (fn: string) => (...args: Value[]) => {
    if (args.length < 1 || args.length > 3) throw new OpenMntError('DC_SQL_ERROR', `${fn} takes a text and a format`);
    const [text, format] = args;
    if (text === null || text === undefined) return null;
    if (format === undefined || format === null) return formatTimestamp(timestampArgument(String(text), fn)!);
    return formatTimestamp(parseDate(String(text), String(format), fn));
  };
  db.function('TO_DATE', { ...det, varargs: true }, toDate('TO_DATE'));
  db.function('TO_TIMESTAMP', { ...det, varargs: true }, toDate('TO_TIMESTAMP'));
  db.function('TRUNC', { ...det, varargs: true }, (...args: Value[]) => {
    const [value, unit] = args;
    if (value === null || value === undefined) return null;
    if (typeof value === 'string' && parseTimestamp(value) !== null) return formatTimestamp(truncDate(parseTimestamp(value)!, unit === undefined || unit === null ? 'DD' : String(unit)));
    const n = numberArgument(value, 'TRUNC')!;
    const places = unit === undefined || unit === null ? 0 : numberArgument(unit, 'TRUNC')!;
    const f = 10 ** places;
    return Math.trunc(n * f) / f;
  });
  db.function('NVL', det, (a: Value, b: Value) => (a === null ? b : a));
  db.function('NVL2', det, (a: Value, b: Value, c: Value) => (a === null ? c : b));
  db.function('DECODE', { ...det, varargs: true }, (...args: Value[]) => {
    if (args.length < 3) throw new OpenMntError('DC_SQL_ERROR', 'DECODE takes an expression and at least one search and result');
    const [expr, ...rest] = args;
    for (let k = 0; k + 1 < rest.length; k += 2) {
      // DECODE treats two NULLs as equal, unlike =.
      if (rest[k] === expr || (rest[k] !== null && expr !== null && String(rest[k]) === String(expr))) return rest[k + 1]!;
    }
    return rest.length % 2 === 1 ? rest[rest.length - 1]! : null;
  });
  db.function('DC_ATTR', det, (attributes: Value, name: Value) => {
    if (typeof attributes !== 'string' || typeof name !== 'string') return null;
    const prefix = `${name}=`;
    for (const part of attributes.split(':!:')) if (part.startsWith(prefix)) return part.slice(prefix.length);
    return null;
  });
}
