/**
 * Bulk reauthentication through the real `openmnt serve`: SESSIONS sessions (default 10,000) spread
 * over NAS simulated NAS (default 20), each a real UDP endpoint on its own 127.0.1.x address with
 * its own secret, ACKing; a job over the JSON API with 50 in flight per NAS. Prints the time from
 * POST to the job's end and every outcome, beside the time the cookbook's loop (`sleep 0.5`
 * between CoAs) would take for the same list. Then the same with 10 % of the NAS silent and 10 %
 * NAKing: the job must end within the retransmit budget with each outcome reported correctly.
 *
 *   npm run bench:coa
 *
 * Environment: SESSIONS, NAS, IN_FLIGHT (50).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AdminDirectory } from '../src/http/index.js';
import { Code, decodePacket, type AttributeInput } from '../src/radius/index.js';
import { toAccountingWrite } from '../src/sessions/index.js';
import { openStore } from '../src/store/index.js';
import { NasSimulator } from '../test/helpers/nas-simulator.js';
import { encodeAll, fmt } from './lib/load.js';
import { startOpenMnt, tempDir, type OpenMnt } from './lib/processes.js';
import { accountingAttributes } from './lib/traffic.js';

const SESSIONS = Number(process.env.SESSIONS ?? 10_000);
const NAS = Number(process.env.NAS ?? 20);
const IN_FLIGHT = Number(process.env.IN_FLIGHT ?? 50);
const USER = 'bench';
const PASSWORD = 'Bench-Pass-2026';
const AUTH = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
const nasAddress = (n: number) => `127.0.1.${n + 1}`;
/** Sends of an unanswered CoA with the default policy: at 0, 2, 6 and 14 s (the next, at 30 s, is past the 30 s budget). */
const DEFAULT_SENDS = 4;

interface JobView {
  id: string;
  state: string;
  total: number;
  completed: number;
  counts: Record<string, number>;
  durationMs: number | null;
}

interface ResultView {
  nasIp: string;
  outcome: string;
  errorCause: number | null;
  attempts: number;
}

const dir = tempDir('openmnt-coa-bench-');
const dbPath = join(dir.path, 'openmnt.db');
const simulators: NasSimulator[] = [];
let server: OpenMnt | null = null;

async function runJob(api: number): Promise<{ job: JobView; wallMs: number }> {
  const t0 = performance.now();
  const res = await fetch(`http://127.0.0.1:${api}/api/v1/coa/jobs`, {
    method: 'POST',
    headers: { authorization: AUTH, 'content-type': 'application/json' },
    body: JSON.stringify({ selector: { userName: 'bench-user' }, action: 'reauth', pacing: { perNasInFlight: IN_FLIGHT, globalInFlight: IN_FLIGHT * NAS } }),
  });
  const started = (await res.json()) as JobView;
  if (res.status !== 202) throw new Error(`job not started: ${res.status} ${JSON.stringify(started)}`);
  for (;;) {
    const job = (await (await fetch(`http://127.0.0.1:${api}/api/v1/coa/jobs/${started.id}`, { headers: { authorization: AUTH } })).json()) as JobView;
    if (job.state !== 'running') return { job, wallMs: performance.now() - t0 };
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Every per-endpoint result of an ended job, read a page at a time as a client would. */
async function allResults(api: number, id: string): Promise<ResultView[]> {
  const all: ResultView[] = [];
  for (let after: number | null = 0; after !== null; ) {
    const page = (await (await fetch(`http://127.0.0.1:${api}/api/v1/coa/jobs/${id}/results?limit=10000&after=${after}`, { headers: { authorization: AUTH } })).json()) as {
      results: ResultView[];
      next: number | null;
    };
    all.push(...page.results);
    after = page.next;
  }
  return all;
}

try {
  // Sessions straight into the store, each on one of the simulated NAS and with one user name, so
  // the job selects them all.
  const eventTime = Math.floor(Date.now() / 1000);
  const starts = encodeAll(SESSIONS, Code.AccountingRequest, 'testing123', (i) =>
    accountingAttributes(i, 'Start', eventTime).map((a): AttributeInput =>
      a.name === 'NAS-IP-Address' ? { name: a.name, value: nasAddress(i % NAS) } : a.name === 'User-Name' ? { name: a.name, value: 'bench-user' } : a,
    ),
  );
  const store = openStore({ driver: 'sqlite', path: dbPath, synchronous: 'normal' });
  await store.write({
    accounting: starts.map((d) => toAccountingWrite({ packet: decodePacket(d), nasName: 'bench', sourceAddress: '127.0.0.1', receivedAt: Date.now() }, 'openmnt')),
  });
  await store.close();
  for (let n = 0; n < NAS; n++) simulators.push(await new NasSimulator(`nas-secret-${n}`).start(0, nasAddress(n)));
  const config = join(dir.path, 'openmnt.yaml');
  writeFileSync(
    config,
    [
      'radius:',
      '  clients:',
      // The readiness probe (Status-Server) comes from 127.0.0.1.
      '    - { name: probe, address: 127.0.0.1, secret: testing123 }',
      ...simulators.map((s, n) => `    - { name: switch-${n}, address: ${nasAddress(n)}, secret: nas-secret-${n}, vendor: cisco, coaPort: ${s.port} }`),
      'coa: { sockets: 8 }',
      '',
    ].join('\n'),
  );
  await AdminDirectory.open(join(dir.path, 'admins.json')).add(USER, PASSWORD, 'mnt-admin');
  // The job API over plain HTTP here: what is measured is the CoA traffic, not TLS.
  server = await startOpenMnt({ env: { OPENMNT_STORE__PATH: dbPath, OPENMNT_API__TLS__ENABLED: 'false' }, args: ['--config', config], dir: dir.path });

  const loop = SESSIONS * 0.5;
  const all = await runJob(server.apiPort);
  console.log(
    `coa: bulk reauth of ${fmt(all.job.total)} sessions across ${NAS} NAS, ${IN_FLIGHT} in flight per NAS: ${(all.wallMs / 1000).toFixed(2)} s ` +
      `(job ${((all.job.durationMs ?? 0) / 1000).toFixed(2)} s), outcomes ${JSON.stringify(all.job.counts)}; ` +
      `the cookbook's loop (sleep 0.5 between CoAs) would take ${fmt(loop)} s (${(loop / 3600).toFixed(1)} h) — target ≤ 5 s: ` +
      `${all.wallMs <= 5000 && all.job.counts.ack === SESSIONS ? 'met' : 'MISSED'}`,
  );

  // 10 % of the NAS never answer, 10 % refuse.
  const silent = Math.max(1, Math.round(NAS / 10));
  simulators.forEach((s, n) => (s.behaviour = n < silent ? { kind: 'silent' } : n < 2 * silent ? { kind: 'nak', errorCause: 503 } : { kind: 'ack' }));
  const mixed = await runJob(server.apiPort);
  const expected = { silent: (SESSIONS / NAS) * silent, nak: (SESSIONS / NAS) * silent };
  const wrongResults = (await allResults(server.apiPort, mixed.job.id)).filter((r) => {
    const n = Number(r.nasIp.split('.')[3]) - 1;
    if (n < silent) return !((r.outcome === 'timeout' && r.attempts === DEFAULT_SENDS) || (r.outcome === 'unreachable' && r.attempts === 0));
    const want = n < 2 * silent ? 'nak' : 'ack';
    return r.outcome !== want || (want === 'nak' && r.errorCause !== 503);
  });
  const wrong = wrongResults.length;
  if (wrong > 0) console.log('coa: wrong outcomes, first 5:', JSON.stringify(wrongResults.slice(0, 5)));
  console.log(
    `coa: same job with ${silent} NAS silent and ${silent} NAKing: ${(mixed.wallMs / 1000).toFixed(2)} s, outcomes ${JSON.stringify(mixed.job.counts)} ` +
      `(expected for the silent NAS ${fmt(expected.silent)} timeouts after ${DEFAULT_SENDS} sends or not sent as unreachable, ${fmt(expected.nak)} NAK with Error-Cause 503); ${wrong} endpoints with a wrong outcome — ` +
      `within the retransmit budget (30 s): ${mixed.wallMs <= 32_000 && wrong === 0 ? 'yes' : 'NO'}`,
  );
  await server.stop('SIGTERM');
  server = null;
} finally {
  await server?.stop('SIGKILL');
  for (const s of simulators) await s.close();
  dir.remove();
}
