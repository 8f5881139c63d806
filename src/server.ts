/**
 * The composition root of `openmnt serve`: store (writing and reading threads) → RADIUS thread
 * (listeners, handlers, group commit) → CoA engine, jobs and the HTTPS API on the main thread.
 * Each part is built from the configuration and handed what it needs; nothing else wires parts
 * together.
 */
import { randomUUID } from 'node:crypto';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { NasClientTable, type NasClient } from './radius-server/index.js';
import { ActivitySampler, SessionHousekeeping, storeHealth } from './sessions/index.js';
import { FreeSpaceWatch, looseDirectoryMode, redactedUrl, startThreadedStore, type Store } from './store/index.js';
import { CoaEngine, JobRunner } from './coa/index.js';
import { AdminDirectory, LoginGuard, MetricsRegistry, startApiServer } from './http/index.js';
import { VERSION } from './version.js';
import { configChanges, liveConfig, type ConfigChanges } from './config-changes.js';
import { RadiusThread, loadDictionaries } from './radius-thread/index.js';
import { ingestFigures, registerProcessMetrics, registerRadiusMetrics, registerStoreMetrics } from './node-metrics.js';
import type { OpenMntError } from './errors.js';
import { API_NICE, lowerThisThread } from './thread-priority.js';
import { PolicyService, seedFromConfig, type CompiledPolicy, type PolicySnapshot } from './policy/index.js';

export { nasClients } from './radius-thread/index.js';
import { EventBus } from './events/bus.js';
import { SessionWebhooks } from './events/webhooks.js';
import { PxGridService } from './http/pxgrid/service.js';
import { DC_DEFAULTS, DataConnect } from './dataconnect/service.js';
import { PostgresEngine } from './dataconnect/postgres-engine.js';
import { failureCatalogue } from './http/mnt/routes.js';

const FREE_SPACE_CHECK_MS = 30_000;

export interface RunningServer {
  ports: { auth: number; accounting: number };
  store: Store;
  /** Stale sweep and retention prune. */
  housekeeping: SessionHousekeeping;
  /** The RADIUS listeners, on their own thread. */
  radius: RadiusThread;
  events: EventBus;
  sessionWebhooks: SessionWebhooks;
  /** Absent when pxgrid.enabled is false. */
  pxgrid: PxGridService | undefined;
  clients: NasClient[];
  coa: CoaEngine;
  jobs: JobRunner;
  api: { port: number; url: string; connections(): number };
  admins: AdminDirectory;
  policy: PolicyService;
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
  const events = await new EventBus(store, logger.child({ part: 'events' })).start();
  // This run of this node, as the state several nodes share names its owner (job leases, outbox).
  const nodeRun = `${config.node.name}/${randomUUID().slice(0, 8)}`;
  const webhookOutbox = store.cluster === undefined ? undefined : { outbox: store.cluster.webhookOutbox, owner: nodeRun };
  const sessionWebhooks = new SessionWebhooks({
    receivers: config.events.webhooks,
    maxAttempts: config.events.webhookMaxAttempts,
    logger: logger.child({ part: 'session-webhooks' }),
    ...(webhookOutbox === undefined ? {} : { outbox: webhookOutbox }),
  });
  // Several nodes: every node's bus carries the whole cluster's events, so each node hands the
  // shared outbox only those of its own writes, and each event is published once.
  if (webhookOutbox !== undefined && store.onOwnEvents !== undefined) store.onOwnEvents((e) => sessionWebhooks.deliver(e));
  else sessionWebhooks.attach(events);
  started.push(() => sessionWebhooks.close());
  // SQLite's file is this node's to watch (modes, free space); a PostgreSQL server's disk is not.
  const localFile = config.store.driver === 'sqlite' ? config.store.path : '';
  const loose = looseDirectoryMode(localFile);
  if (loose !== null) {
    logger.warn({ dir: dirname(config.store.path), mode: loose.toString(8) }, 'the database directory is open to other users; chmod 700 it (the database files themselves are 0600)');
  }
  const freeSpace = new FreeSpaceWatch({
    path: localFile,
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
  // The runtime policy lives in the store (the file's auth: and radius.clients seed it); each
  // committed change goes, compiled, to the CoA engine's NAS table and, as plain data, to the
  // RADIUS thread, which compiles it there.
  let onPolicyChange: (snapshot: PolicySnapshot, compiled: CompiledPolicy) => Promise<void> = async () => undefined;
  let coaEngine: CoaEngine | null = null;
  const policyService = await PolicyService.open(
    {
      store,
      logger: logger.child({ part: 'policy' }),
      onPolicy: (snapshot, compiled) => onPolicyChange(snapshot, compiled),
      onAudit: (record) => coaEngine?.webhooks.publish('configuration.audit', record),
    },
    seedFromConfig(config),
  );
  started.push(async () => policyService.close());
  // The RADIUS thread writes to the store's writing thread over a port of its own.
  const radius = await RadiusThread.start(config, store.writerPort(), logger, policyService.snapshot());
  started.push(() => radius.close());
  const ports = radius.ports;
  // From here on the main thread serves the API, CoA and jobs and fans session events out: it yields
  // the cores to the RADIUS and writing threads when they are busy (both started above, so neither
  // inherits this; threads started later lower themselves further or keep this).
  lowerThisThread(API_NICE);
  const housekeeping = new SessionHousekeeping({
    store,
    logger: logger.child({ part: 'sessions' }),
    ...config.sessions,
    retentionDays: config.retention.days,
    pruneIntervalMinutes: config.retention.pruneIntervalMinutes,
  });
  // The record tables' days (PostgreSQL) are made before the node reports ready, so its records
  // land in their day from the start; a failure is logged, not fatal (records go to the default
  // partition meanwhile, and the hourly round tries again).
  await housekeeping.maintainPartitions().catch((err: unknown) => logger.error({ err }, 'partition upkeep failed'));
  housekeeping.start();
  started.push(async () => housekeeping.close());
  // The CoA engine's own copy of the NAS table (secrets, CoA ports, vendors), from the same policy.
  const clients = policyService.compiled.clients;
  const clientTable = new NasClientTable(clients);
  onPolicyChange = async (snapshot, compiled) => {
    clientTable.replace(compiled.clients);
    await radius.setPolicy(snapshot).catch((error: unknown) => logger.error({ err: error }, 'the RADIUS thread did not take the new policy'));
  };

  const coaOutcomes = metrics.counter('openmnt_coa_total', 'CoA requests by action and what the NAS answered (ack, nak, timeout) or refused before sending.', ['action', 'outcome']);
  const coa = new CoaEngine({
    config: config.coa,
    clients: clientTable,
    store,
    logger: logger.child({ part: 'coa' }),
    onOutcome: (action, outcome) => coaOutcomes.inc({ action, outcome }),
    ...(webhookOutbox === undefined ? {} : { webhookOutbox }),
  });
  started.push(() => coa.close());
  coaEngine = coa;
  // Several nodes on one database: jobs are leased to the node running them (coa/jobs.ts).
  const jobCluster = store.cluster === undefined ? undefined : { leases: store.cluster.jobLeases, owner: nodeRun, leaseMs: config.coa.jobLeaseSeconds * 1000 };
  const jobs = new JobRunner({ coa, store, config: config.coa, logger: logger.child({ part: 'coa-jobs' }), ...(jobCluster === undefined ? {} : { cluster: jobCluster }) });
  await jobs.markInterrupted();
  jobs.startLeases();
  const admins = AdminDirectory.open(config.api.adminsFile, { cost: config.api.passwordHashCost });
  const initialAdmin = await admins.ensureInitialAdmin();
  // Several nodes: failed sign-ins counted across them (http/guard.ts).
  const guard = new LoginGuard({ ...config.api.lockout, ...(store.cluster === undefined ? {} : { shared: { failures: store.cluster.loginFailures, node: nodeRun } }) });
  const pxgrid = config.pxgrid.enabled ? new PxGridService({ config, store, bus: events, guard, metrics, logger: logger.child({ part: 'pxgrid' }) }) : undefined;
  if (pxgrid !== undefined) started.push(async () => pxgrid.close());
  // The dashboard's 24-hour charts: a sample a minute (sessions/activity.ts).
  const activity = new ActivitySampler({
    store,
    logger: logger.child({ part: 'activity' }),
    totals: async () => {
      const { passed, failed } = (await radius.snapshot()).authentications;
      return { passed, failed: failed.reduce((sum, [, n]) => sum + n, 0) };
    },
  }).start();
  started.push(() => activity.close());
  // DataConnect: on SQLite a read-only connection of its own to the store's file (an in-memory
  // store has none); on PostgreSQL connections as its read-only role, to views it makes at start.
  const failureReasons = failureCatalogue(config).map((r) => ({ code: `${r.id} ${r.title}`, cause: r.cause }));
  const dcLogger = logger.child({ part: 'dataconnect' });
  // On PostgreSQL the views are made in the background (the start does not wait on other nodes'
  // turn under the lock); a failure there leaves DataConnect answering 503, the node running.
  const dcEngine =
    config.store.driver === 'postgres'
      ? PostgresEngine.open({
          store: { url: config.store.url, tls: config.store.tls, connectTimeoutSeconds: config.store.connectTimeoutSeconds },
          role: config.store.dataconnect.role,
          password: config.store.dataconnect.password,
          nodeName: server,
          version: VERSION,
          failureReasons,
          maxTimeoutMs: DC_DEFAULTS.maxTimeoutMs,
          concurrency: DC_DEFAULTS.concurrency,
          maxWaiting: DC_DEFAULTS.maxWaiting,
          logger: dcLogger,
        })
      : undefined;
  const dataconnect =
    dcEngine === undefined && config.store.path === ':memory:'
      ? undefined
      : new DataConnect({
          engine: dcEngine,
          path: config.store.path,
          nodeName: server,
          version: VERSION,
          failureReasons,
          logger: dcLogger,
          audit: (record) => store.recordDcQuery(record),
        });
  if (dataconnect !== undefined) started.push(() => dataconnect.close());
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
    policy: policyService,
    version: VERSION,
    storeHealth: storeHealth(async () => (await radius.snapshot()).commits, freeSpace),
    events,
    pxgrid,
    dataconnect,
  });
  logger.info({ node: server, clients: clients.map((c) => `${c.name} ${c.address}`), store: config.store.driver === 'sqlite' ? config.store.path : redactedUrl(config.store.url), api: api.url }, 'OpenMnT serving');

  return {
    ports,
    store,
    housekeeping,
    events,
    sessionWebhooks,
    pxgrid,
    radius,
    clients,
    coa,
    jobs,
    api: { port: api.port, url: api.url, connections: api.connections },
    admins,
    policy: policyService,
    initialAdmin,
    async reload(next) {
      const changes = configChanges(current, next);
      // What can still fail comes first, before anything has changed: the dictionaries (read, never
      // taken away), then the certificate.
      loadDictionaries(next.radius.dictionaries);
      if (changes.applied.includes('api.tls')) await api.reloadTls(next.api.tls);
      await radius.reload({ config: next, authChanged: changes.applied.includes('auth'), level: next.log.level });
      // The file's policy sections changed: what changed in them since they were last applied goes
      // to the stored policy as one audited change (objects made through the API are left alone).
      if (changes.applied.some((a) => a === 'auth' || a.startsWith('radius.clients'))) await policyService.applyFile(seedFromConfig(next), 'SIGHUP');
      guard.configure(next.api.lockout);
      logger.level = next.log.level;
      current = liveConfig(current, next);
      return changes;
    },
    onFailure(listener) {
      radius.onFailure(listener);
    },
    async close() {
      pxgrid?.close();
      await api.close();
      await dataconnect?.close();
      await jobs.close();
      await coa.close();
      await activity.close();
      // Drains: what is in flight is answered after its commit; the syslog collectors get the last records.
      await radius.close();
      housekeeping.close();
      await sessionWebhooks.close();
      freeSpace.close();
      await store.close();
    },
  };
}
