/**
 * The composition root of `openmnt serve`: store (writing and reading threads) → RADIUS thread
 * (listeners, handlers, group commit) → CoA engine, jobs and the HTTPS API on the main thread.
 * Each part is built from the configuration and handed what it needs; nothing else wires parts
 * together.
 */
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { NasClientTable, type NasClient } from './radius-server/index.js';
import { SessionHousekeeping, storeHealth } from './sessions/index.js';
import { FreeSpaceWatch, looseDirectoryMode, startThreadedStore, type Store } from './store/index.js';
import { CoaEngine, JobRunner } from './coa/index.js';
import { AdminDirectory, LoginGuard, MetricsRegistry, startApiServer } from './http/index.js';
import { VERSION } from './version.js';
import { configChanges, liveConfig, type ConfigChanges } from './config-changes.js';
import { RadiusThread, loadDictionaries, nasClients } from './radius-thread/index.js';
import { ingestFigures, registerProcessMetrics, registerRadiusMetrics, registerStoreMetrics } from './node-metrics.js';
import type { OpenMntError } from './errors.js';
import { API_NICE, lowerThisThread } from './thread-priority.js';

export { nasClients } from './radius-thread/index.js';

const FREE_SPACE_CHECK_MS = 30_000;

export interface RunningServer {
  ports: { auth: number; accounting: number };
  store: Store;
  /** Stale sweep and retention prune. */
  housekeeping: SessionHousekeeping;
  /** The RADIUS listeners, on their own thread. */
  radius: RadiusThread;
  clients: NasClient[];
  coa: CoaEngine;
  jobs: JobRunner;
  api: { port: number; url: string; connections(): number };
  admins: AdminDirectory;
  /**
   * Applies a new configuration to the running node (SIGHUP): what can change live changes, the
   * rest is reported as needing a restart. Throws, changing nothing, when the new TLS pair is unusable.
   */
  reload(next: Config): Promise<ConfigChanges>;
  /** Set when this start created the first admin account: shown once, never stored in clear. */
  initialAdmin: { name: string; password: string } | null;
  /** Called if a part fails for good after start (the RADIUS thread): the node should stop. */
  onFailure(listener: (error: OpenMntError) => void): void;
  close(): Promise<void>;
}

/**
 * Starts every part in order. When one fails (a port taken, a file that cannot be opened), what was
 * already started is closed again before the error is passed on, so a failed start ends the
 * process instead of leaving it running with half its parts.
 */
export async function startServer(config: Config, logger: Logger): Promise<RunningServer> {
  const started: (() => Promise<void>)[] = [];
  try {
    return await startParts(config, logger, started);
  } catch (error) {
    for (const close of started.reverse()) await close().catch(() => undefined);
    throw error;
  }
}

async function startParts(config: Config, logger: Logger, started: (() => Promise<void>)[]): Promise<RunningServer> {
  const startedAt = Date.now();
  const metrics = new MetricsRegistry();
  registerProcessMetrics(metrics);
  if (!config.store.thread) logger.warn('store.thread: false is no longer used: the store always writes and reads on threads of its own, beside the RADIUS thread');
  // The store creates its directory (0700) and files (0600) itself; one made by hand may be open.
  const store = await startThreadedStore(config.store);
  started.push(() => store.close());
  const loose = looseDirectoryMode(config.store.path);
  if (loose !== null) {
    logger.warn({ dir: dirname(config.store.path), mode: loose.toString(8) }, 'the database directory is open to other users; chmod 700 it (the database files themselves are 0600)');
  }
  const freeSpace = new FreeSpaceWatch({
    path: config.store.path,
    minFreeBytes: config.store.minFreeMiB * 2 ** 20,
    logger: logger.child({ part: 'store' }),
    intervalMs: FREE_SPACE_CHECK_MS,
  });
  await freeSpace.start();
  started.push(async () => freeSpace.close());
  let current = config;
  const server = config.node.name;
  // Read here first: a dictionary that cannot be read stops the start with its file and line.
  const dictionaries = loadDictionaries(config.radius.dictionaries);
  if (dictionaries !== null) logger.info({ files: config.radius.dictionaries, ...dictionaries }, 'dictionaries loaded');
  // The RADIUS thread writes to the store's writing thread over a port of its own.
  const radius = await RadiusThread.start(config, store.writerPort(), logger);
  started.push(() => radius.close());
  const ports = radius.ports;
  // From here on the main thread serves the API, CoA and jobs: it yields the cores to the RADIUS
  // and writing threads when they are busy (both started above, so neither inherits this).
  lowerThisThread(API_NICE);
  const housekeeping = new SessionHousekeeping({
    store,
    logger: logger.child({ part: 'sessions' }),
    ...config.sessions,
    retentionDays: config.retention.days,
    pruneIntervalMinutes: config.retention.pruneIntervalMinutes,
  });
  housekeeping.start();
  started.push(async () => housekeeping.close());
  // The CoA engine's own copy of the NAS table (secrets, CoA ports, vendors), reloaded with the thread's.
  const clients = nasClients(config);
  const clientTable = new NasClientTable(clients);

  const coaOutcomes = metrics.counter('openmnt_coa_total', 'CoA requests by action and what the NAS answered (ack, nak, timeout) or refused before sending.', ['action', 'outcome']);
  const coa = new CoaEngine({
    config: config.coa,
    clients: clientTable,
    store,
    logger: logger.child({ part: 'coa' }),
    onOutcome: (action, outcome) => coaOutcomes.inc({ action, outcome }),
  });
  started.push(() => coa.close());
  const jobs = new JobRunner({ coa, store, config: config.coa, logger: logger.child({ part: 'coa-jobs' }) });
  await jobs.markInterrupted();
  const admins = AdminDirectory.open(config.api.adminsFile, { cost: config.api.passwordHashCost });
  const initialAdmin = await admins.ensureInitialAdmin();
  const guard = new LoginGuard(config.api.lockout);
  const figures = ingestFigures(metrics, () => radius.snapshot(true));
  registerRadiusMetrics(metrics, figures, store);
  registerStoreMetrics(metrics, figures, freeSpace, startedAt);
  const api = await startApiServer({
    config,
    logger: logger.child({ part: 'mnt-api' }),
    store,
    admins,
    guard,
    metrics,
    coa,
    jobs,
    version: VERSION,
    storeHealth: storeHealth(async () => (await radius.snapshot()).commits, freeSpace),
  });
  logger.info({ node: server, clients: clients.map((c) => `${c.name} ${c.address}`), store: config.store.path, api: api.url }, 'OpenMnT serving');

  return {
    ports,
    store,
    housekeeping,
    radius,
    clients,
    coa,
    jobs,
    api: { port: api.port, url: api.url, connections: api.connections },
    admins,
    initialAdmin,
    async reload(next) {
      const changes = configChanges(current, next);
      // What can still fail comes first, before anything has changed: the dictionaries (read, never
      // taken away), then the certificate.
      loadDictionaries(next.radius.dictionaries);
      if (changes.applied.includes('api.tls')) await api.reloadTls(next.api.tls);
      await radius.reload({ config: next, authChanged: changes.applied.includes('auth'), level: next.log.level });
      clientTable.replace(nasClients(next));
      guard.configure(next.api.lockout);
      logger.level = next.log.level;
      current = liveConfig(current, next);
      return changes;
    },
    onFailure(listener) {
      radius.onFailure(listener);
    },
    async close() {
      await api.close();
      await jobs.close();
      await coa.close();
      // Drains: what is in flight is answered after its commit; the syslog collectors get the last records.
      await radius.close();
      housekeeping.close();
      freeSpace.close();
      await store.close();
    },
  };
}
