/**
 * Does a heavy DataConnect query slow accounting ingest? Against the real `openmnt serve` (store on
 * its threads, DataConnect queries in their own process), with SESSIONS sessions started over UDP:
 *
 * 1. without: SESSIONS Interim-Updates as fast as the node answers them;
 * 2. with: the same number again while a heavy query runs beside it without pause — a scan of the
 *    whole RADIUS_ACCOUNTING view grouped by endpoint, each started again as soon as it ends (and
 *    a runaway stopped by its time limit, as a careless script would send).
 *
 * It prints both rates side by side in one run, their ratio, and how many queries ran meanwhile.
 *
 *   npm run bench:dc
 *   SESSIONS=20000 npm run bench:dc
 *
 * Environment: SESSIONS (50,000), QUERY_TIMEOUT (seconds, 10).
 */
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
const RUNAWAY = 'WITH RECURSIVE n(i) AS (SELECT 1 FROM DUAL UNION ALL SELECT i + 1 FROM n WHERE i < 100000) SELECT COUNT(*) FROM n a, n b';

const agent = new Agent({ keepAlive: true, rejectUnauthorized: false, maxSockets: 2 });
const eventTime = Math.floor(Date.now() / 1000);

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

async function main(): Promise<void> {
  const dir = tempDir('openmnt-dc-');
  await AdminDirectory.open(join(dir.path, 'admins.json'), { cost: 14 }).add(USER, PASSWORD, 'helpdesk-admin');
  const server = await startOpenMnt({ env: { OPENMNT_STORE__PATH: join(dir.path, 'openmnt.db') }, dir: dir.path });
  try {
    const starts = encodeAll(SESSIONS, Code.AccountingRequest, SECRET, (i) => accountingAttributes(i, 'Start', eventTime), { label: 'dataconnect' });
    const fill = await load(server, starts);
    console.log(`dataconnect: ${fmt(SESSIONS)} sessions started (${fmt(fill.perSecond)}/s, ${fill.lost} lost)`);
    const interims = (offset: number) => encodeAll(SESSIONS, Code.AccountingRequest, SECRET, (i) => accountingAttributes(i, 'Interim-Update', eventTime + offset));
    const first = interims(60);
    const second = interims(120);
    // The query itself, once, so its cost is known before it runs beside ingest.
    const t0 = performance.now();
    const alone = await query(server, HEAVY);
    if (alone.status !== 200) throw new Error(`the heavy query failed: ${alone.status} ${alone.body}`);
    console.log(`dataconnect: the heavy query alone takes ${((performance.now() - t0) / 1000).toFixed(2)} s over ${fmt(SESSIONS * 1)}+ accounting records`);

    const without = await load(server, first);

    let running = true;
    const outcomes = { ok: 0, stopped: 0, other: 0 };
    const loop = (async () => {
      let k = 0;
      while (running) {
        // One runaway in every five: stopped at its time limit, its process ended and replaced.
        const r = await query(server, k++ % 5 === 4 ? RUNAWAY : HEAVY);
        if (r.status === 200) outcomes.ok++;
        else if (r.body.includes('DC_TIMEOUT')) outcomes.stopped++;
        else outcomes.other++;
      }
    })();
    const withQuery = await load(server, second);
    running = false;
    await loop;

    console.log('');
    console.log('accounting ingest (Interim-Update), one run, side by side:');
    console.log(`  without a query:                 ${fmt(without.perSecond)} requests/s, ${describe(without)}`);
    console.log(`  with a heavy query beside it:    ${fmt(withQuery.perSecond)} requests/s, ${describe(withQuery)}`);
    console.log(`  ratio: ${((withQuery.perSecond / without.perSecond) * 100).toFixed(1)} % (queries meanwhile: ${outcomes.ok} answered, ${outcomes.stopped} runaways stopped at ${QUERY_TIMEOUT} s, ${outcomes.other} other)`);
    console.log(`  lost: ${without.lost} and ${withQuery.lost}`);
  } finally {
    agent.destroy();
    await server.stop();
    dir.remove();
  }
}

await main();
