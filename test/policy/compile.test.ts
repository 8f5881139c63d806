/**
 * The compiled policy, pure: the seed of a YAML `auth:` decides as the YAML policy did; policy
 * sets and rules are first match with each kind of condition; passwords as stored; the snapshot
 * is plain data that survives structured clone and compiles the same on the other side.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { AuthPolicy, type AccessRequestFacts } from '../../src/auth/index.js';
import { defaultConfig } from '../../src/config.js';
import { compilePolicy, seedFromConfig, storedPassword, validateSnapshot, type PolicySnapshot } from '../../src/policy/index.js';

function configured() {
  const config = defaultConfig();
  const auth = config.auth;
  auth.unknownEndpoint = 'Guest';
  auth.profiles['Guest'] = { vlan: '999' };
  auth.profiles['Staff'] = { vlan: '120', sgt: 17 };
  auth.profiles['Blocked'] = { deny: true };
  auth.profiles['Printers'] = { vlan: '30' };
  auth.groups = [{ name: 'Staff', profile: 'Staff' }, { name: 'Quarantine', profile: 'Blocked' }, { name: 'Printers', profile: 'Printers' }];
  auth.endpoints = [{ mac: '00-11-22-33-44-55', group: 'Staff' }, { mac: '0011.2233.4466' }, { mac: '00:11:22:33:44:77', group: 'Quarantine' }, { mac: '00:11:22:33:44:88', group: 'Printers' }];
  auth.users = [{ name: 'alice', password: 'secret', group: 'Staff' }, { name: 'bob', password: 'pw', disabled: true }];
  return config;
}

function snapshotOf(config = configured()): PolicySnapshot {
  const s: PolicySnapshot = { revision: 1, settings: undefined as never, devices: [], groups: [], endpoints: [], attributes: [], profiles: [], policySets: [], rules: [], users: [] };
  for (const o of seedFromConfig(config)) {
    if (o.kind === 'settings') s.settings = o.data as PolicySnapshot['settings'];
    else (s[o.kind] as { version: number; data: unknown }[]).push({ version: 1, data: o.data });
  }
  return s;
}

const facts = (f: Partial<AccessRequestFacts>): AccessRequestFacts => ({ userName: null, password: null, chap: null, serviceType: null, callingStationId: null, eap: false, ...f });
const mab = (mac: string, extra: Partial<AccessRequestFacts> = {}) => facts({ userName: mac.replace(/[:-]/g, '').toLowerCase(), password: 'x', serviceType: 10, callingStationId: mac, ...extra });

test('the seed decides every request as the YAML policy did (accept, reason, group, profile, steps)', () => {
  const config = configured();
  const before = new AuthPolicy(config.auth);
  const after = compilePolicy(snapshotOf(config));
  const challenge = Buffer.alloc(16, 3);
  const requests = [
    mab('00-11-22-33-44-55'), mab('00-11-22-33-44-66'), mab('00:11:22:33:44:77'), mab('AA-BB-CC-DD-EE-FF'), mab('00:11:22:33:44:88'),
    facts({ userName: 'alice', password: 'secret' }), facts({ userName: 'alice', password: 'nope' }), facts({ userName: 'bob', password: 'pw' }), facts({ userName: 'carol', password: 'x' }),
    facts({ userName: 'alice', chap: { id: 9, challenge, response: createHash('md5').update(Buffer.from([9])).update('secret').update(challenge).digest() } }),
    facts({ userName: 'alice', eap: true }), facts({ userName: 'x' }),
  ];
  for (const r of requests) {
    const a = before.decide(r);
    const b = after.decide(r);
    for (const field of ['accept', 'failureReasonCode', 'failureReason', 'messageCode', 'identityGroup', 'authenticationMethod', 'authenticationProtocol', 'identityStore', 'profileName', 'executionSteps'] as const) {
      assert.deepEqual(b[field], a[field], `${field} of ${JSON.stringify(r.userName)}`);
    }
  }
  assert.equal(after.decide(mab('00-11-22-33-44-55')).authzPolicy, 'Default >> MAB-Staff');
});

test('policy sets by device and port type, rules first match on every kind of condition', () => {
  const s = snapshotOf();
  const v = <T>(data: T) => ({ version: 1, data });
  s.attributes.push(v({ name: 'owner', type: 'enum' as const, values: ['it', 'ops'], description: '' }));
  s.endpoints.find((e) => e.data.mac === '00:11:22:33:44:55')!.data.attributes = { owner: 'it' };
  s.policySets.push(v({ name: 'Wireless', order: 1, description: '', conditions: { nasPortType: ['Wireless-802.11'] } }));
  s.rules.push(
    v({ name: 'wifi-guest', policySet: 'Wireless', order: 1, description: '', conditions: {}, profile: 'Guest' }),
    v({ name: 'it-owned', policySet: 'Default', order: 1, description: '', conditions: { attributes: { owner: 'it' }, deviceGroup: ['Location#All Locations#HQ'] }, profile: 'Printers' }),
    v({ name: 'night', policySet: 'Default', order: 2, description: '', conditions: { timeOfDay: { from: '00:00', to: '00:00', days: [] }, method: ['pap'] }, profile: 'Blocked' }),
    v({ name: 'alice-by-name', policySet: 'Default', order: 3, description: '', conditions: { userName: '^ali', method: ['pap'] }, profile: 'Printers' }),
  );
  validateSnapshot(s);
  const p = compilePolicy(s);
  const hq = { name: 'sw-hq', vendor: 'cisco', deviceGroups: ['Location#All Locations#HQ#Floor-1'] };
  const branch = { name: 'sw-branch', vendor: 'cisco', deviceGroups: ['Location#All Locations#Branch'] };
  const wifi = p.decide(mab('00-11-22-33-44-55', { nas: hq, nasPortType: '19' }));
  assert.equal(wifi.policySet, 'Wireless', 'NAS-Port-Type 19 is Wireless-802.11');
  assert.equal(wifi.profileName, 'Guest');
  const wired = p.decide(mab('00-11-22-33-44-55', { nas: hq, nasPortType: 'Ethernet' }));
  assert.equal(wired.rule, 'it-owned', 'an ancestor device group matches');
  assert.equal(wired.profileName, 'Printers');
  assert.equal(p.decide(mab('00-11-22-33-44-55', { nas: branch })).profileName, 'Staff', 'no rule: the group profile');
  const alice = p.decide(facts({ userName: 'alice', password: 'secret' }));
  assert.equal(alice.rule, 'alice-by-name', 'an empty day list never holds, so the time rule is passed over');
  assert.equal(alice.profileName, 'Printers');
});

test('passwords: PAP against a salted hash, CHAP only for users kept for CHAP', () => {
  const s = snapshotOf();
  s.users = [{ version: 1, data: { name: 'pap-only', group: null, profile: null, disabled: false, passwordHash: storedPassword('hunter22', false), chap: false } }];
  const p = compilePolicy(s);
  assert.match(s.users[0]!.data.passwordHash, /^sha256\$[0-9a-f]{32}\$[0-9a-f]{64}$/);
  assert.equal(p.decide(facts({ userName: 'pap-only', password: 'hunter22' })).accept, true);
  assert.equal(p.decide(facts({ userName: 'pap-only', password: 'hunter23' })).failureReasonCode, 22040);
  const challenge = Buffer.alloc(16, 1);
  const chap = { id: 1, challenge, response: createHash('md5').update(Buffer.from([1])).update('hunter22').update(challenge).digest() };
  assert.equal(p.decide(facts({ userName: 'pap-only', chap })).failureReasonCode, 22040);
});

test('a snapshot is plain data: structured clone compiles to the same decisions and NAS table', () => {
  const s = snapshotOf();
  const copy = structuredClone(s);
  const a = compilePolicy(s);
  const b = compilePolicy(copy);
  assert.deepEqual(b.decide(mab('00-11-22-33-44-55')), a.decide(mab('00-11-22-33-44-55')));
  assert.deepEqual(b.clients.map((c) => [c.name, c.address, c.secret.toString()]), a.clients.map((c) => [c.name, c.address, c.secret.toString()]));
});

test('validation names what is missing', () => {
  const s = snapshotOf();
  s.rules.push({ version: 1, data: { name: 'r', policySet: 'Nope', order: 1, description: '', conditions: {}, profile: 'Guest' } });
  assert.throws(() => validateSnapshot(s), /rule r: names the policy set 'Nope', which does not exist/);
  const t = snapshotOf();
  t.policySets = [];
  assert.throws(() => validateSnapshot(t), /the policy set 'Default' must exist/);
});
