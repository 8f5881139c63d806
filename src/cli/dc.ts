/**
 * `openmnt dc query "SQL"`: SQL over a node's DataConnect views (POST /api/v1/dc/query), in the
 * Oracle dialect ISE's Data Connect scripts use. The first line of every format is a header, so
 * `| tail -n +2` leaves the rows:
 *
 *   table  the column names, then aligned rows (NULL printed as an empty cell)
 *   json   the column names as a JSON array, then one JSON array per row (JSON Lines)
 *   csv    RFC 4180: the column names, then one line per row (a one-column result is bare values)
 *
 * Exit 0 with rows or none; 2 for a refused statement (syntax, a write, an unsupported form,
 * a table that is not a view), with the node's message; 1 when the query failed otherwise
 * (stopped at its time limit, node unreachable); 3 when the account may not query.
 */
import { parseArgs } from 'node:util';
import { CliError, EXIT, MntClient } from './client.js';
import { target, type Values } from './commands.js';
import { COMMON, jsonOf } from './policy.js';

export const DC_HELP = `Usage: openmnt dc query "SQL" [--format table|json|csv] [--max-rows N] [--query-timeout SECONDS] [options]

SQL over the node's DataConnect views (RADIUS_AUTHENTICATIONS, RADIUS_ACCOUNTING, COA_EVENTS, …),
in ISE Data Connect's Oracle dialect (SYSDATE - 1/24, TO_CHAR(ts, 'HH24:MI:SS'),
FETCH FIRST n ROWS ONLY, NUMTODSINTERVAL). Read-only. The first output line is a header.

  --format <FORMAT>          table (default), json (JSON Lines: header array, then row arrays), csv
  --max-rows <N>             at most N rows (default and ceiling: the node's limit, 10000)
  --query-timeout <SECONDS>  stop the query after this long (default and ceiling: the node's, 30)
  --host, --profile, --user-name, --password-stdin, --insecure, --timeout: as every client command
`;

const OPTIONS = {
  ...COMMON,
  'max-rows': { type: 'string' },
  'query-timeout': { type: 'string' },
} as const;

interface Answer {
  columns: { name: string; type: string | null }[];
  rows: unknown[][];
  truncated: boolean;
}

const cell = (v: unknown) => (v === null || v === undefined ? '' : typeof v === 'string' ? v : String(v));

function csvField(v: unknown): string {
  const text = cell(v);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function renderDc(answer: Answer, format: 'table' | 'json' | 'csv'): string {
  const names = answer.columns.map((c) => c.name);
  if (format === 'json') return [JSON.stringify(names), ...answer.rows.map((r) => JSON.stringify(r))].join('\n') + '\n';
  if (format === 'csv') return [names.map(csvField).join(','), ...answer.rows.map((r) => r.map(csvField).join(','))].join('\n') + '\n';
  const widths = names.map((n, i) => Math.max(n.length, ...answer.rows.map((r) => cell(r[i]).length)));
  const line = (values: string[]) => values.map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(names), ...answer.rows.map((r) => line(r.map(cell)))].join('\n') + '\n';
}

export async function runDcCommand(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const usage = (message: string) => {
    process.stderr.write(`openmnt dc: ${message}\n\n${DC_HELP}`);
    return EXIT.usage;
  };
  let values: Record<string, unknown>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true }));
  } catch (error) {
    return usage((error as Error).message);
  }
  if (values.help) {
    process.stdout.write(DC_HELP);
    return EXIT.ok;
  }
  const [action, sql, ...rest] = positionals;
  if (action !== 'query') return usage(action === undefined ? 'what to do: query "SQL"' : `unknown action '${action}': query "SQL"`);
  if (sql === undefined || sql.trim() === '') return usage('query needs the SQL as one argument (quote it)');
  if (rest.length > 0) return usage(`one SQL argument only (quote the whole statement); also given: ${rest.join(' ')}`);
  const format = (values.format ?? 'table') as string;
  if (!['table', 'json', 'csv'].includes(format)) return usage(`--format ${format}: use table, json or csv`);
  const body: Record<string, unknown> = { sql };
  if (values['max-rows'] !== undefined) {
    const n = Number(values['max-rows']);
    if (!Number.isInteger(n) || n < 1) return usage(`--max-rows ${String(values['max-rows'])} is not a whole number above 0`);
    body.maxRows = n;
  }
  if (values['query-timeout'] !== undefined) {
    const s = Number(values['query-timeout']);
    if (!Number.isFinite(s) || s <= 0) return usage(`--query-timeout ${String(values['query-timeout'])} is not a number of seconds`);
    body.timeoutSeconds = s;
  }
  try {
    const client = new MntClient(await target(values as Values, env));
    const answer = await client.request('POST', '/api/v1/dc/query', 'application/json', JSON.stringify(body));
    const json = jsonOf(answer.body);
    if (answer.status >= 400) {
      const message = typeof json.message === 'string' ? json.message : answer.body.slice(0, 200);
      const code = typeof json.error === 'string' ? json.error : String(answer.status);
      process.stderr.write(`openmnt dc: ${code}: ${message}\n`);
      return answer.status === 400 && code !== 'DC_TIMEOUT' ? EXIT.usage : EXIT.failed;
    }
    const result = json as unknown as Answer;
    process.stdout.write(renderDc(result, format as 'table' | 'json' | 'csv'));
    if (result.truncated) process.stderr.write(`openmnt dc: more rows than ${result.rows.length}: the answer is cut (--max-rows, or FETCH FIRST n ROWS ONLY)\n`);
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CliError) {
      process.stderr.write(`openmnt dc: ${error.message}\n`);
      return error.exitCode;
    }
    throw error;
  }
}
