/** How client commands print records: a table that fits the terminal, JSON, CSV or XML. */
import type { Writable } from 'node:stream';

export type Format = 'table' | 'json' | 'csv' | 'xml';
export const FORMATS: readonly Format[] = ['table', 'json', 'csv', 'xml'];

type Row = Record<string, string>;

export interface RenderOptions {
  /** Columns in the order to show them (others follow as they appear). */
  columns?: readonly string[];
  /**
   * The columns people run the command for: a table keeps them at any width, shortening or wrapping
   * them, and adds the other columns only while they fit. The last one wraps onto further lines
   * when `wrap` is set (a failure reason is read whole, not cut). Default: the first column.
   */
  essential?: readonly string[];
  wrap?: boolean;
  width?: number;
  root?: string;
}

function columnsOf(rows: readonly Row[], preferred: readonly string[]): string[] {
  const seen = new Set<string>();
  for (const row of rows) for (const key of Object.keys(row)) seen.add(key);
  const first = preferred.filter((c) => seen.has(c));
  return [...first, ...[...seen].filter((c) => !first.includes(c))];
}

function csvCell(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

function xmlText(value: string): string {
  return value.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** A cell wider than this is cut with an ellipsis (unless it is the wrapping column). */
const MAX_CELL = 40;
/** The wrapping column gets at least this many characters a line. */
const MIN_WRAP = 24;
/** An essential column is never cut narrower than this. */
const MIN_CELL = 8;

interface TableLayout {
  shown: string[];
  widths: number[];
  /** Index in `shown` of the column that wraps, or -1. */
  wrap: number;
}

/** Which columns a table shows at `width`, and how wide each is. */
function layout(rows: readonly Row[], columns: readonly string[], essentialWanted: readonly string[], width: number, wraps: boolean): TableLayout {
  const natural = (c: string, cap: number) => Math.min(cap, Math.max(c.length, ...rows.map((r) => (r[c] ?? '').length)));
  let essential = essentialWanted.filter((c) => columns.includes(c));
  if (essential.length === 0) essential = columns.slice(0, 1);
  const wrapColumn = wraps && essential.length > 1 ? essential[essential.length - 1]! : null;
  // Everything fits as it is: every column, in order, nothing cut.
  const whole = columns.map((c) => natural(c, c === wrapColumn ? Number.MAX_SAFE_INTEGER : MAX_CELL));
  if (whole.reduce((n, w) => n + w, 0) + 2 * (columns.length - 1) <= width) return { shown: [...columns], widths: whole, wrap: wrapColumn === null ? -1 : columns.indexOf(wrapColumn) };
  const fixed = essential.filter((c) => c !== wrapColumn);
  const widthOf = new Map(columns.map((c) => [c, natural(c, MAX_CELL)]));
  const sum = (cs: readonly string[]) => cs.reduce((n, c) => n + widthOf.get(c)!, 0) + 2 * Math.max(0, cs.length - 1);
  const wrapNatural = wrapColumn === null ? 0 : natural(wrapColumn, Number.MAX_SAFE_INTEGER);
  const wrapWant = wrapColumn === null ? 0 : Math.min(wrapNatural, Math.max(MIN_WRAP, wrapColumn.length));
  const room = (cs: readonly string[]) => sum(cs) + (wrapColumn === null ? 0 : 2 + wrapWant);
  const shown = [...fixed];
  for (const c of columns) {
    if (essential.includes(c)) continue;
    if (room([...shown, c]) <= width) shown.push(c);
  }
  // Order as preferred, the wrapping column last so its continuation lines read cleanly.
  shown.sort((a, b) => columns.indexOf(a) - columns.indexOf(b));
  // Too narrow even for the essentials: cut the widest of them, never below MIN_CELL.
  while (room(shown) > width) {
    const widest = [...shown].sort((a, b) => widthOf.get(b)! - widthOf.get(a)!)[0];
    if (widest === undefined || widthOf.get(widest)! <= MIN_CELL) break;
    widthOf.set(widest, widthOf.get(widest)! - 1);
  }
  if (wrapColumn !== null) {
    shown.push(wrapColumn);
    widthOf.set(wrapColumn, Math.max(wrapWant, Math.min(wrapNatural, width - sum(shown.slice(0, -1)) - 2)));
  }
  return { shown, widths: shown.map((c) => widthOf.get(c)!), wrap: wrapColumn === null ? -1 : shown.length - 1 };
}

function cut(value: string, width: number): string {
  return value.length > width ? `${value.slice(0, width - 1)}…` : value;
}

/** Breaks text into lines of at most `width`, at spaces where it can. */
function wrapText(value: string, width: number): string[] {
  const lines: string[] = [];
  let rest = value;
  while (rest.length > width) {
    const space = rest.lastIndexOf(' ', width);
    const at = space > 0 ? space : width;
    lines.push(rest.slice(0, at));
    rest = rest.slice(at).replace(/^ /, '');
  }
  lines.push(rest);
  return lines;
}

function tableLines(t: TableLayout, row: Row): string {
  const cells = t.shown.map((c, i) => (i === t.wrap ? wrapText(row[c] ?? '', t.widths[i]!) : [cut(row[c] ?? '', t.widths[i]!)]));
  const height = Math.max(...cells.map((c) => c.length));
  const out: string[] = [];
  for (let line = 0; line < height; line++) {
    out.push(cells.map((c, i) => (c[line] ?? '').padEnd(t.widths[i]!)).join('  ').trimEnd());
  }
  return out.join('\n') + '\n';
}

/** Rows seen before a streamed table or CSV fixes its columns and widths. */
const LAYOUT_ROWS = 500;

/**
 * Prints rows as they come, in constant memory: the first LAYOUT_ROWS are held to choose columns
 * and widths, every later row is written at once in that layout (a cell wider than its column is
 * cut). Waits for the output to drain, so a slow pipe slows the reading instead of filling memory.
 */
export class RowWriter {
  readonly #format: Format;
  readonly #options: RenderOptions;
  readonly #out: Writable | null;
  #held: Row[] = [];
  #columns: string[] | null = null;
  #table: TableLayout | null = null;
  #count = 0;

  constructor(format: Format, options: RenderOptions, out: Writable | null) {
    this.#format = format;
    this.#options = options;
    this.#out = out;
  }

  write(rows: readonly Row[]): Promise<void> {
    return this.#emit(this.take(rows));
  }

  end(): Promise<void> {
    return this.#emit(this.finish());
  }

  /** The text for `rows` (empty while the layout is still being chosen). */
  take(rows: readonly Row[]): string {
    if (this.#columns !== null) return this.#rows(rows);
    // Copies, not the strings as parsed: those are slices that keep each whole 64 KiB chunk of the
    // answer alive, and 500 rows held from a filtered list can pin tens of megabytes.
    for (const r of rows) this.#held.push(Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Buffer.from(v, 'utf8').toString('utf8')])));
    return this.#held.length >= LAYOUT_ROWS ? this.#start(false) + this.#rows(this.#held.splice(0)) : '';
  }

  /** The text that ends the output. */
  finish(): string {
    if (this.#columns !== null) return this.#tail();
    if (this.#held.length === 0) return this.#empty();
    return this.#start(true) + this.#rows(this.#held.splice(0)) + this.#tail();
  }

  #emit(text: string): Promise<void> {
    const out = this.#out;
    if (text === '' || out === null || out.write(text)) return Promise.resolve();
    return new Promise((resolve) => out.once('drain', resolve));
  }

  /** Fixes the layout from the rows held; `complete` when they are all there will be (XML can then say how many). */
  #start(complete: boolean): string {
    const columns = columnsOf(this.#held, this.#options.columns ?? []);
    this.#columns = columns;
    switch (this.#format) {
      case 'json':
        return '[\n';
      case 'csv':
        return `${columns.join(',')}\n`;
      case 'xml': {
        const root = this.#options.root ?? 'records';
        return `<?xml version="1.0" encoding="UTF-8"?>\n<${root}${complete ? ` count="${this.#held.length}"` : ''}>\n`;
      }
      case 'table': {
        this.#table = layout(this.#held, columns, this.#options.essential ?? [], this.#options.width ?? 120, this.#options.wrap === true);
        return tableLines(this.#table, Object.fromEntries(this.#table.shown.map((c) => [c, c.toUpperCase()])));
      }
    }
  }

  #rows(rows: readonly Row[]): string {
    const columns = this.#columns!;
    let text = '';
    for (const r of rows) {
      switch (this.#format) {
        case 'json':
          text += `${this.#count > 0 ? ',\n' : ''}${JSON.stringify(r, null, 2).replace(/^/gm, '  ')}`;
          break;
        case 'csv':
          text += `${columns.map((c) => csvCell(r[c] ?? '')).join(',')}\n`;
          break;
        case 'xml':
          text += `  <record>\n${columns.filter((c) => r[c] !== undefined).map((c) => `    <${c}>${xmlText(r[c]!)}</${c}>\n`).join('')}  </record>\n`;
          break;
        case 'table':
          text += tableLines(this.#table!, r);
          break;
      }
      this.#count++;
    }
    return text;
  }

  #tail(): string {
    if (this.#format === 'json') return '\n]\n';
    if (this.#format === 'xml') return `</${this.#options.root ?? 'records'}>\n`;
    return '';
  }

  #empty(): string {
    switch (this.#format) {
      case 'json':
        return '[]\n';
      case 'csv':
        return '\n';
      case 'xml': {
        const root = this.#options.root ?? 'records';
        return `<?xml version="1.0" encoding="UTF-8"?>\n<${root} count="0">\n</${root}>\n`;
      }
      case 'table':
        return '(none)\n';
    }
  }
}

/** Renders a whole (small) list at once, in the same shapes as RowWriter. */
export function render(rows: readonly Row[], format: Format, options: RenderOptions = {}): string {
  const writer = new RowWriter(format, options, null);
  return writer.take(rows) + writer.finish();
}
