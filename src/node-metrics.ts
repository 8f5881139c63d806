/**
 * What each part of a running node reports to `/metrics`: the RADIUS listeners (in all and per
 * NAS) and the store's commits, both kept on the RADIUS thread and fetched at each scrape; free
 * space; and the process itself (CPU, memory, descriptors, how late each thread runs its work).
 */
import { readdirSync } from 'node:fs';
import { monitorEventLoopDelay, PerformanceObserver, constants as perfConstants } from 'node:perf_hooks';
import type { MetricsRegistry } from './http/index.js';
import { COMMIT_BUCKETS, type IngestSnapshot } from './radius-thread/ingest.js';
import { WRITE_FAILURE_REASONS, type FreeSpaceWatch, type Store } from './store/index.js';

/**
 * The RADIUS thread's figures as of the scrape: fetched once before the families are read (one
 * message, however many families read it).
 */
export function ingestFigures(metrics: MetricsRegistry, fetch: () => Promise<IngestSnapshot>): () => IngestSnapshot {
  let latest: IngestSnapshot | null = null;
  metrics.beforeRender(async () => {
    latest = await fetch();
  });
  return () => {
    if (latest === null) throw new Error('ingest figures read before a scrape fetched them');
    return latest;
  };
}

export function registerRadiusMetrics(metrics: MetricsRegistry, figures: () => IngestSnapshot, store: Store): void {
  metrics.counterFrom('openmnt_authentications_total', 'Access-Requests decided, by result (passed, failed) and ISE failure reason code (empty when passed).', () => {
    const { passed, failed } = figures().authentications;
    return [
      { labels: { result: 'passed', reason: '' }, value: passed },
      ...failed.map(([reason, value]) => ({ labels: { result: 'failed', reason: reason === null ? '' : String(reason) }, value })),
    ];
  });
  metrics.counterFrom('openmnt_radius_packets_total', 'RADIUS packets by listener and outcome (answered, duplicate answered, or the reason of a drop).', () => {
    const out: { labels: Record<string, string>; value: number }[] = [];
    for (const [listener, stats] of Object.entries(figures().listeners)) {
      out.push({ labels: { listener, outcome: 'answered' }, value: stats.answered });
      out.push({ labels: { listener, outcome: 'duplicate-answered' }, value: stats.duplicatesAnswered });
      for (const [reason, n] of Object.entries(stats.dropped)) out.push({ labels: { listener, outcome: `dropped-${reason}` }, value: n });
    }
    return out;
  });
  metrics.counterFrom('openmnt_radius_received_total', 'RADIUS datagrams received, by listener.', () =>
    Object.entries(figures().listeners).map(([listener, stats]) => ({ labels: { listener }, value: stats.received })),
  );
  metrics.counterFrom('openmnt_radius_nas_packets_total', 'RADIUS packets per NAS (client table entry): received, answered, duplicate answered, and each drop reason seen.', () => {
    const out: { labels: Record<string, string>; value: number }[] = [];
    for (const [nas, stats] of figures().perNas) {
      out.push({ labels: { nas, outcome: 'received' }, value: stats.received });
      out.push({ labels: { nas, outcome: 'answered' }, value: stats.answered });
      out.push({ labels: { nas, outcome: 'duplicate-answered' }, value: stats.duplicatesAnswered });
      for (const [reason, n] of Object.entries(stats.dropped)) out.push({ labels: { nas, outcome: `dropped-${reason}` }, value: n });
    }
    return out;
  });
  metrics.histogramFrom('openmnt_store_commit_duration_seconds', 'Group commits, from hand-over to the store until committed (an Accounting-Response waits this long).', COMMIT_BUCKETS, () => {
    const { counts, sum, count } = figures().commitDurations;
    return [{ labels: {}, counts, sum, count }];
  });
  metrics.gauge('openmnt_radius_thread_delay_seconds', 'Event-loop delay of the RADIUS thread since the previous scrape, by quantile: the wait of an answer that is not the commit.', () => {
    const delay = figures().delay;
    return delay === null ? [] : [
      { labels: { quantile: '0.5' }, value: delay.p50 },
      { labels: { quantile: '0.99' }, value: delay.p99 },
      { labels: { quantile: '1' }, value: delay.max },
    ];
  });
  metrics.gauge('openmnt_sessions_active', 'Sessions in the active directory.', () => store.countActive());
}

/** What tells an operator that the store is failing or filling up, before NAS notice. */
export function registerStoreMetrics(metrics: MetricsRegistry, figures: () => IngestSnapshot, freeSpace: FreeSpaceWatch, startedAt: number): void {
  metrics.counterFrom('openmnt_store_write_failures_total', 'Group commits that failed (each held one or more RADIUS packets, left unanswered), by reason.', () => {
    const failures = figures().commits.failures;
    return WRITE_FAILURE_REASONS.map((reason) => ({ labels: { reason }, value: failures[reason] }));
  });
  metrics.gauge('openmnt_store_commit_backlog', 'Writes received and not yet committed.', () => figures().commits.backlog);
  metrics.gauge('openmnt_store_failing', '1 while store writes fail (or stall), else 0; /health then answers 503.', () => {
    const state = figures().commits;
    return state.failing || state.stalled ? 1 : 0;
  });
  metrics.gauge('openmnt_store_seconds_since_last_commit', 'Seconds since the last successful commit (since start when none yet); grows on an idle node too.', () => {
    const at = figures().commits.lastCommitAt ?? startedAt;
    return Math.max(0, (Date.now() - at) / 1000);
  });
  metrics.gauge('openmnt_store_free_bytes', "Free bytes on the database's file system (absent when unknown).", async () => {
    const { freeBytes } = await freeSpace.check();
    return freeBytes === null ? [] : [{ labels: {}, value: freeBytes }];
  });
}

/** The process: CPU, memory, open descriptors, start time, and the main thread's scheduling delay. */
export function registerProcessMetrics(metrics: MetricsRegistry): void {
  // Its timer does not keep the process alive, so a stopped node needs no call to disable it.
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const startTime = Date.now() / 1000 - process.uptime();
  metrics.counterFrom('process_cpu_seconds_total', 'CPU time of the process, user and system.', () => {
    const { user, system } = process.cpuUsage();
    return [{ labels: {}, value: (user + system) / 1e6 }];
  });
  metrics.gauge('process_resident_memory_bytes', 'Resident set size.', () => process.memoryUsage().rss);
  metrics.gauge('nodejs_heap_used_bytes', 'V8 heap in use on the main thread.', () => process.memoryUsage().heapUsed);
  metrics.gauge('process_start_time_seconds', 'When the process started (Unix seconds).', () => startTime);
  metrics.gauge('process_open_fds', 'Open file descriptors (sockets included).', () => {
    try {
      return [{ labels: {}, value: readdirSync('/proc/self/fd').length }];
    } catch {
      return [];
    }
  });
  // Garbage collection pauses of the main thread, by kind: a long major collection is a pause of
  // every RADIUS answer in hand.
  const gc = metrics.histogram('nodejs_gc_duration_seconds', 'Garbage collection pauses of the main thread, by kind.', ['kind'], [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1]);
  const kinds: Record<number, string> = {
    [perfConstants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
    [perfConstants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
    [perfConstants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
    [perfConstants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
  };
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = ((entry as unknown as { detail?: { kind?: number } }).detail)?.kind;
      gc.observe({ kind: kind === undefined ? 'other' : (kinds[kind] ?? 'other') }, entry.duration / 1000);
    }
  }).observe({ entryTypes: ['gc'] });
  // How late timers and I/O callbacks run on the thread that serves the API (RADIUS has its own:
  // openmnt_radius_thread_delay_seconds).
  metrics.gauge('openmnt_main_thread_delay_seconds', 'Event-loop delay of the main thread (the API) since the previous scrape, by quantile.', () => {
    const out = [0.5, 0.99, 1].map((q) => ({ labels: { quantile: String(q) }, value: (q === 1 ? delay.max : delay.percentile(q * 100)) / 1e9 }));
    delay.reset();
    return out.map((o) => ({ ...o, value: Number.isFinite(o.value) ? o.value : 0 }));
  });
}
