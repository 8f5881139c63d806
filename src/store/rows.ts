/**
 * Row shapes both engines share for the job and configuration-audit tables: the column lists
 * (aliases quoted, which SQLite and PostgreSQL both take, so each returns the property names) and
 * the mapping of a row to its record. An engine passes how it reads a JSON document: SQLite keeps
 * it as text, PostgreSQL's JSONB arrives parsed.
 */
import type { CoaJobRecord, CoaJobState, CoaJobUpdate, ConfigAuditRecord } from './types.js';

type Row = Record<string, unknown>;
/** A JSON document as the engine returns it → its value. */
export type ReadDocument = (value: unknown) => unknown;

export const JOB_COLUMNS =
  'seq, id, state, admin, action, selector, pacing, total, completed, counts, created_at AS "createdAt", finished_at AS "finishedAt", duration_ms AS "durationMs"';
export const JOB_RESULT_COLUMNS =
  'id, mac, nas_ip AS "nasIp", outcome, error_cause AS "errorCause", error_cause_text AS "errorCauseText", attempts, rtt_ms AS "rttMs", detail, verified';

/** The columns an update of a job may set, by property. */
export const JOB_UPDATABLE: Record<keyof CoaJobUpdate, string> = {
  state: 'state',
  completed: 'completed',
  counts: 'counts',
  finishedAt: 'finished_at',
  durationMs: 'duration_ms',
};

export function jobOf(row: Row, document: ReadDocument): CoaJobRecord {
  return {
    id: row.id as string,
    seq: row.seq as number,
    state: row.state as CoaJobState,
    admin: row.admin as string,
    action: document(row.action) as object,
    selector: document(row.selector) as object,
    pacing: document(row.pacing) as object,
    total: row.total as number,
    completed: row.completed as number,
    counts: document(row.counts) as Record<string, number>,
    createdAt: row.createdAt as number,
    finishedAt: (row.finishedAt as number | null) ?? null,
    durationMs: (row.durationMs as number | null) ?? null,
  };
}

export const CONFIG_AUDIT_COLUMNS = 'id, at, revision, admin, source, kind, key, operation, before, after';

export function configAuditOf(r: Row, document: ReadDocument): ConfigAuditRecord {
  return {
    id: r.id as number,
    at: r.at as number,
    revision: r.revision as number,
    admin: r.admin as string,
    source: (r.source as string | null) ?? null,
    kind: r.kind as string,
    key: r.key as string,
    operation: r.operation as ConfigAuditRecord['operation'],
    before: r.before === null || r.before === undefined ? null : document(r.before),
    after: r.after === null || r.after === undefined ? null : document(r.after),
  };
}
