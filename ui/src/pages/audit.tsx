// The CoA audit log: who asked for what, against which endpoint, what the NAS answered.
import { useState } from 'preact/hooks';
import { request, query } from '../api';
import { time, usePoll } from '../util';

export interface AuditRow {
  id: number;
  at: string;
  admin: string;
  origin: string;
  jobId: string | null;
  mac: string;
  nasIp: string | null;
  action: string;
  actionType: string;
  outcome: string;
  errorCause: number | null;
  errorCauseText: string | null;
  attempts: number | null;
  rttMs: number | null;
}

export function AuditTable({ rows }: { rows: AuditRow[] }) {
  return (
    <table class="audit" aria-label="CoA audit log">
      <thead>
        <tr>
          <th scope="col">Time</th>
          <th scope="col">Admin</th>
          <th scope="col">Origin</th>
          <th scope="col">Endpoint</th>
          <th scope="col">NAS</th>
          <th scope="col">Action</th>
          <th scope="col">Outcome</th>
          <th scope="col">Error-Cause</th>
          <th scope="col">Attempts</th>
          <th scope="col">Round trip</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.id} data-outcome={r.outcome}>
            <td>{time(r.at)}</td>
            <td>{r.admin}</td>
            <td>{r.jobId ? `job ${r.jobId.slice(0, 8)}` : r.origin}</td>
            <td>
              <a href={`#/endpoint/${encodeURIComponent(r.mac)}`}>{r.mac}</a>
            </td>
            <td>{r.nasIp}</td>
            <td>
              {r.action} / {r.actionType}
            </td>
            <td>
              <span class={`badge ${r.outcome === 'ack' ? 'pass' : 'fail'}`}>{r.outcome.toUpperCase()}</span>
            </td>
            <td>{r.errorCause === null ? '' : `${r.errorCause} ${r.errorCauseText ?? ''}`}</td>
            <td>{r.attempts}</td>
            <td>{r.rttMs === null ? '' : `${r.rttMs} ms`}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function AuditLog() {
  const [draft, setDraft] = useState<Record<string, string>>({});
  const [applied, setApplied] = useState<Record<string, string>>({});
  const [pages, setPages] = useState<string[]>(['']);
  const [data, setData] = useState<{ records: AuditRow[]; next: number | null } | null>(null);
  const [error, setError] = useState('');
  const before = pages[pages.length - 1]!;
  usePoll(
    async () => {
      try {
        setData(await request(`/api/v1/coa/audit${query({ ...applied, before, limit: 100 })}`));
        setError('');
      } catch (e) {
        setError(e instanceof Error ? e.message : String(e));
      }
    },
    5000,
    [JSON.stringify(applied), before],
  );
  const field = (key: string, label: string) => (
    <label>
      {label}
      <input name={key} value={draft[key] ?? ''} onInput={(e) => setDraft({ ...draft, [key]: (e.currentTarget as HTMLInputElement).value })} />
    </label>
  );
  return (
    <section aria-labelledby="audit-title">
      <h1 id="audit-title">Audit log</h1>
      <form class="filters" aria-label="Filter the audit log" onSubmit={(e) => { e.preventDefault(); setApplied(Object.fromEntries(Object.entries(draft).filter(([, v]) => v !== ''))); setPages(['']); }}>
        {field('mac', 'Endpoint MAC')}
        {field('nas', 'NAS IP')}
        {field('admin', 'Admin')}
        <label>
          Outcome
          <select value={draft.outcome ?? ''} onChange={(e) => setDraft({ ...draft, outcome: (e.currentTarget as HTMLSelectElement).value })}>
            <option value="">Any</option>
            <option value="ack">ACK</option>
            <option value="nak">NAK</option>
            <option value="timeout">Timeout</option>
            <option value="refused">Refused</option>
          </select>
        </label>
        <button type="submit">Filter</button>
      </form>
      {error && <p role="alert" class="error">{error}</p>}
      {data && <AuditTable rows={data.records} />}
      <div class="pager">
        <button type="button" disabled={pages.length === 1} onClick={() => setPages(pages.slice(0, -1))}>
          Newer
        </button>
        <button type="button" disabled={!data || data.next === null} onClick={() => data?.next && setPages([...pages, String(data.next)])}>
          Older
        </button>
      </div>
    </section>
  );
}
