/**
 * The runtime policy in PostgreSQL: the tables of sqlite/policy.ts, with JSONB documents. Nodes
 * write it concurrently: a change first raises the revision row, whose lock then orders every
 * other node's change behind this one's COMMIT, so version checks never race.
 */
import type { Sql } from 'postgres';
import { OpenMntError } from '../../errors.js';
import { pgFailure } from './connect.js';
import { CONFIG_AUDIT_COLUMNS, configAuditOf } from '../rows.js';
import type { PolicyChanges } from '../cluster.js';
import type { ConfigAuditQuery, ConfigAuditRecord, NewConfigAuditRecord, PolicyRows, PolicyWriteOp, PolicyWriteResult } from '../types.js';

const PRUNE_CHUNK = 5000;

/** The channel a committed policy change is announced on (LISTEN / NOTIFY). */
export const POLICY_CHANNEL = 'openmnt_policy';

/** Word of policy changes: LISTEN on a connection of its own, which the driver makes again after a loss. */
export class PgPolicyChanges implements PolicyChanges {
  readonly #sql: Sql;

  constructor(sql: Sql) {
    this.#sql = sql;
  }

  async listen(listener: () => void): Promise<() => Promise<void>> {
    try {
      // The second callback runs on each (re)connection: what changed while not listening is read then.
      const { unlisten } = await this.#sql.listen(POLICY_CHANNEL, () => listener(), () => listener());
      return unlisten;
    } catch (cause) {
      throw pgFailure('listening for policy changes', cause);
    }
  }
}

export class PgPolicyTables {
  readonly #sql: Sql;

  constructor(sql: Sql) {
    this.#sql = sql;
  }

  async revision(): Promise<number> {
    try {
      const [row] = await this.#sql.unsafe('SELECT revision FROM policy_revision WHERE id = 1');
      return row!.revision as number;
    } catch (cause) {
      throw pgFailure('reading the policy revision', cause);
    }
  }

  async load(): Promise<PolicyRows> {
    try {
      // REPEATABLE READ: the revision and the rows belong to the same state.
      return (await this.#sql.begin('ISOLATION LEVEL REPEATABLE READ READ ONLY', async (tx) => {
        const [rev] = await tx.unsafe('SELECT revision FROM policy_revision WHERE id = 1');
        const rows = await tx.unsafe('SELECT kind, key, version, data FROM policy_objects ORDER BY kind, key');
        return {
          revision: rev!.revision as number,
          objects: rows.map((r) => ({ kind: r.kind as string, key: r.key as string, version: r.version as number, data: r.data as unknown })),
        };
      })) as PolicyRows;
    } catch (cause) {
      throw pgFailure('reading the policy', cause);
    }
  }

  async write(ops: PolicyWriteOp[], audit: NewConfigAuditRecord[]): Promise<PolicyWriteResult> {
    const now = Date.now();
    try {
      return (await this.#sql.begin(async (tx) => {
        const [rev] = await tx.unsafe('UPDATE policy_revision SET revision = revision + 1 WHERE id = 1 RETURNING revision');
        const revision = rev!.revision as number;
        // Sent to the listening nodes at COMMIT, not before, and not at all on a rollback.
        await tx.unsafe('SELECT pg_notify($1, $2)', [POLICY_CHANNEL, String(revision)]);
        const versions: number[] = [];
        for (const op of ops) {
          const [row] = await tx.unsafe('SELECT version FROM policy_objects WHERE kind = $1 AND key = $2', [op.kind, op.key]);
          const found = (row?.version as number | undefined) ?? null;
          if (op.expectVersion !== undefined && op.expectVersion !== found) {
            if (op.expectVersion === null) throw new OpenMntError('ALREADY_EXISTS', `${op.kind} '${op.key}' already exists`);
            if (found === null) throw new OpenMntError('NOT_FOUND', `${op.kind} '${op.key}' does not exist`);
            throw new OpenMntError('PRECONDITION_FAILED', `${op.kind} '${op.key}' was changed since it was read (version ${found}, not ${op.expectVersion})`);
          }
          if (op.data === null) {
            await tx.unsafe('DELETE FROM policy_objects WHERE kind = $1 AND key = $2', [op.kind, op.key]);
            versions.push(0);
          } else {
            const version = (found ?? 0) + 1;
            await tx.unsafe(
              'INSERT INTO policy_objects (kind, key, version, data, updated_at) VALUES ($1, $2, $3, $4, $5) ' +
                'ON CONFLICT (kind, key) DO UPDATE SET version = excluded.version, data = excluded.data, updated_at = excluded.updated_at',
              [op.kind, op.key, version, op.data, now] as never[],
            );
            versions.push(version);
          }
        }
        const auditIds: number[] = [];
        for (const a of audit) {
          const [row] = await tx.unsafe(
            'INSERT INTO config_audit (at, revision, admin, source, kind, key, operation, before, after) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id',
            [a.at, revision, a.admin, a.source, a.kind, a.key, a.operation, a.before, a.after] as never[],
          );
          auditIds.push(row!.id as number);
        }
        return { revision, versions, auditIds };
      })) as PolicyWriteResult;
    } catch (cause) {
      throw pgFailure('saving a policy change', cause);
    }
  }

  async audit(query: ConfigAuditQuery): Promise<ConfigAuditRecord[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      if (value === undefined) return;
      args.push(value);
      where.push(`${sql} $${args.length}`);
    };
    add('kind =', query.kind);
    add('key =', query.key);
    add('admin =', query.admin);
    add('at >=', query.since);
    add('at <', query.until);
    add('id <', query.beforeId);
    args.push(query.limit);
    const sql = `SELECT ${CONFIG_AUDIT_COLUMNS} FROM config_audit${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT $${args.length}`;
    try {
      const rows = await this.#sql.unsafe(sql, args as never[]);
      return rows.map((r) => configAuditOf(r, (value) => value));
    } catch (cause) {
      throw pgFailure('reading the configuration audit', cause);
    }
  }

  async prune(olderThan: number): Promise<number> {
    let total = 0;
    try {
      for (;;) {
        const n = (await this.#sql.unsafe(`DELETE FROM config_audit WHERE id IN (SELECT id FROM config_audit WHERE at < $1 LIMIT ${PRUNE_CHUNK}) RETURNING 1`, [olderThan])).length;
        total += n;
        if (n < PRUNE_CHUNK) return total;
      }
    } catch (cause) {
      throw pgFailure('pruning the configuration audit', cause);
    }
  }
}
