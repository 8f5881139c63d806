/**
 * MAB authentication rate. The real `openmnt serve` runs with a generated YAML configuration: one
 * NAS client (127.0.0.1, require Message-Authenticator), ENDPOINTS known endpoints in an identity
 * group whose profile assigns a VLAN, unknown endpoints rejected. The generator sends MAB
 * Access-Requests (Service-Type Call-Check, User-Name = User-Password = the MAC,
 * Calling-Station-Id, Message-Authenticator), KNOWN percent of them from known endpoints.
 * Every decision is an authentication record in the store, committed before the answer.
 *
 *   npm run bench:auth
 *   REQUESTS=100000 KNOWN=50 npm run bench:auth
 *
 * Environment: REQUESTS (200,000), ENDPOINTS (1,000), KNOWN (percent, 70), WINDOW (1024),
 * SOCKETS (8), PROFILE (a directory: the server runs with --cpu-prof into it).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { Code, attributeValueName, decodePacket, verifyMessageAuthenticator } from '../src/radius/index.js';
import { openStore } from '../src/store/index.js';
import { describe, encodeAll, fmt, runLoad } from './lib/load.js';
import { startOpenMnt, tempDir, threadCpuLine, untilAnswered } from './lib/processes.js';
import { macFor, mabAttributes } from './lib/traffic.js';

const REQUESTS = Number(process.env.REQUESTS ?? 200_000);
const ENDPOINTS = Number(process.env.ENDPOINTS ?? 1_000);
const KNOWN = Number(process.env.KNOWN ?? 70);
const WINDOW = Number(process.env.WINDOW ?? 1024);
const SOCKETS = Number(process.env.SOCKETS ?? 8);
const PROFILE = process.env.PROFILE;
const SECRET = 'testing123';

/** Request i comes from a known endpoint when i mod 100 < KNOWN (the known ones in turn, round
 * robin over all ENDPOINTS), else from an unknown MAC of its own. */
const isKnown = (i: number) => i % 100 < KNOWN;
const endpointOf = (i: number) => (isKnown(i) ? (Math.floor(i / 100) * KNOWN + (i % 100)) % ENDPOINTS : ENDPOINTS + i);

const dir = tempDir('openmnt-auth-');
const dbPath = join(dir.path, 'openmnt.db');
const configPath = join(dir.path, 'openmnt.yaml');
writeFileSync(
  configPath,
  stringify({
    node: { name: 'bench-node' },
    radius: {
      clients: [
        {
          name: 'bench-switch',
          address: '127.0.0.1',
          secret: SECRET,
          vendor: 'cisco',
          coaPort: 3799,
          requireMessageAuthenticator: true,
          deviceGroups: ['Location#All Locations#Bench', 'Device Type#All Device Types#Switch'],
        },
      ],
    },
    auth: {
      unknownEndpoint: 'reject',
      defaultProfile: 'PermitAccess',
      profiles: {
        PermitAccess: {},
        DenyAccess: { deny: true },
        'IoT-VLAN': { vlan: '130', filterId: 'IOT.in', sessionTimeout: 28800, terminationAction: 'radius-request' },
      },
      groups: [{ name: 'IoT-Devices', profile: 'IoT-VLAN' }],
      endpoints: Array.from({ length: ENDPOINTS }, (_, e) => ({ mac: macFor(e), group: 'IoT-Devices' })),
    },
    store: { driver: 'sqlite', path: dbPath, synchronous: 'full' },
    log: { level: 'warn' },
  }),
);

const datagrams = encodeAll(REQUESTS, Code.AccessRequest, SECRET, (i) => mabAttributes(endpointOf(i)), { messageAuthenticator: true, label: 'auth' });
const expectedAccepts = datagrams.reduce((n, _d, i) => n + (isKnown(i) ? 1 : 0), 0);
const knownSeen = new Set(datagrams.map((_d, i) => (isKnown(i) ? endpointOf(i) : -1)).filter((e) => e >= 0)).size;
console.log(
  `auth: ${fmt(REQUESTS)} MAB Access-Requests with Message-Authenticator, ${KNOWN}% from ${fmt(ENDPOINTS)} known endpoints ` +
    `(group IoT-Devices → VLAN 130), the rest unknown (rejected); ${SOCKETS} sockets, window ${WINDOW}, 127.0.0.1`,
);

const nodeArgs = [...(PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE}`] : []), ...(process.env.SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean)];
const server = await startOpenMnt({ args: ['--config', configPath], nodeArgs });
try {
  // One known endpoint first, to show what an Access-Accept carries (not timed, one extra record).
  const sample = encodeAll(1, Code.AccessRequest, SECRET, () => mabAttributes(0), { messageAuthenticator: true })[0]!;
  const { reply } = await untilAnswered(server.ports.auth, sample, { timeoutMs: 5000, everyMs: 1000 });
  const accept = decodePacket(reply);
  const shown = accept.attributes
    .filter((a) => a.name !== 'Message-Authenticator')
    .map((a) => `${a.name}=${Buffer.isBuffer(a.value) ? a.value.toString('latin1') : typeof a.value === 'number' ? (attributeValueName(a.name, a.value) ?? a.value) : a.value}`)
    .join(', ');
  console.log(
    `auth: sample reply for ${macFor(0)}: code ${accept.code} (${accept.code === Code.AccessAccept ? 'Access-Accept' : 'not an accept'}), ` +
      `Message-Authenticator ${verifyMessageAuthenticator(reply, SECRET, sample.subarray(4, 20)) ? 'valid' : 'INVALID'}, ${shown}`,
  );

  const cpu0 = server.cpuSeconds();
  const threads0 = server.threadCpu();
  const bench0 = process.cpuUsage();
  const result = await runLoad({ port: server.ports.auth, secret: SECRET, datagrams, sockets: SOCKETS, window: WINDOW, timeoutMs: 3000, retries: 5, deadlineMs: 10 * 60_000 });
  const benchUsage = process.cpuUsage(bench0);
  const serverCpu = server.cpuSeconds() - cpu0;
  const threads = threadCpuLine(threads0, server.threadCpu(), server.pid, result.seconds);
  const rss = server.memory();

  let accepts = 0;
  let rejects = 0;
  let wrong = 0;
  for (let i = 0; i < REQUESTS; i++) {
    const code = result.codeOf[i]!;
    if (code === Code.AccessAccept) accepts++;
    else if (code === Code.AccessReject) rejects++;
    if (code !== 0 && code !== (isKnown(i) ? Code.AccessAccept : Code.AccessReject)) wrong++;
  }
  console.log(`auth: OpenMnT ${fmt(result.perSecond)} Access-Requests/s (MAB), ${describe(result)}`);
  console.log(
    `        ${fmt(accepts)} Access-Accept (expected ${fmt(expectedAccepts)}), ${fmt(rejects)} Access-Reject (expected ${fmt(REQUESTS - expectedAccepts)}), ` +
      `${wrong} wrong decisions`,
  );
  console.log(
    `        server CPU ${(serverCpu / result.seconds).toFixed(2)} cores (${threads}), load generator ${((benchUsage.user + benchUsage.system) / 1e6 / result.seconds).toFixed(2)} cores (of 2); ` +
      `server RSS ${fmt(rss.rss / 2 ** 20)} MiB`,
  );
  const how = await server.stop('SIGTERM');
  if (how.code !== 0) console.log(`        openmnt serve exited with ${how.code ?? how.signal}:\n${server.output()}`);
  const store = openStore({ driver: 'sqlite', path: dbPath });
  const stats = await store.stats();
  const active = await store.countActive();
  await store.close();
  console.log(
    `        store after stop: ${fmt(stats.authRecords)} authentication records (sent ${fmt(REQUESTS)} + 1 sample), ` +
      `${fmt(active)} sessions authenticated (one per known endpoint that asked: ${fmt(knownSeen)}) — ${stats.authRecords === REQUESTS + 1 && active === knownSeen ? 'zero loss' : 'MISMATCH'}`,
  );
  console.log('');
  console.log(
    `auth: OpenMnT ${fmt(result.perSecond)} MAB Access-Requests/s, ${result.lost} lost, ${fmt(accepts)} accepted, ${fmt(rejects)} rejected (${fmt(REQUESTS)} requests); ` +
      `target ≥ 10,000/s: ${result.perSecond >= 10_000 ? 'met' : 'missed'}`,
  );
} finally {
  await server.stop('SIGKILL');
  dir.remove();
}
