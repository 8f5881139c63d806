/**
 * Schema versions, applied in order at open inside one transaction and recorded in
 * `PRAGMA user_version`. A released migration is never edited; changes come as new entries.
 */
import type { Database } from 'better-sqlite3';
import { OpenMntError } from '../../errors.js';
import { schemaOlder } from '../schema-refusal.js';
import { createPolicyTables } from './policy.js';
import { createActivityTable } from './console.js';
import { ACCOUNTING_COLUMNS, AUTH_COLUMNS, COA_AUDIT_COLUMNS, SESSION_COLUMNS, createTableSql } from '../schema.js';

const MIGRATIONS: readonly ((db: Database) => void)[] = [
  (db) => {
    db.exec(createTableSql('sessions_active', SESSION_COLUMNS, true));
    db.exec(createTableSql('sessions_closed', SESSION_COLUMNS));
    db.exec(createTableSql('accounting_records', ACCOUNTING_COLUMNS));
    db.exec(createTableSql('auth_records', AUTH_COLUMNS));
    db.exec(`
      -- One session per NAS, Acct-Session-Id and endpoint; the prefix also serves NAS lookups.
      CREATE UNIQUE INDEX sessions_active_identity ON sessions_active (nas_ip, acct_session_id, calling_station_id);
      CREATE INDEX sessions_active_mac ON sessions_active (calling_station_id);
      CREATE INDEX sessions_active_user ON sessions_active (user_name);
      CREATE INDEX sessions_active_framed_ip ON sessions_active (framed_ip);
      CREATE INDEX sessions_active_audit ON sessions_active (audit_session_id);
      CREATE INDEX sessions_active_updated ON sessions_active (updated_at);
      CREATE INDEX sessions_active_started ON sessions_active (started_at);
      CREATE INDEX sessions_closed_mac ON sessions_closed (calling_station_id);
      CREATE INDEX sessions_closed_audit ON sessions_closed (audit_session_id);
      CREATE INDEX sessions_closed_closed ON sessions_closed (closed_at);
      CREATE INDEX accounting_records_mac ON accounting_records (calling_station_id, received_at);
      CREATE INDEX accounting_records_time ON accounting_records (received_at);
      CREATE INDEX auth_records_mac ON auth_records (calling_station_id, received_at);
      CREATE INDEX auth_records_time ON auth_records (received_at);
    `);
  },
  (db) => {
    // AuthStatus by user name (the quick reference's AuthStatus/UserName).
    db.exec('CREATE INDEX auth_records_user ON auth_records (user_name, received_at)');
  },
  (db) => {
    // The CoA audit log (every CoA, single or in a job), kept per the retention settings.
    db.exec(createTableSql('coa_audit', COA_AUDIT_COLUMNS));
    db.exec(`
      CREATE INDEX coa_audit_at ON coa_audit (at);
      CREATE INDEX coa_audit_mac ON coa_audit (mac, at);
      CREATE INDEX coa_audit_job ON coa_audit (job_id);
    `);
  },
  (db) => {
    // One row rewritten by the commit probe that tells when a failing store can commit again.
    db.exec('CREATE TABLE store_probe (id INTEGER PRIMARY KEY CHECK (id = 1), at INTEGER NOT NULL)');
  },
  (db) => {
    // Bulk CoA jobs: a finished job lives here only, not in the node's memory. `seq` orders the
    // list and pages it; results refer to it (an integer, not the 36-character id, on every one
    // of a job's possibly 100,000 rows). AUTOINCREMENT: a pruned job's seq is never given again,
    // so a result left behind by an interrupted prune can never be taken for a newer job's.
    db.exec(`
      CREATE TABLE coa_jobs (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        state TEXT NOT NULL,
        admin TEXT NOT NULL,
        action TEXT NOT NULL,
        selector TEXT NOT NULL,
        pacing TEXT NOT NULL,
        total INTEGER NOT NULL,
        completed INTEGER NOT NULL,
        counts TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        finished_at INTEGER,
        duration_ms INTEGER
      );
      CREATE INDEX coa_jobs_finished ON coa_jobs (finished_at);
      CREATE INDEX coa_jobs_state ON coa_jobs (state);
      CREATE TABLE coa_job_results (
        id INTEGER PRIMARY KEY,
        job_seq INTEGER NOT NULL,
        mac TEXT NOT NULL,
        nas_ip TEXT NOT NULL,
        outcome TEXT NOT NULL,
        error_cause INTEGER,
        error_cause_text TEXT,
        attempts INTEGER NOT NULL,
        rtt_ms REAL,
        detail TEXT,
        verified INTEGER
      );
      -- A job's results in order, and those of one outcome in order (each index ends in the rowid).
      CREATE INDEX coa_job_results_job ON coa_job_results (job_seq);
      CREATE INDEX coa_job_results_outcome ON coa_job_results (job_seq, outcome);
    `);
  },
  (db) => {
    // The runtime policy (devices, groups, endpoints, attributes, profiles, policy sets, rules,
    // users, settings) and the configuration audit; layout and SQL in policy.ts.
    createPolicyTables(db);
  },
  (db) => {
    // The bounded session-event log (events.ts). No AUTOINCREMENT (it costs a write of
    // sqlite_sequence per event): SQLite gives the largest id + 1, and pruning only ever deletes the
    // oldest events, never the newest, so ids still only grow and a cursor never names another event.
    db.exec(`
      CREATE TABLE session_events (
        id INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,
        type TEXT NOT NULL,
        session_id INTEGER NOT NULL,
        session TEXT NOT NULL
      )
    `);
  },
  (db) => {
    // The dashboard's per-minute activity samples (console.ts).
    createActivityTable(db);
  },
  (db) => {
    // The audit of DataConnect queries (who ran what, with what outcome) and the admins' sign-ins
    // (the DataConnect view ADMINISTRATOR_LOGINS).
    db.exec(`
      CREATE TABLE dc_query_audit (
        id INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,
        admin TEXT NOT NULL,
        role TEXT NOT NULL,
        origin TEXT NOT NULL,
        source TEXT,
        sql TEXT NOT NULL,
        outcome TEXT NOT NULL,
        rows INTEGER NOT NULL,
        duration_ms INTEGER NOT NULL
      );
      CREATE INDEX dc_query_audit_at ON dc_query_audit (at);
      CREATE TABLE admin_logins (
        id INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,
        admin TEXT NOT NULL,
        source TEXT,
        interface TEXT NOT NULL,
        event TEXT NOT NULL,
        detail TEXT
      );
      CREATE INDEX admin_logins_at ON admin_logins (at);
    `);
  },
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** Brings the schema to `target` (the current version; an earlier one builds the database an
 * older release left, for the test that upgrades it). */
export function migrate(db: Database, target = SCHEMA_VERSION): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > SCHEMA_VERSION) {
    throw new OpenMntError('STORE_SCHEMA_NEWER', `database schema version ${current} is newer than this OpenMnT knows (${SCHEMA_VERSION}): run the newer OpenMnT, or restore a backup made by this one`);
  }
  if (current >= target) return;
  db.transaction(() => {
    for (let v = current; v < target; v++) MIGRATIONS[v]!(db);
    db.pragma(`user_version = ${target}`);
  })();
}

/**
 * For `store.migrate: manual`: the schema must already be this build's. A newer one is refused
 * with STORE_SCHEMA_NEWER, an older one (or a new, empty file) with STORE_SCHEMA_OLDER, which tells
 * the operator to run `openmnt db migrate`.
 */
export function requireCurrent(db: Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > SCHEMA_VERSION) migrate(db); // refuses with STORE_SCHEMA_NEWER, the same words
  if (current < SCHEMA_VERSION) throw schemaOlder(current, SCHEMA_VERSION);
}
