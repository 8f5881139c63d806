/**
 * `GET /api/v1/summary`: the dashboard's figures in one JSON answer, read from the same counters
 * `/metrics` exports (so the console and a Prometheus scrape never disagree) plus the constant-time
 * active count. Counters are totals since the node started; the console turns successive answers
 * into rates.
 */
import { failureReasonText } from '../../auth/failure-reasons.js';
import type { Store } from '../../store/index.js';
import { sendJson } from '../context.js';
import type { MetricsRegistry } from '../metrics.js';
import type { Route } from './router.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Reads Prometheus text exposition lines (`name{a="x",b="y"} 12`), skipping comments. */
export function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m === null) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return samples;
}

function top(entries: Map<string, number>, n: number): { key: string; count: number }[] {
  return [...entries].map(([key, count]) => ({ key, count })).filter((e) => e.count > 0).sort((a, b) => b.count - a.count).slice(0, n);
}

export function summaryRoutes(store: Store, metrics: MetricsRegistry): Route[] {
  return [
    {
      path: '/summary',
      name: 'api/summary',
      methods: {
        GET: {
          right: 'read',
          doing: 'read the summary',
          handler: async (ctx) => {
            const [samples, activeSessions] = await Promise.all([metrics.render().then(parseExposition), store.countActive()]);
            let passed = 0;
            let failed = 0;
            const reasons = new Map<string, number>();
            const nas = new Map<string, number>();
            const coa: Record<string, number> = { ack: 0, nak: 0, timeout: 0, refused: 0 };
            const received: Record<string, number> = {};
            const drops = new Map<string, number>();
            const gauges: Record<string, number> = {};
            for (const s of samples) {
              switch (s.name) {
                case 'openmnt_authentications_total':
                  if (s.labels.result === 'passed') passed += s.value;
                  else {
                    failed += s.value;
                    const code = s.labels.reason ?? '';
                    reasons.set(code, (reasons.get(code) ?? 0) + s.value);
                  }
                  break;
                case 'openmnt_radius_nas_packets_total':
                  if (s.labels.outcome === 'received') nas.set(s.labels.nas ?? '', (nas.get(s.labels.nas ?? '') ?? 0) + s.value);
                  break;
                case 'openmnt_coa_total':
                  coa[s.labels.outcome ?? 'other'] = (coa[s.labels.outcome ?? 'other'] ?? 0) + s.value;
                  break;
                case 'openmnt_radius_received_total':
                  received[s.labels.listener ?? ''] = s.value;
                  break;
                case 'openmnt_radius_packets_total':
                  if (s.labels.outcome !== 'answered' && s.labels.outcome !== 'duplicate-answered') drops.set(s.labels.outcome ?? '', (drops.get(s.labels.outcome ?? '') ?? 0) + s.value);
                  break;
                case 'openmnt_store_commit_backlog':
                case 'openmnt_store_failing':
                case 'openmnt_store_seconds_since_last_commit':
                case 'openmnt_store_free_bytes':
                  gauges[s.name] = s.value;
                  break;
              }
            }
            sendJson(
              ctx.res,
              200,
              {
                at: new Date().toISOString(),
                activeSessions,
                authentications: {
                  passed,
                  failed,
                  topFailureReasons: top(reasons, 5).map(({ key, count }) => ({ code: Number(key), text: key === '' ? '' : failureReasonText(Number(key)), count })),
                },
                topNas: top(nas, 5).map(({ key, count }) => ({ nas: key, packets: count })),
                coa,
                ingest: {
                  received,
                  drops: Object.fromEntries([...drops].filter(([, n]) => n > 0)),
                  commitBacklog: gauges.openmnt_store_commit_backlog ?? null,
                  storeFailing: gauges.openmnt_store_failing === undefined ? null : gauges.openmnt_store_failing > 0,
                  secondsSinceLastCommit: gauges.openmnt_store_seconds_since_last_commit ?? null,
                  freeBytes: gauges.openmnt_store_free_bytes ?? null,
                },
              },
              { 'Cache-Control': 'no-store' },
            );
          },
        },
      },
    },
  ];
}
