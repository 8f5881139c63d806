/**
 * Scale: SESSIONS active sessions (default 1,000,000) held by one node, and how fast it is back.
 *
 * 1. Fill: the real `openmnt serve` receives an Accounting-Request Start for every session through
 *    its UDP listener (so this is also a sustained-ingest run), with progress lines. FILL=store
 *    instead writes the same Starts straight into the SQLite store in batches (no server), for when
 *    the UDP fill would take too long; the output says which was used.
 * 2. The server's resident memory (VmRSS, /proc/<pid>/status) with every session active.
 * 3. SIGTERM, then a new process on the same database: "restart to serving" is the time from spawn
 *    until an Accounting-Request (an Interim-Update of session 0, retransmitted every 20 ms until
 *    answered) gets its Accounting-Response. Then the active count the restarted node serves.
 *
 *   npm run bench:scale
 *   SESSIONS=200000 npm run bench:scale
 *   FILL=store npm run bench:scale
 *
 * Environment: SESSIONS, FILL (udp|store), FILL_DEADLINE (seconds, 240), WINDOW (1024), SOCKETS (8).
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { Code } from '../src/radius/index.js';
import { openSqliteStore } from '../src/store/index.js';
import { fillStore } from './lib/fill.js';
import { describe, encodeAll, fmt, runLoad } from './lib/load.js';
import { startOpenMnt, tempDir, type OpenMnt } from './lib/processes.js';
import { accountingAttributes } from './lib/traffic.js';

const SESSIONS = Number(process.env.SESSIONS ?? 1_000_000);
const FILL = process.env.FILL === 'store' ? 'store' : 'udp';
const FILL_DEADLINE = Number(process.env.FILL_DEADLINE ?? 240);
const WINDOW = Number(process.env.WINDOW ?? 1024);
const SOCKETS = Number(process.env.SOCKETS ?? 8);
const SECRET = 'testing123';
const GiB = 2 ** 30;
const MiB = 2 ** 20;

const benchStarted = performance.now();
const elapsed = () => `${((performance.now() - benchStarted) / 1000).toFixed(0)} s`;
const dir = tempDir('openmnt-scale-');
const dbPath = join(dir.path, 'openmnt.db');
const env = { OPENMNT_STORE__PATH: dbPath, OPENMNT_STORE__SYNCHRONOUS: 'full' };
const eventTime = Math.floor(Date.now() / 1000);

function dbSize(): string {
  const size = (f: string) => {
    try {
      return statSync(f).size;
    } catch {
      return 0;
    }
  };
  return `${fmt((size(dbPath) + size(`${dbPath}-wal`)) / MiB)} MiB`;
}

let server: OpenMnt | null = null;
try {
  if (FILL === 'store') {
    // No server: the same Starts, decoded and turned into writes as the server would.
    console.log(`scale: filling ${fmt(SESSIONS)} sessions straight into the store (FILL=store, not through UDP)`);
    console.log(`scale: store fill ${fmt(await fillStore(dbPath, 0, SESSIONS, 'scale'))} sessions/s`);
    server = await startOpenMnt({ env });
  } else {
    const starts = encodeAll(SESSIONS, Code.AccountingRequest, SECRET, (i) => accountingAttributes(i, 'Start', eventTime), { label: 'scale' });
    server = await startOpenMnt({ env });
    console.log(`scale: filling ${fmt(SESSIONS)} sessions with Accounting-Request Start through UDP (${SOCKETS} sockets, window ${WINDOW}), at most ${FILL_DEADLINE} s`);
    const running = server;
    const result = await runLoad({
      port: server.ports.accounting,
      secret: SECRET,
      datagrams: starts,
      sockets: SOCKETS,
      window: WINDOW,
      timeoutMs: 3000,
      retries: 5,
      deadlineMs: FILL_DEADLINE * 1000,
      progressEveryMs: 15_000,
      progress: (answered, seconds) =>
        console.log(
          `scale: fill ${fmt(answered)} / ${fmt(SESSIONS)} started, ${fmt(answered / seconds)}/s, server RSS ${fmt(running.memory().rss / MiB)} MiB, DB ${dbSize()} (${elapsed()})`,
        ),
    });
    console.log(`scale: fill through UDP: ${fmt(result.perSecond)} Accounting-Request Start/s sustained, ${describe(result)}`);
  }

  // Let the last group commit settle, then read what the process holds.
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const reader = openSqliteStore({ path: dbPath, readonly: true });
  const activeBefore = await reader.countActive();
  await reader.close();
  const mem = server.memory();
  console.log(
    `scale: server RSS with ${fmt(activeBefore)} active sessions: ${fmt(mem.rss / MiB)} MiB (peak ${fmt(mem.peak / MiB)} MiB) — target ≤ 1 GB: ${mem.rss <= GiB ? 'met' : 'MISSED'}; DB on disk ${dbSize()}`,
  );

  const stopStarted = performance.now();
  const how = await server.stop('SIGTERM');
  console.log(`scale: SIGTERM → exit ${how.code ?? how.signal} in ${((performance.now() - stopStarted) / 1000).toFixed(2)} s; DB on disk ${dbSize()}`);
  server = null;

  // Restart on the same database; the probe is an Interim-Update of session 0 (already active).
  const probe = encodeAll(1, Code.AccountingRequest, SECRET, () => accountingAttributes(0, 'Interim-Update', eventTime))[0]!;
  server = await startOpenMnt({ env, probe });
  const reader2 = openSqliteStore({ path: dbPath, readonly: true });
  const activeAfter = await reader2.countActive();
  await reader2.close();
  const mem2 = server.memory();
  console.log(
    `scale: restart to serving ${(server.readyAfterMs / 1000).toFixed(2)} s (spawn → Accounting-Response) — target ≤ 10 s: ${server.readyAfterMs <= 10_000 ? 'met' : 'MISSED'}; ` +
      `countActive after restart ${fmt(activeAfter)}; RSS ${fmt(mem2.rss / MiB)} MiB`,
  );
  console.log('');
  console.log(
    `scale: ${fmt(activeAfter)} active sessions, RSS ${fmt(mem.rss / MiB)} MiB, restart to serving ${(server.readyAfterMs / 1000).toFixed(2)} s ` +
      `(fill ${FILL === 'udp' ? 'through UDP' : 'straight into the store'}, total ${elapsed()})`,
  );
  await server.stop('SIGTERM');
} finally {
  await server?.stop('SIGKILL');
  dir.remove();
}
