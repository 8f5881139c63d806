// Live Logs: authentications across every endpoint, or of one endpoint or user, newest first,
// pass / fail in colour, repeats folded with a count, a detail view, time presets, filters (result,
// NAS, failure reason), CSV export; refreshed every 5 s while the newest page is shown.
import { useEffect, useRef, useState } from 'preact/hooks';
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
  const [nas, setNas] = useState('');
  const [reason, setReason] = useState('');
  const [applied, setApplied] = useState({ key: initial ?? '', nas: '', reason: '' });
  const [preset, setPreset] = useState(2);
  const [result, setResult] = useState('');
  const [rows, setRows] = useState<AuthRow[]>([]);
  // Older pages across every endpoint: the `next` of each page read (empty: the newest).
  const [befores, setBefores] = useState<string[]>(['']);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState('');
  const [open, setOpen] = useState<AuthRow | null>(null);
  const before = befores[befores.length - 1]!;
  // Bumped when the selection changes: an answer to the one before is dropped, not drawn.
  const generation = useRef(0);
  useEffect(() => {
    generation.current++;
  }, [JSON.stringify(applied), preset, result, before]);
  usePoll(
    async () => {
      // An older page stays as it is; the newest is refreshed.
      if (before !== '' && rows.length > 0) return;
      const k = applied.key;
      const isMac = /^([0-9a-f]{2}[:-]?){5}[0-9a-f]{2}$|^([0-9a-f]{4}\.){2}[0-9a-f]{4}$/i.test(k);
      const keyParam = k === '' ? {} : { [isMac ? 'mac' : 'user']: k };
      const asked = generation.current;
      try {
        const answer = await request<{ authentications: AuthRow[]; next?: string | null }>(
          `/api/v1/authentications${query({ ...keyParam, since: new Date(Date.now() - PRESETS[preset]!.ms).toISOString(), passed: result, nas: applied.nas, reason: applied.reason, before, limit: k === '' ? 200 : 500 })}`,
        );
        if (asked !== generation.current) return;
        setRows(answer.authentications);
        setNext(answer.next ?? null);
        setError('');
      } catch (e) {
        setError(e instanceof Error ? e.message : String(e));
      }
    },
    5000,
    [JSON.stringify(applied), preset, result, before],
  );
  const restart = () => {
    setBefores(['']);
    setRows([]);
  };
  return (
    <section aria-labelledby="logs-title">
      <h1 id="logs-title">Live Logs</h1>
      <form
        class="filters"
        aria-label="Filter authentications"
        onSubmit={(e) => {
          e.preventDefault();
          restart();
          setApplied({ key: key.trim(), nas: nas.trim(), reason: reason.trim() });
        }}
      >
        <label>
          Endpoint MAC or user name
          <input name="key" value={key} onInput={(e) => setKey((e.currentTarget as HTMLInputElement).value)} />
        </label>
        <label>
          NAS IP
          <input name="nas" value={nas} onInput={(e) => setNas((e.currentTarget as HTMLInputElement).value)} />
        </label>
        <label>
          Failure reason (code)
          <input name="reason" inputMode="numeric" value={reason} onInput={(e) => setReason((e.currentTarget as HTMLInputElement).value)} />
        </label>
        <label>
          Time
          <select value={preset} onChange={(e) => { restart(); setPreset(Number((e.currentTarget as HTMLSelectElement).value)); }}>
            {PRESETS.map((p, i) => (
              <option key={p.label} value={i}>
                {p.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Result
          <select value={result} onChange={(e) => { restart(); setResult((e.currentTarget as HTMLSelectElement).value); }}>
            <option value="">Pass and fail</option>
            <option value="true">Pass</option>
            <option value="false">Fail</option>
          </select>
        </label>
        <button type="submit">Show</button>
        <button type="button" disabled={rows.length === 0} onClick={() => download(`authentications-${applied.key || 'all'}.csv`, csv(rows as unknown as Record<string, unknown>[], CSV_COLUMNS))}>
          Export CSV
        </button>
      </form>
      <p class="small">
        {applied.key === '' ? 'Every endpoint' : `Only ${applied.key}`}, {PRESETS[preset]!.label.toLowerCase()}
        {befores.length > 1 ? `, older page ${befores.length}` : ', newest first (refreshed every 5 s)'}
      </p>
      {error && <p role="alert" class="error">{error}</p>}
      <AuthTable rows={rows} onOpen={setOpen} />
      {applied.key === '' && (
        <div class="pager">
          <button type="button" disabled={befores.length === 1} onClick={() => { setBefores(befores.slice(0, -1)); setRows([]); }}>
            Newer
          </button>
          <button type="button" disabled={next === null} onClick={() => { if (next !== null) { setBefores([...befores, next]); setRows([]); } }}>
            Older
          </button>
        </div>
      )}
      {open && <AuthDetail row={open} onClose={() => setOpen(null)} />}
    </section>
  );
}
