/**
 * PostgreSQL at scale, printed side by side with the goals of issue #15:
 *
 * 1. Fill: SESSIONS active sessions (default 2,000,000) written straight into a database of its own
 *    with INSERT … SELECT over generate_series (not through RADIUS: that would take hours here),
 *    shaped like the load generator's (lib/traffic.ts: the same MACs, NAS addresses, user names),
 *    then ANALYZE. The plans of the two reads below are printed (EXPLAIN): an index each.
 * 2. One node on it: `Session/ActiveList` streamed whole (XML), its time and the node's RSS growth
 *    while it streams (goal ≤ 15 s, ≤ 200 MB); `Session/MACAddress/{mac}` of random endpoints under
 *    autocannon (goal ≥ 5,000 req/s, p99 ≤ 10 ms).
 * 3. Accounting ingest: INGEST sessions × Start / Interim-Update / Stop through UDP (lib/load.ts)
 *    into that node, then into two nodes on the same database (half the sessions each), with the CPU
 *    of the nodes, of the database's backends, of the generator and of the whole machine (/proc/stat):
 *    two ≥ 1.6× one unless the database (or, on a shared machine, the machine) is the bound — the
 *    CPU figures show which.
 *
 *   npm run bench:pg-scale
 *   SESSIONS=100000 INGEST=5000 DURATION=5 npm run bench:pg-scale      (a quick run)
 *
 * Environment: SESSIONS, INGEST (20,000), CONNECTIONS (16), DURATION (10 s), WINDOW (1024),
 * SOCKETS (8), PG_URL (an admin URL; default OPENMNT_TEST_PG_URL or postgres@127.0.0.1:5432),
 * PG_DB (the database made and dropped; default openmnt_bench_pg_scale), KEEP=yes (keep it),
 * PHASES (default `list,mac,ingest`: which of the measurements of steps 2 and 3 run),
 * NODE_ARGS (node options of the nodes, space-separated: `--cpu-prof --cpu-prof-dir=/tmp/p`).
 */
import postgres from 'postgres';
import { migratePostgres } from '../src/store/postgres/migrations.js';
import { fmt } from './lib/load.js';
import { bodySize, cannon, mntClient, stream, MiB } from './lib/mnt-http.js';
import { ADMIN_URL, backendCpu as backendCpuOf, cores as coreCount, cpuSince, freshDatabase, ingestIntoNodes, startPgNode, type NodeIngest } from './lib/pg.js';
import type { OpenMnt } from './lib/processes.js';
import { macFor } from './lib/traffic.js';
import { FLOOR_ENV } from '../src/http/floor.js';

const SESSIONS = Number(process.env.SESSIONS ?? 2_000_000);
const INGEST = Number(process.env.INGEST ?? 20_000);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 16);
const DURATION = Number(process.env.DURATION ?? 10);
const WINDOW = Number(process.env.WINDOW ?? 1024);
const SOCKETS = Number(process.env.SOCKETS ?? 8);
const DB = process.env.PG_DB ?? 'openmnt_bench_pg_scale';
const KEEP = process.env.KEEP === 'yes';
const SECRET = 'testing123';
const USER = 'bench';
const PASSWORD = 'Bench-Pass-2026';
const FILL_CHUNK = 100_000;
const PHASES = new Set((process.env.PHASES ?? 'list,mac,ingest').split(',').map((p) => p.trim()));
const NODE_ARGS = (process.env.NODE_ARGS ?? '').split(' ').filter((a) => a !== '');

const backendCpu = (sql: postgres.Sql) => backendCpuOf(sql, DB);
// The floor route (src/http/floor.ts) answers a constant body: Session/MACAddress is printed beside it.
const startNode = (name: string) => startPgNode({ url, name, client, user: USER, password: PASSWORD, nodeArgs: NODE_ARGS, env: { [FLOOR_ENV]: '1' } });
const client = mntClient(USER, PASSWORD);
const started = performance.now();
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(0)} s`;
const summary: string[] = [];
const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');

/**
 * One row per session i, as the load generator's Start for session i would leave it (lib/traffic.ts):
 * macFor(i), nasIpFor(i), the user name, audit-session-id, Framed-IP and Acct-Session-Id.
 */
const FILL_SQL = `
INSERT INTO sessions_active (nas_ip, acct_session_id, calling_station_id, state, started_at, updated_at, server, user_name, audit_session_id,
  nas_port, nas_port_id, nas_port_type, called_station_id, framed_ip, service_type, acct_at, acct_status_type, acct_authentic, event_timestamp)
SELECT '10.' || (100 + ((i % 250) >> 8)) || '.' || ((i % 250) & 255) || '.1',
  upper(lpad(to_hex(i + 1), 8, '0')),
  m.mac, 'started', $3::int8, $3::int8, 'pg-scale', lower(replace(m.mac, ':', '')),
  '0A' || upper(lpad(to_hex(100 + ((i % 250) >> 8)), 2, '0') || lpad(to_hex((i % 250) & 255), 2, '0')) || '01' || upper(lpad(to_hex(i), 8, '0')) || '6553F1A2',
  50101 + (i / 250) % 48, 'GigabitEthernet1/0/' || (1 + (i / 250) % 48), 'Ethernet', '00-1B-54-' || upper(lpad(to_hex(i % 250), 2, '0')) || '-00-01',
  '172.' || (16 + ((i >> 16) & 15)) || '.' || ((i >> 8) & 255) || '.' || (i & 255), 'Framed', $3::int8, 'Start', 'RADIUS', $3::int8 / 1000
FROM generate_series($1::int, $2::int - 1) AS i,
  LATERAL (SELECT upper(concat_ws(':', '02', lpad(to_hex((i >> 24) & 255), 2, '0'), lpad(to_hex((i >> 16) & 255), 2, '0'),
    lpad(to_hex((i >> 8) & 255), 2, '0'), lpad(to_hex(i & 255), 2, '0'), '01')) AS mac) AS m`;

async function fill(sql: postgres.Sql): Promise<void> {
  await migratePostgres(sql);
  // A fill is not a workload to make durable record by record.
  await sql.unsafe('SET synchronous_commit = off');
  const t0 = performance.now();
  const now = Date.now();
  for (let from = 0; from < SESSIONS; from += FILL_CHUNK) {
    const to = Math.min(SESSIONS, from + FILL_CHUNK);
    await sql.unsafe(FILL_SQL, [from, to, now]);
    if ((to / FILL_CHUNK) % 5 === 0 || to === SESSIONS) console.log(`pg-scale: fill ${fmt(to)} / ${fmt(SESSIONS)} (${elapsed()})`);
  }
  await sql.unsafe('UPDATE store_counters SET active_sessions = (SELECT COUNT(*) FROM sessions_active) WHERE id = 1');
  await sql.unsafe('VACUUM ANALYZE sessions_active');
  const seconds = (performance.now() - t0) / 1000;
  const [size] = await sql.unsafe("SELECT pg_total_relation_size('sessions_active') AS bytes");
  console.log(`pg-scale: filled ${fmt(SESSIONS)} sessions in ${seconds.toFixed(0)} s (${fmt(SESSIONS / seconds)}/s, INSERT … SELECT), sessions_active ${fmt(Number(size!.bytes) / MiB)} MiB with its indexes`);
}

async function explain(sql: postgres.Sql, what: string, query: string, params: unknown[]): Promise<void> {
  const rows = await sql.unsafe(`EXPLAIN ${query}`, params as never[]);
  console.log(`pg-scale: plan of ${what}:\n${rows.map((r) => `    ${r['QUERY PLAN'] as string}`).join('\n')}`);
}



async function reads(sql: postgres.Sql, node: OpenMnt): Promise<void> {
  // Untimed: the password check (scrypt, then remembered) and the first lookups.
  await stream(client, node.apiPort, '/admin/API/mnt/Session/ActiveList?page=1&size=1000', 'application/xml', '</activeSession>');
  for (let i = 0; i < 200; i++) await bodySize(client, node.apiPort, `/admin/API/mnt/Session/MACAddress/${macFor(i)}`, 'application/xml');

  if (PHASES.has('list')) await activeList(sql, node);
  if (PHASES.has('mac')) await macAddress(sql, node);
}

async function activeList(sql: postgres.Sql, node: OpenMnt): Promise<void> {
  // The CPU each part spent a session, beside the time: on a shared pair of cores the time swings
  // with whatever else runs; what the node, its main thread and the database spend does not.
  const before = { node: node.cpuSeconds(), main: node.threadCpu().get(node.pid)?.seconds ?? 0, db: await backendCpu(sql), client: process.cpuUsage() };
  const list = await stream(client, node.apiPort, '/admin/API/mnt/Session/ActiveList', 'application/xml', '</activeSession>', () => node.memory().rss);
  const clientCpu = process.cpuUsage(before.client);
  const perSession = (seconds: number) => ((seconds * 1e6) / Math.max(1, list.sessions)).toFixed(1);
  const cpu =
    `CPU a session: node ${perSession(node.cpuSeconds() - before.node)} µs (main thread ${perSession((node.threadCpu().get(node.pid)?.seconds ?? 0) - before.main)}), ` +
    `PostgreSQL ${perSession(cpuSince(before.db, await backendCpu(sql)))} µs, client ${perSession((clientCpu.user + clientCpu.system) / 1e6)} µs`;
  const listOk = list.status === 200 && list.sessions === SESSIONS;
  const line =
    `Session/ActiveList of ${fmt(SESSIONS)} sessions (XML, streamed): ${list.seconds.toFixed(1)} s, ${fmt(list.bytes / MiB)} MiB, ${fmt(list.sessions)} sessions in the body, ` +
    `server RSS growth ${fmt(list.growthMiB)} MiB — goal ≤ 15 s and ≤ 200 MB: ${verdict(listOk && list.seconds <= 15 && list.growthMiB <= 200)}${listOk ? '' : ' (the body is wrong)'}; ${cpu}`;
  console.log(`pg-scale: ${line}`);
  summary.push(line);
}

/**
 * A backend that has gone idle sends its counters to the shared statistics within 10 s
 * (PostgreSQL 15: PGSTAT_IDLE_INTERVAL), not at once: the commit count is read after that.
 */
const statsSettled = () => new Promise((resolve) => setTimeout(resolve, 10_500));

/** Transactions the database committed: each statement outside a transaction is one. */
async function commits(sql: postgres.Sql): Promise<number> {
  const [row] = await sql.unsafe('SELECT pg_stat_get_db_xact_commit(oid) AS n FROM pg_database WHERE datname = $1', [DB]);
  return Number(row!.n);
}

async function macAddress(sql: postgres.Sql, node: OpenMnt): Promise<void> {
  await statsSettled();
  const commits0 = await commits(sql);
  const db0 = await backendCpu(sql);
  const macCpu0 = node.cpuSeconds();
  const mac = await cannon(client, node.apiPort, 'application/xml', (n) => `/admin/API/mnt/Session/MACAddress/${macFor((Math.imul(n, 2654435761) >>> 0) % SESSIONS)}`, CONNECTIONS, DURATION);
  const requests = Math.max(1, mac.ok + mac.other);
  const perRequestMs = ((node.cpuSeconds() - macCpu0) * 1000) / requests;
  const dbPerRequestMs = (cpuSince(db0, await backendCpu(sql)) * 1000) / requests;
  await statsSettled();
  // Less the two statements of this bench's own reads in between (backendCpu, commits).
  const statements = (await commits(sql)) - commits0 - 2;
  const macOk = mac.other === 0 && mac.errors === 0 && mac.ok > 0;
  // What this machine allows: the same node answering a constant body of the same size, no lookup.
  const { bytes } = await bodySize(client, node.apiPort, `/admin/API/mnt/Session/MACAddress/${macFor(1)}`, 'application/xml');
  const floorCpu0 = node.cpuSeconds();
  const floor = await cannon(client, node.apiPort, 'application/xml', () => `/bench-floor/${bytes}`, CONNECTIONS, DURATION);
  const floorMs = ((node.cpuSeconds() - floorCpu0) * 1000) / Math.max(1, floor.total);
  const macLine =
    `Session/MACAddress (random endpoints of ${fmt(SESSIONS)}), ${CONNECTIONS} keep-alive HTTPS connections, ${DURATION} s: ${fmt(mac.perSecond)} req/s, p50 ${mac.p50} ms, p99 ${mac.p99} ms ` +
    `(${fmt(mac.ok)} answered 200, ${fmt(mac.other)} other, ${mac.errors} errors; CPU a request: node ${perRequestMs.toFixed(3)} ms, PostgreSQL backends ${dbPerRequestMs.toFixed(3)} ms; ${(statements / requests).toFixed(2)} statements a request) — goal ≥ 5,000 req/s and p99 ≤ 10 ms: ${verdict(macOk && mac.perSecond >= 5000 && mac.p99 <= 10)}; ` +
    `beside the same node answering a constant ${fmt(bytes)}-byte body (no lookup): ${fmt(floor.perSecond)} req/s, p99 ${floor.p99} ms, node ${floorMs.toFixed(3)} ms a request`;
  console.log(`pg-scale: ${macLine}`);
  summary.push(macLine);
}

const ingest = (sql: postgres.Sql, nodes: OpenMnt[], first: number): Promise<NodeIngest> =>
  ingestIntoNodes({ sql, db: DB, nodes, first, count: INGEST, secret: SECRET, sockets: SOCKETS, window: WINDOW });

const ingestLine = (label: string, r: NodeIngest) =>
  `accounting ingest, ${label}: ${fmt(r.rate)} requests/s (${fmt(INGEST * 3)} requests in ${r.seconds.toFixed(1)} s, ${r.lost} lost, ` +
  `${r.verified ? 'every record and session in the database' : 'RECORDS MISSING'}); CPU: node${label.startsWith('two') ? 's' : ''} ${r.serverCores.toFixed(2)} cores, ` +
  `PostgreSQL backends ${r.dbCores.toFixed(2)}, load generator ${r.benchCores.toFixed(2)} (of ${coreCount()}); ` +
  `the whole machine ${(r.machineBusy * 100).toFixed(0)} % busy, ${(r.machineIowait * 100).toFixed(0)} % iowait`;

const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => undefined });
let sql: postgres.Sql | null = null;
let url = '';
const nodes: OpenMnt[] = [];
try {
  url = await freshDatabase(admin, DB);
  sql = postgres(url, { max: 1, onnotice: () => undefined });
  console.log(`pg-scale: ${fmt(SESSIONS)} active sessions in database ${DB}; ingest ${fmt(INGEST)} sessions × 3; shared machine: figures are indicative`);
  await fill(sql);
  await explain(sql, 'Session/MACAddress', 'SELECT * FROM sessions_active WHERE calling_station_id = $1 ORDER BY updated_at DESC, id DESC LIMIT 1', [macFor(12345 % SESSIONS)]);
  await explain(sql, 'Session/ActiveList', 'SELECT id, user_name, calling_station_id, nas_ip FROM sessions_active ORDER BY id', []);

  nodes.push(await startNode('pg-scale-a'));
  await reads(sql, nodes[0]!);
  if (PHASES.has('ingest')) await ingestPhases(sql);
  console.log('');
  for (const line of summary) console.log(`pg-scale: ${line}`);
} finally {
  for (const node of nodes) await node.stop('SIGTERM').catch(() => undefined);
  client.agent.destroy();
  await sql?.end({ timeout: 1 });
  if (!KEEP) await admin.unsafe(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`).catch(() => undefined);
  await admin.end({ timeout: 1 });
}

async function ingestPhases(sql: postgres.Sql): Promise<void> {
  const one = await ingest(sql, nodes, SESSIONS);
  console.log(`pg-scale: ${ingestLine('one node', one)}`);
  nodes.push(await startNode('pg-scale-b'));
  const two = await ingest(sql, nodes, SESSIONS + INGEST);
  console.log(`pg-scale: ${ingestLine('two nodes', two)}`);
  const ratio = two.rate / one.rate;
  summary.push(ingestLine('one node', one), ingestLine('two nodes', two));
  const cores = coreCount();
  const ours = two.serverCores + two.dbCores + two.benchCores;
  summary.push(
    `two nodes / one node: ${ratio.toFixed(2)}× — goal ≥ 1.6× unless the database is the bound: ${verdict(ratio >= 1.6)}` +
      (ratio < 1.6
        ? `; during the two-node run the nodes, PostgreSQL and the generator used ${ours.toFixed(2)} of ${cores} cores and the whole machine was ${(two.machineBusy * 100).toFixed(0)} % busy` +
          (two.machineBusy >= 0.9 ? ' (the machine is the bound, not this code nor the database)' : '')
        : ''),
  );
}
