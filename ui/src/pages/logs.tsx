// Live Logs: authentications of an endpoint or a user, newest first, pass / fail in colour,
// repeats folded with a count, a detail view, time presets, CSV export; refreshed every 5 s.
import { useState } from 'preact/hooks';
import { request, query } from '../api';
import { csv, download, time, usePoll } from '../util';

export interface AuthRow {
  id: number;
  at: string;
  passed: boolean;
  failureReason: string | null;
  userName: string | null;
  mac: string | null;
  nasIp: string;
  nasName: string | null;
  nasPortId: string | null;
  identityGroup: string | null;
  authenticationMethod: string | null;
  authenticationProtocol: string | null;
  authzProfile: string | null;
  authzPolicy: string | null;
  response: string | null;
  executionSteps: string | null;
  otherAttributes: string | null;
  responseTimeMs: number | null;
  auditSessionId: string | null;
}

const PRESETS = [
  { label: 'Last hour', ms: 3_600_000 },
  { label: 'Last 6 hours', ms: 6 * 3_600_000 },
  { label: 'Last 24 hours', ms: 86_400_000 },
  { label: 'Last 7 days', ms: 7 * 86_400_000 },
];

const CSV_COLUMNS = ['at', 'passed', 'failureReason', 'userName', 'mac', 'nasIp', 'nasPortId', 'identityGroup', 'authenticationMethod', 'authzProfile', 'authzPolicy', 'responseTimeMs', 'auditSessionId'];

/** Consecutive identical outcomes of one endpoint fold into one line with a repeat count. */
function fold(rows: AuthRow[]): { row: AuthRow; repeats: number }[] {
  const out: { row: AuthRow; repeats: number }[] = [];
  for (const row of rows) {
    const last = out.at(-1);
    if (last && last.row.mac === row.mac && last.row.passed === row.passed && last.row.failureReason === row.failureReason && last.row.nasIp === row.nasIp) last.repeats++;
    else out.push({ row, repeats: 1 });
  }
  return out;
}

export function AuthDetail({ row, onClose }: { row: AuthRow; onClose: () => void }) {
  return (
    <div class="detail" role="dialog" aria-label={`Authentication detail ${row.mac ?? row.userName ?? ''}`}>
      <button type="button" onClick={onClose}>
        Close detail
      </button>
      <dl>
        <dt>Time</dt><dd>{time(row.at)}</dd>
        <dt>Result</dt><dd class={row.passed ? 'pass' : 'fail'}>{row.passed ? 'Passed' : 'Failed'}</dd>
        {row.failureReason && (<><dt>Failure reason</dt><dd>{row.failureReason}</dd></>)}
        <dt>Identity</dt><dd>{row.userName}</dd>
        <dt>Endpoint</dt><dd>{row.mac}</dd>
        <dt>NAS</dt><dd>{row.nasName ?? ''} {row.nasIp} {row.nasPortId ?? ''}</dd>
        <dt>Method</dt><dd>{row.authenticationMethod} {row.authenticationProtocol}</dd>
        <dt>Authorization rule</dt><dd>{row.authzPolicy}</dd>
        <dt>Authorization profile</dt><dd>{row.authzProfile}</dd>
        <dt>Response time</dt><dd>{row.responseTimeMs === null ? '' : `${row.responseTimeMs} ms`}</dd>
        <dt>Attributes in</dt><dd class="mono">{(row.otherAttributes ?? '').split(':!:').join('\n')}</dd>
        <dt>Reply (attributes out)</dt><dd class="mono">{row.response}</dd>
        <dt>Steps</dt><dd class="mono">{(row.executionSteps ?? '').split(',').join('\n')}</dd>
      </dl>
    </div>
  );
}

export function AuthTable({ rows, onOpen }: { rows: AuthRow[]; onOpen: (r: AuthRow) => void }) {
  return (
    <table class="logs" aria-label="Authentications">
      <thead>
        <tr>
          <th scope="col">Time</th>
          <th scope="col">Status</th>
          <th scope="col">Repeats</th>
          <th scope="col">Identity</th>
          <th scope="col">Endpoint</th>
          <th scope="col">NAS</th>
          <th scope="col">Port</th>
          <th scope="col">Authorization profile</th>
          <th scope="col">Failure reason</th>
          <th scope="col">Details</th>
        </tr>
      </thead>
      <tbody>
        {fold(rows).map(({ row, repeats }) => (
          <tr key={row.id} class={row.passed ? 'row-pass' : 'row-fail'}>
            <td>{time(row.at)}</td>
            <td>
              <span class={row.passed ? 'badge pass' : 'badge fail'}>{row.passed ? 'Pass' : 'Fail'}</span>
            </td>
            <td>{repeats > 1 ? repeats : ''}</td>
            <td>{row.userName}</td>
            <td>{row.mac && <a href={`#/endpoint/${encodeURIComponent(row.mac)}`}>{row.mac}</a>}</td>
            <td>{row.nasName ?? row.nasIp}</td>
            <td>{row.nasPortId}</td>
            <td>{row.authzProfile}</td>
            <td>{row.failureReason}</td>
            <td>
              <button type="button" aria-label={`Details of the authentication at ${time(row.at)}`} onClick={() => onOpen(row)}>
                Details
              </button>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function LiveLogs({ initial }: { initial?: string | undefined }) {
  const [key, setKey] = useState(initial ?? '');
  const [applied, setApplied] = useState(initial ?? '');
  const [preset, setPreset] = useState(2);
  const [result, setResult] = useState('');
  const [rows, setRows] = useState<AuthRow[]>([]);
  const [error, setError] = useState('');
  const [open, setOpen] = useState<AuthRow | null>(null);
  usePoll(
    async () => {
      if (applied === '') return;
      const isMac = /^([0-9a-f]{2}[:-]?){5}[0-9a-f]{2}$|^([0-9a-f]{4}\.){2}[0-9a-f]{4}$/i.test(applied);
      try {
        const answer = await request<{ authentications: AuthRow[] }>(
          `/api/v1/authentications${query({ [isMac ? 'mac' : 'user']: applied, since: new Date(Date.now() - PRESETS[preset]!.ms).toISOString(), passed: result, limit: 500 })}`,
        );
        setRows(answer.authentications);
        setError('');
      } catch (e) {
        setError(e instanceof Error ? e.message : String(e));
      }
    },
    5000,
    [applied, preset, result],
  );
  return (
    <section aria-labelledby="logs-title">
      <h1 id="logs-title">Live Logs</h1>
      <form class="filters" aria-label="Filter authentications" onSubmit={(e) => { e.preventDefault(); setApplied(key.trim()); }}>
        <label>
          Endpoint MAC or user name
          <input name="key" value={key} onInput={(e) => setKey((e.currentTarget as HTMLInputElement).value)} />
        </label>
        <label>
          Time
          <select value={preset} onChange={(e) => setPreset(Number((e.currentTarget as HTMLSelectElement).value))}>
            {PRESETS.map((p, i) => (
              <option key={p.label} value={i}>
                {p.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Result
          <select value={result} onChange={(e) => setResult((e.currentTarget as HTMLSelectElement).value)}>
            <option value="">Pass and fail</option>
            <option value="true">Pass</option>
            <option value="false">Fail</option>
          </select>
        </label>
        <button type="submit">Show</button>
        <button type="button" disabled={rows.length === 0} onClick={() => download(`authentications-${applied}.csv`, csv(rows as unknown as Record<string, unknown>[], CSV_COLUMNS))}>
          Export CSV
        </button>
      </form>
      {applied === '' && <p>Authentications are listed per endpoint or per user: enter a MAC address or a user name.</p>}
      {error && <p role="alert" class="error">{error}</p>}
      {applied !== '' && <AuthTable rows={rows} onOpen={setOpen} />}
      {open && <AuthDetail row={open} onClose={() => setOpen(null)} />}
    </section>
  );
}
