// The dashboard: /api/v1/summary (totals since the node started, the active count now) read when
// the session event stream says something changed (at most every 2 s), and the last 24 hours a
// point a minute from /api/v1/summary/history (read each minute: the chart's own step). Polling
// every 5 s only while the event stream is down. Authentications make no session event, so their
// totals follow at the latest with the minute's read.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { request } from '../api';
import { LiveBadge, throttled, useSessionEvents } from '../events';
import { usePoll } from '../util';

interface Summary {
  at: string;
  activeSessions: number;
  authentications: { passed: number; failed: number; topFailureReasons: { code: number; text: string; count: number }[] };
  topNas: { nas: string; packets: number }[];
  coa: Record<string, number>;
  ingest: { received: Record<string, number>; drops: Record<string, number>; commitBacklog: number | null; storeFailing: boolean | null; secondsSinceLastCommit: number | null };
}

interface History {
  hours: number;
  points: { at: string; active: number; passed: number; failed: number }[];
  now: { at: string; active: number };
}

const DAY_MS = 86_400_000;

/** A line chart over the last 24 hours: one polyline per series, a minute a point; gaps (the node was down) break the line. */
function DayChart({ series, label, end }: { series: { name: string; cls: string; points: { t: number; v: number }[] }[]; label: string; end: number }) {
  const w = 480;
  const h = 96;
  const start = end - DAY_MS;
  const max = Math.max(1, ...series.flatMap((s) => s.points.map((p) => p.v)));
  const x = (t: number) => ((t - start) / DAY_MS) * w;
  const y = (v: number) => h - 14 - (v / max) * (h - 22);
  const lines = (points: { t: number; v: number }[]) => {
    const runs: string[] = [];
    let run: string[] = [];
    let prev = -Infinity;
    for (const p of points) {
      if (p.t - prev > 3 * 60_000 && run.length > 0) {
        runs.push(run.join(' '));
        run = [];
      }
      run.push(`${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`);
      prev = p.t;
    }
    if (run.length > 0) runs.push(run.join(' '));
    return runs;
  };
  const latest = series.map((s) => `${s.name} ${s.points.at(-1)?.v ?? 0}`).join(', ');
  return (
    <svg class="day-chart" viewBox={`0 0 ${w} ${h}`} width={w} height={h} role="img" aria-label={`${label}, last 24 hours: now ${latest}; at most ${max}`}>
      <line x1="0" y1={h - 14} x2={w} y2={h - 14} class="axis" />
      {[0, 6, 12, 18, 24].map((hAgo) => (
        <text key={hAgo} x={Math.min(w - 18, Math.max(0, x(end - hAgo * 3_600_000) - 10))} y={h - 2} class="tick">
          {hAgo === 0 ? 'now' : `-${hAgo} h`}
        </text>
      ))}
      <text x="2" y="10" class="tick">
        {max}
      </text>
      {series.map((s) =>
        lines(s.points).map((pts, i) => (pts.includes(' ') ? <polyline key={`${s.name}${i}`} points={pts} class={s.cls} fill="none" /> : <circle key={`${s.name}${i}`} cx={pts.split(',')[0]} cy={pts.split(',')[1]} r="2" class={s.cls} />)),
      )}
    </svg>
  );
}

export function Dashboard() {
  const [s, setS] = useState<Summary | null>(null);
  const [history, setHistory] = useState<History | null>(null);
  const [error, setError] = useState('');
  const loadSummary = async () => {
    try {
      setS(await request<Summary>('/api/v1/summary'));
      setError('');
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  const ref = useRef(loadSummary);
  ref.current = loadSummary;
  const reload = useMemo(() => throttled(() => ref.current(), 2000), []);
  useEffect(() => () => reload.cancel(), []);
  const liveState = useSessionEvents(true, () => reload(), () => reload());
  usePoll(() => (liveState === 'polling' ? loadSummary() : undefined), 5000, [liveState]);
  usePoll(
    async () => {
      await loadSummary();
      setHistory(await request<History>('/api/v1/summary/history?hours=24'));
    },
    60_000,
    [],
  );
  if (s === null) return <p>{error || 'Loading…'}</p>;
  const end = history === null ? Date.now() : Date.parse(history.now.at);
  const samples = (history?.points ?? []).map((p) => ({ ...p, t: Date.parse(p.at) }));
  const active = [...samples.map((p) => ({ t: p.t, v: p.active })), { t: end, v: s.activeSessions }];
  // The last whole minute (the current one is still filling).
  const lastMinute = samples.filter((p) => p.t <= end - 60_000).at(-1);
  return (
    <section aria-labelledby="dash-title">
      <h1 id="dash-title">Dashboard</h1>
      <p>
        <LiveBadge state={liveState} />
      </p>
      {error && <p role="alert">{error}</p>}
      <div class="tiles">
        <div class="tile">
          <h2>Active sessions</h2>
          <p class="big" data-testid="active-sessions">{s.activeSessions.toLocaleString('en')}</p>
          <DayChart label="Active sessions" end={end} series={[{ name: 'active', cls: 'line-active', points: active }]} />
        </div>
        <div class="tile">
          <h2>Authentications</h2>
          <p>
            <span class="pass">{s.authentications.passed.toLocaleString('en')} passed</span> ·{' '}
            <span class="fail">{s.authentications.failed.toLocaleString('en')} failed</span>
          </p>
          <p class="small">
            last minute: {lastMinute?.passed ?? 0} passed, {lastMinute?.failed ?? 0} failed
          </p>
          <DayChart
            label="Authentications per minute"
            end={end}
            series={[
              { name: 'passed', cls: 'line-pass', points: samples.map((p) => ({ t: p.t, v: p.passed })) },
              { name: 'failed', cls: 'line-fail', points: samples.map((p) => ({ t: p.t, v: p.failed })) },
            ]}
          />
        </div>
        <div class="tile">
          <h2>CoA outcomes</h2>
          <p>
            ACK {s.coa.ack ?? 0} · NAK {s.coa.nak ?? 0} · timeout {s.coa.timeout ?? 0} · refused {s.coa.refused ?? 0}
          </p>
        </div>
        <div class="tile">
          <h2>Ingest health</h2>
          <p class={s.ingest.storeFailing ? 'fail' : 'pass'}>{s.ingest.storeFailing ? 'Store cannot commit' : 'Store committing'}</p>
          <p class="small">
            {Object.values(s.ingest.received).reduce((a, b) => a + b, 0).toLocaleString('en')} packets received · backlog {s.ingest.commitBacklog ?? '?'} · last commit {s.ingest.secondsSinceLastCommit ?? '?'} s ago
          </p>
          <p class="small">
            drops: {Object.keys(s.ingest.drops).length === 0 ? 'none' : Object.entries(s.ingest.drops).map(([k, v]) => `${k} ${v}`).join(', ')}
          </p>
        </div>
      </div>
      <div class="tiles">
        <div class="tile wide">
          <h2>Top failure reasons</h2>
          <table>
            <thead>
              <tr>
                <th scope="col">Reason</th>
                <th scope="col">Count</th>
              </tr>
            </thead>
            <tbody>
              {s.authentications.topFailureReasons.map((r) => (
                <tr key={r.code}>
                  <td>{r.text || r.code}</td>
                  <td>{r.count}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <div class="tile wide">
          <h2>Top NAS (RADIUS packets)</h2>
          <table>
            <thead>
              <tr>
                <th scope="col">NAS</th>
                <th scope="col">Packets</th>
              </tr>
            </thead>
            <tbody>
              {s.topNas.map((n) => (
                <tr key={n.nas}>
                  <td>{n.nas}</td>
                  <td>{n.packets}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </div>
    </section>
  );
}
