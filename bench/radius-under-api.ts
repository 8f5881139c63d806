/**
 * Does heavy API work stall RADIUS? Against the real `openmnt serve` (store on its threads, MnT API
 * over HTTPS), with SESSIONS active sessions filled over UDP:
 *
 * 1. idle: Accounting Interim-Updates at a steady RATE per second for SECONDS, each round trip
 *    timed (paced.ts, on a thread of its own);
 * 2. under API load: the same, while JOBS bulk CoA job posts of MACS MACs each (dry run: the
 *    selection is done and answered in full, no CoA is sent) and DOWNLOADS whole
 *    Session/ActiveList downloads run at once, each started again as soon as it ends;
 * 3. the same again with job posts whose selector also names a policy no session has: the same
 *    lookups, an empty answer. Set beside 2, it tells the selection's share from the share of
 *    the dry-run answer (5 MB of JSON for 100,000 endpoints, serialised by the HTTP layer).
 *
 * The API clients stand for machines elsewhere in the network: this process runs them at nice 10
 * once the node and the probe threads are started, so that their CPU (TLS, reading megabytes) is
 * not taken from the node on a machine that runs both.
 *
 * It prints p50 / p99 / max of each phase next to the 50 ms anchor (accounting p99 must stay ≤ 50 ms
 * while the API works: a NAS retransmits, or fails over, when answers take seconds).
 *
 *   npm run bench:radius-under-api
 *   SESSIONS=50000 MACS=50000 SECONDS=5 npm run bench:radius-under-api
 *
 * Environment: SESSIONS (100,000), MACS (100,000), JOBS (3), DOWNLOADS (2), RATE (2,000/s),
 * SECONDS (10), CLIENT_NICE (10; 0 runs the API clients at the ordinary priority), SYNCHRONOUS (the node's default, full), SERVER_NODE_ARGS (e.g. "--cpu-prof
 * --cpu-prof-dir=/tmp/prof").
 */
import { Agent, request } from 'node:https';
import { join } from 'node:path';
import { AdminDirectory } from '../src/http/index.js';
import { Code } from '../src/radius/index.js';
import { encodeAll, fmt, ms, runLoad } from './lib/load.js';
import { pacedProbe, type PacedResult } from './lib/paced.js';
import { startOpenMnt, tempDir, type OpenMnt } from './lib/processes.js';
import { accountingAttributes, macFor } from './lib/traffic.js';
import { lowerThisThread } from '../src/thread-priority.js';

const SESSIONS = Number(process.env.SESSIONS ?? 100_000);
const MACS = Number(process.env.MACS ?? 100_000);
const JOBS = Number(process.env.JOBS ?? 3);
const DOWNLOADS = Number(process.env.DOWNLOADS ?? 2);
const RATE = Number(process.env.RATE ?? 2000);
const SECONDS = Number(process.env.SECONDS ?? 10);
const NODE_ARGS = (process.env.SERVER_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
const ANCHOR_MS = 50;
const SECRET = 'testing123';
const USER = 'bench';
const PASSWORD = 'Bench-Pass-2026';
const AUTH = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;

const dir = tempDir('openmnt-radius-api-');
const agent = new Agent({ keepAlive: true, rejectUnauthorized: false, maxSockets: JOBS + DOWNLOADS + 2 });
const eventTime = Math.floor(Date.now() / 1000);

/** One HTTPS exchange; the body is only counted (bytes) or, when small, kept. */
function exchange(server: OpenMnt, method: string, path: string, body?: string, whole = false): Promise<{ status: number; bytes: number; text: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { authorization: AUTH };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const req = request({ host: '127.0.0.1', port: server.apiPort, method, path, agent, headers }, (res) => {
      let bytes = 0;
      let head = '';
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (whole) head += chunk.toString('utf8');
        else if (head.length < 200) head += chunk.toString('utf8', 0, Math.min(chunk.length, 200));
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes, text: head }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Runs `work` again and again until `stop()` says so; returns how many ran and how long each took. */
async function repeat(work: () => Promise<void>, stop: () => boolean): Promise<number[]> {
  const times: number[] = [];
  while (!stop()) {
    const t0 = performance.now();
    await work();
    times.push(performance.now() - t0);
  }
  return times;
}

/** Interim-Updates for sessions [first, first + RATE × SECONDS) at RATE per second. */
function probe(server: OpenMnt, first: number): ReturnType<typeof pacedProbe> {
  return pacedProbe({ port: server.ports.accounting, secret: SECRET, first, count: RATE * SECONDS, eventTime, rate: RATE, sockets: 40, drainMs: 5000 });
}

/** The node's own view of a phase, from /metrics: how late the RADIUS thread ran its callbacks
 * (reset at each scrape) and the commits of the phase (bucket counts since the previous scrape). */
interface NodeView {
  delay: { p99: number; max: number };
  commits: Map<number, number>;
}

async function nodeView(server: OpenMnt): Promise<NodeView> {
  const { text } = await exchange(server, 'GET', '/metrics', undefined, true);
  const value = (re: RegExp) => Number(re.exec(text)?.[1] ?? NaN);
  const commits = new Map<number, number>();
  for (const m of text.matchAll(/^openmnt_store_commit_duration_seconds_bucket\{le="([^"]+)"\} (\d+)/gm)) commits.set(m[1] === '+Inf' ? Infinity : Number(m[1]), Number(m[2]));
  return {
    delay: { p99: value(/^openmnt_radius_thread_delay_seconds\{quantile="0.99"\} (\S+)/m), max: value(/^openmnt_radius_thread_delay_seconds\{quantile="1"\} (\S+)/m) },
    commits,
  };
}

/** The bucket bound under which 99 % of the phase's commits ended (cumulative counts, before → after). */
function commitP99(before: NodeView, after: NodeView): string {
  const bounds = [...after.commits.keys()].sort((a, b) => a - b);
  const total = (after.commits.get(Infinity) ?? 0) - (before.commits.get(Infinity) ?? 0);
  if (total === 0) return 'no commits';
  for (const b of bounds) {
    const n = (after.commits.get(b) ?? 0) - (before.commits.get(b) ?? 0);
    if (n >= total * 0.99) return b === Infinity ? '> 5 s' : `≤ ${ms(b * 1000)} ms`;
  }
  return '?';
}

const cell = (v: number) => (Number.isFinite(v) ? `${ms(v)} ms` : 'lost');
const median = (xs: number[]) => (xs.length === 0 ? NaN : [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!);

let server: OpenMnt | null = null;
try {
  await AdminDirectory.open(join(dir.path, 'admins.json')).add(USER, PASSWORD, 'mnt-admin');
  const env: Record<string, string> = { OPENMNT_STORE__PATH: join(dir.path, 'openmnt.db') };
  if (process.env.SYNCHRONOUS) env.OPENMNT_STORE__SYNCHRONOUS = process.env.SYNCHRONOUS;
  server = await startOpenMnt({ env, dir: dir.path, nodeArgs: NODE_ARGS });
  const live = server;

  const starts = encodeAll(SESSIONS, Code.AccountingRequest, SECRET, (i) => accountingAttributes(i, 'Start', eventTime), { label: 'radius-under-api' });
  const fill = await runLoad({ port: live.ports.accounting, secret: SECRET, datagrams: starts, sockets: 8, window: 1024, timeoutMs: 3000, retries: 5, deadlineMs: 10 * 60_000 });
  console.log(`radius-under-api: filled ${fmt(fill.answered)} sessions over UDP at ${fmt(fill.perSecond)}/s (${fmt(fill.lost)} lost)`);


  // The job list: MACS endpoints of the directory (beyond SESSIONS, MACs without a session).
  const macs = Array.from({ length: MACS }, (_, i) => macFor(i));
  const jobBody = JSON.stringify({ selector: { macs }, action: 'reauth', dryRun: true });
  // The same lookups (each session row is read, then fails the policy test), an empty answer: what
  // the selection itself costs, without the 5 MB dry-run answer the HTTP layer serialises.
  const emptyJobBody = JSON.stringify({ selector: { macs, policy: 'bench-no-such-policy' }, action: 'reauth', dryRun: true });

  let view = await nodeView(live);
  /** What the node saw of the phase just ended. */
  const seen = async () => {
    const next = await nodeView(live);
    const text = `RADIUS thread delay p99 ${ms(next.delay.p99 * 1000)} ms (max ${ms(next.delay.max * 1000)} ms), commits p99 ${commitP99(view, next)}`;
    view = next;
    return text;
  };
  // The probes' threads are made now, at the ordinary priority. Then this thread, which plays the
  // API clients (machines elsewhere in a real network: their CPU is not the node's), yields the
  // cores to the node and to the probes (nice 10), as the node's own API thread does to RADIUS.
  const probes = [await probe(live, 0), await probe(live, RATE * SECONDS), await probe(live, RATE * SECONDS * 2)];
  const clientNice = Number(process.env.CLIENT_NICE ?? 10);
  const lowered = clientNice > 0 && lowerThisThread(clientNice);
  console.log(`radius-under-api: the API clients run at ${lowered ? `nice ${clientNice}` : 'the ordinary priority'}; the probes at the ordinary priority`);
  const phases: { name: string; result: PacedResult; api: string; node: string }[] = [{ name: 'idle', result: await probes[0]!.go(), api: '', node: await seen() }];
  for (const [k, [name, body]] of ([['under API load', jobBody], ['… answers empty', emptyJobBody]] as const).entries()) {
    let stopping = false;
    let failures = 0;
    const counts: number[] = [];
    const jobRuns = Array.from({ length: JOBS }, () =>
      repeat(async () => {
        const r = await exchange(live, 'POST', '/api/v1/coa/jobs', body);
        if (r.status !== 200) failures++;
        counts.push(Number(/"count":(\d+)/.exec(r.text)?.[1] ?? NaN));
      }, () => stopping),
    );
    const downloadBytes: number[] = [];
    const downloadRuns = Array.from({ length: DOWNLOADS }, () =>
      repeat(async () => {
        const r = await exchange(live, 'GET', '/admin/API/mnt/Session/ActiveList');
        if (r.status !== 200) failures++;
        downloadBytes.push(r.bytes);
      }, () => stopping),
    );
    // Let the API work get going (bodies sent, selections under way) before the clock starts.
    const result = await probes[k + 1]!.go(async () => {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      view = await nodeView(live);
    });
    const node = await seen();
    stopping = true;
    const jobTimes = (await Promise.all(jobRuns)).flat();
    const downloadTimes = (await Promise.all(downloadRuns)).flat();
    const api =
      `${JOBS} job posts at a time (${fmt(MACS)} MACs, dry run, ${fmt(median(counts))} endpoints answered): ${jobTimes.length} done, ` +
      `median ${(median(jobTimes) / 1000).toFixed(2)} s each; ${DOWNLOADS} ActiveList downloads at a time: ${downloadTimes.length} done, ` +
      `median ${(median(downloadTimes) / 1000).toFixed(2)} s and ${fmt(median(downloadBytes) / 2 ** 20)} MiB each; ${failures} answered other than 200`;
    phases.push({ name, result, api, node });
  }

  const row = ({ name, result: r }: { name: string; result: PacedResult }) =>
    `  ${name.padEnd(16)}${cell(r.latencyMs.p50).padStart(10)}${cell(r.latencyMs.p99).padStart(10)}${cell(r.latencyMs.max).padStart(11)}${fmt(r.lost).padStart(7)} / ${fmt(r.sent)}`;
  const loaded = phases[1]!.result;
  const verdict = Number.isFinite(loaded.latencyMs.p99) && loaded.latencyMs.p99 <= ANCHOR_MS ? 'met' : 'MISSED';
  console.log(
    `radius-under-api: accounting round trip, Interim-Update at ${fmt(RATE)}/s for ${SECONDS} s a phase, ${fmt(SESSIONS)} active sessions\n` +
      `  ${''.padEnd(16)}${'p50'.padStart(10)}${'p99'.padStart(10)}${'max'.padStart(11)}   lost / sent\n` +
      `${phases.map(row).join('\n')}\n` +
      `  anchor: p99 ≤ ${ANCHOR_MS} ms under API load — ${verdict}\n` +
      phases.slice(1).map((p) => `  ${p.name}: ${p.api}`).join('\n') +
      '\n  as the node saw each phase:\n' +
      phases.map((p) => `    ${p.name}: ${p.node}`).join('\n'),
  );
} finally {
  await server?.stop();
  agent.destroy();
  dir.remove();
}
