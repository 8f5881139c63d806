/**
 * Does a heavy DataConnect query slow accounting ingest? Against the real `openmnt serve` on each
 * store engine — SQLite (store on its threads, DataConnect queries in their own process) and
 * PostgreSQL (queries on the server as the read-only role, beside the node's writes) — with
 * SESSIONS sessions started over UDP:
 *
 * 1. without: SESSIONS Interim-Updates as fast as the node answers them;
 * 2. with: the same number again while a heavy query runs beside it without pause — a scan of the
 *    whole RADIUS_ACCOUNTING view grouped by endpoint, each started again as soon as it ends (and
 *    a runaway stopped by its time limit, as a careless script would send).
 *
 * It prints both rates side by side in one run, their ratio, and how many queries ran meanwhile,
 * for each engine, then the engines side by side.
 *
 *   npm run bench:dc
 *   SESSIONS=20000 ENGINES=postgres npm run bench:dc
 *
 * Environment: SESSIONS (50,000), QUERY_TIMEOUT (seconds, 10), ENGINES (sqlite,postgres),
 * PG_URL (a superuser's URL: the run makes a database and a role of its own there and drops them;
 * default postgres://postgres@127.0.0.1:5432/postgres).
 */
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { request, Agent } from 'node:https';
import { join } from 'node:path';
import { AdminDirectory } from '../src/http/index.js';
import { Code } from '../src/radius/index.js';
import { describe, encodeAll, fmt, runLoad, type LoadResult } from './lib/load.js';
import { startOpenMnt, tempDir, type OpenMnt } from './lib/processes.js';
import { accountingAttributes } from './lib/traffic.js';

const SESSIONS = Number(process.env.SESSIONS ?? 50_000);
const QUERY_TIMEOUT = Number(process.env.QUERY_TIMEOUT ?? 10);
const SECRET = 'testing123';
const USER = 'bench';
const PASSWORD = 'Bench-Pass-2026';
const AUTH = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
const HEAVY = 'SELECT CALLING_STATION_ID, COUNT(*) AS N, MAX(TIMESTAMP_TIMEZONE) AS LAST FROM RADIUS_ACCOUNTING GROUP BY CALLING_STATION_ID ORDER BY N DESC, LAST DESC FETCH FIRST 20 ROWS ONLY';
const RUNAWAY: Record<Engine, string> = {
  sqlite: 'WITH RECURSIVE n(i) AS (SELECT 1 FROM DUAL UNION ALL SELECT i + 1 FROM n WHERE i < 100000) SELECT COUNT(*) FROM n a, n b',
  postgres: 'SELECT COUNT(*) FROM GENERATE_SERIES(1, 100000) a, GENERATE_SERIES(1, 100000) b',
};
type Engine = 'sqlite' | 'postgres';
const ENGINES = (process.env.ENGINES ?? 'sqlite,postgres').split(',').map((e) => e.trim()) as Engine[];
const PG_URL = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

interface EngineRun {
  engine: Engine;
  without: LoadResult;
  withQuery: LoadResult;
  heavyAloneS: number;
  outcomes: { ok: number; stopped: number; other: number };
}

/** A PostgreSQL database and DataConnect role of this run's own, and the node's settings for them. */
async function postgresStore(): Promise<{ env: Record<string, string>; drop(): Promise<void> }> {
  const suffix = randomBytes(4).toString('hex');
  const name = `openmnt_bench_dc_${suffix}`;
  const role = `dc_bench_${suffix}`;
  const admin = postgres(PG_URL, { max: 1, onnotice: () => undefined });
  await admin.unsafe(`CREATE DATABASE ${name}`);
  const url = new URL(PG_URL);
  url.pathname = `/${name}`;
  return {
    env: { OPENMNT_STORE__DRIVER: 'postgres', OPENMNT_STORE__URL: url.toString(), OPENMNT_STORE__DATACONNECT__ROLE: role },
    async drop() {
      await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.unsafe(`DROP ROLE IF EXISTS ${role}`);
      await admin.end();
    },
  };
}

const agent = new Agent({ keepAlive: true, rejectUnauthorized: false, maxSockets: 2 });
const eventTime = Math.floor(Date.now() / 1000);
/** with / without in per cent; n/a when nothing was answered without (a stalled store). */
const ratio = (withRate: number, without: number) => (without > 0 ? `${((withRate / without) * 100).toFixed(1)} %` : 'n/a');

function query(server: OpenMnt, sql: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ sql, timeoutSeconds: QUERY_TIMEOUT });
    const req = request(
      { host: '127.0.0.1', port: server.apiPort, path: '/api/v1/dc/query', method: 'POST', agent, headers: { authorization: AUTH, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function load(server: OpenMnt, datagrams: Buffer[]): Promise<LoadResult> {
  return runLoad({ port: server.ports.accounting, secret: SECRET, datagrams, sockets: 8, window: 1024, timeoutMs: 3000, retries: 5, deadlineMs: 10 * 60_000 });
}

async function runEngine(engine: Engine): Promise<EngineRun> {
  const dir = tempDir('openmnt-dc-');
  await AdminDirectory.open(join(dir.path, 'admins.json'), { cost: 14 }).add(USER, PASSWORD, 'helpdesk-admin');
  const pg = engine === 'postgres' ? await postgresStore() : null;
  const server = await startOpenMnt({ env: pg?.env ?? { OPENMNT_STORE__PATH: join(dir.path, 'openmnt.db') }, dir: dir.path });
  try {
    const starts = encodeAll(SESSIONS, Code.AccountingRequest, SECRET, (i) => accountingAttributes(i, 'Start', eventTime), { label: `dataconnect ${engine}` });
    const fill = await load(server, starts);
    console.log(`dataconnect ${engine}: ${fmt(SESSIONS)} sessions started (${fmt(fill.perSecond)}/s, ${fill.lost} lost)`);
    if (fill.lost > 0) console.log(`dataconnect ${engine}: the node said:\n${server.output().slice(-3000)}`);
    const interims = (offset: number) => encodeAll(SESSIONS, Code.AccountingRequest, SECRET, (i) => accountingAttributes(i, 'Interim-Update', eventTime + offset));
    const first = interims(60);
    const second = interims(120);
    // The API listens a little after the RADIUS ports answer (the node starts it last).
    for (let attempt = 0; ; attempt++) {
      const ready = await query(server, 'SELECT 1 FROM DUAL').catch((error: NodeJS.ErrnoException) => (error.code === 'ECONNREFUSED' && attempt < 100 ? null : Promise.reject(error)));
      if (ready !== null) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    // The query itself, once, so its cost is known before it runs beside ingest.
    const t0 = performance.now();
    const alone = await query(server, HEAVY);
    if (alone.status !== 200) throw new Error(`the heavy query failed: ${alone.status} ${alone.body}`);
    const heavyAloneS = (performance.now() - t0) / 1000;
    console.log(`dataconnect ${engine}: the heavy query alone takes ${heavyAloneS.toFixed(2)} s over ${fmt(SESSIONS * 1)}+ accounting records`);

    const without = await load(server, first);

    let running = true;
    const outcomes = { ok: 0, stopped: 0, other: 0 };
    const loop = (async () => {
      let k = 0;
      while (running) {
        // One runaway in every five: stopped at its time limit (SQLite: its process ended and
        // replaced; PostgreSQL: statement_timeout).
        const r = await query(server, k++ % 5 === 4 ? RUNAWAY[engine] : HEAVY);
        if (r.status === 200) outcomes.ok++;
        else if (r.body.includes('DC_TIMEOUT')) outcomes.stopped++;
        else outcomes.other++;
      }
    })();
    const withQuery = await load(server, second);
    running = false;
    await loop;

    console.log('');
    console.log(`accounting ingest (Interim-Update) on ${engine}, one run, side by side:`);
    console.log(`  without a query:                 ${fmt(without.perSecond)} requests/s, ${describe(without)}`);
    console.log(`  with a heavy query beside it:    ${fmt(withQuery.perSecond)} requests/s, ${describe(withQuery)}`);
    console.log(`  ratio: ${ratio(withQuery.perSecond, without.perSecond)} (queries meanwhile: ${outcomes.ok} answered, ${outcomes.stopped} runaways stopped at ${QUERY_TIMEOUT} s, ${outcomes.other} other)`);
    console.log(`  lost: ${without.lost} and ${withQuery.lost}`);
    console.log('');
    return { engine, without, withQuery, heavyAloneS, outcomes };
  } finally {
    await server.stop();
    await pg?.drop();
    dir.remove();
  }
}

async function main(): Promise<void> {
  const runs: EngineRun[] = [];
  try {
    for (const engine of ENGINES) {
      if (engine !== 'sqlite' && engine !== 'postgres') throw new Error(`ENGINES: sqlite and/or postgres, not ${String(engine)}`);
      runs.push(await runEngine(engine));
    }
  } finally {
    agent.destroy();
  }
  console.log('accounting ingest, requests/s (one run each; a loaded machine makes these noise):');
  console.log('  engine     without a query   with a heavy query   ratio   heavy query alone   queries answered / runaways stopped');
  for (const r of runs) {
    console.log(
      `  ${r.engine.padEnd(9)}  ${fmt(r.without.perSecond).padStart(15)}   ${fmt(r.withQuery.perSecond).padStart(18)}   ${ratio(r.withQuery.perSecond, r.without.perSecond).padStart(7)}   ${r.heavyAloneS.toFixed(2).padStart(15)} s   ${r.outcomes.ok} / ${r.outcomes.stopped}`,
    );
  }
}

await main();
