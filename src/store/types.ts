/**
 * The contract between the session directory and whatever keeps it. Callers depend on this file
 * only; `sqlite.ts` is the embedded default and a PostgreSQL implementation follows the same
 * interface. Every method is asynchronous so that a networked store fits without touching callers.
 *
 * Times are Unix epoch milliseconds (numbers) throughout. MAC addresses arrive already normalised
 * (`AA:BB:CC:DD:EE:FF`) by the sessions layer; the store never interprets them.
 */
import type { ClusterStore } from './cluster.js';

/** Where a session stands. `authenticated`: an Access-Accept was seen, no accounting yet. */
export type SessionState = 'authenticated' | 'started' | 'closed';

/** Why a session left the active directory. */
export type CloseReason =
  | 'stop' // Accounting-Request Stop
  | 'nas-reset' // Accounting-On / Accounting-Off from its NAS
  | 'stale' // no update for too long
  | 'admin' // Session/Delete/... through the API
  | 'superseded'; // a newer session replaced it on the same NAS port (reserved)

/** Fields that the authentication side fills (an Access-Accept that belongs to this session). */
export interface SessionAuthFields {
  authId?: number | null; // id of the AuthRecord
  authAt?: number | null;
  identityGroup?: string | null;
  networkDeviceName?: string | null;
  authenticationMethod?: string | null; // e.g. mab, dot1x, pap
  authenticationProtocol?: string | null; // e.g. Lookup, PAP_ASCII
  identityStore?: string | null;
  selectedAuthzProfile?: string | null;
  authzPolicy?: string | null;
  endpointPolicy?: string | null;
  vlan?: string | null;
  dacl?: string | null;
  sgt?: string | null;
  sessionTimeout?: number | null;
  terminationAction?: string | null;
  /** The RADIUS reply as ISE prints it: `{Name=value; Name=value; }`. */
  authResponse?: string | null;
  postureStatus?: string | null;
}

/** Fields that accounting fills. Counters are totals including Gigawords (already combined). */
export interface SessionAcctFields {
  acctId?: number | null; // id of the latest AccountingRecord
  acctAt?: number | null; // receipt time of the latest accounting packet
  acctStatusType?: string | null; // Start | Interim-Update | Stop
  acctSessionTime?: number | null; // seconds
  inputOctets?: number | null;
  outputOctets?: number | null;
  inputPackets?: number | null;
  outputPackets?: number | null;
  acctDelayTime?: number | null;
  eventTimestamp?: number | null; // Event-Timestamp as sent (epoch seconds)
  acctAuthentic?: string | null;
  acctInterimInterval?: number | null; // seconds
  acctClass?: string | null;
  terminateCause?: string | null;
  multiSessionId?: string | null;
}

/** Identity of the endpoint on the NAS: what every packet of the session carries. */
export interface SessionIdentity {
  nasIp: string;
  acctSessionId: string; // '' while only authenticated and the NAS sent no Acct-Session-Id
  callingStationId: string; // normalised MAC when it is one, else as sent
}

export interface SessionEndpointFields {
  origCallingStationId?: string | null; // as the NAS sent it
  userName?: string | null;
  auditSessionId?: string | null;
  nasIpv6?: string | null;
  nasIdentifier?: string | null;
  nasPort?: number | null;
  nasPortId?: string | null;
  nasPortType?: string | null;
  calledStationId?: string | null;
  framedIp?: string | null;
  framedIpv6?: string | null; // address or prefix
  serviceType?: string | null;
  framedProtocol?: string | null;
  /** Extra attributes worth showing, `Name=value` joined with `:!:` as ISE does. */
  otherAttributes?: string | null;
}

export interface Session
  extends SessionIdentity,
    SessionEndpointFields,
    SessionAuthFields,
    SessionAcctFields {
  id: number;
  state: SessionState;
  startedAt: number; // when the session began (auth time, or start derived from accounting)
  updatedAt: number; // last packet that touched it
  closedAt: number | null;
  closeReason: CloseReason | null;
  server: string; // node name that handled it
}

/** One stored Accounting-Request, kept for AcctStatus and history. */
export interface AccountingRecord {
  id: number;
  receivedAt: number;
  nasIp: string;
  nasName: string | null;
  statusType: string; // Start | Stop | Interim-Update | Accounting-On | Accounting-Off | other name
  acctSessionId: string | null;
  callingStationId: string | null; // normalised MAC when it is one
  userName: string | null;
  auditSessionId: string | null;
  framedIp: string | null;
  sessionTime: number | null;
  inputOctets: number | null;
  outputOctets: number | null;
  inputPackets: number | null;
  outputPackets: number | null;
  delayTime: number | null;
  eventTimestamp: number | null;
  terminateCause: string | null;
  server: string;
  /** Every attribute of the packet, `Name=value` joined with `:!:` (history and troubleshooting). */
  attributes: string;
}

export type NewAccountingRecord = Omit<AccountingRecord, 'id'>;

/** One stored authentication decision, with the fields of the AuthStatus answer. */
export interface AuthRecord {
  id: number;
  receivedAt: number; // acs_timestamp
  passed: boolean;
  failureReasonCode: number | null;
  failureReason: string | null; // `<code> <words>` as ISE prints it
  userName: string | null;
  nasIp: string;
  nasPort: number | null;
  nasPortId: string | null;
  nasPortType: string | null;
  nasIdentifier: string | null;
  callingStationId: string | null; // normalised MAC when it is one
  calledStationId: string | null;
  auditSessionId: string | null;
  acctSessionId: string | null;
  framedIp: string | null;
  identityGroup: string | null;
  networkDeviceName: string | null;
  authenticationMethod: string | null;
  authenticationProtocol: string | null;
  identityStore: string | null;
  selectedAuthzProfile: string | null;
  authzPolicy: string | null;
  serviceType: string | null;
  messageCode: number | null; // 5200 passed, 5400 failed, as ISE
  response: string | null; // `{Name=value; ... }`
  executionSteps: string | null;
  otherAttributes: string | null;
  responseTimeMs: number | null;
  server: string;
}

export type NewAuthRecord = Omit<AuthRecord, 'id'>;

/**
 * What the sessions layer asks the store to do with one accounting packet. The store applies a
 * batch of these plus their records in one transaction (group commit) and in order.
 *
 * - `start`: insert the session, or update it if it exists (same identity) — state `started`.
 *   When no session has this identity, an `authenticated` session of the same NAS with the same
 *   audit-session-id, or else with the same NAS and calling-station-id and acctSessionId '', is
 *   adopted (its identity takes the acctSessionId) so auth and accounting fields meet in one row.
 * - `interim`: update the session; if none exists (or it is closed), insert it as `started` with
 *   `startedAt` given by the caller (event time − Acct-Session-Time). Same adoption rule.
 * - `stop`: close the session with reason `stop`, writing the final counters; if none is active,
 *   insert it directly closed so history is complete.
 * - `nas-reset`: close every active session of `nasIp` with reason `nas-reset`.
 *
 * `fields` only overwrite what they carry: a `null`/absent field keeps the stored value.
 */
export type SessionChange =
  | {
      kind: 'start' | 'interim' | 'stop';
      identity: SessionIdentity;
      at: number; // event time (Event-Timestamp − Acct-Delay-Time, or receipt)
      startedAt: number;
      fields: SessionEndpointFields & SessionAcctFields;
    }
  | { kind: 'nas-reset'; nasIp: string; at: number };

export interface AccountingWrite {
  record: NewAccountingRecord;
  change: SessionChange | null;
}

/** An Access-Accept that should show in the directory. */
export interface AuthSessionWrite {
  identity: SessionIdentity; // acctSessionId '' when the Access-Request carried none
  at: number;
  fields: SessionEndpointFields & SessionAuthFields;
}

export interface AuthWrite {
  record: NewAuthRecord;
  /** Present for an accepted request: create or refresh the session (found by audit-session-id,
   * else by identity, else by NAS + calling-station-id among active sessions). */
  session: AuthSessionWrite | null;
}

/** What a write batch did, for counters and tests. */
export interface WriteResult {
  accountingIds: number[]; // id of each stored AccountingRecord, in input order
  authIds: number[]; // id of each stored AuthRecord, in input order
  sessionsOpened: number;
  sessionsClosed: number;
  /** Accounting-Requests found to be duplicates of kept ones (a store several nodes share): acknowledged, not applied again. */
  duplicates?: number;
}

export interface SessionQuery {
  /** Active only (default) or closed only, or both. */
  scope?: 'active' | 'closed' | 'all';
  mac?: string;
  userName?: string;
  nasIp?: string;
  framedIp?: string;
  auditSessionId?: string;
  identityGroup?: string;
  selectedAuthzProfile?: string;
  authzPolicy?: string;
  /** Sessions whose startedAt (or authAt for AuthList) lies in [from, to]. */
  startedFrom?: number;
  startedTo?: number;
  /** Sessions that changed at or after this time: last updated, or closed (pxGrid's getSessions). */
  changedFrom?: number;
  /** Keyset paging: rows with id greater than this. */
  afterId?: number;
  limit?: number;
}

/** The filters of a SessionQuery without the MAC and paging (what a batch over many MACs shares). */
export type SessionFilters = Omit<SessionQuery, 'mac' | 'afterId' | 'limit'>;

/** Where an endpoint's latest session is: enough to address a CoA to it. */
export interface EndpointLocation {
  mac: string;
  nasIp: string;
  sessionId: number;
}

/** What a session list shows of each session (ActiveList, AuthList): cheap to read in bulk. */
export interface SessionSummary {
  id: number;
  userName: string | null;
  callingStationId: string;
  nasIp: string;
  acctSessionId: string;
  auditSessionId: string | null;
  server: string;
  framedIp: string | null;
  framedIpv6: string | null;
}

/** One member of a JSON object written from a SessionSummary field (how an API shows a list item). */
export interface JsonMember {
  /** The member's name: letters, digits and `_` only. */
  name: string;
  field: Exclude<keyof SessionSummary, 'id'>;
  /**
   * When the field is null: the member is left out (`omit`, the default), also when it is ''
   * (`omitEmpty`), or written as "" (`empty`).
   */
  absent?: 'omit' | 'omitEmpty' | 'empty';
}

/** Authentications across every endpoint, newest first (Live Logs without a MAC). */
export interface RecentAuthQuery {
  /** Epoch ms, inclusive. */
  since: number;
  until?: number;
  /** Keyset paging: records older than this one (its receivedAt and id), in the list's order. */
  before?: { at: number; id: number };
  passed?: boolean;
  nasIp?: string;
  failureReasonCode?: number;
  limit: number;
}

/** One minute of the dashboard's history: active sessions at its end, authentications in it. */
export interface ActivitySample {
  /** The minute's start (epoch ms). */
  at: number;
  active: number;
  passed: number;
  failed: number;
}

export interface TimeWindowQuery {
  mac: string;
  since: number; // epoch ms, inclusive
  limit: number;
}

export interface PruneResult {
  accountingRecords: number;
  authRecords: number;
  closedSessions: number;
  coaAudit: number;
  /** Finished bulk CoA jobs removed, and their per-endpoint results with them. */
  coaJobs: number;
  coaJobResults: number;
  /** Configuration audit records removed. */
  configAudit?: number;
  /** DataConnect query audit records and admin login records removed. */
  dcQueryAudit?: number;
  adminLogins?: number;
  /** PostgreSQL: day partitions past the cut-off left for the next prune (a table's lock was not
   * granted in time); absent when none. */
  deferredPartitions?: string[];
}

/** What one round of partition upkeep did (PostgreSQL, see postgres/partitions.ts). */
export interface PartitionUpkeep {
  /** Day partitions made. */
  created: string[];
  /** Rows found in the default partition for a day made, moved into it. */
  moved: number;
  /** Days not made this round (a table's lock was not granted in time): the next round tries again. */
  deferred: string[];
}

/** One stored policy object (see src/policy/model.ts for what `data` holds per kind). */
export interface PolicyObjectRow {
  kind: string;
  key: string;
  version: number;
  data: unknown;
}

/** The whole stored policy, as one read sees it. */
export interface PolicyRows {
  /** Raised by every committed change; 0 for a store whose policy was never written. */
  revision: number;
  objects: PolicyObjectRow[];
}

/**
 * One write of a policy change. `expectVersion`: the version the writer read (undefined: no
 * check; null: the object must not exist yet). `data` null deletes.
 */
export interface PolicyWriteOp {
  kind: string;
  key: string;
  data: unknown;
  expectVersion?: number | null;
}

/** One change of the configuration as the audit keeps it: who, from where, what, before → after. */
export interface NewConfigAuditRecord {
  at: number;
  admin: string;
  source: string | null;
  kind: string;
  key: string;
  operation: 'create' | 'update' | 'delete';
  before: unknown;
  after: unknown;
}

export interface ConfigAuditRecord extends NewConfigAuditRecord {
  id: number;
  revision: number;
}

export interface ConfigAuditQuery {
  kind?: string;
  key?: string;
  admin?: string;
  since?: number;
  until?: number;
  beforeId?: number;
  limit: number;
}

export interface PolicyWriteResult {
  revision: number;
  /** The new version of each op's object (0 for a delete), in the order of the ops. */
  versions: number[];
  /** Audit record ids, in the order given. */
  auditIds: number[];
}

/** One CoA as the audit log keeps it: who asked, for which endpoint and session, what the NAS did. */
export interface CoaAuditRecord {
  id: number;
  at: number;
  admin: string;
  /** `mnt-api`, `job`, `api`. */
  origin: string;
  jobId: string | null;
  mac: string;
  sessionId: number | null;
  auditSessionId: string | null;
  nasIp: string | null;
  nasPort: number | null;
  /** `reauth` or `disconnect`, and its type (`default`, `last`, `rerun`, `bounce`, `shutdown`). */
  action: string;
  actionType: string;
  /** `ack`, `nak`, `timeout`, or `refused` when it could not be sent (no session, unknown NAS…). */
  outcome: string;
  errorCause: number | null;
  errorCauseText: string | null;
  attempts: number;
  rttMs: number | null;
  detail: string | null;
}

export type NewCoaAuditRecord = Omit<CoaAuditRecord, 'id'>;

export interface CoaAuditQuery {
  mac?: string;
  nasIp?: string;
  admin?: string;
  outcome?: string;
  action?: string;
  jobId?: string;
  since?: number;
  until?: number;
  /** Keyset paging, newest first: records with id below this. */
  beforeId?: number;
  limit: number;
}

/**
 * Where a bulk CoA job stands. `interrupted`: it was running when its node stopped and no node
 * resumed it (see coa/jobs.ts).
 */
export type CoaJobState = 'running' | 'done' | 'cancelled' | 'interrupted';

/** A bulk CoA job's summary as the store keeps it; its per-endpoint results are kept apart. */
export interface CoaJobRecord {
  id: string;
  /** Assigned by the store, ascending in the order jobs were saved: the list's paging cursor. */
  seq: number;
  state: CoaJobState;
  admin: string;
  /** What the job sends, what it selected and how it was paced: kept as given, not interpreted. */
  action: object;
  selector: object;
  pacing: object;
  total: number;
  completed: number;
  /** Endpoints per outcome. */
  counts: Record<string, number>;
  createdAt: number;
  finishedAt: number | null;
  durationMs: number | null;
}

export type NewCoaJob = Omit<CoaJobRecord, 'seq'>;

/** What changes as a job runs and ends. */
export type CoaJobUpdate = Partial<Pick<CoaJobRecord, 'state' | 'completed' | 'counts' | 'finishedAt' | 'durationMs'>>;

/** What a job did to one endpoint. */
export interface CoaJobResultRecord {
  /** Ascending in the order the job recorded results: the paging cursor. */
  id: number;
  jobId: string;
  mac: string;
  nasIp: string;
  /** `ack`, `nak`, `timeout`, `refused`, `cancelled` or `unreachable`. */
  outcome: string;
  errorCause: number | null;
  errorCauseText: string | null;
  attempts: number;
  rttMs: number | null;
  detail: string | null;
  /** Whether the endpoint came back after the CoA; null when verification was not asked for. */
  verified: boolean | null;
}

export type NewCoaJobResult = Omit<CoaJobResultRecord, 'id' | 'jobId'>;

export interface CoaJobQuery {
  state?: CoaJobState;
  /** Keyset paging, newest first: jobs with seq below this. */
  beforeSeq?: number;
  limit: number;
}

export interface CoaJobResultQuery {
  jobId: string;
  outcome?: string;
  /** Keyset paging, in recording order: results with id above this. */
  afterId?: number;
  limit: number;
}

/**
 * What happened to a session, as the session-event log keeps it. `closed` covers every way out of
 * the directory (Stop, Accounting-On/Off, the stale sweep, an admin's delete); the session's
 * `closeReason` says which.
 */
export type SessionEventType = 'authenticated' | 'started' | 'updated' | 'closed';
export const SESSION_EVENT_TYPES: readonly SessionEventType[] = ['authenticated', 'started', 'updated', 'closed'];

/** One session change, produced from a committed transaction and kept in a bounded log. */
export interface SessionEvent {
  /** Durable and increasing across restarts: the cursor of the event stream (SSE `id`). */
  id: number;
  type: SessionEventType;
  /** When the change was committed (epoch ms on the writing thread). */
  at: number;
  /** The session as the transaction left it: the fields of EVENT_FIELDS (store/sqlite/events.ts) that have a value. */
  session: Session;
  /**
   * The same session as the store wrote it to the log (JSON text, empty fields left out, times in
   * epoch ms), when the event came from there: the stream sends it edited, without parsing it.
   */
  readonly sessionJson?: string;
}

/** The ids the bounded event log still holds (both 0 when it is empty). */
export interface EventLogBounds {
  first: number;
  last: number;
}

export interface StoreStats {
  activeSessions: number;
  closedSessions: number;
  accountingRecords: number;
  authRecords: number;
}

/** Which database server a node is on, as /health shows it. */
export interface DatabaseServer {
  /** `host:port` as the server sees its end of the connection. */
  address: string;
  /** true only on a standby (a node never writes there: its URL asks for a read-write server). */
  inRecovery: boolean;
  schemaVersion: number;
}

export interface Store {
  /** Applies accounting and authentication writes in one durable transaction, in order.
   * Resolves only once the transaction is committed. */
  write(batch: { accounting?: AccountingWrite[]; auth?: AuthWrite[] }): Promise<WriteResult>;

  /** Commits one tiny write and nothing else: asked while writes fail, whether the store can
   * commit again. Rejects as `write` would. */
  probe(at: number): Promise<void>;

  /** Active sessions, constant time (kept as a counter, not counted per call). */
  countActive(): Promise<number>;

  /** Newest session first (by updatedAt) matching every given filter. */
  findLatestSession(query: SessionQuery): Promise<Session | null>;

  /**
   * For each MAC of `macs` with a session matching `filters`, where the session that
   * `findLatestSession({ ...filters, mac })` would pick is; MACs without one are left out, each
   * MAC comes once, in the order of its first appearance in `macs`. The batched form of that
   * lookup for bulk jobs: a list of 100,000 MACs costs a few hundred queries, not 100,000, and
   * carries three fields per endpoint, not a whole session.
   */
  latestSessionsByMacs(macs: readonly string[], filters: SessionFilters): Promise<EndpointLocation[]>;

  /** How many sessions match (the count an answer announces before it streams the list). */
  countSessions(query: SessionQuery): Promise<number>;

  /** Session summaries in id order, a page at a time: how a list of millions is streamed. */
  listSessionPages(query: SessionQuery, pageSize: number): AsyncIterable<SessionSummary[]>;

  /**
   * listSessionPages as text, where the engine can write it: each page is the UTF-8 of its
   * summaries as JSON objects of `members`, separated by commas (`{…},{…}`), in id order. What
   * `JSON.stringify` of such an object says, byte for byte; a list of millions is then written
   * without a JavaScript value per field. Optional: without it, callers render listSessionPages.
   */
  listSessionJsonPages?(query: SessionQuery, pageSize: number, members: readonly JsonMember[]): AsyncIterable<Uint8Array>;

  /** Sessions in id order, streamed in pages so a caller never holds the whole directory. */
  iterateSessions(query: SessionQuery): AsyncIterable<Session>;

  getSession(id: number): Promise<Session | null>;

  /** Authentication records of one MAC since a time, newest first. */
  authRecordsByMac(query: TimeWindowQuery): Promise<AuthRecord[]>;

  /** Authentication records of one user name since a time, newest first. */
  authRecordsByUser(query: { userName: string; since: number; limit: number }): Promise<AuthRecord[]>;

  /** Authentication records of every endpoint in a time window, newest first, filtered. */
  recentAuthRecords(query: RecentAuthQuery): Promise<AuthRecord[]>;

  /** Records the minute's activity sample (a second one in the same minute replaces the active
   * count and adds the authentications); samples older than about a day are dropped. */
  recordActivity(sample: ActivitySample): Promise<void>;

  /** Activity samples since a time, oldest first. */
  activity(since: number): Promise<ActivitySample[]>;

  /** Accounting records of one MAC since a time, newest first. */
  accountingRecordsByMac(query: TimeWindowQuery): Promise<AccountingRecord[]>;

  /** Closes active sessions (history kept). Returns how many were closed. */
  closeSessions(
    filter: { all?: boolean; mac?: string; auditSessionId?: string; ids?: number[] },
    reason: CloseReason,
    at: number,
  ): Promise<number>;

  /** Active sessions not updated since `before` (for the stale sweep), oldest first. */
  staleCandidates(before: number, limit: number): Promise<Session[]>;

  /** Appends one CoA to the audit log; resolves with its id once committed. */
  recordCoa(record: NewCoaAuditRecord): Promise<number>;

  /** The CoA audit log, newest first, filtered. */
  coaAudit(query: CoaAuditQuery): Promise<CoaAuditRecord[]>;

  /** Appends one DataConnect query to its audit log; resolves with its id once committed. */
  recordDcQuery(record: NewDcQueryAuditRecord): Promise<number>;

  /** The DataConnect query audit, newest first. */
  dcQueryAudit(query: { since?: number; limit: number }): Promise<DcQueryAuditRecord[]>;

  /** Appends an admin's sign-in, sign-out or failed login (ADMINISTRATOR_LOGINS). */
  recordAdminLogin(record: NewAdminLoginRecord): Promise<number>;

  /** Records a new bulk CoA job (its id must be new). */
  saveJob(job: NewCoaJob): Promise<void>;

  /** Changes a job's state or progress; NOT_FOUND when no such job is kept. */
  updateJob(id: string, update: CoaJobUpdate): Promise<void>;

  /** Appends per-endpoint results of a job and its progress in one transaction, so the counts
   * kept never disagree with the results kept. NOT_FOUND (nothing written) when no such job. */
  appendJobResults(id: string, results: NewCoaJobResult[], update: CoaJobUpdate): Promise<void>;

  getJob(id: string): Promise<CoaJobRecord | null>;

  /** Jobs, newest first, a page at a time. */
  listJobs(query: CoaJobQuery): Promise<CoaJobRecord[]>;

  /** A job's per-endpoint results in recording order, a page at a time. */
  jobResults(query: CoaJobResultQuery): Promise<CoaJobResultRecord[]>;

  /** Marks every job still `running` as `interrupted`, finished at `at`; returns how many. For
   * start-up: no job of an earlier run of the node is running any more. */
  interruptJobs(at: number): Promise<number>;

  /** Deletes records, closed sessions and jobs finished before the cut-off (with their results). */
  prune(olderThan: number): Promise<PruneResult>;

  /**
   * PostgreSQL: makes sure the record tables have a partition for today and the next days (by
   * `now`), so their retention can drop whole days. Every node runs it at start and hourly;
   * nodes doing it at once take turns. Absent for SQLite (one table, pruned by DELETE).
   */
  maintainPartitions?(now: number): Promise<PartitionUpkeep>;

  /** The stored policy, every object (one consistent read). */
  loadPolicy(): Promise<PolicyRows>;

  /** The policy's revision alone (cheap: how another node notices a change). */
  policyRevision(): Promise<number>;

  /**
   * Applies a policy change and its audit records in one transaction: all or nothing. Rejects
   * with `PRECONDITION_FAILED` (nothing written) when an object's version is not the one
   * expected, `ALREADY_EXISTS` when a create finds one, `NOT_FOUND` when an update finds none.
   */
  writePolicy(ops: PolicyWriteOp[], audit: NewConfigAuditRecord[]): Promise<PolicyWriteResult>;

  /** The configuration audit log, newest first, filtered. */
  configAudit(query: ConfigAuditQuery): Promise<ConfigAuditRecord[]>;

  stats(): Promise<StoreStats>;

  /** PostgreSQL: the server a read reaches now (after a failover, the promoted one) and the
   * schema version it holds, for /health. Absent for SQLite (its file is the node's own). */
  databaseServer?(): Promise<DatabaseServer>;

  /**
   * Session events with id above `afterId`, oldest first, at most `limit`: how a consumer that
   * fell behind or reconnects catches up from its cursor.
   */
  readEvents(afterId: number, limit: number): Promise<SessionEvent[]>;

  /** The first and last id the bounded event log holds: a cursor below `first` has missed events. */
  eventBounds(): Promise<EventLogBounds>;

  /**
   * Hands every batch of session events to `listener`, after the transaction that produced them
   * committed, in commit order. One listener; a second call replaces it.
   */
  onEvents(listener: (events: SessionEvent[]) => void): void;

  /**
   * Whether anyone listens to `onEvents` now (the number of live subscribers). A store whose events
   * cross threads may then skip handing them over while nobody listens; they are in the log
   * either way. Absent: events are always handed over.
   */
  setEventDemand?(listeners: number): void;

  /**
   * The id of the newest committed event, handed over or not (see setEventDemand): where a new
   * live subscriber starts. Absent: the last id handed over is that.
   */
  lastCommittedEventId?(): number;

  /**
   * Several nodes: the events of this node's own writes only (`onEvents` carries every node's).
   * What must happen once per cluster for each event (a session webhook's message in the shared
   * outbox) is done by the node that wrote it. Absent where the two are the same (SQLite).
   */
  onOwnEvents?(listener: (events: SessionEvent[]) => void): void;

  close(): Promise<void>;

  /**
   * State the nodes sharing this database hold in common (job leases…): present only on an engine
   * several nodes share (PostgreSQL); absent, each part keeps its state in its own process.
   */
  readonly cluster?: ClusterStore;
}

/** One DataConnect query as its audit log keeps it. */
export interface DcQueryAuditRecord {
  id: number;
  at: number;
  admin: string;
  role: string;
  origin: string;
  source: string | null;
  sql: string;
  /** `ok`, `truncated`, or the error code (DC_READ_ONLY, DC_TIMEOUT…). */
  outcome: string;
  rows: number;
  durationMs: number;
}

export type NewDcQueryAuditRecord = Omit<DcQueryAuditRecord, 'id'>;

/** An admin's sign-in, sign-out or failed login. */
export interface NewAdminLoginRecord {
  at: number;
  admin: string;
  source: string | null;
  /** `console`, `api`. */
  interface: string;
  /** `sign-in`, `sign-out`, `failed`. */
  event: string;
  detail: string | null;
}
