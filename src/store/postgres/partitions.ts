/**
 * The day partitions of the authentication and accounting records (migration 5): every node makes
 * the coming days ahead of time (at start and every hour), and retention drops the days wholly
 * past it, a table at a time, instead of deleting their rows.
 *
 * Each partition is one UTC day of received_at, `<table>_pYYYYMMDD`. Beside the days there are
 * the default partition (rows of no day made: a node's clock far off, days not made yet) and, in
 * a database upgraded with rows, the legacy partition of everything before the first day.
 *
 * Changing the partitions takes locks that writers queue behind, so every change here:
 * - is one short transaction under an advisory lock, so nodes doing the same upkeep at once take
 *   turns (the second finds the work done) instead of failing on each other's tables;
 * - waits at most LOCK_WAIT_MS for a table's lock and otherwise gives up until the next round
 *   (a long report holding the table must not stall ingest queued behind the request);
 * - makes a day as a table of its own then attaches it: ATTACH takes a lock on the partitioned
 *   table that writes do not wait for, where CREATE TABLE … PARTITION OF takes one they do.
 */
import type { Sql, TransactionSql } from 'postgres';
import type { PartitionUpkeep } from '../types.js';
import { pgFailure } from './connect.js';

export const DAY_MS = 86_400_000;

/** The tables partitioned by day of received_at. */
export const HISTORY_TABLES = ['accounting_records', 'auth_records'] as const;
export type HistoryTable = (typeof HISTORY_TABLES)[number];

/** The advisory lock of partition changes (any constant other than the migrations' will do). */
export const PARTITION_LOCK = 0x6f706e70; // 'opnp'

/** Days made ahead of today: a week of room if upkeep cannot run (nodes down, lock not granted). */
export const DAYS_AHEAD = 7;

/** How long a partition change waits for a table's lock before it leaves the change for the next round. */
const LOCK_WAIT_MS = 1000;

export interface HistoryPartition {
  name: string;
  /** Its range of received_at, [from, to); null: unbounded (MINVALUE, MAXVALUE). */
  from: number | null;
  to: number | null;
  isDefault: boolean;
}

/** A table's partitions by day, for `openmnt db status`. */
export interface PartitionSummary {
  table: HistoryTable;
  days: number;
  /** The first and last day (YYYY-MM-DD) of a day partition; null: none. */
  oldestDay: string | null;
  newestDay: string | null;
  /** The end of the legacy partition (YYYY-MM-DD, exclusive), when rows from before partitioning remain. */
  legacyBefore: string | null;
  /** Rows in the default partition. */
  defaultRows: number;
}

const quoted = (name: string) => `"${name.replace(/"/g, '""')}"`;
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const isDay = (p: HistoryPartition) => p.from !== null && p.to !== null && p.to - p.from === DAY_MS && p.from % DAY_MS === 0;
const lockNotGranted = (cause: unknown) => (cause as { code?: unknown })?.code === '55P03';

/** `accounting_records_p20261202` for the day starting at `from`. */
export function dayPartitionName(table: HistoryTable, from: number): string {
  return `${table}_p${dayOf(from).replace(/-/g, '')}`;
}

const BOUND = /FROM \((MINVALUE|'(-?\d+)')\) TO \((MAXVALUE|'(-?\d+)')\)/;

/** The partitions of a table as the catalogue has them. */
export async function listPartitions(sql: Sql | TransactionSql, table: HistoryTable): Promise<HistoryPartition[]> {
  const rows = await sql.unsafe(
    `SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound
     FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = $1::regclass ORDER BY c.relname`,
    [table],
  );
  return rows.map((r) => {
    const bound = String(r.bound);
    const m = BOUND.exec(bound);
    return {
      name: String(r.name),
      from: m?.[2] === undefined ? null : Number(m[2]),
      to: m?.[4] === undefined ? null : Number(m[4]),
      isDefault: bound === 'DEFAULT',
    };
  });
}

const overlaps = (p: HistoryPartition, from: number, to: number) => !p.isDefault && (p.from === null || p.from < to) && (p.to === null || p.to > from);

/** One partition change: a transaction under the partitions' lock, table locks waited for briefly. */
function partitionChange<T>(sql: Sql, work: (tx: TransactionSql) => Promise<T>): Promise<T> {
  return sql.begin(async (tx) => {
    await tx.unsafe('SELECT pg_advisory_xact_lock($1)', [PARTITION_LOCK]);
    // After the advisory lock: a node waits for another's upkeep as long as that takes.
    await tx.unsafe(`SET LOCAL lock_timeout = ${LOCK_WAIT_MS}`);
    return work(tx);
  }) as Promise<T>;
}

/**
 * Makes the day partitions of today and the DAYS_AHEAD days after it (by `now`) that no partition
 * covers yet. Rows the default partition holds for such a day move into it in the same
 * transaction: the day is made with its rows, or not at all.
 */
export async function ensureDayPartitions(sql: Sql, now: number, daysAhead = DAYS_AHEAD): Promise<PartitionUpkeep> {
  const upkeep: PartitionUpkeep = { created: [], moved: 0, deferred: [] };
  const today = Math.floor(now / DAY_MS) * DAY_MS;
  for (const table of HISTORY_TABLES) {
    let known: HistoryPartition[];
    try {
      known = await listPartitions(sql, table);
    } catch (cause) {
      throw pgFailure(`reading the partitions of ${table}`, cause);
    }
    const missing: number[] = [];
    for (let d = 0; d <= daysAhead; d++) {
      const from = today + d * DAY_MS;
      if (!known.some((p) => overlaps(p, from, from + DAY_MS))) missing.push(from);
    }
    for (const [i, from] of missing.entries()) {
      const to = from + DAY_MS;
      const name = dayPartitionName(table, from);
      try {
        const moved = await partitionChange(sql, async (tx) => {
          // Another node may have made it (or another range covers it) since the list was read.
          const current = await listPartitions(tx, table);
          if (current.some((p) => overlaps(p, from, to))) return null;
          await tx.unsafe(`CREATE TABLE ${name} (LIKE ${table} INCLUDING DEFAULTS)`);
          let moved = 0;
          const fallback = current.find((p) => p.isDefault);
          if (fallback !== undefined) {
            const [row] = await tx.unsafe(
              `WITH moved AS (DELETE FROM ${quoted(fallback.name)} WHERE received_at >= $1 AND received_at < $2 RETURNING *), ` +
                `kept AS (INSERT INTO ${name} SELECT * FROM moved RETURNING 1) SELECT count(*) AS n FROM kept`,
              [from, to],
            );
            moved = Number(row!.n);
          }
          await tx.unsafe(`ALTER TABLE ${table} ATTACH PARTITION ${name} FOR VALUES FROM (${from}) TO (${to})`);
          return moved;
        });
        if (moved === null) continue;
        upkeep.created.push(name);
        upkeep.moved += moved;
      } catch (cause) {
        if (!lockNotGranted(cause)) throw pgFailure(`making the partition ${name}`, cause);
        // The table is busy: its other days would wait as long, and are left for the next round too.
        upkeep.deferred.push(...missing.slice(i).map((day) => dayPartitionName(table, day)));
        break;
      }
    }
  }
  return upkeep;
}

/**
 * Retention of one table: the partitions wholly before `olderThan` are dropped (their rows
 * counted first); in the default and legacy partitions, which span more than a day, the rows
 * before it are deleted by `deleteOlder` (given a partition's name). A day partition that
 * straddles `olderThan` is kept whole until all of it is past: retention is honoured to the day,
 * since deleting its older rows would cost the very row-by-row delete the days are there to avoid.
 */
export async function pruneHistory(
  sql: Sql,
  table: HistoryTable,
  olderThan: number,
  deleteOlder: (partition: string) => Promise<number>,
): Promise<{ removed: number; deferred: string[] }> {
  let partitions: HistoryPartition[];
  try {
    partitions = await listPartitions(sql, table);
  } catch (cause) {
    throw pgFailure(`reading the partitions of ${table}`, cause);
  }
  let removed = 0;
  const deferred: string[] = [];
  const expired = partitions.filter((p) => !p.isDefault && p.to !== null && p.to <= olderThan);
  for (const [i, p] of expired.entries()) {
    try {
      removed += await partitionChange(sql, async (tx) => {
        if (!(await listPartitions(tx, table)).some((q) => q.name === p.name)) return 0;
        // No row can come in between counting and dropping (a node's clock far behind).
        await tx.unsafe(`LOCK TABLE ${quoted(p.name)} IN SHARE MODE`);
        const [row] = await tx.unsafe(`SELECT count(*) AS n FROM ${quoted(p.name)}`);
        await tx.unsafe(`DROP TABLE ${quoted(p.name)}`);
        return Number(row!.n);
      });
    } catch (cause) {
      if (!lockNotGranted(cause)) throw pgFailure(`dropping the partition ${p.name}`, cause);
      // The table is busy: its other expired days are left for the next prune too.
      deferred.push(...expired.slice(i).map((q) => q.name));
      break;
    }
  }
  for (const p of partitions) {
    const older = p.isDefault || p.from === null || p.from < olderThan;
    if (expired.includes(p) || isDay(p) || !older) continue;
    removed += await deleteOlder(quoted(p.name));
  }
  return { removed, deferred };
}

/** The partitions of each record table, or null while the schema is older than partitioning. */
export async function partitionSummary(sql: Sql): Promise<PartitionSummary[] | null> {
  const [kind] = await sql.unsafe("SELECT relkind FROM pg_class WHERE oid = to_regclass('auth_records')");
  if (kind?.relkind !== 'p') return null;
  const out: PartitionSummary[] = [];
  for (const table of HISTORY_TABLES) {
    const partitions = await listPartitions(sql, table);
    const days = partitions.filter(isDay).sort((a, b) => a.from! - b.from!);
    const legacy = partitions.find((p) => !p.isDefault && !isDay(p) && p.from === null);
    const fallback = partitions.find((p) => p.isDefault);
    const defaultRows = fallback === undefined ? 0 : Number((await sql.unsafe(`SELECT count(*) AS n FROM ${quoted(fallback.name)}`))[0]!.n);
    out.push({
      table,
      days: days.length,
      oldestDay: days.length === 0 ? null : dayOf(days[0]!.from!),
      newestDay: days.length === 0 ? null : dayOf(days[days.length - 1]!.from!),
      legacyBefore: legacy?.to == null ? null : dayOf(legacy.to),
      defaultRows,
    });
  }
  return out;
}
