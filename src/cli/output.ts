/** How client commands print records: a table that fits the terminal, JSON, CSV or XML. */
export type Format = 'table' | 'json' | 'csv' | 'xml';
export const FORMATS: readonly Format[] = ['table', 'json', 'csv', 'xml'];

type Row = Record<string, string>;

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

/**
 * Renders rows. `columns` puts the interesting ones first; a table keeps only as many columns as
 * fit `width` and shortens long cells with an ellipsis, the other formats keep everything.
 */
export function render(rows: readonly Row[], format: Format, options: { columns?: readonly string[]; width?: number; root?: string } = {}): string {
  const columns = columnsOf(rows, options.columns ?? []);
  switch (format) {
    case 'json':
      return `${JSON.stringify(rows, null, 2)}\n`;
    case 'csv':
      return [columns.join(','), ...rows.map((r) => columns.map((c) => csvCell(r[c] ?? '')).join(','))].join('\n') + '\n';
    case 'xml': {
      const root = options.root ?? 'records';
      const body = rows.map((r) => `  <record>\n${columns.filter((c) => r[c] !== undefined).map((c) => `    <${c}>${xmlText(r[c]!)}</${c}>\n`).join('')}  </record>\n`).join('');
      return `<?xml version="1.0" encoding="UTF-8"?>\n<${root} count="${rows.length}">\n${body}</${root}>\n`;
    }
    case 'table': {
      if (rows.length === 0) return '(none)\n';
      const width = options.width ?? 120;
      const MAX_CELL = 40;
      const cell = (v: string) => (v.length > MAX_CELL ? `${v.slice(0, MAX_CELL - 1)}…` : v);
      const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c] ?? '').length)));
      const shown: number[] = [];
      let used = 0;
      for (let i = 0; i < columns.length; i++) {
        if (shown.length > 0 && used + 2 + widths[i]! > width) break;
        shown.push(i);
        used += (shown.length > 1 ? 2 : 0) + widths[i]!;
      }
      const line = (values: string[]) => shown.map((i) => values[i]!.padEnd(widths[i]!)).join('  ').trimEnd();
      return [line(columns.map((c) => c.toUpperCase())), ...rows.map((r) => line(columns.map((c) => cell(r[c] ?? ''))))].join('\n') + '\n';
    }
  }
}
