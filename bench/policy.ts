/**
 * The runtime policy's cost on the MAB path. The only step of an Access-Request the runtime
 * policy changes is the decision; this measures it in one run, side by side:
 *
 *   today   AuthPolicy (the YAML policy) with bench:auth's setting: 1,000 endpoints, one group
 *   policy  compilePolicy with ENDPOINTS (100,000) endpoints in 50 groups with a managed
 *           attribute, RULES (500) rules over groups and attributes, most of them not matching
 *           (the worst case: a known endpoint reaches its rule after RULES - 1 misses)
 *
 * and turns the difference into the MAB rate: a request costs 1 / MAB_RATE seconds today
 * (bench:auth's figure, 13,654 req/s in the README; pass your own machine's as MAB_RATE), so with
 * the runtime policy it costs that plus the decision's extra time. Goal: ≥ 90 % of today's rate.
 * Also printed: how long a change takes to compile (what every API change costs, and the bound on
 * "effective within 1 s").
 *
 *   npm run bench:policy
 *   ENDPOINTS=100000 RULES=500 DECISIONS=200000 MAB_RATE=13654 npm run bench:policy
 */
import { AuthPolicy, type AccessRequestFacts } from '../src/auth/index.js';
import { defaultConfig } from '../src/config.js';
import { compilePolicy, type PolicySnapshot, type RuleDef } from '../src/policy/index.js';
import { fmt } from './lib/load.js';

const ENDPOINTS = Number(process.env.ENDPOINTS ?? 100_000);
const RULES = Number(process.env.RULES ?? 500);
const DECISIONS = Number(process.env.DECISIONS ?? 200_000);
const MAB_RATE = Number(process.env.MAB_RATE ?? 13_654);
const GROUPS = 50;

function mac(i: number): string {
  const hex = i.toString(16).padStart(12, '0').toUpperCase();
  return hex.match(/../g)!.join(':');
}

function mabFacts(i: number, known: number): AccessRequestFacts {
  // 70 % known endpoints, 30 % unknown MACs, as bench:auth sends them.
  const m = i % 100 < 70 ? mac(i % known) : mac(known + i);
  const bare = m.replace(/:/g, '').toLowerCase();
  return {
    userName: bare,
    password: bare,
    chap: null,
    serviceType: 10,
    callingStationId: m.replace(/:/g, '-'),
    eap: false,
    nas: { name: 'bench-switch', vendor: 'cisco', deviceGroups: ['Location#All Locations#Bench'] },
    nasPortType: 'Ethernet',
  };
}

function time(label: string, decide: (f: AccessRequestFacts) => unknown, known: number): number {
  const facts = Array.from({ length: 10_000 }, (_, i) => mabFacts(i, known));
  for (let i = 0; i < 20_000; i++) decide(facts[i % facts.length]!); // warm-up
  const started = process.hrtime.bigint();
  let accepted = 0;
  for (let i = 0; i < DECISIONS; i++) if ((decide(facts[i % facts.length]!) as { accept: boolean }).accept) accepted++;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const perDecisionUs = (seconds / DECISIONS) * 1e6;
  console.log(`  ${label.padEnd(8)} ${fmt(Math.round(DECISIONS / seconds))} decisions/s, ${perDecisionUs.toFixed(2)} µs each, ${fmt(accepted)} accepted`);
  return perDecisionUs;
}

// Today: the YAML policy as bench:auth configures it.
const auth = defaultConfig().auth;
auth.profiles['Bench-VLAN'] = { vlan: '100' };
auth.groups = [{ name: 'Bench', profile: 'Bench-VLAN' }];
auth.endpoints = Array.from({ length: 1000 }, (_, i) => ({ mac: mac(i), group: 'Bench' }));
const today = new AuthPolicy(auth);

// The runtime policy at the size the issue asks for.
const v = <T>(data: T) => ({ version: 1, data });
const groups = Array.from({ length: GROUPS }, (_, g) => v({ name: `G${g}`, description: '', profile: `P${g % 10}`, coaOnChange: null }));
const profiles = [
  v({ name: 'PermitAccess', description: '' }),
  v({ name: 'DenyAccess', description: '', deny: true }),
  ...Array.from({ length: 10 }, (_, p) => v({ name: `P${p}`, description: '', vlan: String(100 + p) })),
];
const endpoints = Array.from({ length: ENDPOINTS }, (_, i) => v({ mac: mac(i), group: `G${i % GROUPS}`, description: '', profile: null, attributes: { 'vendor-owner': `owner-${i % 7}`, 'vlan-id': 100 + (i % 10) } }));
const rules: { version: number; data: RuleDef }[] = Array.from({ length: RULES }, (_, r) => {
  // Rules that never match a known endpoint (an attribute value none has) until the last, which
  // matches every endpoint of its groups: each decision walks the whole list.
  const last = r === RULES - 1;
  return v({
    name: `rule-${r}`,
    policySet: 'Default',
    order: r,
    description: '',
    conditions: last ? { identityGroup: groups.map((g) => g.data.name) } : { identityGroup: [`G${r % GROUPS}`], attributes: { 'vendor-owner': `nobody-${r}` } },
    profile: `P${r % 10}`,
  });
});
const snapshot: PolicySnapshot = {
  revision: 1,
  settings: { unknownEndpoint: 'reject', defaultProfile: 'PermitAccess', coaOnChange: 'reauth', quarantineProfile: null },
  devices: [v({ name: 'bench-switch', address: '127.0.0.1', secret: 'testing123', vendor: 'cisco', coaPort: 3799, requireMessageAuthenticator: true, deviceGroups: [], description: '' })],
  groups,
  endpoints,
  attributes: [v({ name: 'vendor-owner', type: 'string' as const, values: [], description: '' }), v({ name: 'vlan-id', type: 'integer' as const, values: [], description: '' })],
  profiles,
  policySets: [v({ name: 'Default', order: 1_000_000, description: '', conditions: {} })],
  rules,
  users: [],
};
const compileStarted = process.hrtime.bigint();
const compiled = compilePolicy(snapshot);
const compileMs = Number(process.hrtime.bigint() - compileStarted) / 1e6;
const cloneStarted = process.hrtime.bigint();
structuredClone(snapshot);
const cloneMs = Number(process.hrtime.bigint() - cloneStarted) / 1e6;
// The same snapshot posted as JSON text instead (a string is copied whole, not object by object).
const jsonStarted = process.hrtime.bigint();
JSON.parse(structuredClone(JSON.stringify(snapshot))) as PolicySnapshot;
const jsonMs = Number(process.hrtime.bigint() - jsonStarted) / 1e6;

console.log(`MAB decisions, ${fmt(DECISIONS)} each (70 % known endpoints, 30 % unknown MACs), one run:`);
const todayUs = time('today', (f) => today.decide(f), 1000);
const policyUs = time('policy', (f) => compiled.decide(f), ENDPOINTS);
const requestUs = 1e6 / MAB_RATE;
const predicted = 1e6 / (requestUs + (policyUs - todayUs));
console.log(
  `MAB rate: today ${fmt(MAB_RATE)} req/s (bench:auth, MAB_RATE) → with ${fmt(ENDPOINTS)} endpoints and ${RULES} rules ${fmt(Math.round(predicted))} req/s = ` +
    `${((predicted / MAB_RATE) * 100).toFixed(1)} % (goal ≥ 90 %)`,
);
console.log(
  `a change: compile ${compileMs.toFixed(0)} ms; the snapshot to another thread: structured clone ${cloneMs.toFixed(0)} ms, as JSON text ${jsonMs.toFixed(0)} ms (goal: in force within 1 s)`,
);
