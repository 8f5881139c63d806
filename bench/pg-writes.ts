/**
 * The PostgreSQL write path alone, no RADIUS: SESSIONS sessions × Start / Interim-Update / Stop
 * written straight into the store in group commits of GROUP writes (as the writing thread merges
 * them), in a database of its own. Prints, per 1,000 writes, the wall time, this process's CPU and
 * the CPU of the server's backends (from /proc, so PostgreSQL must run on this machine), and checks
 * that every record and session is where it belongs.
 *
 * To compare two builds in one run (the machine is shared: alternate, never compare runs made
 * minutes apart), name the other build's compiled store module in COMPARE:
 *
 *   COMPARE=/tmp/before/dist/src/store/postgres/store.js SESSIONS=5000 ROUNDS=2 node dist/bench/pg-writes.js
 *
 * Environment: SESSIONS (5,000), GROUP (256), ROUNDS (2), COMPARE (a store.js), PG_URL (admin URL).
 */
import { readFileSync } from 'node:fs';
import postgres from 'postgres';
import { Code, decodePacket } from '../src/radius/index.js';
import { toAccountingWrite } from '../src/sessions/index.js';
import type { AccountingWrite } from '../src/store/index.js';
import { encodeAll, fmt } from './lib/load.js';
import { accountingAttributes, type AcctPhase } from './lib/traffic.js';

const SESSIONS = Number(process.env.SESSIONS ?? 5000);
const GROUP = Number(process.env.GROUP ?? 256);
const ROUNDS = Number(process.env.ROUNDS ?? 2);
const ADMIN_URL = process.env.PG_URL ?? process.env.OPENMNT_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SECRET = 'testing123';

interface StoreModule {
  openPostgresStore(o: { url: string; poolSize?: number }): Promise<{ writeBatches(b: { accounting: AccountingWrite[] }[]): Promise<unknown[]>; close(): Promise<void>; sql: postgres.Sql }>;
}

const builds: { name: string; module: string }[] = [{ name: 'this build', module: '../src/store/postgres/store.js' }];
if (process.env.COMPARE) builds.unshift({ name: 'COMPARE', module: process.env.COMPARE });

const urlOf = (db: string) => {
  const u = new URL(ADMIN_URL);
  u.pathname = `/${db}`;
  return u.toString();
};

/** utime + stime of a process, seconds (PostgreSQL's backends are processes of this machine). */
function cpuOf(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

function writesOf(phase: AcctPhase, eventTime: number): AccountingWrite[] {
  const datagrams = encodeAll(SESSIONS, Code.AccountingRequest, SECRET, (i) => accountingAttributes(i, phase, eventTime));
  return datagrams.map((d) => toAccountingWrite({ packet: decodePacket(d), nasName: 'bench-switch', sourceAddress: '127.0.0.1', receivedAt: Date.now() }, 'openmnt'));
}

async function round(build: { name: string; module: string }, n: number): Promise<string> {
  const db = `wt_pgwrite_bench_${process.pid}_${n}`;
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => undefined });
  await admin.unsafe(`CREATE DATABASE ${db}`);
  const { openPostgresStore } = (await import(build.module)) as StoreModule;
  const store = await openPostgresStore({ url: urlOf(db), poolSize: 2 });
  try {
    const eventTime = Math.floor(Date.now() / 1000);
    const phases: AcctPhase[] = ['Start', 'Interim-Update', 'Stop'];
    const writes = phases.map((p) => writesOf(p, eventTime));
    // The pool's connections, opened before the clock starts.
    await Promise.all([store.sql.unsafe('SELECT 1'), store.sql.unsafe('SELECT 1')]);
    const pids = (await admin.unsafe('SELECT pid FROM pg_stat_activity WHERE datname = $1', [db])).map((r) => r.pid as number);
    const server0 = pids.reduce((s, p) => s + cpuOf(p), 0);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (const phase of writes) {
      for (let i = 0; i < phase.length; i += GROUP) {
        const group = phase.slice(i, i + GROUP);
        // Calls of 16 writes each, as the RADIUS thread's batches arrive and are merged.
        const calls: { accounting: AccountingWrite[] }[] = [];
        for (let k = 0; k < group.length; k += 16) calls.push({ accounting: group.slice(k, k + 16) });
        const outcomes = await store.writeBatches(calls);
        const failed = outcomes.find((o) => o instanceof Error);
        if (failed) throw failed;
      }
    }
    const wall = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const server = pids.reduce((s, p) => s + cpuOf(p), 0) - server0;
    const total = SESSIONS * 3;
    const per = (x: number) => ((x * 1000) / total).toFixed(1);
    const [counts] = await store.sql.unsafe('SELECT (SELECT COUNT(*) FROM accounting_records) AS records, (SELECT COUNT(*) FROM sessions_closed) AS closed, (SELECT COUNT(*) FROM sessions_active) AS active');
    const ok = Number(counts!.records) === total && Number(counts!.closed) === SESSIONS && Number(counts!.active) === 0;
    return (
      `${build.name.padEnd(10)} ${fmt(total / wall).padStart(7)} writes/s; per 1,000 writes: wall ${(wall * 1000 / total * 1000).toFixed(0)} ms, ` +
      `node CPU ${per((cpu.user + cpu.system) / 1000)} ms, PostgreSQL backends CPU ${per(server * 1000)} ms; ` +
      `${ok ? 'all records and sessions as expected' : `MISMATCH ${JSON.stringify(counts)}`}`
    );
  } finally {
    await store.close();
    await admin.unsafe(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    await admin.end({ timeout: 1 });
  }
}

console.log(`pg-writes: ${fmt(SESSIONS)} sessions × Start / Interim-Update / Stop, group commits of ${GROUP} writes (calls of 16), ${ROUNDS} rounds alternating`);
let n = 0;
for (let r = 0; r < ROUNDS; r++) for (const build of builds) console.log(`pg-writes: ${await round(build, n++)}`);
