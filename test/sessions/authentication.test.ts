/** Access-Request + decision → AuthStatus record and session fields, read off a real decoded packet. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AuthDecision } from '../../src/auth/policy.js';
import { Code, decodePacket, encodePacket, type AttributeInput } from '../../src/radius/index.js';
import { toAuthWrite, type AuthenticationEvent } from '../../src/sessions/index.js';

const secret = 'testing123';

const accepted: AuthDecision = {
  accept: true,
  failureReasonCode: null,
  failureReason: null,
  messageCode: 5200,
  identityGroup: 'Printers',
  authenticationMethod: 'mab',
  authenticationProtocol: 'Lookup',
  identityStore: 'Internal Endpoints',
  authzPolicy: 'Default >> Printers',
  profileName: 'Printers-VLAN',
  profile: { vlan: '120', filterId: 'PRINTERS-IN', sgt: 17, sessionTimeout: 3600, terminationAction: 'radius-request' },
  executionSteps: [11001, 11017, 15049, 11002],
};

const event = (attributes: AttributeInput[], decision: AuthDecision = accepted): AuthenticationEvent => ({
  packet: decodePacket(encodePacket({ code: Code.AccessRequest, identifier: 7, attributes }, { secret, messageAuthenticator: true })),
  nasName: 'sw-7',
  sourceAddress: '192.0.2.7',
  receivedAt: 1_700_000_000_000,
  decidedAt: 1_700_000_000_004,
  decision,
  reply: [
    { name: 'Tunnel-Private-Group-Id', tag: 1, value: '120' },
    { name: 'Filter-Id', value: 'PRINTERS-IN' },
  ],
});

const mab: AttributeInput[] = [
  { name: 'User-Name', value: 'aabbccddeeff' },
  { name: 'User-Name', value: 'second-is-ignored' },
  { name: 'User-Password', value: 'aabbccddeeff' },
  { name: 'Service-Type', value: 'Call-Check' },
  { name: 'Calling-Station-Id', value: 'AA-BB-CC-DD-EE-FF' },
  { name: 'Called-Station-Id', value: '00-1B-54-01-00-02' },
  { name: 'Cisco-AVPair', value: 'service-type=Call Check' },
  { name: 'Cisco-AVPair', value: 'audit-session-id=0A000001000000A1B2C3D4E5' },
  { name: 'NAS-IP-Address', value: '10.0.0.1' },
  { name: 'NAS-Port', value: 50102 },
  { name: 'NAS-Port-Id', value: 'GigabitEthernet1/0/2' },
  { name: 'NAS-Port-Type', value: 'Ethernet' },
  { name: 'Framed-MTU', value: 1485 },
];

test('an accepted MAB request: first value of each attribute, names for enumerations, the profile in the session', () => {
  const w = toAuthWrite(event(mab), 'node-a');
  const r = w.record;
  assert.equal(r.userName, 'aabbccddeeff', 'the first User-Name');
  assert.equal(r.nasIp, '10.0.0.1', 'NAS-IP-Address over the datagram source');
  assert.equal(r.nasPort, 50102);
  assert.equal(r.nasPortId, 'GigabitEthernet1/0/2');
  assert.equal(r.nasPortType, 'Ethernet', 'an enumerated value by its dictionary name');
  assert.equal(r.serviceType, 'Call-Check');
  assert.equal(r.calledStationId, '00-1B-54-01-00-02');
  assert.equal(r.callingStationId, 'AA:BB:CC:DD:EE:FF', 'the directory key of the MAC');
  assert.equal(r.auditSessionId, '0A000001000000A1B2C3D4E5');
  assert.equal(r.acctSessionId, null);
  assert.equal(r.nasIdentifier, null);
  assert.equal(r.framedIp, null);
  assert.equal(r.passed, true);
  assert.equal(r.messageCode, 5200);
  assert.equal(r.networkDeviceName, 'sw-7');
  assert.equal(r.identityGroup, 'Printers');
  assert.equal(r.selectedAuthzProfile, 'Printers-VLAN');
  assert.equal(r.executionSteps, '11001,11017,15049,11002');
  assert.equal(r.responseTimeMs, 4);
  assert.equal(r.server, 'node-a');
  assert.equal(r.response, '{Tunnel-Private-Group-Id=(tag=1) 120; Filter-Id=PRINTERS-IN; }');
  assert.match(r.otherAttributes ?? '', /Cisco-AVPair=service-type=Call Check/);
  assert.doesNotMatch(r.otherAttributes ?? '', /User-Password|Message-Authenticator/, 'never the password, nor the authenticator');

  assert.ok(w.session !== null);
  assert.deepEqual(w.session.identity, { nasIp: '10.0.0.1', acctSessionId: '', callingStationId: 'AA:BB:CC:DD:EE:FF' });
  assert.equal(w.session.at, 1_700_000_000_000);
  const f = w.session.fields;
  assert.equal(f.origCallingStationId, 'AA-BB-CC-DD-EE-FF', 'the MAC as the NAS wrote it');
  assert.equal(f.userName, r.userName);
  assert.equal(f.nasPortType, 'Ethernet');
  assert.equal(f.authAt, 1_700_000_000_000);
  assert.equal(f.vlan, '120');
  assert.equal(f.dacl, 'PRINTERS-IN', 'Filter-Id when the profile names no dACL');
  assert.equal(f.sgt, '17');
  assert.equal(f.sessionTimeout, 3600);
  assert.equal(f.terminationAction, 'RADIUS-Request');
  assert.equal(f.authResponse, r.response);
  assert.equal(f.otherAttributes, r.otherAttributes);
});

test('a rejected request is recorded with its reason and opens no session; so is one without a Calling-Station-Id', () => {
  const rejected: AuthDecision = { ...accepted, accept: false, failureReasonCode: 15039, failureReason: 'Rejected per authorization profile', messageCode: 5400, profile: null, profileName: null };
  const w = toAuthWrite(event(mab, rejected), 'node-a');
  assert.equal(w.record.passed, false);
  assert.equal(w.record.failureReasonCode, 15039);
  assert.equal(w.record.messageCode, 5400);
  assert.equal(w.session, null);

  const anonymous = toAuthWrite(event(mab.filter((a) => a.name !== 'Calling-Station-Id' && a.name !== 'NAS-IP-Address')), 'node-a');
  assert.equal(anonymous.record.callingStationId, null);
  assert.equal(anonymous.record.nasIp, '192.0.2.7', 'no NAS-IP-Address: the datagram source');
  assert.equal(anonymous.session, null);
});
