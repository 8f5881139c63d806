/**
 * The anchor of issue #15: FreeRADIUS 3.2 writing accounting into PostgreSQL with `rlm_sql`
 * (Debian's `freeradius-postgresql`: its radacct schema and queries.conf, lib/freeradius.ts
 * writeRlmSqlConfig), then an OpenMnt node on the same PostgreSQL server, both driven by the same
 * generator (lib/load.ts, lib/traffic.ts: SESSIONS sessions × Start / Interim-Update / Stop). Each
 * has a fresh database of its own. Printed side by side: the rates, the ratio (goal: OpenMnt ≥ 5×
 * FreeRADIUS), and the CPU each side and the database's backends used per request — on a shared
 * machine the rates move with the others' load, the CPU a request much less.
 *
 *   npm run build && node dist/bench/pg-rlm-sql.js
 *   SESSIONS=5000 ROUNDS=1 node dist/bench/pg-rlm-sql.js      (a quick run)
 *
 * Environment: SESSIONS (20,000), ROUNDS (2: FreeRADIUS then OpenMnt, that many times, each on
 * fresh databases; the ratio is of the median rates), WINDOW (1024), SOCKETS (8), PG_URL (an admin
 * URL, see lib/pg.ts), PG_DB (prefix of the two databases, default openmnt_bench_rlm_sql).
 */
import { existsSync, readFileSync } from 'node:fs';
import postgres from 'postgres';
import { freeUdpPort } from '../test/helpers/ports.js';
import { FREERADIUS_PG_SQL_DIR, RLM_SQL_POSTGRESQL, freeradiusVersion, startConfiguredFreeRadius, writeRlmSqlConfig } from './lib/freeradius.js';
import { fmt } from './lib/load.js';
import { mntClient } from './lib/mnt-http.js';
import { ADMIN_URL, cores, freshDatabase, ingestIntoNodes, measureIngest, startPgNode, type IngestRun } from './lib/pg.js';
import { tempDir, type Child, type OpenMnt } from './lib/processes.js';

const SESSIONS = Number(process.env.SESSIONS ?? 20_000);
const ROUNDS = Math.max(1, Number(process.env.ROUNDS ?? 2));
const WINDOW = Number(process.env.WINDOW ?? 1024);
const SOCKETS = Number(process.env.SOCKETS ?? 8);
const PREFIX = process.env.PG_DB ?? 'openmnt_bench_rlm_sql';
const FR_DB = `${PREFIX}_radius`;
const OM_DB = `${PREFIX}_openmnt`;
const SECRET = 'testing123';
const USER = 'bench';
const PASSWORD = 'Bench-Pass-2026';
const GOAL = 5;

type Run = IngestRun & { verified: boolean };

const perRequest = (r: Run, cores: number) => (cores * r.seconds * 1000) / (SESSIONS * 3);
const line = (name: string, r: Run) =>
  `${name}: ${fmt(r.rate)} accounting requests/s (${fmt(SESSIONS * 3)} in ${r.seconds.toFixed(1)} s, ${r.lost} lost, ${r.verified ? 'every session in the database' : 'SESSIONS MISSING'}); ` +
  `CPU a request: server ${perRequest(r, r.serverCores).toFixed(3)} ms, PostgreSQL backends ${perRequest(r, r.dbCores).toFixed(3)} ms; ` +
  `cores: server ${r.serverCores.toFixed(2)}, backends ${r.dbCores.toFixed(2)}, generator ${r.benchCores.toFixed(2)} (of ${cores()}), whole machine ${(r.machineBusy * 100).toFixed(0)} % busy`;

/** Debian's radacct schema in a fresh database, FreeRADIUS on it, the load; then radacct is counted. */
async function freeradius(admin: postgres.Sql): Promise<Run> {
  const url = await freshDatabase(admin, FR_DB);
  const sql = postgres(url, { max: 1, onnotice: () => undefined });
  const dir = tempDir('freeradius-rlm-sql-');
  let fr: Child | null = null;
  try {
    await sql.unsafe(readFileSync(`${FREERADIUS_PG_SQL_DIR}/schema.sql`, 'utf8'));
    const u = new URL(url);
    const port = await freeUdpPort();
    writeRlmSqlConfig({
      dir: dir.path,
      port,
      secret: SECRET,
      database: { host: u.hostname, port: Number(u.port || 5432), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password), name: FR_DB },
    });
    fr = await startConfiguredFreeRadius(dir.path, port, SECRET);
    const child = fr;
    const run = await measureIngest({ sql, db: FR_DB, targets: [{ port, cpuSeconds: () => child.cpuSeconds() }], first: 0, count: SESSIONS, secret: SECRET, sockets: SOCKETS, window: WINDOW });
    const [rows] = await sql.unsafe('SELECT COUNT(*) AS sessions, COUNT(acctstoptime) AS stopped FROM radacct');
    return { ...run, verified: Number(rows!.sessions) === SESSIONS && Number(rows!.stopped) === SESSIONS };
  } finally {
    await fr?.stop('SIGTERM', 10_000);
    dir.remove();
    await sql.end({ timeout: 1 });
    await admin.unsafe(`DROP DATABASE IF EXISTS ${FR_DB} WITH (FORCE)`);
  }
}

async function openmnt(admin: postgres.Sql): Promise<Run> {
  const url = await freshDatabase(admin, OM_DB);
  const sql = postgres(url, { max: 1, onnotice: () => undefined });
  const client = mntClient(USER, PASSWORD);
  let node: OpenMnt | null = null;
  try {
    node = await startPgNode({ url, name: 'pg-rlm-sql', client, user: USER, password: PASSWORD });
    return await ingestIntoNodes({ sql, db: OM_DB, nodes: [node], first: 0, count: SESSIONS, secret: SECRET, sockets: SOCKETS, window: WINDOW });
  } finally {
    await node?.stop('SIGTERM');
    client.agent.destroy();
    await sql.end({ timeout: 1 });
    await admin.unsafe(`DROP DATABASE IF EXISTS ${OM_DB} WITH (FORCE)`);
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

const version = freeradiusVersion();
if (version === null || !existsSync(RLM_SQL_POSTGRESQL) || !existsSync(`${FREERADIUS_PG_SQL_DIR}/queries.conf`)) {
  console.log(`pg-rlm-sql: needs FreeRADIUS with its PostgreSQL driver (Debian: apt-get install -y freeradius freeradius-postgresql) — not run`);
  process.exit(1);
}
const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => undefined });
try {
  const [pg] = await admin.unsafe('SHOW server_version');
  console.log(
    `pg-rlm-sql: FreeRADIUS ${version} (rlm_sql_postgresql, Debian's radacct schema and queries) vs OpenMnt, PostgreSQL ${pg!.server_version as string}; ` +
      `${fmt(SESSIONS)} sessions × Start / Interim-Update / Stop, ${SOCKETS} sockets, window ${WINDOW}, ${ROUNDS} round(s); shared machine: rates are indicative`,
  );
  const fr: Run[] = [];
  const om: Run[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    fr.push(await freeradius(admin));
    console.log(`pg-rlm-sql: round ${round}, ${line(`FreeRADIUS ${version} + rlm_sql`, fr[fr.length - 1]!)}`);
    om.push(await openmnt(admin));
    console.log(`pg-rlm-sql: round ${round}, ${line('OpenMnt', om[om.length - 1]!)}`);
  }
  const frRate = median(fr.map((r) => r.rate));
  const omRate = median(om.map((r) => r.rate));
  const ratio = omRate / frRate;
  const frCpu = median(fr.map((r) => perRequest(r, r.serverCores + r.dbCores)));
  const omCpu = median(om.map((r) => perRequest(r, r.serverCores + r.dbCores)));
  const allVerified = [...fr, ...om].every((r) => r.verified && r.lost === 0);
  console.log('');
  console.log(`pg-rlm-sql: FreeRADIUS + rlm_sql ${fmt(frRate)} requests/s, OpenMnt ${fmt(omRate)} requests/s (medians of ${ROUNDS})`);
  console.log(`pg-rlm-sql: CPU a request, server and backends together: FreeRADIUS + rlm_sql ${frCpu.toFixed(3)} ms, OpenMnt ${omCpu.toFixed(3)} ms (${(frCpu / omCpu).toFixed(2)}× less)`);
  console.log(
    `pg-rlm-sql: ratio ${ratio.toFixed(2)}× (OpenMnt / FreeRADIUS + rlm_sql) — goal ≥ ${GOAL}×: ${ratio >= GOAL && allVerified ? 'met' : 'MISSED'}${allVerified ? '' : ' (requests lost or sessions missing)'}`,
  );
} finally {
  await admin.end({ timeout: 1 });
}
