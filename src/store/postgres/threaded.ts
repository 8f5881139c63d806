/**
 * The PostgreSQL store as `openmnt serve` runs it, in the shape of the SQLite one: writes go to a
 * writing thread (writer-thread.ts) that commits them in groups, and the RADIUS thread writes over
 * a port of its own to that thread (`writerPort`), with the very messages it sends to SQLite's.
 * Reads need no thread of their own here (the server does the work; this thread only waits for
 * rows): they go over a pool of connections from this thread.
 */
import type { MessagePort } from 'node:worker_threads';
import { StoreThread } from '../thread-channel.js';
import { ClusterEventFeed } from './event-feed.js';
import type { DatabaseServer, SessionEvent, Store } from '../types.js';
import type { ClusterStore } from '../cluster.js';
import { connectPostgres } from './connect.js';
import { openPostgresStore, type PostgresStore, type PostgresStoreOptions } from './store.js';

/**
 * Connections of the writing thread: two transactions in flight for each of its two ports (this
 * thread's and the RADIUS thread's; writer-thread.ts, TRANSACTIONS), and one for probes.
 */
const WRITER_POOL = 5;

type Delegated = Omit<Store, 'write' | 'probe' | 'onEvents' | 'onOwnEvents' | 'close' | 'databaseServer' | 'cluster'>;

export class PgThreadedStore implements Store {
  readonly #writer: StoreThread;
  readonly #reads: PostgresStore;
  #feed: ClusterEventFeed | null = null;
  /** Listeners to the events of this node's own writes (the feed's wake among them). */
  readonly #own: ((events: SessionEvent[]) => void)[] = [];
  #closed = false;
  /** Over the reading pool: small statements of the main thread's parts (job leases…). */
  readonly cluster: ClusterStore;

  readonly #options: PostgresStoreOptions;

  private constructor(writer: StoreThread, reads: PostgresStore, options: PostgresStoreOptions) {
    this.#writer = writer;
    this.#reads = reads;
    this.#options = options;
    this.cluster = reads.cluster;
  }

  /** Starts the writing thread (which migrates the schema), then the pool of this thread. */
  static async start(options: PostgresStoreOptions): Promise<PgThreadedStore> {
    const writer = new StoreThread(new URL('./writer-thread.js', import.meta.url), { ...options, poolSize: WRITER_POOL }, 'writer');
    try {
      await writer.call('ping');
      const reads = await openPostgresStore({ ...options, migrate: false });
      return new PgThreadedStore(writer, reads, options);
    } catch (error) {
      await writer.close();
      throw error;
    }
  }

  /** A port on which another thread (the RADIUS thread) calls the writing thread directly. */
  writerPort(): MessagePort {
    return this.#writer.port();
  }

  write(batch: Parameters<Store['write']>[0]): ReturnType<Store['write']> {
    return this.#writer.call('write', batch);
  }

  probe(at: number): Promise<void> {
    return this.#writer.call('probe', at);
  }

  onEvents(listener: Parameters<Store['onEvents']>[0]): void {
    // Live events are the cluster's, read from the shared log (event-feed.ts). This node's own
    // commits (on the writing thread, or here: an admin's delete, the stale sweep) only say when
    // to read it, sooner than the database's notification would.
    if (this.#feed === null) {
      // Connections of its own: the driver keeps one listening connection per pool and, when it
      // is cut, listens again on every channel at once, which with the policy's channel beside
      // this one wrote to a closed socket and brought the node down (seen with the database cut).
      const feed = new ClusterEventFeed({ sql: connectPostgres({ ...this.#options, poolSize: 1, applicationName: 'openmnt-events' }), ownsSql: true });
      this.#feed = feed;
      this.onOwnEvents(() => feed.wake());
    }
    this.#feed.onEvents(listener);
  }

  onOwnEvents(listener: (events: SessionEvent[]) => void): void {
    if (this.#own.length === 0) {
      const relay = (events: SessionEvent[]) => {
        for (const l of this.#own) l(events);
      };
      this.#writer.onEvents(relay);
      this.#reads.onEvents(relay);
    }
    this.#own.push(listener);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#feed?.close();
    await this.#reads.close();
    await this.#writer.close();
  }

  /** After close, its pool is closed too: every call then rejects with STORE_CLOSED. */
  #store(): PostgresStore {
    return this.#reads;
  }

  countActive: Delegated['countActive'] = () => this.#store().countActive();
  findLatestSession: Delegated['findLatestSession'] = (q) => this.#store().findLatestSession(q);
  latestSessionsByMacs: Delegated['latestSessionsByMacs'] = (macs, filters) => this.#store().latestSessionsByMacs(macs, filters);
  countSessions: Delegated['countSessions'] = (q) => this.#store().countSessions(q);
  listSessionPages: Delegated['listSessionPages'] = (q, size) => this.#store().listSessionPages(q, size);
  iterateSessions: Delegated['iterateSessions'] = (q) => this.#store().iterateSessions(q);
  getSession: Delegated['getSession'] = (id) => this.#store().getSession(id);
  authRecordsByMac: Delegated['authRecordsByMac'] = (q) => this.#store().authRecordsByMac(q);
  authRecordsByUser: Delegated['authRecordsByUser'] = (q) => this.#store().authRecordsByUser(q);
  accountingRecordsByMac: Delegated['accountingRecordsByMac'] = (q) => this.#store().accountingRecordsByMac(q);
  closeSessions: Delegated['closeSessions'] = (filter, reason, at) => this.#store().closeSessions(filter, reason, at);
  staleCandidates: Delegated['staleCandidates'] = (before, limit) => this.#store().staleCandidates(before, limit);
  recordCoa: Delegated['recordCoa'] = (r) => this.#store().recordCoa(r);
  coaAudit: Delegated['coaAudit'] = (q) => this.#store().coaAudit(q);
  saveJob: Delegated['saveJob'] = (job) => this.#store().saveJob(job);
  updateJob: Delegated['updateJob'] = (id, update) => this.#store().updateJob(id, update);
  appendJobResults: Delegated['appendJobResults'] = (id, results, update) => this.#store().appendJobResults(id, results, update);
  getJob: Delegated['getJob'] = (id) => this.#store().getJob(id);
  listJobs: Delegated['listJobs'] = (q) => this.#store().listJobs(q);
  jobResults: Delegated['jobResults'] = (q) => this.#store().jobResults(q);
  interruptJobs: Delegated['interruptJobs'] = (at) => this.#store().interruptJobs(at);
  prune: Delegated['prune'] = (olderThan) => this.#store().prune(olderThan);
  maintainPartitions = (now: number) => this.#store().maintainPartitions(now);
  loadPolicy: Delegated['loadPolicy'] = () => this.#store().loadPolicy();
  policyRevision: Delegated['policyRevision'] = () => this.#store().policyRevision();
  writePolicy: Delegated['writePolicy'] = (ops, audit) => this.#store().writePolicy(ops, audit);
  configAudit: Delegated['configAudit'] = (q) => this.#store().configAudit(q);
  recentAuthRecords: Delegated['recentAuthRecords'] = (q) => this.#store().recentAuthRecords(q);
  recordActivity: Delegated['recordActivity'] = (s) => this.#store().recordActivity(s);
  activity: Delegated['activity'] = (since) => this.#store().activity(since);
  recordDcQuery: Delegated['recordDcQuery'] = (r) => this.#store().recordDcQuery(r);
  dcQueryAudit: Delegated['dcQueryAudit'] = (q) => this.#store().dcQueryAudit(q);
  recordAdminLogin: Delegated['recordAdminLogin'] = (r) => this.#store().recordAdminLogin(r);
  stats: Delegated['stats'] = () => this.#store().stats();
  readEvents: Delegated['readEvents'] = (afterId, limit) => this.#store().readEvents(afterId, limit);
  eventBounds: Delegated['eventBounds'] = () => this.#store().eventBounds();

  /** One read over the pool: which server answers it, and the schema it holds. */
  async databaseServer(): Promise<DatabaseServer> {
    const [row] = await this.#store().sql.unsafe(
      "SELECT host(inet_server_addr()) || ':' || inet_server_port() AS address, pg_is_in_recovery() AS recovery, (SELECT version FROM openmnt_schema WHERE id = 1) AS version",
    );
    return { address: String(row?.address ?? ''), inRecovery: row?.recovery === true, schemaVersion: Number(row?.version ?? 0) };
  }
}
