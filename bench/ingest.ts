/**
 * Accounting ingest. Start, Interim-Update and Stop for SESSIONS sessions (default 200,000) against
 * the real `openmnt serve` process (every Accounting-Response is sent only after its record is
 * committed), then the store is opened after the server stopped and every record counted. Then the
 * same generator sends the very same datagrams to FreeRADIUS 3.2 writing a detail file only, and
 * the two rates are printed side by side.
 *
 *   npm run bench:ingest
 *   SESSIONS=50000 MODES=full FREERADIUS=no npm run bench:ingest
 *   PROFILE=/tmp/prof npm run bench:ingest      # the server runs with --cpu-prof into that directory
 *
 * Environment: SESSIONS, WINDOW (outstanding requests, 1024), SOCKETS (8), MODES (store
 * synchronous modes to run, "full,normal"), FREERADIUS (yes|no), PROFILE (a directory).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Code } from '../src/radius/index.js';
import { openStore } from '../src/store/index.js';
import { countDetail, freeradiusVersion, startFreeRadius } from './lib/freeradius.js';
import { describe, encodeAll, fmt, runLoad, type LoadResult } from './lib/load.js';
import { freeUdpPort, startOpenMnt } from './lib/processes.js';
import { accountingAttributes, type AcctPhase } from './lib/traffic.js';

const SESSIONS = Number(process.env.SESSIONS ?? 200_000);
const WINDOW = Number(process.env.WINDOW ?? 1024);
const SOCKETS = Number(process.env.SOCKETS ?? 8);
const MODES = (process.env.MODES ?? 'full,normal').split(',').filter((m): m is 'full' | 'normal' => m === 'full' || m === 'normal');
const WITH_FREERADIUS = (process.env.FREERADIUS ?? 'yes') !== 'no';
const PROFILE = process.env.PROFILE;
const SECRET = 'testing123';
const REQUESTS = SESSIONS * 3;

const load = (port: number, datagrams: Buffer[]) =>
  runLoad({ port, secret: SECRET, datagrams, sockets: SOCKETS, window: WINDOW, timeoutMs: 3000, retries: 5, deadlineMs: 15 * 60_000 });

interface Run {
  name: string;
  result: LoadResult;
  serverCpu: number;
  benchCpu: number;
}

function cpuLine(r: Run): string {
  const s = r.result.seconds;
  return `server CPU ${(r.serverCpu / s).toFixed(2)} cores, load generator ${(r.benchCpu / s).toFixed(2)} cores (of 2)`;
}

async function openmnt(datagrams: Buffer[], synchronous: 'full' | 'normal'): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), 'openmnt-ingest-'));
  const dbPath = join(dir, 'openmnt.db');
  const nodeArgs = PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE}`] : [];
  const server = await startOpenMnt({ env: { OPENMNT_STORE__PATH: dbPath, OPENMNT_STORE__SYNCHRONOUS: synchronous }, nodeArgs });
  try {
    const cpu0 = server.cpuSeconds();
    const bench0 = process.cpuUsage();
    const result = await load(server.ports.accounting, datagrams);
    const benchUsage = process.cpuUsage(bench0);
    const run: Run = {
      name: `OpenMnT (SQLite WAL, synchronous=${synchronous})`,
      result,
      serverCpu: server.cpuSeconds() - cpu0,
      benchCpu: (benchUsage.user + benchUsage.system) / 1e6,
    };
    const rss = server.memory();
    console.log(`ingest: ${run.name} ${fmt(result.perSecond)} accounting requests/s, ${describe(result)}`);
    console.log(`        ${cpuLine(run)}; server RSS ${fmt(rss.rss / 2 ** 20)} MiB (peak ${fmt(rss.peak / 2 ** 20)} MiB)`);
    const how = await server.stop('SIGTERM');
    if (how.code !== 0) console.log(`        openmnt serve exited with ${how.code ?? how.signal}:\n${server.output()}`);

    // Zero loss, checked where it matters: in the store, after the server is gone.
    const store = openStore({ driver: 'sqlite', path: dbPath });
    const stats = await store.stats();
    const active = await store.countActive();
    await store.close();
    const ok = stats.accountingRecords === REQUESTS && stats.closedSessions === SESSIONS && active === 0;
    console.log(
      `        store after stop: ${fmt(stats.accountingRecords)} accounting records (sent ${fmt(REQUESTS)}), ` +
        `${fmt(stats.closedSessions)} sessions closed (of ${fmt(SESSIONS)}), ${fmt(active)} active — ${ok ? 'zero loss' : 'MISMATCH'}`,
    );
    return run;
  } finally {
    await server.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

async function freeradius(datagrams: Buffer[]): Promise<Run | null> {
  const version = freeradiusVersion();
  if (version === null) {
    console.log('ingest: FreeRADIUS is not installed (/usr/sbin/freeradius; Debian: apt-get install -y freeradius) — comparison skipped');
    return null;
  }
  const dir = mkdtempSync(join(tmpdir(), 'freeradius-ingest-'));
  try {
    const port = await freeUdpPort();
    const fr = await startFreeRadius({ dir, port, secret: SECRET });
    try {
      const cpu0 = fr.cpuSeconds();
      const bench0 = process.cpuUsage();
      const result = await load(port, datagrams);
      const benchUsage = process.cpuUsage(bench0);
      const run: Run = {
        name: `FreeRADIUS ${version} (detail file only)`,
        result,
        serverCpu: fr.cpuSeconds() - cpu0,
        benchCpu: (benchUsage.user + benchUsage.system) / 1e6,
      };
      const rss = fr.memory();
      console.log(`ingest: ${run.name} ${fmt(result.perSecond)} accounting requests/s, ${describe(result)}`);
      console.log(`        ${cpuLine(run)}; server RSS ${fmt(rss.rss / 2 ** 20)} MiB`);
      await fr.stop('SIGTERM', 10_000);
      const detail = countDetail(dir);
      const types = Object.entries(detail.byType)
        .map(([t, c]) => `${fmt(c)} ${t}`)
        .join(', ');
      console.log(`        detail file: ${fmt(detail.records)} records (${types}) — ${detail.records === REQUESTS ? 'zero loss' : 'MISMATCH'}`);
      return run;
    } finally {
      await fr.stop('SIGKILL');
    }
  } catch (error) {
    console.log(`ingest: FreeRADIUS run failed — comparison skipped: ${(error as Error).message}`);
    return null;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// Phase by phase: every Start, then every Interim-Update, then every Stop.
const phases: AcctPhase[] = ['Start', 'Interim-Update', 'Stop'];
const eventTime = Math.floor(Date.now() / 1000);
const datagrams = encodeAll(REQUESTS, Code.AccountingRequest, SECRET, (i) => accountingAttributes(i % SESSIONS, phases[Math.floor(i / SESSIONS)]!, eventTime), {
  label: 'ingest',
});
const bytes = datagrams.reduce((sum, d) => sum + d.length, 0);
console.log(
  `ingest: ${fmt(SESSIONS)} sessions × Start / Interim-Update / Stop = ${fmt(REQUESTS)} Accounting-Requests ` +
    `(${Math.round(bytes / REQUESTS)} octets on average), ${SOCKETS} sockets, window ${WINDOW}, 127.0.0.1`,
);

const runs: Run[] = [];
for (const mode of MODES) runs.push(await openmnt(datagrams, mode));
const fr = WITH_FREERADIUS ? await freeradius(datagrams) : null;

console.log('');
for (const r of runs) {
  console.log(`ingest: OpenMnT ${fmt(r.result.perSecond)} accounting requests/s, ${r.result.lost} lost (${fmt(REQUESTS)} requests, ${fmt(SESSIONS)} sessions) — ${r.name.replace('OpenMnT ', '')}`);
}
if (fr !== null) {
  console.log(`ingest: FreeRADIUS ${fmt(fr.result.perSecond)} accounting requests/s, ${fr.result.lost} lost (${fmt(REQUESTS)} requests, ${fmt(SESSIONS)} sessions) — ${fr.name.replace('FreeRADIUS ', '')}`);
  for (const r of runs) console.log(`ratio: ${(r.result.perSecond / fr.result.perSecond).toFixed(2)}x (OpenMnT ${r.name.replace('OpenMnT ', '')} / FreeRADIUS)`);
}
