/**
 * MnT API figures on SESSIONS active sessions (default 1,000,000), against the real `openmnt serve`
 * over HTTPS with its self-signed certificate:
 *
 * 1. Session/ActiveList streamed whole: time, bytes, sessions counted in the body, and the server's
 *    RSS growth while it streams (sampled every 50 ms from /proc). Then the directory grows to
 *    SESSIONS_MAX (default 2,000,000) and the list is streamed again.
 * 2. Session/MACAddress/{mac} under autocannon (keep-alive, CONNECTIONS connections, DURATION s),
 *    each request for a random endpoint of the directory: requests/s and latency percentiles.
 * 3. Session/ActiveCount latency at both sizes (constant time).
 *
 *   npm run bench:api
 *   SESSIONS=200000 SESSIONS_MAX=0 npm run bench:api
 *
 * Environment: SESSIONS, SESSIONS_MAX (0 skips the second size), CONNECTIONS (16), DURATION (20 s),
 * SERVER_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof").
 */
import { request, Agent } from 'node:https';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { AdminDirectory } from '../src/http/index.js';
import { fillStore } from './lib/fill.js';
import { fmt } from './lib/load.js';
import { startOpenMnt, tempDir, type OpenMnt } from './lib/processes.js';
import { macFor } from './lib/traffic.js';

const SESSIONS = Number(process.env.SESSIONS ?? 1_000_000);
const SESSIONS_MAX = Number(process.env.SESSIONS_MAX ?? 2_000_000);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 16);
const DURATION = Number(process.env.DURATION ?? 20);
const MiB = 2 ** 20;
const NODE_ARGS = (process.env.SERVER_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
const USER = 'bench';
const PASSWORD = 'Bench-Pass-2026';
const AUTH = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;

const dir = tempDir('openmnt-api-bench-');
const dbPath = join(dir.path, 'openmnt.db');
const agent = new Agent({ keepAlive: true, rejectUnauthorized: false });

async function listWhole(server: OpenMnt, expected: number): Promise<void> {
  const before = server.memory().rss;
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, server.memory().rss)), 50);
  const t0 = performance.now();
  const { bytes, sessions, status } = await new Promise<{ bytes: number; sessions: number; status: number }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.apiPort, path: '/admin/API/mnt/Session/ActiveList', agent, headers: { authorization: AUTH } }, (res) => {
      let bytes = 0;
      let sessions = 0;
      let tail = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        bytes += Buffer.byteLength(chunk);
        // Count closing tags across chunk boundaries.
        const text = tail + chunk;
        let at = text.indexOf('</activeSession>');
        while (at >= 0) {
          sessions++;
          at = text.indexOf('</activeSession>', at + 16);
        }
        tail = text.slice(-15);
      });
      res.on('end', () => resolve({ bytes, sessions, status: res.statusCode ?? 0 }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  const growth = (peak - before) / MiB;
  // The 10 s / 200 MB targets are for 1,000,000 sessions; larger directories must simply work.
  const verdict = expected > 1_000_000 ? (sessions === expected && status === 200 ? 'must work: works' : 'must work: FAILED') : `targets ≤ 10 s and ≤ 200 MB: ${seconds <= 10 && growth <= 200 && sessions === expected ? 'met' : 'MISSED'}`;
  console.log(
    `api: ActiveList of ${fmt(expected)} sessions: HTTP ${status}, ${fmt(sessions)} activeSession elements, ${fmt(bytes / MiB)} MiB in ${seconds.toFixed(2)} s ` +
      `(${fmt(bytes / MiB / seconds)} MiB/s); server RSS ${fmt(before / MiB)} → peak ${fmt(peak / MiB)} MiB, growth ${fmt(growth)} MiB — ${verdict}`,
  );
}

async function countLatency(server: OpenMnt, size: number): Promise<void> {
  const times: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t0 = performance.now();
    await new Promise<void>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: server.apiPort, path: '/admin/API/mnt/Session/ActiveCount', agent, headers: { authorization: AUTH } }, (res) => {
        res.resume();
        res.on('end', () => resolve());
      });
      req.on('error', reject);
      req.end();
    });
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  console.log(`api: ActiveCount with ${fmt(size)} sessions: median ${times[100]!.toFixed(2)} ms, p99 ${times[198]!.toFixed(2)} ms (200 sequential requests)`);
}

async function macLookups(server: OpenMnt, size: number): Promise<void> {
  let n = 0;
  const result = await autocannon({
    url: `https://127.0.0.1:${server.apiPort}`,
    connections: CONNECTIONS,
    duration: DURATION,
    headers: { authorization: AUTH },
    requests: [
      {
        setupRequest: (req: { path?: string }) => {
          // A spread of endpoints over the whole directory (multiplicative hash of a counter).
          const i = (Math.imul(++n, 2654435761) >>> 0) % size;
          return { ...req, path: `/admin/API/mnt/Session/MACAddress/${macFor(i)}` };
        },
      },
    ],
  });
  const ok = result['2xx'];
  console.log(
    `api: Session/MACAddress with ${fmt(size)} sessions, ${CONNECTIONS} keep-alive HTTPS connections, ${DURATION} s: ` +
      `${fmt(result.requests.average)} requests/s (${fmt(ok)} answered 200, ${fmt(result.non2xx)} other, ${result.errors} errors); ` +
      `latency p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, max ${result.latency.max} ms — targets ≥ 5,000/s and p99 ≤ 10 ms: ` +
      `${result.requests.average >= 5000 && result.latency.p99 <= 10 && result.non2xx === 0 ? 'met' : 'MISSED'}`,
  );
}

let server: OpenMnt | null = null;
try {
  console.log(`api: filling ${fmt(SESSIONS)} sessions straight into the store`);
  console.log(`api: store fill ${fmt(await fillStore(dbPath, 0, SESSIONS, 'api'))} sessions/s`);
  await AdminDirectory.open(join(dir.path, 'admins.json')).add(USER, PASSWORD, 'mnt-admin');
  const env = { OPENMNT_STORE__PATH: dbPath };
  server = await startOpenMnt({ env, dir: dir.path, nodeArgs: NODE_ARGS });
  await listWhole(server, SESSIONS);
  await countLatency(server, SESSIONS);
  await macLookups(server, SESSIONS);
  if (SESSIONS_MAX > SESSIONS) {
    await server.stop('SIGTERM');
    server = null;
    console.log(`api: growing the directory to ${fmt(SESSIONS_MAX)} sessions`);
    await fillStore(dbPath, SESSIONS, SESSIONS_MAX, 'api');
    server = await startOpenMnt({ env, dir: dir.path, nodeArgs: NODE_ARGS });
    await listWhole(server, SESSIONS_MAX);
    await countLatency(server, SESSIONS_MAX);
  }
  await server.stop('SIGTERM');
  server = null;
} finally {
  agent.destroy();
  await server?.stop('SIGKILL');
  dir.remove();
}
