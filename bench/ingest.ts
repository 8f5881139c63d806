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
import { join } from 'node:path';
import { Code } from '../src/radius/index.js';
import { openStore } from '../src/store/index.js';
import { FREERADIUS, countDetail, freeradiusVersion, startFreeRadius } from './lib/freeradius.js';
import { describe, encodeAll, fmt, runLoad, type LoadResult } from './lib/load.js';
import { startOpenMnt, tempDir, threadCpuLine } from './lib/processes.js';
import { freeUdpPort } from '../test/helpers/ports.js';
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
  threads: string;
  /** What the store (or the detail file) held afterwards. */
  verified: string;
}

function cpuLine(r: Run): string {
  const s = r.result.seconds;
  return `server CPU ${(r.serverCpu / s).toFixed(2)} cores (${r.threads}), load generator ${(r.benchCpu / s).toFixed(2)} cores (of 2)`;
}

async function openmnt(datagrams: Buffer[], synchronous: 'full' | 'normal'): Promise<Run> {
  const dir = tempDir('openmnt-ingest-');
  const dbPath = join(dir.path, 'openmnt.db');
  const nodeArgs = [...(PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE}`] : []), ...(process.env.SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean)];
  const server = await startOpenMnt({ env: { OPENMNT_STORE__PATH: dbPath, OPENMNT_STORE__SYNCHRONOUS: synchronous }, nodeArgs });
  try {
    const cpu0 = server.cpuSeconds();
    const threads0 = server.threadCpu();
    const bench0 = process.cpuUsage();
    const result = await load(server.ports.accounting, datagrams);
    const benchUsage = process.cpuUsage(bench0);
    const run: Run = {
      name: `OpenMnT (SQLite WAL, synchronous=${synchronous})`,
      result,
      serverCpu: server.cpuSeconds() - cpu0,
      benchCpu: (benchUsage.user + benchUsage.system) / 1e6,
      threads: threadCpuLine(threads0, server.threadCpu(), server.pid, result.seconds),
      verified: 'not checked',
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
    run.verified = ok ? `all ${fmt(REQUESTS)} records in the store` : 'RECORDS MISSING from the store';
    console.log(
      `        store after stop: ${fmt(stats.accountingRecords)} accounting records (sent ${fmt(REQUESTS)}), ` +
        `${fmt(stats.closedSessions)} sessions closed (of ${fmt(SESSIONS)}), ${fmt(active)} active — ${ok ? 'zero loss' : 'MISMATCH'}`,
    );
    return run;
  } finally {
    await server.stop('SIGKILL');
    dir.remove();
  }
}

async function freeradius(datagrams: Buffer[]): Promise<Run | null> {
  const version = freeradiusVersion();
  if (version === null) {
    console.log(`ingest: FreeRADIUS is not installed (${FREERADIUS} missing; Debian: apt-get install -y freeradius) — comparison skipped`);
    return null;
  }
  const dir = tempDir('freeradius-ingest-');
  try {
    const port = await freeUdpPort();
    const fr = await startFreeRadius({ dir: dir.path, port, secret: SECRET });
    try {
      const cpu0 = fr.cpuSeconds();
      const threads0 = fr.threadCpu();
      const bench0 = process.cpuUsage();
      const result = await load(port, datagrams);
      const benchUsage = process.cpuUsage(bench0);
      const run: Run = {
        name: `FreeRADIUS ${version} (detail file only)`,
        result,
        serverCpu: fr.cpuSeconds() - cpu0,
        benchCpu: (benchUsage.user + benchUsage.system) / 1e6,
        threads: threadCpuLine(threads0, fr.threadCpu(), fr.pid, result.seconds),
        verified: 'not checked',
      };
      const rss = fr.memory();
      console.log(`ingest: ${run.name} ${fmt(result.perSecond)} accounting requests/s, ${describe(result)}`);
      console.log(`        ${cpuLine(run)}; server RSS ${fmt(rss.rss / 2 ** 20)} MiB`);
      await fr.stop('SIGTERM', 10_000);
      const detail = countDetail(dir.path);
      const types = Object.entries(detail.byType)
        .map(([t, c]) => `${fmt(c)} ${t}`)
        .join(', ');
      console.log(`        detail file: ${fmt(detail.records)} records (${types}) — ${detail.records === REQUESTS ? 'zero loss' : 'MISMATCH'}`);
      run.verified = detail.records === REQUESTS ? `all ${fmt(REQUESTS)} records in the detail file` : 'RECORDS MISSING from the detail file';
      return run;
    } finally {
      await fr.stop('SIGKILL');
    }
  } catch (error) {
    console.log(`ingest: FreeRADIUS run failed — comparison skipped: ${(error as Error).message}`);
    return null;
  } finally {
    dir.remove();
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
const total = `(${fmt(REQUESTS)} requests, ${fmt(SESSIONS)} sessions)`;
for (const r of runs) {
  const mode = r.name.replace(/^OpenMnT \(SQLite WAL, (.*)\)$/, '$1');
  console.log(
    `ingest: OpenMnT ${fmt(r.result.perSecond)} accounting requests/s, ${r.result.lost} lost ${total} — ${mode}, ${r.verified}; target ≥ 20,000/s with zero loss: ${r.result.perSecond >= 20_000 && r.result.lost === 0 ? 'met' : 'missed'}`,
  );
}
if (fr !== null) {
  console.log(`ingest: ${fr.name.replace(' (detail file only)', '')} ${fmt(fr.result.perSecond)} accounting requests/s, ${fr.result.lost} lost ${total} — ${fr.verified}`);
  for (const r of runs) {
    const mode = r.name.replace(/^OpenMnT \(SQLite WAL, (.*)\)$/, '$1');
    console.log(`ratio: ${(r.result.perSecond / fr.result.perSecond).toFixed(2)}x (OpenMnT ${mode} / FreeRADIUS; aim ≥ 1.5x)`);
  }
}
