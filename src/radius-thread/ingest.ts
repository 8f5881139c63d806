/**
 * Everything between a NAS and a commit, built for the RADIUS thread: the NAS table, the
 * authentication policy, the listeners and their handlers, the session directory's group commit,
 * the syslog forwarder. Nothing here waits on the API: the node runs this on a thread of its own
 * (thread.ts), so that a long API answer on the main thread never delays a RADIUS answer.
 *
 * It is plain code over a store's commit calls, so it runs the same in-process (tests of its parts).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { AuthPolicy } from '../auth/index.js';
import { DEMO_CLIENT, type Config } from '../config.js';
import { radiusHandlers } from '../radius-handlers.js';
import { loadDictionaryFiles, registerDictionary, type RegisterResult } from '../radius/index.js';
import { NasClientTable, RadiusServer, type ListenerStats, type NasClient, type NasStats } from '../radius-server/index.js';
import { SessionDirectory, type CommitSink, type CommitState } from '../sessions/index.js';
import { SyslogForwarder } from '../syslog/index.js';
import { RadiusProxy, type HomeServerStats } from '../proxy/index.js';

/** Commit times: a fsync takes milliseconds; a NAS retransmits after seconds. */
export const COMMIT_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** The NAS table a configuration gives: its clients, or the demo client when it names none. */
export function nasClients(config: Config): NasClient[] {
  const configured = config.radius.clients.length > 0 ? config.radius.clients : [DEMO_CLIENT];
  return configured.map((c) => ({ ...c, secret: Buffer.from(c.secret, 'utf8') }));
}

/**
 * Adds the configured FreeRADIUS dictionaries to this thread's codec (a reload can add, never
 * take away: records already kept name what they name).
 */
export function loadDictionaries(files: readonly string[]): RegisterResult | null {
  if (files.length === 0) return null;
  return registerDictionary(loadDictionaryFiles(files));
}

/** Counts of a histogram kept where the observations happen, read at scrape time. */
export interface HistogramCounts {
  buckets: readonly number[];
  /** Per bucket, not cumulative; observations above the last bucket are only in `count`. */
  counts: number[];
  sum: number;
  count: number;
}

/** What the main thread reads of the RADIUS thread, for `/metrics`, `/health` and tests. */
export interface IngestSnapshot {
  listeners: Record<'auth' | 'accounting', ListenerStats>;
  perNas: [string, NasStats][];
  authentications: { passed: number; failed: [number | null, number][] };
  commits: CommitState;
  commitDurations: HistogramCounts;
  /** The proxy's home servers: state and counters. */
  homeServers: HomeServerStats[];
  /** How late this thread ran its callbacks since the previous snapshot that asked (seconds). */
  delay: { p50: number; p99: number; max: number } | null;
}

/** What a reload hands over: the new configuration, and whether its `auth` section changed. */
export interface IngestReload {
  config: Config;
  authChanged: boolean;
  level: string;
}

export class Ingest {
  readonly #clients: NasClientTable;
  readonly #directory: SessionDirectory;
  readonly #radius: RadiusServer;
  readonly #syslog: SyslogForwarder | null;
  readonly #logger: Logger;
  readonly #counts: ReturnType<typeof radiusHandlers>['counts'];
  readonly #commitDurations: HistogramCounts = { buckets: COMMIT_BUCKETS, counts: COMMIT_BUCKETS.map(() => 0), sum: 0, count: 0 };
  readonly #delay = monitorEventLoopDelay({ resolution: 10 });
  #policy: AuthPolicy;
  #proxy: RadiusProxy | null;
  #proxyConfig: string;

  constructor(config: Config, store: CommitSink, logger: Logger) {
    this.#logger = logger;
    // This thread's codec learns the configured dictionaries too (each thread has its own tables).
    loadDictionaries(config.radius.dictionaries);
    this.#policy = new AuthPolicy(config.auth);
    this.#proxyConfig = JSON.stringify(config.proxy);
    this.#proxy = config.proxy.homeServers.length === 0 ? null : new RadiusProxy(config.proxy, logger.child({ part: 'proxy' }));
    this.#clients = new NasClientTable(nasClients(config));
    this.#syslog = config.log.syslog.length === 0 ? null : new SyslogForwarder(config.log.syslog, logger.child({ part: 'syslog' }));
    this.#directory = new SessionDirectory({
      store,
      logger: logger.child({ part: 'sessions' }),
      maxBatch: config.radius.maxBatch,
      onCommit: (seconds) => this.#observeCommit(seconds),
    });
    const { handlers, counts } = radiusHandlers({
      directory: this.#directory,
      server: config.node.name,
      policy: () => this.#policy,
      proxy: () => this.#proxy,
      syslog: this.#syslog,
      logger: logger.child({ part: 'auth' }),
    });
    this.#counts = counts;
    this.#radius = new RadiusServer({
      auth: config.radius.auth,
      accounting: config.radius.accounting,
      clients: this.#clients,
      duplicateWindowMs: config.radius.duplicateWindowSeconds * 1000,
      receiveBufferBytes: config.radius.receiveBufferBytes,
      logger: logger.child({ part: 'radius' }),
      handlers,
    });
  }

  /** Binds the listeners; resolves with the ports bound (useful with port 0). */
  async start(): Promise<{ auth: number; accounting: number }> {
    const ports = await this.#radius.start();
    this.#delay.enable();
    return ports;
  }

  snapshot(resetDelay: boolean): IngestSnapshot {
    const counts = this.#counts;
    let delay: IngestSnapshot['delay'] = null;
    if (resetDelay) {
      const seconds = (ns: number) => (Number.isFinite(ns) ? ns / 1e9 : 0);
      delay = { p50: seconds(this.#delay.percentile(50)), p99: seconds(this.#delay.percentile(99)), max: seconds(this.#delay.max) };
      this.#delay.reset();
    }
    return {
      listeners: this.#radius.stats(),
      perNas: [...this.#radius.nasStats()],
      authentications: { passed: counts.passed, failed: [...counts.failed] },
      commits: this.#directory.commitState(),
      commitDurations: structuredClone(this.#commitDurations),
      homeServers: this.#proxy?.homeServers() ?? [],
      delay,
    };
  }

  /** A new NAS table and policy take effect with the next packet; sessions are untouched. */
  reload(next: IngestReload): void {
    loadDictionaries(next.config.radius.dictionaries);
    this.#clients.replace(nasClients(next.config));
    if (next.authChanged) this.#policy = new AuthPolicy(next.config.auth);
    const proxy = JSON.stringify(next.config.proxy);
    if (proxy !== this.#proxyConfig) {
      // Exchanges in flight finish against the old home servers' sockets only if they answer now;
      // the NAS retransmits the others, which the new table then routes.
      this.#proxy?.close();
      this.#proxy = next.config.proxy.homeServers.length === 0 ? null : new RadiusProxy(next.config.proxy, this.#logger.child({ part: 'proxy' }));
      this.#proxyConfig = proxy;
    }
    this.#logger.level = next.level;
  }

  /**
   * Stops receiving, answers what is in flight (each answer after its commit), commits what is
   * queued, then lets the syslog collectors have the last records.
   */
  async close(): Promise<void> {
    this.#delay.disable();
    await this.#radius.close();
    await this.#directory.close();
    this.#proxy?.close();
    this.#syslog?.close();
  }

  #observeCommit(seconds: number): void {
    const h = this.#commitDurations;
    const i = h.buckets.findIndex((b) => seconds <= b);
    if (i >= 0) h.counts[i]!++;
    h.sum += seconds;
    h.count++;
  }
}
