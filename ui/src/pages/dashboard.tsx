// The dashboard: /api/v1/summary every 5 s. Counters are totals since the node started; rates
// and the small charts are made here from successive answers, since the page opened.
import { useState } from 'preact/hooks';
import { request } from '../api';
import { usePoll } from '../util';

interface Summary {
  at: string;
  activeSessions: number;
  authentications: { passed: number; failed: number; topFailureReasons: { code: number; text: string; count: number }[] };
  topNas: { nas: string; packets: number }[];
  coa: Record<string, number>;
  ingest: { received: Record<string, number>; drops: Record<string, number>; commitBacklog: number | null; storeFailing: boolean | null; secondsSinceLastCommit: number | null };
}

interface Point {
  t: number;
  active: number;
  passedPerMin: number;
  failedPerMin: number;
  receivedPerSec: number;
}

function Spark({ values, label }: { values: number[]; label: string }) {
  const w = 240;
  const h = 48;
  const max = Math.max(1, ...values);
  const pts = values.map((v, i) => `${values.length < 2 ? 0 : (i / (values.length - 1)) * w},${h - (v / max) * (h - 4) - 2}`).join(' ');
  return (
    <svg class="spark" width={w} height={h} role="img" aria-label={`${label}: ${values.at(-1) ?? 0} now, at most ${max} since this page opened`}>
      <polyline points={pts} fill="none" stroke="currentColor" stroke-width="2" />
    </svg>
  );
}

export function Dashboard() {
  const [s, setS] = useState<Summary | null>(null);
  const [points, setPoints] = useState<Point[]>([]);
  const [prev, setPrev] = useState<Summary | null>(null);
  const [error, setError] = useState('');
  usePoll(
    async () => {
      try {
        const next = await request<Summary>('/api/v1/summary');
        setError('');
        setS(next);
        setPrev((old) => {
          if (old !== null) {
            const dt = (Date.parse(next.at) - Date.parse(old.at)) / 1000 || 1;
            const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
            const point: Point = {
              t: Date.parse(next.at),
              active: next.activeSessions,
              passedPerMin: ((next.authentications.passed - old.authentications.passed) / dt) * 60,
              failedPerMin: ((next.authentications.failed - old.authentications.failed) / dt) * 60,
              receivedPerSec: (sum(next.ingest.received) - sum(old.ingest.received)) / dt,
            };
            setPoints((p) => [...p, point].slice(-360));
          }
          return next;
        });
      } catch (e) {
        setError(e instanceof Error ? e.message : String(e));
      }
    },
    5000,
    [],
  );
  if (s === null) return <p>{error || 'Loading…'}</p>;
  const last = points.at(-1);
  return (
    <section aria-labelledby="dash-title">
      <h1 id="dash-title">Dashboard</h1>
      {error && <p role="alert">{error}</p>}
      <div class="tiles">
        <div class="tile">
          <h2>Active sessions</h2>
          <p class="big" data-testid="active-sessions">{s.activeSessions.toLocaleString('en')}</p>
          <Spark values={points.map((p) => p.active)} label="Active sessions" />
        </div>
        <div class="tile">
          <h2>Authentications</h2>
          <p>
            <span class="pass">{s.authentications.passed.toLocaleString('en')} passed</span> ·{' '}
            <span class="fail">{s.authentications.failed.toLocaleString('en')} failed</span>
          </p>
          <p class="small">
            per minute now: {Math.round(last?.passedPerMin ?? 0)} passed, {Math.round(last?.failedPerMin ?? 0)} failed
          </p>
          <Spark values={points.map((p) => p.failedPerMin)} label="Failed authentications per minute" />
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
            {Math.round(last?.receivedPerSec ?? 0)} packets/s · backlog {s.ingest.commitBacklog ?? '?'} · last commit {s.ingest.secondsSinceLastCommit ?? '?'} s ago
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
