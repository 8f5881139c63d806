/**
 * `POST /api/v1/dc/query`: SQL over the DataConnect views (src/dataconnect/), what
 * `openmnt dc query` sends. Body `{ "sql": "…", "maxRows"?: n, "timeoutSeconds"?: s }`; the answer
 * `{ columns: [{ name, type }], rows: [[…]], rowCount, truncated, durationMs }` with rows as arrays
 * in column order (two columns of one name stay apart). Helpdesk and every role that reads may
 * ask; a delegated admin gets the rows of its groups' endpoints only. Every query is audited.
 */
import { OpenMntError } from '../../errors.js';
import type { DataConnect } from '../../dataconnect/service.js';
import { readJson, sendJson } from '../context.js';
import { HttpError } from '../errors.js';
import type { Route } from './router.js';

export const DC_MAX_BODY = 40 * 1024;

function parseBody(body: unknown, dc: DataConnect): { sql: string; maxRows?: number; timeoutMs?: number } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new OpenMntError('INVALID_ARGUMENT', 'the body must be a JSON object with sql');
  const raw = body as Record<string, unknown>;
  for (const key of Object.keys(raw)) {
    if (!['sql', 'maxRows', 'timeoutSeconds'].includes(key)) throw new OpenMntError('INVALID_ARGUMENT', `unknown field '${key}' (fields: sql, maxRows, timeoutSeconds)`);
  }
  if (typeof raw.sql !== 'string' || raw.sql.trim() === '') throw new OpenMntError('INVALID_ARGUMENT', 'sql: give the query as a string');
  const out: { sql: string; maxRows?: number; timeoutMs?: number } = { sql: raw.sql };
  if (raw.maxRows !== undefined) {
    if (typeof raw.maxRows !== 'number' || !Number.isInteger(raw.maxRows) || raw.maxRows < 1 || raw.maxRows > dc.maxRows) {
      throw new OpenMntError('INVALID_ARGUMENT', `maxRows: a whole number from 1 to ${dc.maxRows}`);
    }
    out.maxRows = raw.maxRows;
  }
  if (raw.timeoutSeconds !== undefined) {
    const max = dc.maxTimeoutMs / 1000;
    if (typeof raw.timeoutSeconds !== 'number' || !(raw.timeoutSeconds >= 0.1 && raw.timeoutSeconds <= max)) {
      throw new OpenMntError('INVALID_ARGUMENT', `timeoutSeconds: a number from 0.1 to ${max}`);
    }
    out.timeoutMs = Math.round(raw.timeoutSeconds * 1000);
  }
  return out;
}

export function dataConnectRoutes(dc: DataConnect | undefined): Route[] {
  return [
    {
      path: '/dc/query',
      name: 'api/dc/query',
      methods: {
        POST: {
          right: ['read', 'endpoints'],
          doing: 'query the DataConnect views',
          body: DC_MAX_BODY,
          readsBody: true,
          handler: async (ctx) => {
            if (dc === undefined) throw new HttpError(503, 'UNAVAILABLE', 'DataConnect is not running on this node (it needs the store in a file)');
            const request = parseBody(await readJson(ctx.req, DC_MAX_BODY), dc);
            const answer = await dc.query(ctx.admin, request.sql, { ...request, source: ctx.req.socket.remoteAddress ?? null });
            sendJson(ctx.res, 200, { columns: answer.columns, rows: answer.rows, rowCount: answer.rows.length, truncated: answer.truncated, durationMs: answer.durationMs }, { 'Cache-Control': 'no-store' });
          },
        },
      },
    },
  ];
}
