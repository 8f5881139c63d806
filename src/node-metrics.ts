/**
 * What each part of a running node reports to `/metrics`: the RADIUS listeners (in all and per
 * NAS), the store's commits and free space, and the process itself (CPU, memory, descriptors, and
 * how late the main thread runs its work, which is what a NAS waiting for an answer feels).
 */
import { readdirSync } from 'node:fs';
import { monitorEventLoopDelay, PerformanceObserver, constants as perfConstants } from 'node:perf_hooks';
import type { MetricsRegistry } from './http/index.js';
import type { RadiusServer } from './radius-server/index.js';
import type { AuthenticationCounts } from './radius-handlers.js';
import type { SessionDirectory } from './sessions/index.js';
import { WRITE_FAILURE_REASONS, type FreeSpaceWatch, type Store } from './store/index.js';

/** Commit times: a fsync takes milliseconds; a NAS retransmits after seconds. */
export const COMMIT_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export function registerRadiusMetrics(metrics: MetricsRegistry, radius: RadiusServer, store: Store, authentications: AuthenticationCounts): void {
  metrics.counterFrom('openmnt_authentications_total', 'Access-Requests decided, by result (passed, failed) and ISE failure reason code (empty when passed).', () => [
    { labels: { result: 'passed', reason: '' }, value: authentications.passed },
    ...[...authentications.failed].map(([reason, value]) => ({ labels: { result: 'failed', reason: reason === null ? '' : String(reason) }, value })),
  ]);
  metrics.counterFrom('openmnt_radius_packets_total', 'RADIUS packets by listener and outcome (answered, duplicate answered, or the reason of a drop).', () => {
    const out: { labels: Record<string, string>; value: number }[] = [];
    for (const [listener, stats] of Object.entries(radius.stats())) {
      out.push({ labels: { listener, outcome: 'answered' }, value: stats.answered });
      out.push({ labels: { listener, outcome: 'duplicate-answered' }, value: stats.duplicatesAnswered });
      for (const [reason, n] of Object.entries(stats.dropped)) out.push({ labels: { listener, outcome: `dropped-${reason}` }, value: n });
    }
    return out;
  });
  metrics.counterFrom('openmnt_radius_received_total', 'RADIUS datagrams received, by listener.', () =>
    Object.entries(radius.stats()).map(([listener, stats]) => ({ labels: { listener }, value: stats.received })),
  );
  metrics.counterFrom('openmnt_radius_nas_packets_total', 'RADIUS packets per NAS (client table entry): received, answered, duplicate answered, and each drop reason seen.', () => {
    const out: { labels: Record<string, string>; value: number }[] = [];
    for (const [nas, stats] of radius.nasStats()) {
      out.push({ labels: { nas, outcome: 'received' }, value: stats.received });
      out.push({ labels: { nas, outcome: 'answered' }, value: stats.answered });
      out.push({ labels: { nas, outcome: 'duplicate-answered' }, value: stats.duplicatesAnswered });
      for (const [reason, n] of Object.entries(stats.dropped)) out.push({ labels: { nas, outcome: `dropped-${reason}` }, value: n });
    }
    return out;
  });
  metrics.gauge('openmnt_sessions_active', 'Sessions in the active directory.', () => store.countActive());
}

/** What tells an operator that the store is failing or filling up, before NAS notice. */
export function registerStoreMetrics(metrics: MetricsRegistry, directory: SessionDirectory, freeSpace: FreeSpaceWatch, startedAt: number): void {
  metrics.counterFrom('openmnt_store_write_failures_total', 'Group commits that failed (each held one or more RADIUS packets, left unanswered), by reason.', () => {
    const failures = directory.commitState().failures;
    return WRITE_FAILURE_REASONS.map((reason) => ({ labels: { reason }, value: failures[reason] }));
  });
  metrics.gauge('openmnt_store_commit_backlog', 'Writes received and not yet committed.', () => directory.commitState().backlog);
  metrics.gauge('openmnt_store_failing', '1 while store writes fail (or stall), else 0; /health then answers 503.', () => {
    const state = directory.commitState();
    return state.failing || state.stalled ? 1 : 0;
  });
  metrics.gauge('openmnt_store_seconds_since_last_commit', 'Seconds since the last successful commit (since start when none yet); grows on an idle node too.', () => {
    const at = directory.commitState().lastCommitAt ?? startedAt;
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
  // How late timers and I/O callbacks run on the thread that answers RADIUS and the API: the
  // share of an Accounting-Response's wait that is not the commit.
  metrics.gauge('openmnt_main_thread_delay_seconds', 'Event-loop delay of the main thread since the previous scrape, by quantile.', () => {
    const out = [0.5, 0.99, 1].map((q) => ({ labels: { quantile: String(q) }, value: (q === 1 ? delay.max : delay.percentile(q * 100)) / 1e9 }));
    delay.reset();
    return out.map((o) => ({ ...o, value: Number.isFinite(o.value) ? o.value : 0 }));
  });
}
