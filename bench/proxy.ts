/**
 * What the proxy costs: the same PAP Access-Requests sent straight to FreeRADIUS 3.2 and through
 * OpenMnT (which relays them to that FreeRADIUS and records each final answer), in one run.
 * Printed side by side: requests per second with 64 in flight, from the project's generator and
 * from radclient (`-p 64`), and the answer latency p50 / p99; the goal is a throughput overhead of
 * at most 20 %, the added p99 reported.
 *
 *   npm run bench:proxy
 *   REQUESTS=20000 npm run bench:proxy
 *
 * Environment: REQUESTS (30,000), WINDOW (64), PROFILE (a directory: the node runs with --cpu-prof
 * into it, one profile per thread).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Code } from '../src/radius/index.js';
import { FREERADIUS, freeradiusVersion, radiusdMain } from './lib/freeradius.js';
import { encodeAll, fmt, ms, runLoad, type LoadResult } from './lib/load.js';
import { freeUdpPort } from '../test/helpers/ports.js';
import { startChild, startOpenMnt, tempDir, untilAnswered, statusServer, type Child } from './lib/processes.js';

const REQUESTS = Number(process.env.REQUESTS ?? 30_000);
const WINDOW = Number(process.env.WINDOW ?? 64);
const SECRET = 'testing123';
const PASSWORD = 'bench-pass-1';

const dir = tempDir('openmnt-bench-proxy-');

function homeConfig(path: string, port: number): void {
  for (const sub of ['radacct', 'log', 'run']) mkdirSync(join(path, sub), { recursive: true });
  writeFileSync(join(path, 'dictionary'), '$INCLUDE /usr/share/freeradius/dictionary\n');
  writeFileSync(join(path, 'users'), `DEFAULT Cleartext-Password := "${PASSWORD}"\n  Tunnel-Type = VLAN, Tunnel-Medium-Type = IEEE-802, Tunnel-Private-Group-Id = "120"\n`);
  writeFileSync(
    join(path, 'radiusd.conf'),
    `${radiusdMain({ dir: path, maxRequests: 1_048_576, logAuth: false })}
client bench {
  ipaddr = 127.0.0.1
  secret = ${SECRET}
}
modules {
  files {
    filename = ${path}/users
  }
  pap {
  }
}
server default {
  listen {
    type = auth
    ipaddr = 127.0.0.1
    port = ${port}
    recv_buff = 4194304
  }
  authorize {
    files
    pap
  }
  authenticate {
    Auth-Type PAP {
      pap
    }
  }
}
`,
  );
}

async function startHome(port: number): Promise<Child> {
  homeConfig(dir.path, port);
  const check = spawnSync(FREERADIUS, ['-C', '-d', dir.path], { encoding: 'utf8' });
  if (check.status !== 0) throw new Error(`freeradius refused the configuration:\n${check.stdout}${check.stderr}`);
  const child = startChild(FREERADIUS, ['-f', '-d', dir.path, '-l', 'stdout'], process.env);
  await untilAnswered(port, statusServer(SECRET), { timeoutMs: 30_000, gone: child.exited });
  return child;
}

/** radclient with `inFlight` requests outstanding over the packet file; requests per second. */
function radclientRate(port: number, file: string, count: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn('radclient', ['-q', '-p', String(WINDOW), '-r', '3', '-t', '3', '-f', file, `127.0.0.1:${port}`, 'auth', SECRET], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(count / ((performance.now() - started) / 1000)) : reject(new Error(`radclient exited ${code}: ${stderr.slice(0, 500)}`))));
  });
}

const version = freeradiusVersion();
if (version === null) {
  console.log('bench:proxy needs FreeRADIUS (apt-get install freeradius) and radclient (freeradius-utils)');
  process.exit(1);
}
let home: Child | null = null;
let node: Child | null = null;
try {
  const homePort = await freeUdpPort();
  home = await startHome(homePort);
  const configFile = join(dir.path, 'openmnt.yaml');
  writeFileSync(
    configFile,
    [
      'proxy:',
      '  homeServers:',
      `    - { name: freeradius, address: 127.0.0.1, authPort: ${homePort}, accountingPort: ${homePort}, secret: ${SECRET} }`,
      '  pools:',
      '    - { name: corp, homeServers: [freeradius] }',
      '  defaultPool: corp',
      '',
    ].join('\n'),
  );
  const nodeArgs = process.env.PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.PROFILE}`] : [];
  const openmnt = await startOpenMnt({ nodeArgs, args: ['--config', configFile], env: { OPENMNT_STORE__PATH: join(dir.path, 'openmnt.db'), OPENMNT_STORE__SYNCHRONOUS: 'normal' }, dir: dir.path });
  node = openmnt;

  const user = (i: number) => `user-${i}`;
  const datagrams = encodeAll(
    REQUESTS,
    Code.AccessRequest,
    SECRET,
    (i) => [
      { name: 'User-Name', value: user(i) },
      { name: 'User-Password', value: PASSWORD },
      { name: 'Calling-Station-Id', value: `02-00-00-${((i >> 16) & 255).toString(16).padStart(2, '0')}-${((i >> 8) & 255).toString(16).padStart(2, '0')}-${(i & 255).toString(16).padStart(2, '0')}` },
      { name: 'NAS-IP-Address', value: '127.0.0.1' },
    ],
    { messageAuthenticator: true, label: 'proxy' },
  );
  const load = (port: number) => runLoad({ port, secret: SECRET, datagrams, sockets: 1, window: WINDOW, timeoutMs: 3000, retries: 3, deadlineMs: 10 * 60_000 });
  // Warm both (JIT, FreeRADIUS threads), then measure each in turn, twice, and keep the better run.
  await runLoad({ port: homePort, secret: SECRET, datagrams: datagrams.slice(0, 2000), sockets: 1, window: WINDOW, timeoutMs: 3000, retries: 3, deadlineMs: 60_000 });
  await runLoad({ port: openmnt.ports.auth, secret: SECRET, datagrams: datagrams.slice(0, 2000), sockets: 1, window: WINDOW, timeoutMs: 3000, retries: 3, deadlineMs: 60_000 });
  const best = (a: LoadResult, b: LoadResult) => (a.perSecond >= b.perSecond ? a : b);
  const straight = best(await load(homePort), await load(homePort));
  const proxied = best(await load(openmnt.ports.auth), await load(openmnt.ports.auth));

  const file = join(dir.path, 'requests.txt');
  const radclientCount = Math.min(REQUESTS, 10_000);
  writeFileSync(file, Array.from({ length: radclientCount }, (_, i) => `User-Name = "${user(i)}", User-Password = "${PASSWORD}", NAS-IP-Address = 127.0.0.1\n`).join('\n'));
  const radStraight = await radclientRate(homePort, file, radclientCount);
  const radProxied = await radclientRate(openmnt.ports.auth, file, radclientCount);

  const accepted = (r: LoadResult) => r.replyCodes.get(Code.AccessAccept) ?? 0;
  const overhead = (a: number, b: number) => `${(((a - b) / a) * 100).toFixed(1)} %`;
  const verdict = (a: number, b: number) => ((a - b) / a <= 0.2 ? 'met' : 'MISSED');
  console.log(
    `proxy: ${fmt(REQUESTS)} PAP Access-Requests, ${WINDOW} in flight; FreeRADIUS ${version} as the home server (files + pap)\n` +
      `                           straight to FreeRADIUS   through OpenMnT   overhead (goal ≤ 20 %)\n` +
      `  generator, requests/s    ${fmt(straight.perSecond).padStart(22)}   ${fmt(proxied.perSecond).padStart(15)}   ${overhead(straight.perSecond, proxied.perSecond)} — ${verdict(straight.perSecond, proxied.perSecond)}\n` +
      `  radclient -p ${WINDOW}, req/s   ${fmt(radStraight).padStart(22)}   ${fmt(radProxied).padStart(15)}   ${overhead(radStraight, radProxied)} — ${verdict(radStraight, radProxied)}\n` +
      `  latency p50              ${`${ms(straight.latencyMs.p50)} ms`.padStart(22)}   ${`${ms(proxied.latencyMs.p50)} ms`.padStart(15)}\n` +
      `  latency p99              ${`${ms(straight.latencyMs.p99)} ms`.padStart(22)}   ${`${ms(proxied.latencyMs.p99)} ms`.padStart(15)}   added ${ms(proxied.latencyMs.p99 - straight.latencyMs.p99)} ms\n` +
      `  accepted / lost          ${`${fmt(accepted(straight))} / ${fmt(straight.lost)}`.padStart(22)}   ${`${fmt(accepted(proxied))} / ${fmt(proxied.lost)}`.padStart(15)}\n` +
      `  (through OpenMnT each final answer is also committed as an AuthStatus record and opens a session)`,
  );
} finally {
  await node?.stop();
  await home?.stop();
  dir.remove();
}
