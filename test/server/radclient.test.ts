/**
 * The server core driven by FreeRADIUS's radclient, the way a switch would drive it, with the
 * directory checked through the Store.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Code, decodePacket, encodePacket } from '../../src/radius/index.js';
import { needTool } from '../helpers/tools.js';
import { radclient } from '../helpers/radclient.js';
import { SECRET, startTestServer, type TestServer } from '../helpers/server.js';
import { UdpClient } from '../helpers/udp-client.js';

const skip = needTool('radclient', 'freeradius-utils');

async function allSessions(server: TestServer, scope: 'active' | 'closed' | 'all' = 'all') {
  const out = [];
  for await (const s of server.store.iterateSessions({ scope })) out.push(s);
  return out;
}

describe('RADIUS with radclient', { skip }, () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer((c) => {
      c.auth.profiles['Employee-VLAN'] = { vlan: '120', sgt: 4, sessionTimeout: 28800, terminationAction: 'radius-request' };
      c.auth.profiles['Guest'] = { vlan: '999' };
      c.auth.groups = [{ name: 'Printers', profile: 'Employee-VLAN' }];
      c.auth.endpoints = [{ mac: '00:11:22:33:44:55', group: 'Printers' }];
      c.auth.users = [{ name: 'alice', password: 'correct horse', group: 'Employees', profile: 'Employee-VLAN' }];
    });
  });
  after(async () => server.stop());

  test('MAB for a known endpoint is accepted with its VLAN, SGT and session timeout', async () => {
    const result = await radclient({
      port: server.ports.auth,
      secret: SECRET,
      kind: 'auth',
      packets: [
        'User-Name = "001122334455", User-Password = "001122334455", Service-Type = Call-Check, ' +
          'Calling-Station-Id = "00-11-22-33-44-55", NAS-IP-Address = 10.1.1.1, NAS-Port = 50115, ' +
          'NAS-Port-Id = "GigabitEthernet1/0/15", NAS-Port-Type = Ethernet, ' +
          'Cisco-AVPair = "audit-session-id=0A0101010000001A2B3C4D5E", Message-Authenticator = 0x00',
      ],
    });
    assert.equal(result.status, 0, result.stderr + result.stdout);
    assert.match(result.stdout, /Access-Accept/);
    assert.match(result.stdout, /Tunnel-Private-Group-Id:1 = "120"/i);
    assert.match(result.stdout, /cts:security-group-tag=0004-00/);
    assert.match(result.stdout, /Session-Timeout = 28800/);

    const records = await server.store.authRecordsByMac({ mac: '00:11:22:33:44:55', since: 0, limit: 10 });
    assert.equal(records.length, 1);
    const r = records[0]!;
    assert.equal(r.passed, true);
    assert.equal(r.identityGroup, 'Printers');
    assert.equal(r.selectedAuthzProfile, 'Employee-VLAN');
    assert.equal(r.authenticationMethod, 'mab');
    assert.equal(r.networkDeviceName, 'test-switch');
    assert.equal(r.auditSessionId, '0A0101010000001A2B3C4D5E');
    assert.equal(r.messageCode, 5200);
    assert.equal(r.nasPortId, 'GigabitEthernet1/0/15');

    const session = await server.store.findLatestSession({ mac: '00:11:22:33:44:55' });
    assert.ok(session);
    assert.equal(session.state, 'authenticated');
    assert.equal(session.vlan, '120');
    assert.equal(session.nasIp, '10.1.1.1');
    assert.equal(session.origCallingStationId, '00-11-22-33-44-55');
  });

  test('accounting Start then adopts the authenticated session of the same audit-session-id', async () => {
    const result = await radclient({
      port: server.ports.accounting,
      secret: SECRET,
      kind: 'acct',
      packets: [
        'Acct-Status-Type = Start, Acct-Session-Id = "0000001A", User-Name = "001122334455", ' +
          'Calling-Station-Id = "00-11-22-33-44-55", NAS-IP-Address = 10.1.1.1, Framed-IP-Address = 10.20.0.15, ' +
          'Cisco-AVPair = "audit-session-id=0A0101010000001A2B3C4D5E"',
      ],
    });
    assert.equal(result.status, 0, `radclient: ${result.stderr} ${result.stdout}`);
    assert.match(result.stdout, /Accounting-Response/);
    const sessions = (await allSessions(server, 'active')).filter((s) => s.callingStationId === '00:11:22:33:44:55');
    assert.equal(sessions.length, 1, 'auth and accounting meet in one session');
    assert.equal(sessions[0]!.state, 'started');
    assert.equal(sessions[0]!.acctSessionId, '0000001A');
    assert.equal(sessions[0]!.framedIp, '10.20.0.15');
    assert.equal(sessions[0]!.vlan, '120', 'authorization fields survive');
  });

  test('MAB for an unknown endpoint is rejected with failure reason 22056', async () => {
    const result = await radclient({
      port: server.ports.auth,
      secret: SECRET,
      kind: 'auth',
      packets: ['User-Name = "aabbccddeeff", User-Password = "aabbccddeeff", Service-Type = Call-Check, Calling-Station-Id = "AA-BB-CC-DD-EE-FF"'],
    });
    assert.match(result.stdout, /Access-Reject/);
    const [r] = await server.store.authRecordsByMac({ mac: 'AA:BB:CC:DD:EE:FF', since: 0, limit: 1 });
    assert.equal(r?.passed, false);
    assert.equal(r?.failureReasonCode, 22056);
    assert.equal(r?.messageCode, 5400);
    assert.equal(await server.store.findLatestSession({ mac: 'AA:BB:CC:DD:EE:FF' }), null, 'a reject opens no session');
  });

  test('PAP: right password accepted, wrong password rejected with 22040, unknown user 22056', async () => {
    const ok = await radclient({
      port: server.ports.auth,
      secret: SECRET,
      kind: 'auth',
      packets: ['User-Name = "alice", User-Password = "correct horse", Calling-Station-Id = "66-77-88-99-AA-BB", NAS-IP-Address = 10.1.1.2'],
    });
    assert.match(ok.stdout, /Access-Accept/);
    const bad = await radclient({
      port: server.ports.auth,
      secret: SECRET,
      kind: 'auth',
      packets: ['User-Name = "alice", User-Password = "battery staple", Calling-Station-Id = "66-77-88-99-AA-BB", NAS-IP-Address = 10.1.1.2'],
    });
    assert.match(bad.stdout, /Access-Reject/);
    const nobody = await radclient({
      port: server.ports.auth,
      secret: SECRET,
      kind: 'auth',
      packets: ['User-Name = "mallory", User-Password = "x", Calling-Station-Id = "66-77-88-99-AA-BB"'],
    });
    assert.match(nobody.stdout, /Access-Reject/);
    const records = await server.store.authRecordsByMac({ mac: '66:77:88:99:AA:BB', since: 0, limit: 10 });
    assert.deepEqual(
      records.map((r) => [r.userName, r.passed, r.failureReasonCode, r.authenticationProtocol]).reverse(),
      [
        ['alice', true, null, 'PAP_ASCII'],
        ['alice', false, 22040, 'PAP_ASCII'],
        ['mallory', false, 22056, 'PAP_ASCII'],
      ],
    );
  });

  test('Start / Interim-Update / Stop keep one session and three records, Gigawords included', async () => {
    const base =
      'Acct-Session-Id = "S-100", User-Name = "bob", Calling-Station-Id = "10:20:30:40:50:60", NAS-IP-Address = 10.9.9.9, ' +
      'NAS-Port-Id = "Gi1/0/7", Cisco-AVPair = "audit-session-id=0A090909000000640000ABCD"';
    const send = (extra: string) =>
      radclient({ port: server.ports.accounting, secret: SECRET, kind: 'acct', packets: [`${base}, ${extra}`] });

    assert.equal((await send('Acct-Status-Type = Start, Acct-Interim-Interval = 300')).status, 0);
    let s = await server.store.findLatestSession({ mac: '10:20:30:40:50:60' });
    assert.equal(s?.state, 'started');
    assert.equal(s?.userName, 'bob');
    assert.equal(s?.auditSessionId, '0A090909000000640000ABCD');

    assert.equal(
      (await send('Acct-Status-Type = Interim-Update, Acct-Session-Time = 600, Acct-Input-Octets = 5, Acct-Input-Gigawords = 2, Acct-Output-Octets = 7, Acct-Input-Packets = 11, Acct-Output-Packets = 13')).status,
      0,
    );
    s = await server.store.findLatestSession({ mac: '10:20:30:40:50:60' });
    assert.equal(s?.inputOctets, 2 * 2 ** 32 + 5);
    assert.equal(s?.outputOctets, 7);
    assert.equal(s?.acctSessionTime, 600);
    assert.equal(s?.acctStatusType, 'Interim-Update');

    assert.equal((await send('Acct-Status-Type = Stop, Acct-Session-Time = 900, Acct-Terminate-Cause = Lost-Carrier')).status, 0);
    assert.equal(await server.store.findLatestSession({ mac: '10:20:30:40:50:60' }), null, 'no longer active');
    const closed = await server.store.findLatestSession({ mac: '10:20:30:40:50:60', scope: 'closed' });
    assert.equal(closed?.state, 'closed');
    assert.equal(closed?.closeReason, 'stop');
    assert.equal(closed?.terminateCause, 'Lost-Carrier');
    assert.equal(closed?.acctSessionTime, 900);

    const records = await server.store.accountingRecordsByMac({ mac: '10:20:30:40:50:60', since: 0, limit: 10 });
    assert.deepEqual(records.map((r) => r.statusType), ['Stop', 'Interim-Update', 'Start']);
  });

  test('Accounting-On and Accounting-Off close every open session of their NAS and no other', async () => {
    const start = (sid: string, mac: string, nas: string) =>
      `Acct-Status-Type = Start, Acct-Session-Id = "${sid}", Calling-Station-Id = "${mac}", NAS-IP-Address = ${nas}`;
    const r = await radclient({
      port: server.ports.accounting,
      secret: SECRET,
      kind: 'acct',
      packets: [start('on-1', '02:00:00:00:00:01', '10.5.5.5'), start('on-2', '02:00:00:00:00:02', '10.5.5.5'), start('on-3', '02:00:00:00:00:03', '10.6.6.6')],
    });
    assert.equal(r.status, 0, r.stderr);
    const before = await server.store.countActive();
    const on = await radclient({
      port: server.ports.accounting,
      secret: SECRET,
      kind: 'acct',
      packets: ['Acct-Status-Type = Accounting-On, NAS-IP-Address = 10.5.5.5, Acct-Session-Id = "0"'],
    });
    assert.equal(on.status, 0, on.stderr);
    assert.equal(await server.store.countActive(), before - 2);
    assert.equal(await server.store.findLatestSession({ mac: '02:00:00:00:00:01' }), null);
    assert.equal((await server.store.findLatestSession({ mac: '02:00:00:00:00:01', scope: 'closed' }))?.closeReason, 'nas-reset');
    assert.ok(await server.store.findLatestSession({ mac: '02:00:00:00:00:03' }), 'the other NAS keeps its session');

    const off = await radclient({
      port: server.ports.accounting,
      secret: SECRET,
      kind: 'acct',
      packets: ['Acct-Status-Type = Accounting-Off, NAS-IP-Address = 10.6.6.6, Acct-Session-Id = "0"'],
    });
    assert.equal(off.status, 0, off.stderr);
    assert.equal(await server.store.findLatestSession({ mac: '02:00:00:00:00:03' }), null);
  });

  test('a wrong shared secret gets no reply and leaves no record', async () => {
    const before = (await server.radius.stats()).accounting.dropped['bad-authenticator'];
    const result = await radclient({
      port: server.ports.accounting,
      secret: 'not-the-secret',
      kind: 'acct',
      retries: 1,
      timeoutSeconds: 1,
      packets: ['Acct-Status-Type = Start, Acct-Session-Id = "wrong-secret", Calling-Station-Id = "0E:00:00:00:00:01"'],
    });
    assert.notEqual(result.status, 0, 'radclient saw no answer');
    assert.doesNotMatch(result.stdout, /Accounting-Response/);
    assert.ok((await server.radius.stats()).accounting.dropped['bad-authenticator'] > before);
    assert.equal((await server.store.accountingRecordsByMac({ mac: '0E:00:00:00:00:01', since: 0, limit: 5 })).length, 0);
  });

  test('Status-Server is answered on both ports (RFC 5997)', async () => {
    const result = await radclient({
      port: server.ports.auth,
      secret: SECRET,
      kind: 'status',
      packets: ['Message-Authenticator = 0x00'],
    });
    assert.equal(result.status, 0, result.stderr + result.stdout);
    assert.match(result.stdout, /Access-Accept/);
  });

  test('a retransmitted duplicate is answered again but recorded once (RFC 5080)', async () => {
    const client = await UdpClient.open();
    try {
      const datagram = encodePacket(
        {
          code: Code.AccountingRequest,
          identifier: 77,
          attributes: [
            { name: 'Acct-Status-Type', value: 'Start' },
            { name: 'Acct-Session-Id', value: 'dup-1' },
            { name: 'Calling-Station-Id', value: '0D-00-00-00-00-01' },
            { name: 'NAS-IP-Address', value: '10.7.7.7' },
          ],
        },
        { secret: SECRET },
      );
      const first = await client.request(datagram, server.ports.accounting);
      const second = await client.request(datagram, server.ports.accounting);
      assert.ok(first);
      assert.ok(second);
      assert.equal(decodePacket(first).code, Code.AccountingResponse);
      assert.deepEqual(second, first, 'the cached reply is sent again');
      const records = await server.store.accountingRecordsByMac({ mac: '0D:00:00:00:00:01', since: 0, limit: 10 });
      assert.equal(records.length, 1);
      assert.ok((await server.radius.stats()).accounting.duplicatesAnswered >= 1);
    } finally {
      await client.close();
    }
  });
});
