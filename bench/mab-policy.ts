/**
 * MAB end to end with the runtime policy at the issue's size, beside today's setting, in one run:
 * the real `openmnt serve` twice, each sent the same MAB Access-Requests by the generator
 * (bench:auth's traffic: 70 % known endpoints, 30 % unknown MACs, Message-Authenticator, every
 * decision committed as an AuthStatus record before its answer). Both see the same MACs, so both
 * directories grow to the same number of sessions: the difference is the policy's alone (with
 * bench:auth's 1,000 endpoints against 100,000 the directory's size would be measured too: a new
 * session is an insert, a known one an update).
 *
 *   today   bench:auth's kind of YAML, at the same size: ENDPOINTS endpoints in one group with a
 *           VLAN profile, no rules (the file seeds the store's policy on the first start)
 *   policy  the store's policy, imported through the API: ENDPOINTS (100,000) endpoints in 50
 *           groups with managed attributes, RULES (500) rules of which a known endpoint's decision
 *           misses all but the last (the worst case)
 *
 *   npm run bench:mab-policy
 *   REQUESTS=100000 npm run bench:mab-policy
 *
 * Environment: REQUESTS (150,000), ENDPOINTS (100,000), RULES (500), WINDOW (1024), SOCKETS (8).
 */
import { request, Agent } from 'node:https';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { AdminDirectory } from '../src/http/index.js';
import { Code } from '../src/radius/index.js';
import { encodeAll, fmt, runLoad, type LoadResult } from './lib/load.js';
import { startOpenMnt, tempDir, type OpenMnt } from './lib/processes.js';
import { macFor, mabAttributes } from './lib/traffic.js';

const REQUESTS = Number(process.env.REQUESTS ?? 150_000);
const ENDPOINTS = Number(process.env.ENDPOINTS ?? 100_000);
const RULES = Number(process.env.RULES ?? 500);
const WINDOW = Number(process.env.WINDOW ?? 1024);
const SOCKETS = Number(process.env.SOCKETS ?? 8);
const GROUPS = 50;
const SECRET = 'testing123';
const USER = 'bench';
const PASSWORD = 'Bench-Pass-2026';
const agent = new Agent({ keepAlive: true, rejectUnauthorized: false });

const isKnown = (i: number, known: number) => (i % 100 < 70 ? i % known : known + i);

function config(dir: string, endpoints: number): string {
  const file = join(dir, 'openmnt.yaml');
  writeFileSync(
    file,
    stringify({
      node: { name: 'bench-node' },
      radius: { clients: [{ name: 'bench-switch', address: '127.0.0.1', secret: SECRET, vendor: 'cisco', coaPort: 3799, requireMessageAuthenticator: true, deviceGroups: [] }] },
      auth: {
        unknownEndpoint: 'reject',
        defaultProfile: 'PermitAccess',
        profiles: { PermitAccess: {}, 'IoT-VLAN': { vlan: '130' } },
        groups: [{ name: 'IoT-Devices', profile: 'IoT-VLAN' }],
        endpoints: Array.from({ length: endpoints }, (_, e) => ({ mac: macFor(e), group: 'IoT-Devices' })),
      },
      store: { driver: 'sqlite', path: join(dir, 'openmnt.db'), synchronous: 'full' },
      log: { level: 'warn' },
    }),
  );
  return file;
}

function post(server: OpenMnt, path: string, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: server.apiPort, method: 'POST', path, agent, headers: { authorization: `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`, 'content-type': 'application/json' } },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The API starts after the RADIUS listeners (which startOpenMnt waits for): wait for it too. */
async function apiReady(server: OpenMnt): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const req = request({ host: '127.0.0.1', port: server.apiPort, path: '/health', agent }, (res) => {
        res.resume();
        resolve(true);
      });
      req.on('error', () => resolve(false));
      req.end();
    });
    if (up) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the MnT API did not come up');
}

async function measure(label: string, server: OpenMnt, known: number): Promise<LoadResult> {
  const datagrams = encodeAll(REQUESTS, Code.AccessRequest, SECRET, (i) => mabAttributes(isKnown(i, known)), { messageAuthenticator: true });
  const result = await runLoad({ port: server.ports.auth, secret: SECRET, datagrams, sockets: SOCKETS, window: WINDOW, timeoutMs: 3000, retries: 5, deadlineMs: 10 * 60_000 });
  let wrong = 0;
  for (let i = 0; i < REQUESTS; i++) {
    const code = result.codeOf[i]!;
    if (code !== 0 && code !== (i % 100 < 70 ? Code.AccessAccept : Code.AccessReject)) wrong++;
  }
  console.log(`mab-policy: ${label.padEnd(7)} ${fmt(result.perSecond)} MAB Access-Requests/s, ${result.lost} lost, ${wrong} wrong decisions`);
  return result;
}

const today = tempDir('openmnt-mab-today-');
const policy = tempDir('openmnt-mab-policy-');
let a: OpenMnt | null = null;
let b: OpenMnt | null = null;
try {
  console.log(`mab-policy: ${fmt(REQUESTS)} MAB Access-Requests each run, 70 % known endpoints, window ${WINDOW}`);
  // The same traffic both times (the same MACs, so the same number of sessions in the directory):
  // what differs is the policy alone.
  a = await startOpenMnt({ args: ['--config', config(today.path, ENDPOINTS)], dir: today.path });
  const todayResult = await measure('today', a, ENDPOINTS);
  await a.stop('SIGTERM');
  a = null;

  await AdminDirectory.open(join(policy.path, 'admins.json'), { cost: 14 }).add(USER, PASSWORD, 'super-admin');
  b = await startOpenMnt({ args: ['--config', config(policy.path, 0)], dir: policy.path });
  await apiReady(b);
  const groups = Array.from({ length: GROUPS }, (_, g) => ({ name: `G${g}`, profile: `P${g % 10}` }));
  const rules = Array.from({ length: RULES }, (_, r) => {
    const last = r === RULES - 1;
    return {
      name: `rule-${r}`,
      policySet: 'Default',
      order: r,
      conditions: last ? { identityGroup: groups.map((g) => g.name) } : { identityGroup: [`G${r % GROUPS}`], attributes: { 'vendor-owner': `nobody-${r}` } },
      profile: `P${r % 10}`,
    };
  });
  const started = performance.now();
  const first = await post(
    b,
    '/api/v1/policy/import?format=json',
    JSON.stringify({
      attributes: [{ name: 'vendor-owner', type: 'string' }, { name: 'vlan-id', type: 'integer' }],
      profiles: Array.from({ length: 10 }, (_, p) => ({ name: `P${p}`, vlan: String(100 + p) })),
      groups,
      policySets: [{ name: 'Default', order: 1_000_000, conditions: {} }],
      rules,
    }),
  );
  if (first.status !== 200) throw new Error(`policy import: ${first.status} ${first.text.slice(0, 300)}`);
  const chunk = 25_000;
  for (let from = 0; from < ENDPOINTS; from += chunk) {
    const endpoints = Array.from({ length: Math.min(chunk, ENDPOINTS - from) }, (_, k) => {
      const i = from + k;
      return { mac: macFor(i), group: `G${i % GROUPS}`, attributes: { 'vendor-owner': `owner-${i % 7}`, 'vlan-id': 100 + (i % 10) } };
    });
    const r = await post(b, '/api/v1/policy/import?format=json', JSON.stringify({ endpoints }));
    if (r.status !== 200) throw new Error(`endpoint import: ${r.status} ${r.text.slice(0, 300)}`);
  }
  console.log(`mab-policy: imported ${fmt(ENDPOINTS)} endpoints in ${GROUPS} groups and ${RULES} rules in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const policyResult = await measure('policy', b, ENDPOINTS);
  const ratio = policyResult.perSecond / todayResult.perSecond;
  console.log(
    `mab-policy: with ${fmt(ENDPOINTS)} endpoints and ${RULES} rules ${fmt(policyResult.perSecond)}/s beside today's ${fmt(todayResult.perSecond)}/s = ${(ratio * 100).toFixed(1)} % (goal ≥ 90 %: ${ratio >= 0.9 ? 'met' : 'MISSED'})`,
  );
} finally {
  agent.destroy();
  await a?.stop('SIGKILL');
  await b?.stop('SIGKILL');
  today.remove();
  policy.remove();
}
