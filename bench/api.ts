/**
 * MnT API figures on SESSIONS active sessions (default 1,000,000), against the real `openmnt serve`
 * over HTTPS with its self-signed certificate, each printed beside its transport floor measured in
 * the same run on the same machine (absolute figures do not travel between machines; ratios do):
 *
 * 1. Session/ActiveList streamed whole (XML, then JSON): time, bytes, sessions counted in the body
 *    and the server's RSS growth while it streams (sampled every 50 ms from /proc), beside a bare
 *    Node HTTPS server (lib/https-floor.ts, a child process with the node's certificate and TLS
 *    settings) streaming the same number of bytes to the same client. Goal: within 5×, RSS growth
 *    ≤ 200 MB.
 * 2. Session/MACAddress/{mac} (a random endpoint of the directory each time) and
 *    Session/ActiveCount under autocannon (keep-alive, CONNECTIONS connections, DURATION s), XML and
 *    JSON, each beside the same server's `/bench-floor/{bytes}` (src/http/floor.ts: a constant body
 *    of the answer's size, before credentials and routing; there only because this benchmark starts
 *    the node with OPENMNT_BENCH_FLOOR=1). Goal: requests/s within 2× and p99 within 2× of the
 *    floor's.
 * 3. The directory grows to SESSIONS_MAX (default 2,000,000); the list is streamed again beside its
 *    floor, while Accounting Interim-Updates go at RATE per second (lib/paced.ts on a thread of its
 *    own, PROBE_SECONDS long): their p99 while the list streams is printed beside the idle p99.
 *
 *   npm run bench:api
 *   SESSIONS=200000 SESSIONS_MAX=400000 DURATION=5 npm run bench:api     (a trial run)
 *
 * The calls (2) share the machine with autocannon, which runs in this process: on a shared pair of
 * cores the floor's own rate swung from 11k to 20k req/s between runs, and with it every ratio. With
 * two cores or more the node is pinned to the last core and this process to the others while they
 * run (PIN=0: not), and each call and its floor are printed with the node's CPU per request beside
 * (all its threads, from /proc): that ratio does not depend on how fast the client is, and is the
 * one to compare between runs and machines. The client's own CPU is printed too: a client near one
 * core busy bounds the rate, whichever route it calls.
 *
 * Environment: SESSIONS, SESSIONS_MAX (0 skips the second size), CONNECTIONS (16), DURATION (10 s),
 * RATE (1,000/s), PROBE_SECONDS (5), SERVER_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"),
 * PHASES (comma-separated, default all: list, mac, count, grow), FORMATS (default XML,JSON), PIN.
 */
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { AdminDirectory } from '../src/http/index.js';
import { FLOOR_ENV } from '../src/http/floor.js';
import { fillStore } from './lib/fill.js';
import { fmt, ms } from './lib/load.js';
import { apiReady, bodySize, cannon, mntClient, stream, type Streamed } from './lib/mnt-http.js';
import { pacedProbe } from './lib/paced.js';
import { startChild, startOpenMnt, tempDir, type Child, type OpenMnt } from './lib/processes.js';
import { macFor } from './lib/traffic.js';

const SESSIONS = Number(process.env.SESSIONS ?? 1_000_000);
const SESSIONS_MAX = Number(process.env.SESSIONS_MAX ?? 2_000_000);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 16);
const DURATION = Number(process.env.DURATION ?? 10);
const RATE = Number(process.env.RATE ?? 1000);
const PROBE_SECONDS = Number(process.env.PROBE_SECONDS ?? 5);
const MiB = 2 ** 20;
/** Sessions listed once, untimed, after each start. */
const WARM_UP = 50_000;
const NODE_ARGS = (process.env.SERVER_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
const PHASES = new Set((process.env.PHASES ?? 'list,mac,count,grow').split(',').map((p) => p.trim()));
const PIN = process.env.PIN !== '0' && availableParallelism() >= 2;
const SECRET = 'testing123';
const USER = 'bench';
const PASSWORD = 'Bench-Pass-2026';
const client = mntClient(USER, PASSWORD);
const ALL_FORMATS = [
  ['XML', 'application/xml'],
  ['JSON', 'application/json'],
] as const;
type Accept = (typeof ALL_FORMATS)[number][1];
const FORMATS = ALL_FORMATS.filter(([label]) => (process.env.FORMATS ?? 'XML,JSON').split(',').includes(label));

const dir = tempDir('openmnt-api-bench-');
const dbPath = join(dir.path, 'openmnt.db');
const x = (ratio: number) => `${ratio.toFixed(2)}×`;

const ACTIVE_LIST = '/admin/API/mnt/Session/ActiveList';
const markerOf = (accept: Accept) => (accept === 'application/xml' ? '</activeSession>' : '"calling_station_id":');

/** The list in one format, then the floor streaming as many bytes; prints both and their ratio. */
async function listBesideFloor(server: OpenMnt, floorPort: number, size: number, label: string, accept: Accept): Promise<Streamed> {
  const list = await stream(client, server.apiPort, ACTIVE_LIST, accept, markerOf(accept), () => server.memory().rss);
  const floor = await stream(client, floorPort, `/stream/${list.bytes}`, accept, markerOf(accept));
  const ratio = list.seconds / floor.seconds;
  const ok = list.status === 200 && list.sessions === size;
  console.log(
    `api: ActiveList ${label} of ${fmt(size)} sessions: HTTP ${list.status}, ${fmt(list.sessions)} sessions in the body, ${fmt(list.bytes / MiB)} MiB in ${list.seconds.toFixed(2)} s ` +
      `beside the floor's ${floor.seconds.toFixed(2)} s for the same bytes: ${x(ratio)}; server RSS growth ${fmt(list.growthMiB)} MiB — ` +
      `goal ≤ 5× and ≤ 200 MB: ${ok && ratio <= 5 && list.growthMiB <= 200 ? 'met' : 'MISSED'}${ok ? '' : ' (the body is wrong)'}`,
  );
  return list;
}

/** The node's CPU seconds (all threads, and its main thread alone) and this process's, so far. */
function cpuNow(server: OpenMnt): { node: number; main: number; client: number } {
  const own = process.cpuUsage();
  return { node: server.cpuSeconds(), main: server.threadCpu().get(server.pid)?.seconds ?? 0, client: (own.user + own.system) / 1e6 };
}

/** One autocannon run with the CPU the node and this process spent on it, per request (µs). */
async function measured(server: OpenMnt, accept: Accept, path: (n: number) => string) {
  const before = cpuNow(server);
  const run = await cannon(client, server.apiPort, accept, path, CONNECTIONS, DURATION);
  const after = cpuNow(server);
  const per = (seconds: number) => (seconds * 1e6) / Math.max(run.total, 1);
  return { ...run, nodeUs: per(after.node - before.node), mainUs: per(after.main - before.main), clientCores: (after.client - before.client) / DURATION };
}

/**
 * Pins the node to the last core and this process (the load client) to the others while `body`
 * runs, then gives both every core back (PIN=0 or one core: nothing is pinned).
 */
async function pinned<T>(server: OpenMnt, body: () => Promise<T>): Promise<T> {
  if (!PIN) return body();
  const cores = availableParallelism();
  const taskset = (list: string, pid: number) => execFileSync('taskset', ['-a', '-p', '-c', list, String(pid)], { stdio: 'ignore' });
  taskset(String(cores - 1), server.pid);
  taskset(`0-${cores - 2}`, process.pid);
  try {
    return await body();
  } finally {
    taskset(`0-${cores - 1}`, server.pid);
    taskset(`0-${cores - 1}`, process.pid);
  }
}

/** A call under autocannon beside the floor route answering the same number of bytes. */
async function callBesideFloor(server: OpenMnt, name: string, label: string, accept: Accept, path: (n: number) => string): Promise<void> {
  const { bytes } = await bodySize(client, server.apiPort, path(0), accept);
  const { call, floor } = await pinned(server, async () => {
    const call = await measured(server, accept, path);
    const floor = await measured(server, accept, () => `/bench-floor/${bytes}`);
    return { call, floor };
  });
  const rate = floor.perSecond / call.perSecond;
  const p99 = call.p99 / Math.max(floor.p99, 1);
  const cpu = call.nodeUs / floor.nodeUs;
  const ok = call.other === 0 && call.errors === 0 && call.ok > 0;
  console.log(
    `api: ${name} ${label} (${fmt(bytes)} bytes), ${CONNECTIONS} keep-alive HTTPS connections, ${DURATION} s${PIN ? ', node pinned to its own core' : ''}: ${fmt(call.perSecond)} req/s, p50 ${call.p50} ms, p99 ${call.p99} ms ` +
      `(${fmt(call.ok)} answered 200, ${fmt(call.other)} other, ${call.errors} errors) beside the floor's ${fmt(floor.perSecond)} req/s, p99 ${floor.p99} ms: ` +
      `rate ${x(rate)} slower, p99 ${x(p99)} — goal ≤ 2× and ≤ 2×: ${ok && rate <= 2 && p99 <= 2 ? 'met' : 'MISSED'}`,
  );
  console.log(
    `api:   node CPU a request ${call.nodeUs.toFixed(0)} µs (main thread ${call.mainUs.toFixed(0)}) beside the floor's ${floor.nodeUs.toFixed(0)} µs (main thread ${floor.mainUs.toFixed(0)}): ${x(cpu)}; ` +
      `client busy ${call.clientCores.toFixed(2)} and ${floor.clientCores.toFixed(2)} cores`,
  );
}

/** A paced accounting probe on a thread of its own (Interim-Updates for sessions from `first`). */
function probe(server: OpenMnt, first: number): ReturnType<typeof pacedProbe> {
  return pacedProbe({ port: server.ports.accounting, secret: SECRET, first, count: RATE * PROBE_SECONDS, eventTime: Math.floor(Date.now() / 1000), rate: RATE, sockets: 40, drainMs: 5000 });
}

async function startNode(): Promise<OpenMnt> {
  const node = await startOpenMnt({ env: { OPENMNT_STORE__PATH: dbPath, [FLOOR_ENV]: '1' }, dir: dir.path, nodeArgs: NODE_ARGS });
  await apiReady(client, node.apiPort);
  // Untimed: the password check (scrypt, then remembered), and a first stretch of the list and of
  // the lookups so the figures are of a running node, not of its JIT warming up.
  for (const [, accept] of FORMATS) {
    await stream(client, node.apiPort, `${ACTIVE_LIST}?page=1&size=${WARM_UP}`, accept, markerOf(accept));
    for (let i = 0; i < 200; i++) await bodySize(client, node.apiPort, `/admin/API/mnt/Session/MACAddress/${macFor(i)}`, accept);
  }
  return node;
}

/** The bare HTTPS server with the node's certificate (made by the node on its first start). */
async function startFloor(): Promise<{ child: Child; port: number }> {
  let found: (port: number) => void;
  const port = new Promise<number>((resolve) => (found = resolve));
  const tls = join(dir.path, 'tls');
  const child = startChild(process.execPath, ['dist/bench/lib/https-floor.js', join(tls, 'cert.pem'), join(tls, 'key.pem')], process.env, (line) => {
    const m = /^port (\d+)$/.exec(line);
    if (m) found(Number(m[1]));
  });
  return { child, port: await Promise.race([port, child.exited.then(() => Promise.reject(new Error(`the floor server exited: ${child.output()}`)))]) };
}

let server: OpenMnt | null = null;
let floor: { child: Child; port: number } | null = null;
try {
  console.log(`api: filling ${fmt(SESSIONS)} sessions straight into the store`);
  console.log(`api: store fill ${fmt(await fillStore(dbPath, 0, SESSIONS, 'api'))} sessions/s`);
  await AdminDirectory.open(join(dir.path, 'admins.json')).add(USER, PASSWORD, 'mnt-admin');
  server = await startNode();
  floor = await startFloor();
  const live = server;
  if (PHASES.has('list')) for (const [label, accept] of FORMATS) await listBesideFloor(live, floor.port, SESSIONS, label, accept);
  for (const [label, accept] of FORMATS) {
    // A spread of endpoints over the whole directory (multiplicative hash of a counter).
    if (PHASES.has('mac')) {
      await callBesideFloor(live, `Session/MACAddress with ${fmt(SESSIONS)} sessions`, label, accept, (n) => `/admin/API/mnt/Session/MACAddress/${macFor((Math.imul(n, 2654435761) >>> 0) % SESSIONS)}`);
    }
    if (PHASES.has('count')) await callBesideFloor(live, 'Session/ActiveCount', label, accept, () => '/admin/API/mnt/Session/ActiveCount');
  }
  if (PHASES.has('grow') && SESSIONS_MAX > SESSIONS) {
    await server.stop('SIGTERM');
    server = null;
    console.log(`api: growing the directory to ${fmt(SESSIONS_MAX)} sessions`);
    await fillStore(dbPath, SESSIONS, SESSIONS_MAX, 'api');
    server = await startNode();
    const grown = server;
    const idle = await (await probe(grown, 0)).go();
    const during = await probe(grown, RATE * PROBE_SECONDS);
    // The probe starts once the list is under way and must end before it does to count.
    let listing = true;
    const list = listBesideFloor(grown, floor.port, SESSIONS_MAX, 'XML', 'application/xml').finally(() => (listing = false));
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const loaded = await during.go();
    const whole = listing;
    const streamed = await list;
    const cell = (v: number) => (Number.isFinite(v) ? `${ms(v)} ms` : 'lost');
    console.log(
      `api: accounting round trips at ${fmt(RATE)}/s for ${PROBE_SECONDS} s, ${fmt(SESSIONS_MAX)} sessions: idle p50 ${cell(idle.latencyMs.p50)}, p99 ${cell(idle.latencyMs.p99)}; ` +
        `while the ${fmt(streamed.bytes / MiB)} MiB list streams p50 ${cell(loaded.latencyMs.p50)}, p99 ${cell(loaded.latencyMs.p99)}, max ${cell(loaded.latencyMs.max)}, ` +
        `${fmt(loaded.lost)} of ${fmt(loaded.sent)} lost${whole ? '' : ' (the list ended before the probe did: a share of it ran idle)'}`,
    );
    await listBesideFloor(grown, floor.port, SESSIONS_MAX, 'JSON', 'application/json');
  }
  await server.stop('SIGTERM');
  server = null;
} finally {
  client.agent.destroy();
  await floor?.child.stop('SIGKILL');
  await server?.stop('SIGKILL');
  dir.remove();
}
