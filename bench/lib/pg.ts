/**
 * What the PostgreSQL benchmarks share: a database of their own on the server of PG_URL, the CPU
 * of its backends and of the whole machine (/proc: the server runs on this machine), and an
 * OpenMnt node on it with an MnT admin.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import postgres from 'postgres';
import { AdminDirectory } from '../../src/http/index.js';
import { Code } from '../../src/radius/index.js';
import { encodeAll, runLoad, type LoadResult } from './load.js';
import { apiReady, type MntClient } from './mnt-http.js';
import { startOpenMnt, tempDir, type OpenMnt } from './processes.js';
import { accountingAttributes, type AcctPhase } from './traffic.js';

/** An admin URL (any database): PG_URL, else OPENMNT_TEST_PG_URL, else postgres@127.0.0.1:5432. */
export const ADMIN_URL = process.env.PG_URL ?? process.env.OPENMNT_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** The URL of database `db` on the admin URL's server; `db` must be a plain name (it is put in SQL unquoted). */
export function databaseUrl(db: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(db)) throw new Error(`a database name must be plain lower case, not ${db}`);
  const u = new URL(ADMIN_URL);
  u.pathname = `/${db}`;
  return u.toString();
}

/** Drops `db` if it is there and makes it anew, empty. */
export async function freshDatabase(admin: postgres.Sql, db: string): Promise<string> {
  const url = databaseUrl(db);
  await admin.unsafe(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
  await admin.unsafe(`CREATE DATABASE ${db}`);
  return url;
}

export const cores = (): number => readdirSync('/sys/devices/system/cpu').filter((d) => /^cpu\d+$/.test(d)).length;

/** CPU seconds of each backend connected to `db` (the server on this machine: /proc). */
export async function backendCpu(sql: postgres.Sql, db: string): Promise<Map<number, number>> {
  const pids = (await sql.unsafe('SELECT pid FROM pg_stat_activity WHERE datname = $1', [db])).map((r) => r.pid as number);
  const cpu = new Map<number, number>();
  for (const pid of pids) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      cpu.set(pid, (Number(fields[11]) + Number(fields[12])) / 100);
    } catch {
      // gone
    }
  }
  return cpu;
}

/** Backend CPU seconds between two backendCpu readings (a backend that came in between counts from zero). */
export const cpuSince = (before: Map<number, number>, after: Map<number, number>): number =>
  [...after].reduce((sum, [pid, s]) => sum + s - (before.get(pid) ?? 0), 0);

/** Jiffies of the whole machine from /proc/stat: busy (user, nice, system, irq, softirq, steal), iowait, all. */
export function machineCpu(): { busy: number; iowait: number; total: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = f as [number, number, number, number, number, number, number, number];
  const busy = user + nice + system + irq + softirq + steal;
  return { busy, iowait, total: busy + idle + iowait };
}

/**
 * An OpenMnt node on the database at `url`, with `client`'s user as its MnT admin; its temporary
 * directory goes when it stops. `nodeArgs`: node options (e.g. --cpu-prof).
 */
export async function startPgNode(o: { url: string; name: string; client: MntClient; user: string; password: string; nodeArgs?: string[]; env?: Record<string, string> }): Promise<OpenMnt> {
  const dir = tempDir(`openmnt-${o.name}-`);
  await AdminDirectory.open(join(dir.path, 'admins.json')).add(o.user, o.password, 'mnt-admin');
  const node = await startOpenMnt({ env: { OPENMNT_STORE__DRIVER: 'postgres', OPENMNT_STORE__URL: o.url, OPENMNT_NODE__NAME: o.name, ...o.env }, dir: dir.path, nodeArgs: o.nodeArgs });
  const stop = node.stop;
  node.stop = async (...args) => {
    try {
      return await stop(...args);
    } finally {
      dir.remove();
    }
  };
  await apiReady(o.client, node.apiPort);
  return node;
}

/** A server that takes accounting: where to send it and how much CPU it has used so far. */
export interface AccountingTarget {
  port: number;
  cpuSeconds(): number;
}

export interface IngestRun {
  rate: number;
  lost: number;
  seconds: number;
  /** Cores the targets used (all of them together). */
  serverCores: number;
  dbCores: number;
  benchCores: number;
  /** The whole machine (every process on it, ours or not) during the run: busy and iowait shares. */
  machineBusy: number;
  machineIowait: number;
}

export interface IngestOptions {
  /** The database's admin connection (for its backends' CPU) and the name of the database. */
  sql: postgres.Sql;
  db: string;
  targets: readonly AccountingTarget[];
  /** Sessions first … first + count − 1. */
  first: number;
  count: number;
  secret: string;
  sockets: number;
  window: number;
}

/**
 * `count` sessions × Start / Interim-Update / Stop (lib/traffic.ts), session i to target i mod n,
 * through UDP with the load generator; the rate of answers and the CPU each side used meanwhile.
 */
export async function measureIngest(o: IngestOptions): Promise<IngestRun> {
  const { targets } = o;
  const eventTime = Math.floor(Date.now() / 1000);
  const phases: AcctPhase[] = ['Start', 'Interim-Update', 'Stop'];
  const perTarget = targets.map((_, k) => {
    const sessions: number[] = [];
    for (let i = o.first + k; i < o.first + o.count; i += targets.length) sessions.push(i);
    return encodeAll(sessions.length * 3, Code.AccountingRequest, o.secret, (j) => accountingAttributes(sessions[j % sessions.length]!, phases[Math.floor(j / sessions.length)]!, eventTime));
  });
  const db0 = await backendCpu(o.sql, o.db);
  const server0 = targets.map((t) => t.cpuSeconds());
  const bench0 = process.cpuUsage();
  const machine0 = machineCpu();
  const t0 = performance.now();
  const results: LoadResult[] = await Promise.all(
    targets.map((t, k) =>
      runLoad({ port: t.port, secret: o.secret, datagrams: perTarget[k]!, sockets: o.sockets, window: o.window, timeoutMs: 3000, retries: 5, deadlineMs: 15 * 60_000 }),
    ),
  );
  const seconds = (performance.now() - t0) / 1000;
  const bench = process.cpuUsage(bench0);
  const machine1 = machineCpu();
  const db = cpuSince(db0, await backendCpu(o.sql, o.db));
  const serverCpu = targets.reduce((sum, t, k) => sum + t.cpuSeconds() - server0[k]!, 0);
  return {
    rate: results.reduce((s, r) => s + r.answered, 0) / seconds,
    lost: results.reduce((s, r) => s + r.lost, 0),
    seconds,
    serverCores: serverCpu / seconds,
    dbCores: db / seconds,
    benchCores: (bench.user + bench.system) / 1e6 / seconds,
    machineBusy: (machine1.busy - machine0.busy) / (machine1.total - machine0.total),
    machineIowait: (machine1.iowait - machine0.iowait) / (machine1.total - machine0.total),
  };
}

export type NodeIngest = IngestRun & { verified: boolean };

/**
 * measureIngest into OpenMnt nodes on database `db`, then whether every record and every closed
 * session is in it (3 records and 1 closed session a session).
 */
export async function ingestIntoNodes(o: Omit<IngestOptions, 'targets'> & { nodes: readonly OpenMnt[] }): Promise<NodeIngest> {
  const counts = 'SELECT (SELECT COUNT(*) FROM accounting_records) AS records, (SELECT COUNT(*) FROM sessions_closed) AS closed';
  const [before] = await o.sql.unsafe(counts);
  const targets = o.nodes.map((n) => ({ port: n.ports.accounting, cpuSeconds: () => n.cpuSeconds() }));
  const run = await measureIngest({ ...o, targets });
  const [after] = await o.sql.unsafe(counts);
  return { ...run, verified: Number(after!.records) - Number(before!.records) === o.count * 3 && Number(after!.closed) - Number(before!.closed) === o.count };
}
