// Bulk CoA over the jobs API: a selector, a dry run that says how many, a confirmation, live
// progress (counts, rate, ETA), per-endpoint results, and cancel.
import { useState } from 'preact/hooks';
import { ApiError, request, type Me } from '../api';
import { toast } from '../toast';
import { csv, download, time, usePoll } from '../util';

interface Job {
  id: string;
  state: string;
  admin: string;
  action: { action: string; type: string };
  total: number;
  completed: number;
  counts: Record<string, number>;
  createdAt: string;
  finishedAt: string | null;
  durationMs: number | null;
}

interface Result {
  id: number;
  mac: string;
  nasIp: string;
  outcome: string;
  errorCause: number | null;
  errorCauseText: string | null;
  attempts: number;
  rttMs: number | null;
}

const ACTIONS: Record<string, { action: string; type: string; label: string }> = {
  reauth: { action: 'reauth', type: 'default', label: 'Reauthenticate' },
  'reauth-rerun': { action: 'reauth', type: 'rerun', label: 'Reauthenticate (rerun)' },
  disconnect: { action: 'disconnect', type: 'default', label: 'Disconnect' },
  bounce: { action: 'disconnect', type: 'bounce', label: 'Port bounce' },
  shutdown: { action: 'disconnect', type: 'shutdown', label: 'Port shutdown' },
};

export function BulkCoa({ me }: { me: Me }) {
  const [by, setBy] = useState('nasIp');
  const [value, setValue] = useState('');
  const [action, setAction] = useState('reauth');
  const [rate, setRate] = useState('10');
  const [preview, setPreview] = useState<{ count: number; endpoints: { mac: string; nasIp: string }[] } | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [job, setJob] = useState<Job | null>(null);
  const [results, setResults] = useState<Result[]>([]);
  const [jobs, setJobs] = useState<Job[]>([]);

  const selector = () => {
    if (by === 'macs') return { macs: value.split(/[\s,;]+/).filter((m) => m !== '') };
    return { [by]: value.trim() };
  };
  const spec = (dryRun: boolean) => ({
    selector: selector(),
    action: ACTIONS[action]!.action,
    type: ACTIONS[action]!.type,
    dryRun,
    ...(dryRun || rate === '' ? {} : { pacing: { perNasPerSecond: Number(rate) } }),
  });
  const fail = (what: string, e: unknown) => toast('error', `${what}: ${e instanceof ApiError || e instanceof Error ? e.message : String(e)}`);

  const dryRun = async (e: Event) => {
    e.preventDefault();
    setConfirming(false);
    try {
      setPreview(await request('/api/v1/coa/jobs', { method: 'POST', body: spec(true) }));
    } catch (err) {
      fail('Dry run refused', err);
    }
  };
  const start = async () => {
    setConfirming(false);
    try {
      const started = await request<Job>('/api/v1/coa/jobs', { method: 'POST', body: spec(false) });
      setJob(started);
      setResults([]);
      toast('ok', `Job ${started.id.slice(0, 8)} started: ${started.total} endpoints`);
    } catch (err) {
      fail('Job refused', err);
    }
  };
  const cancel = async () => {
    if (!job) return;
    try {
      setJob(await request<Job>(`/api/v1/coa/jobs/${job.id}`, { method: 'DELETE' }));
      toast('ok', `Job ${job.id.slice(0, 8)} cancelled: what had not started is skipped`);
    } catch (err) {
      fail('Cancel refused', err);
    }
  };
  usePoll(
    async () => {
      setJobs((await request<{ jobs: Job[] }>('/api/v1/coa/jobs?limit=10')).jobs);
      if (job === null) return;
      const now = await request<Job>(`/api/v1/coa/jobs/${job.id}`);
      setJob(now);
      if (now.state !== 'running') setResults((await request<{ results: Result[] }>(`/api/v1/coa/jobs/${job.id}/results?limit=1000`)).results);
    },
    1000,
    [job?.id, job?.state],
  );

  const elapsed = job ? (Date.now() - Date.parse(job.createdAt)) / 1000 : 0;
  const rateNow = job && elapsed > 0 ? job.completed / elapsed : 0;
  const eta = job && rateNow > 0 ? Math.round((job.total - job.completed) / rateNow) : null;
  return (
    <section aria-labelledby="bulk-title">
      <h1 id="bulk-title">Bulk CoA</h1>
      {!me.may.coa && <p role="note">Your role ({me.roleName}) may look at jobs but not run them.</p>}
      {me.may.coa && (
        <form class="filters" onSubmit={dryRun} aria-label="Select endpoints">
          <label>
            Select by
            <select value={by} onChange={(e) => setBy((e.currentTarget as HTMLSelectElement).value)}>
              <option value="nasIp">NAS IP</option>
              <option value="identityGroup">Identity group</option>
              <option value="authzProfile">Authorization profile</option>
              <option value="userName">User name</option>
              <option value="macs">MAC list</option>
            </select>
          </label>
          {by === 'macs' ? (
            <>
              <label class="wide">
                MAC addresses (one per line)
                <textarea rows={4} value={value} onInput={(e) => setValue((e.currentTarget as HTMLTextAreaElement).value)} />
              </label>
              <label>
                Upload a list
                <input type="file" accept=".txt,.csv" onChange={async (e) => setValue(await ((e.currentTarget as HTMLInputElement).files?.[0]?.text() ?? Promise.resolve('')))} />
              </label>
            </>
          ) : (
            <label>
              Value
              <input value={value} required onInput={(e) => setValue((e.currentTarget as HTMLInputElement).value)} />
            </label>
          )}
          <label>
            Action
            <select value={action} onChange={(e) => setAction((e.currentTarget as HTMLSelectElement).value)}>
              {Object.entries(ACTIONS).map(([k, a]) => (
                <option key={k} value={k}>
                  {a.label}
                </option>
              ))}
            </select>
          </label>
          <label>
            Per NAS per second
            <input type="number" min="1" value={rate} onInput={(e) => setRate((e.currentTarget as HTMLInputElement).value)} />
          </label>
          <button type="submit">Dry run</button>
        </form>
      )}
      {preview && (
        <div class="preview">
          <p data-testid="dry-run-count">
            {preview.count} online endpoint{preview.count === 1 ? '' : 's'} selected{preview.count > 20 ? ' (first 20 shown)' : ''}
          </p>
          <ul>
            {preview.endpoints.slice(0, 20).map((e) => (
              <li key={e.mac}>
                {e.mac} on {e.nasIp}
              </li>
            ))}
          </ul>
          {preview.count > 0 && !confirming && (
            <button type="button" onClick={() => setConfirming(true)}>
              Run on {preview.count} endpoints…
            </button>
          )}
          {confirming && (
            <div role="alertdialog" aria-label="Confirm bulk CoA" class="confirm">
              <p>
                {ACTIONS[action]!.label} {preview.count} endpoints now?
              </p>
              <button type="button" onClick={start}>
                Confirm
              </button>
              <button type="button" onClick={() => setConfirming(false)}>
                Back
              </button>
            </div>
          )}
        </div>
      )}
      {job && (
        <div class="job" aria-live="polite">
          <h2>Job {job.id.slice(0, 8)}: {job.state}</h2>
          <progress max={job.total || 1} value={job.completed} aria-label="Job progress" />
          <p>
            {job.completed} of {job.total} · ACK {job.counts.ack ?? 0} · NAK {job.counts.nak ?? 0} · timeout {job.counts.timeout ?? 0} · unreachable {job.counts.unreachable ?? 0} · cancelled {job.counts.cancelled ?? 0}
            {job.state === 'running' && ` · ${rateNow.toFixed(1)}/s${eta === null ? '' : ` · about ${eta} s left`}`}
          </p>
          {job.state === 'running' && me.may.coa && (
            <button type="button" onClick={cancel}>
              Cancel job
            </button>
          )}
          {results.length > 0 && (
            <>
              <button type="button" onClick={() => download(`job-${job.id}.csv`, csv(results as unknown as Record<string, unknown>[], ['mac', 'nasIp', 'outcome', 'errorCause', 'errorCauseText', 'attempts', 'rttMs']))}>
                Export results as CSV
              </button>
              <table aria-label="Job results">
                <thead>
                  <tr>
                    <th scope="col">Endpoint</th>
                    <th scope="col">NAS</th>
                    <th scope="col">Outcome</th>
                    <th scope="col">Error-Cause</th>
                    <th scope="col">Attempts</th>
                    <th scope="col">Round trip</th>
                  </tr>
                </thead>
                <tbody>
                  {results.map((r) => (
                    <tr key={r.id}>
                      <td>{r.mac}</td>
                      <td>{r.nasIp}</td>
                      <td>{r.outcome.toUpperCase()}</td>
                      <td>{r.errorCause === null ? '' : `${r.errorCause} ${r.errorCauseText ?? ''}`}</td>
                      <td>{r.attempts}</td>
                      <td>{r.rttMs === null ? '' : `${r.rttMs} ms`}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          )}
        </div>
      )}
      <h2>Recent jobs</h2>
      <table aria-label="Recent jobs">
        <thead>
          <tr>
            <th scope="col">Started</th>
            <th scope="col">Admin</th>
            <th scope="col">Action</th>
            <th scope="col">State</th>
            <th scope="col">Done</th>
          </tr>
        </thead>
        <tbody>
          {jobs.map((j) => (
            <tr key={j.id}>
              <td>{time(j.createdAt)}</td>
              <td>{j.admin}</td>
              <td>
                {j.action.action} / {j.action.type}
              </td>
              <td>{j.state}</td>
              <td>
                {j.completed} / {j.total}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
