/**
 * The runtime policy in SQLite: one row per object (`policy_objects`, keyed by kind and key, the
 * object's fields as JSON and a version raised by each write), the revision of the whole policy
 * (`policy_revision`, one row), and the configuration audit (`config_audit`). The policy is read
 * whole, once per change, into memory and compiled there: the RADIUS path never queries these
 * tables, so one table with a JSON column serves as well as one per kind and lets a kind gain a
 * field without a migration. Endpoints are listed by group through an expression index.
 */
import type { Database, Statement } from 'better-sqlite3';
import { StatementCache } from './statements.js';
import { CONFIG_AUDIT_COLUMNS, configAuditOf } from '../rows.js';
import { OpenMntError } from '../../errors.js';
import type { ConfigAuditQuery, ConfigAuditRecord, NewConfigAuditRecord, PolicyRows, PolicyWriteOp, PolicyWriteResult } from '../types.js';

type Row = Record<string, unknown>;

const PRUNE_CHUNK = 5000;

export function createPolicyTables(db: Database): void {
  db.exec(`
    CREATE TABLE policy_objects (
      kind TEXT NOT NULL,
      key TEXT NOT NULL,
      version INTEGER NOT NULL,
      data TEXT NOT NULL,
      updated_at INTEGER NOT NULL,
      PRIMARY KEY (kind, key)
    ) WITHOUT ROWID;
    CREATE INDEX policy_endpoints_group ON policy_objects (kind, json_extract(data, '$.group'));
    CREATE TABLE policy_revision (id INTEGER PRIMARY KEY CHECK (id = 1), revision INTEGER NOT NULL);
    INSERT INTO policy_revision (id, revision) VALUES (1, 0);
    CREATE TABLE config_audit (
      id INTEGER PRIMARY KEY,
      at INTEGER NOT NULL,
      revision INTEGER NOT NULL,
      admin TEXT NOT NULL,
      source TEXT,
      kind TEXT NOT NULL,
      key TEXT NOT NULL,
      operation TEXT NOT NULL,
      before TEXT,
      after TEXT
    );
    CREATE INDEX config_audit_at ON config_audit (at);
    CREATE INDEX config_audit_object ON config_audit (kind, key, id);
  `);
}

export class SqlitePolicyTables {
  readonly #db: Database;
  readonly #statements: StatementCache;

  constructor(db: Database) {
    this.#db = db;
    this.#statements = new StatementCache(db);
  }

  #statement(sql: string): Statement {
    return this.#statements.get(sql);
  }

  revision(): number {
    return (this.#statement('SELECT revision FROM policy_revision WHERE id = 1').get() as { revision: number }).revision;
  }

  load(): PolicyRows {
    // One transaction: the revision and the rows belong to the same state.
    return this.#db.transaction(() => {
      const revision = this.revision();
      const rows = this.#statement('SELECT kind, key, version, data FROM policy_objects').all() as Row[];
      return {
        revision,
        objects: rows.map((r) => ({ kind: r.kind as string, key: r.key as string, version: r.version as number, data: JSON.parse(r.data as string) as unknown })),
      };
    })();
  }

  write(ops: PolicyWriteOp[], audit: NewConfigAuditRecord[]): PolicyWriteResult {
    const current = this.#statement('SELECT version FROM policy_objects WHERE kind = ? AND key = ?');
    const upsert = this.#statement(
      'INSERT INTO policy_objects (kind, key, version, data, updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (kind, key) DO UPDATE SET version = excluded.version, data = excluded.data, updated_at = excluded.updated_at',
    );
    const remove = this.#statement('DELETE FROM policy_objects WHERE kind = ? AND key = ?');
    const bump = this.#statement('UPDATE policy_revision SET revision = revision + 1 WHERE id = 1');
    const insertAudit = this.#statement('INSERT INTO config_audit (at, revision, admin, source, kind, key, operation, before, after) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
    const now = Date.now();
    return this.#db.transaction(() => {
      const versions: number[] = [];
      for (const op of ops) {
        const row = current.get(op.kind, op.key) as { version: number } | undefined;
        const found = row?.version ?? null;
        if (op.expectVersion !== undefined && op.expectVersion !== found) {
          if (op.expectVersion === null) throw new OpenMntError('ALREADY_EXISTS', `${op.kind} '${op.key}' already exists`);
          if (found === null) throw new OpenMntError('NOT_FOUND', `${op.kind} '${op.key}' does not exist`);
          throw new OpenMntError('PRECONDITION_FAILED', `${op.kind} '${op.key}' was changed since it was read (version ${found}, not ${op.expectVersion})`);
        }
        if (op.data === null) {
          remove.run(op.kind, op.key);
          versions.push(0);
        } else {
          const version = (found ?? 0) + 1;
          upsert.run(op.kind, op.key, version, JSON.stringify(op.data), now);
          versions.push(version);
        }
      }
      bump.run();
      const revision = this.revision();
      const auditIds = audit.map(
        (a) =>
          Number(
            insertAudit.run(a.at, revision, a.admin, a.source, a.kind, a.key, a.operation, a.before === null ? null : JSON.stringify(a.before), a.after === null ? null : JSON.stringify(a.after))
              .lastInsertRowid,
          ),
      );
      return { revision, versions, auditIds };
    })();
  }

  audit(query: ConfigAuditQuery): ConfigAuditRecord[] {
    const where: string[] = [];
    const args: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      if (value === undefined) return;
      where.push(sql);
      args.push(value);
    };
    add('kind = ?', query.kind);
    add('key = ?', query.key);
    add('admin = ?', query.admin);
    add('at >= ?', query.since);
    add('at < ?', query.until);
    add('id < ?', query.beforeId);
    const sql = `SELECT ${CONFIG_AUDIT_COLUMNS} FROM config_audit${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
    const rows = this.#db.prepare(sql).all(...args, query.limit) as Row[];
    return rows.map((r) => configAuditOf(r, (text) => JSON.parse(text as string)));
  }

  prune(olderThan: number): number {
    const statement = this.#statement(`DELETE FROM config_audit WHERE id IN (SELECT id FROM config_audit WHERE at < ? LIMIT ${PRUNE_CHUNK})`);
    let total = 0;
    for (;;) {
      const n = statement.run(olderThan).changes;
      total += n;
      if (n < PRUNE_CHUNK) return total;
    }
  }
}
