import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { AuthPolicy, profileAttributes, type AccessRequestFacts } from '../../src/auth/index.js';
import { defaultConfig } from '../../src/config.js';

function policy(unknownEndpoint = 'reject') {
  const auth = defaultConfig().auth;
  auth.unknownEndpoint = unknownEndpoint;
  auth.profiles['Guest'] = { vlan: '999' };
  auth.profiles['Staff'] = { vlan: '120', sgt: 17 };
  auth.profiles['Blocked'] = { deny: true };
  auth.groups = [{ name: 'Staff', profile: 'Staff' }, { name: 'Quarantine', profile: 'Blocked' }];
  auth.endpoints = [
    { mac: '00-11-22-33-44-55', group: 'Staff' },
    { mac: '0011.2233.4466' },
    { mac: '00:11:22:33:44:77', group: 'Quarantine' },
  ];
  auth.users = [
    { name: 'alice', password: 'secret', group: 'Staff' },
    { name: 'bob', password: 'pw', disabled: true },
  ];
  return new AuthPolicy(auth);
}

const facts = (f: Partial<AccessRequestFacts>): AccessRequestFacts => ({
  userName: null,
  password: null,
  chap: null,
  serviceType: null,
  callingStationId: null,
  eap: false,
  ...f,
});
const mab = (mac: string) => facts({ userName: mac.replace(/[:-]/g, '').toLowerCase(), password: 'x', serviceType: 10, callingStationId: mac });

test('MAB: group profile, default profile, unknown rejected or sent to a guest profile', () => {
  const staff = policy().decide(mab('00-11-22-33-44-55'));
  assert.equal(staff.accept, true);
  assert.equal(staff.profileName, 'Staff');
  assert.equal(staff.identityGroup, 'Staff');
  assert.equal(staff.authenticationMethod, 'mab');
  assert.equal(staff.authenticationProtocol, 'Lookup');
  assert.equal(staff.messageCode, 5200);
  assert.ok(staff.executionSteps.includes(11027) && staff.executionSteps.at(-1) === 11002);

  assert.equal(policy().decide(mab('00-11-22-33-44-66')).profileName, 'PermitAccess');

  const unknown = policy().decide(mab('AA-BB-CC-DD-EE-FF'));
  assert.equal(unknown.accept, false);
  assert.equal(unknown.failureReasonCode, 22056);
  assert.equal(unknown.failureReason, '22056 Subject not found in the applicable identity store(s)');
  assert.equal(unknown.messageCode, 5400);

  const guest = policy('Guest').decide(mab('AA-BB-CC-DD-EE-FF'));
  assert.equal(guest.accept, true);
  assert.equal(guest.profileName, 'Guest');

  const quarantined = policy().decide(mab('00:11:22:33:44:77'));
  assert.equal(quarantined.accept, false);
  assert.equal(quarantined.failureReasonCode, 15039);
});

test('PAP: right, wrong, unknown, disabled', () => {
  const p = policy();
  assert.equal(p.decide(facts({ userName: 'alice', password: 'secret' })).accept, true);
  assert.equal(p.decide(facts({ userName: 'alice', password: 'secret ' })).failureReasonCode, 22040);
  assert.equal(p.decide(facts({ userName: 'carol', password: 'secret' })).failureReasonCode, 22056);
  assert.equal(p.decide(facts({ userName: 'bob', password: 'pw' })).failureReasonCode, 24206);
});

test('CHAP: RFC 1994 response checked against the stored password', () => {
  const challenge = Buffer.alloc(16, 7);
  const response = createHash('md5').update(Buffer.from([5])).update('secret').update(challenge).digest();
  const p = policy();
  const ok = p.decide(facts({ userName: 'alice', chap: { id: 5, response, challenge } }));
  assert.equal(ok.accept, true);
  assert.equal(ok.authenticationProtocol, 'CHAP');
  const bad = p.decide(facts({ userName: 'alice', chap: { id: 6, response, challenge } }));
  assert.equal(bad.failureReasonCode, 22040);
});

test('EAP is refused as unsupported', () => {
  assert.equal(policy().decide(facts({ userName: 'alice', eap: true })).failureReasonCode, 12321);
});

test('profile attributes: VLAN by tunnel attributes with tag 1, SGT, ACLs, timers, Class', () => {
  const attrs = profileAttributes(
    { vlan: '120', sgt: 17, dacl: 'PERMIT', filterId: 'F.in', sessionTimeout: 3600, terminationAction: 'radius-request' },
    'CACS:abc:node',
  );
  assert.deepEqual(
    attrs.map((a) => [a.name, Buffer.isBuffer(a.value) ? a.value.toString() : a.value, a.tag]),
    [
      ['Class', 'CACS:abc:node', undefined],
      ['Tunnel-Type', 13, 1],
      ['Tunnel-Medium-Type', 6, 1],
      ['Tunnel-Private-Group-ID', '120', 1],
      ['Filter-Id', 'F.in', undefined],
      ['Cisco-AVPair', 'ACS:CiscoSecure-Defined-ACL=PERMIT', undefined],
      ['Cisco-AVPair', 'cts:security-group-tag=0011-00', undefined],
      ['Session-Timeout', 3600, undefined],
      ['Termination-Action', 1, undefined],
    ],
  );
});
