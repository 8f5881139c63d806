/**
 * MAB and accounting against a real client, in one run: radclient (Debian `freeradius-utils`)
 * sending the same packet files with 64 requests in flight (`-p 64`) to
 *
 * - FreeRADIUS 3.2 accepting everything and recording nothing (against it radclient measured no
 *   faster than against the detail server: radclient's own CPU per request, printed beside each
 *   figure, is what bounds every server measured with it);
 * - FreeRADIUS 3.2 answering MAB from its `files` module and writing accounting to a detail file
 *   only (the issue's anchor);
 * - OpenMnT with `synchronous: normal` and `full` (each answer after its commit).
 *
 * Then the project's generator with the same 64 in flight: rate and answer latency p50 / p99.
 * Printed beside each: the CPU that the server and radclient spent per 1,000 requests, which tells
 * whether a figure is the server's or the client's (all of them share the machine's cores).
 *
 *   npm run bench:radclient
 *   SESSIONS=5000 npm run bench:radclient
 *
 * Environment: SESSIONS (10,000: as many MAB requests, and a Start, an Interim-Update and a Stop
 * each), WINDOW (64).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { Code, type AttributeInput } from '../src/radius/index.js';
import { freeradiusVersion, radiusdMain, startConfiguredFreeRadius } from './lib/freeradius.js';
import { encodeAll, fmt, ms, runLoad, type LoadResult } from './lib/load.js';
import { startOpenMnt, tempDir, type Child } from './lib/processes.js';
import { accountingAttributes, macFor, mabAttributes, type AcctPhase } from './lib/traffic.js';
import { freeUdpPort } from '../test/helpers/ports.js';

const SESSIONS = Number(process.env.SESSIONS ?? 10_000);
const WINDOW = Number(process.env.WINDOW ?? 64);
const SECRET = 'testing123';
const EVENT_TIME = Math.floor(Date.now() / 1000) - 3600;

const dir = tempDir('openmnt-radclient-');

/** One request as a radclient packet-file line (numbers bare, everything else quoted). */
function line(attributes: readonly AttributeInput[], messageAuthenticator: boolean): string {
  const parts = attributes.map((a) => `${a.name} = ${typeof a.value === 'number' ? a.value : `"${String(a.value).replace(/["\\]/g, (c) => `\\${c}`)}"`}`);
  // radclient computes Message-Authenticator when the attribute is present.
  if (messageAuthenticator) parts.push('Message-Authenticator = 0x00');
  return parts.join(', ');
}

const phases: AcctPhase[] = ['Start', 'Interim-Update', 'Stop'];
const mabFile = join(dir.path, 'mab.txt');
const acctFile = join(dir.path, 'acct.txt');
writeFileSync(mabFile, Array.from({ length: SESSIONS }, (_, i) => line(mabAttributes(i), true)).join('\n\n') + '\n');
// A few hundred of each, sent before measuring a server: its threads, caches and JIT warm.
const warmFile = join(dir.path, 'warm.txt');
writeFileSync(warmFile, Array.from({ length: 300 }, (_, i) => line(mabAttributes(3 * SESSIONS + i), true)).join('\n\n') + '\n');
writeFileSync(acctFile, phases.flatMap((p) => Array.from({ length: SESSIONS }, (_, i) => line(accountingAttributes(i, p, EVENT_TIME), false))).join('\n\n') + '\n');

interface Server {
  name: string;
  child: Child;
  auth: number;
  acct: number;
}

/**
 * FreeRADIUS answering MAB from `files` and recording accounting in a detail file;
 * with `none` it records nothing and accepts every request without looking it up: the cheapest
 * real server, whose rate is what radclient itself reaches on this machine.
 */
async function startFreeRadius(name: string, recorder: 'detail' | 'none'): Promise<Server> {
  const path = join(dir.path, name);
  for (const sub of ['radacct', 'log', 'run']) mkdirSync(join(path, sub), { recursive: true });
  const auth = await freeUdpPort();
  const acct = await freeUdpPort();
  writeFileSync(join(path, 'dictionary'), '$INCLUDE /usr/share/freeradius/dictionary\n');
  writeFileSync(join(path, 'users'), 'DEFAULT Auth-Type := Accept\n  Tunnel-Type = VLAN, Tunnel-Medium-Type = IEEE-802, Tunnel-Private-Group-Id = "130"\n');
  const detail = `detail {
    filename = \${radacctdir}/detail
    permissions = 0600
    header = "%t"
    locking = no
  }`;
  writeFileSync(
    join(path, 'radiusd.conf'),
    `${radiusdMain({ dir: path, maxRequests: 4_194_304, logAuth: false })}
client bench {
  ipaddr = 127.0.0.1
  secret = ${SECRET}
}
modules {
  files {
    filename = ${path}/users
  }
  ${recorder === 'detail' ? detail : 'always ok {\n    rcode = ok\n  }'}
}
server default {
  listen {
    type = auth
    ipaddr = 127.0.0.1
    port = ${auth}
    recv_buff = 4194304
  }
  listen {
    type = acct
    ipaddr = 127.0.0.1
    port = ${acct}
    recv_buff = 4194304
  }
  authorize {
    ${recorder === 'none' ? 'update control {\n      &Auth-Type := Accept\n    }' : 'files'}
  }
  authenticate {
  }
  accounting {
    ${recorder === 'none' ? 'ok' : recorder}
  }
}
`,
  );
  const child = await startConfiguredFreeRadius(path, acct, SECRET);
  return { name: recorder === 'none' ? 'FreeRADIUS, records nothing' : 'FreeRADIUS, detail file', child, auth, acct };
}

async function startNode(synchronous: 'normal' | 'full'): Promise<Server> {
  const path = join(dir.path, `openmnt-${synchronous}`);
  mkdirSync(path, { recursive: true });
  const config = join(path, 'openmnt.yaml');
  writeFileSync(
    config,
    stringify({
      radius: { clients: [{ name: 'bench-switch', address: '127.0.0.1', secret: SECRET, vendor: 'cisco', coaPort: 3799, requireMessageAuthenticator: false, deviceGroups: [] }] },
      auth: {
        unknownEndpoint: 'reject',
        defaultProfile: 'PermitAccess',
        profiles: { PermitAccess: {}, 'IoT-VLAN': { vlan: '130' } },
        groups: [{ name: 'IoT-Devices', profile: 'IoT-VLAN' }],
        endpoints: Array.from({ length: SESSIONS }, (_, e) => ({ mac: macFor(e), group: 'IoT-Devices' })),
      },
      store: { driver: 'sqlite', path: join(path, 'openmnt.db'), synchronous },
      log: { level: 'warn' },
    }),
  );
  const child = await startOpenMnt({ args: ['--config', config], dir: path });
  return { name: `OpenMnT, synchronous: ${synchronous}`, child, auth: child.ports.auth, acct: child.ports.accounting };
}

interface Measured {
  perSecond: number;
  serverCpuMs: number;
  clientCpuMs: number;
}

/** radclient over a packet file; requests per second and CPU per 1,000 requests (server, radclient). */
function radclient(server: Server, kind: 'auth' | 'acct', file: string, count: number, warmUp = false): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const cpu0 = server.child.cpuSeconds();
    const started = performance.now();
    const child = spawn('/usr/bin/time', ['-f', '%U %S', 'radclient', '-q', '-p', String(WINDOW), '-r', '3', '-t', '3', '-f', file, `127.0.0.1:${kind === 'auth' ? server.auth : server.acct}`, kind, SECRET], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = (performance.now() - started) / 1000;
      const times = stderr.trim().split('\n').pop()!.split(' ').map(Number);
      // radclient exits 1 when an answer is a Reject: the warm-up's unknown MACs are rejected by OpenMnT.
      if (code !== 0 && !warmUp) return reject(new Error(`radclient against ${server.name} exited ${code}: ${stderr.slice(0, 500)}`));
      resolve({ perSecond: count / seconds, serverCpuMs: ((server.child.cpuSeconds() - cpu0) * 1e6) / count, clientCpuMs: (((times[0] ?? 0) + (times[1] ?? 0)) * 1e6) / count });
    });
  });
}

/** The project's generator with WINDOW in flight over one socket; rate and latency. */
function generator(port: number, datagrams: Buffer[]): Promise<LoadResult> {
  return runLoad({ port, secret: SECRET, datagrams, sockets: 8, window: WINDOW, timeoutMs: 3000, retries: 3, deadlineMs: 2 * 60_000 });
}

const version = freeradiusVersion();
if (version === null || spawnSync('sh', ['-c', 'command -v radclient']).status !== 0) {
  console.log('bench:radclient needs FreeRADIUS (apt-get install freeradius) and radclient (freeradius-utils)');
  process.exit(1);
}
const servers: Server[] = [];
try {
  servers.push(await startFreeRadius('freeradius-nothing', 'none'), await startFreeRadius('freeradius-detail', 'detail'));
  servers.push(await startNode('normal'), await startNode('full'));
  console.log(`radclient: ${fmt(SESSIONS)} MAB Access-Requests and ${fmt(3 * SESSIONS)} Accounting-Requests (Start, Interim-Update, Stop per session), ${WINDOW} in flight; FreeRADIUS ${version}`);

  const mab = encodeAll(SESSIONS, Code.AccessRequest, SECRET, (i) => mabAttributes(i), { messageAuthenticator: true, label: 'mab' });
  // One encoding for the three phases, so Identifiers run on across them: phases encoded apart
  // would each start again at 0 and put two requests with one Identifier in flight on a socket.
  const acct = encodeAll(3 * SESSIONS, Code.AccountingRequest, SECRET, (i) => accountingAttributes(SESSIONS + (i % SESSIONS), phases[Math.floor(i / SESSIONS)]!, EVENT_TIME), { label: 'accounting' });
  const rows: { server: Server; mab: Measured; acct: Measured; genMab: LoadResult; genAcct: LoadResult }[] = [];
  for (const server of servers) {
    console.log(`  measuring ${server.name} …`);
    await radclient(server, 'auth', warmFile, 300, true);
    // The accounting file's sessions first, then the generator's own (SESSIONS onwards): both start from Start.
    const step = <T>(what: string, p: Promise<T>) => (process.env.VERBOSE ? p.then((x) => (console.log(`    ${what} done`), x)) : p);
    const r = {
      server,
      mab: await step('radclient MAB', radclient(server, 'auth', mabFile, SESSIONS)),
      acct: await step('radclient accounting', radclient(server, 'acct', acctFile, 3 * SESSIONS)),
      genMab: await step('generator MAB', generator(server.auth, mab)),
      genAcct: await step('generator accounting', generator(server.acct, acct)),
    };
    rows.push(r);
    console.log(`  measured ${server.name}: radclient MAB ${fmt(r.mab.perSecond)}/s, accounting ${fmt(r.acct.perSecond)}/s`);
  }
  const anchor = rows.find((r) => r.server.name === 'FreeRADIUS, detail file')!;
  const ratio = (x: number, y: number) => `${(x / y).toFixed(2)}×`;
  const cell = (m: Measured, anchorRate: number) => `${fmt(m.perSecond)}/s ${ratio(m.perSecond, anchorRate)} (${m.serverCpuMs.toFixed(0)} + ${m.clientCpuMs.toFixed(0)} ms)`;
  console.log('radclient -p 64: requests/s, × FreeRADIUS-detail, (CPU ms per 1,000 requests: server + radclient)');
  console.log(`  ${'server'.padEnd(32)}${'MAB'.padEnd(34)}accounting`);
  for (const r of rows) console.log(`  ${r.server.name.padEnd(32)}${cell(r.mab, anchor.mab.perSecond).padEnd(34)}${cell(r.acct, anchor.acct.perSecond)}`);
  console.log(`generator, ${WINDOW} in flight: requests/s, × FreeRADIUS-detail, latency p50 / p99`);
  const gen = (g: LoadResult, a: LoadResult) => `${fmt(g.perSecond)}/s ${ratio(g.perSecond, a.perSecond)} ${ms(g.latencyMs.p50)} / ${ms(g.latencyMs.p99)} ms${g.lost > 0 ? ` (${fmt(g.lost)} lost)` : ''}`;
  for (const r of rows) console.log(`  ${r.server.name.padEnd(32)}${gen(r.genMab, anchor.genMab).padEnd(34)}${gen(r.genAcct, anchor.genAcct)}`);
  console.log('  (goal: OpenMnT ≥ 1.5× FreeRADIUS-detail for both, under both drivers; radclient\'s own CPU per request bounds every figure measured with it)');
} finally {
  for (const s of servers) await s.child.stop();
  dir.remove();
}
