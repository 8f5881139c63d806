/**
 * The composition root of `openmnt serve`: store → session directory → RADIUS listeners. Each part
 * is built from the configuration and handed what it needs; nothing else wires parts together.
 */
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import { AuthPolicy } from './auth/index.js';
import { DEMO_CLIENT, type Config } from './config.js';
import { NasClientTable, RadiusServer, type NasClient } from './radius-server/index.js';
import { SessionDirectory, storeHealth } from './sessions/index.js';
import { FreeSpaceWatch, looseDirectoryMode, startStore, type Store } from './store/index.js';
import { CoaEngine, JobRunner } from './coa/index.js';
import { AdminDirectory, LoginGuard, MetricsRegistry, startApiServer } from './http/index.js';
import { VERSION } from './version.js';
import { SyslogForwarder } from './syslog/index.js';
import { configChanges, liveConfig, type ConfigChanges } from './config-changes.js';
import { radiusHandlers } from './radius-handlers.js';
import { EventBus } from './events/bus.js';
import { SessionWebhooks } from './events/webhooks.js';
import { PxGridService } from './http/pxgrid/service.js';
import { COMMIT_BUCKETS, registerProcessMetrics, registerRadiusMetrics, registerStoreMetrics } from './node-metrics.js';

const FREE_SPACE_CHECK_MS = 30_000;

export interface RunningServer {
  ports: { auth: number; accounting: number };
  store: Store;
  directory: SessionDirectory;
  events: EventBus;
  sessionWebhooks: SessionWebhooks;
  /** Absent when pxgrid.enabled is false. */
  pxgrid: PxGridService | undefined;
  radius: RadiusServer;
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
  close(): Promise<void>;
}

export function nasClients(config: Config): NasClient[] {
  const configured = config.radius.clients.length > 0 ? config.radius.clients : [DEMO_CLIENT];
  return configured.map((c) => ({ ...c, secret: Buffer.from(c.secret, 'utf8') }));
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
  const commits = metrics.histogram('openmnt_store_commit_duration_seconds', 'Group commits, from hand-over to the store until committed (an Accounting-Response waits this long).', [], COMMIT_BUCKETS);
  // The store creates its directory (0700) and files (0600) itself; one made by hand may be open.
  const store = await startStore(config.store);
  started.push(() => store.close());
  const events = await new EventBus(store, logger.child({ part: 'events' })).start();
  const sessionWebhooks = new SessionWebhooks({ receivers: config.events.webhooks, maxAttempts: config.events.webhookMaxAttempts, logger: logger.child({ part: 'session-webhooks' }) }).attach(events);
  started.push(() => sessionWebhooks.close());
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
  const directory = new SessionDirectory({
    store,
    logger: logger.child({ part: 'sessions' }),
    maxBatch: config.radius.maxBatch,
    ...config.sessions,
    retentionDays: config.retention.days,
    pruneIntervalMinutes: config.retention.pruneIntervalMinutes,
    onCommit: (seconds) => commits.observe({}, seconds),
  });
  let policy = new AuthPolicy(config.auth);
  let current = config;
  const server = config.node.name;
  const syslog = config.log.syslog.length === 0 ? null : new SyslogForwarder(config.log.syslog, logger.child({ part: 'syslog' }));
  if (syslog !== null) started.push(async () => syslog.close());
  const clients = nasClients(config);
  const clientTable = new NasClientTable(clients);
  const { handlers, counts: authentications } = radiusHandlers({ directory, server, policy: () => policy, syslog, logger: logger.child({ part: 'auth' }) });
  const radius = new RadiusServer({
    auth: config.radius.auth,
    accounting: config.radius.accounting,
    clients: clientTable,
    duplicateWindowMs: config.radius.duplicateWindowSeconds * 1000,
    receiveBufferBytes: config.radius.receiveBufferBytes,
    logger: logger.child({ part: 'radius' }),
    handlers,
  });

  started.push(() => directory.close());
  started.push(() => radius.close());
  const ports = await radius.start();
  directory.start();

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
  const pxgrid = config.pxgrid.enabled ? new PxGridService({ config, store, bus: events, guard, metrics, logger: logger.child({ part: 'pxgrid' }) }) : undefined;
  if (pxgrid !== undefined) started.push(async () => pxgrid.close());
  registerRadiusMetrics(metrics, radius, store, authentications);
  registerStoreMetrics(metrics, directory, freeSpace, startedAt);
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
    storeHealth: storeHealth(directory, freeSpace),
    events,
    pxgrid,
  });
  logger.info({ node: server, clients: clients.map((c) => `${c.name} ${c.address}`), store: config.store.path, api: api.url }, 'OpenMnT serving');

  return {
    ports,
    store,
    directory,
    events,
    sessionWebhooks,
    pxgrid,
    radius,
    clients,
    coa,
    jobs,
    api: { port: api.port, url: api.url, connections: api.connections },
    admins,
    initialAdmin,
    async reload(next) {
      const changes = configChanges(current, next);
      // The certificate first: it is the one part that can still fail, and then nothing has changed.
      if (changes.applied.includes('api.tls')) await api.reloadTls(next.api.tls);
      const nextPolicy = changes.applied.includes('auth') ? new AuthPolicy(next.auth) : policy;
      clientTable.replace(nasClients(next));
      policy = nextPolicy;
      guard.configure(next.api.lockout);
      logger.level = next.log.level;
      current = liveConfig(current, next);
      return changes;
    },
    async close() {
      pxgrid?.close();
      await api.close();
      await jobs.close();
      await coa.close();
      await radius.close();
      await directory.close();
      // After the last commit, so the last records reach the collectors too.
      syslog?.close();
      await sessionWebhooks.close();
      freeSpace.close();
      await store.close();
    },
  };
}
