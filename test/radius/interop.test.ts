/**
 * Interop with FreeRADIUS's radclient: it sends real requests to a local UDP socket, the codec
 * decodes and verifies them and answers with `encodeResponse`; radclient then checks our
 * Response Authenticator and Message-Authenticator and prints what it decoded. Skipped, loudly,
 * where radclient is not installed, and failed under CI (see test/helpers/tools.ts).
 */
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { after, before, test } from 'node:test';
import {
  Code,
  ciscoAvPair,
  ciscoAvPairs,
  decodePacket,
  encodeResponse,
  getAttribute,
  getNumber,
  getString,
  revealUserPassword,
  verifyMessageAuthenticator,
  verifyRequestAuthenticator,
  type AttributeInput,
  type RadiusPacket,
} from '../../src/radius/index.js';
import { radclient as runRadclient, type RadclientOptions } from '../helpers/radclient.js';
import { needTool } from '../helpers/tools.js';

const skip = needTool('radclient', 'freeradius-utils');
const SECRET = 'interop-secret';

interface Exchange {
  datagram: Buffer;
  packet: RadiusPacket;
}

/** What the fake server answers, by request code; `secret` lets a test answer wrongly. */
let answer: (request: RadiusPacket) => { code: number; attributes: AttributeInput[]; secret?: string } = () => {
  throw new Error('no answer configured');
};
const received: Exchange[] = [];
let socket: Socket;
let port = 0;

before(async () => {
  if (skip) return;
  socket = createSocket('udp4');
  socket.on('message', (datagram, from) => {
    const packet = decodePacket(datagram);
    received.push({ datagram, packet });
    const reply = answer(packet);
    socket.send(encodeResponse(packet, reply.code, reply.attributes, reply.secret ?? SECRET, { messageAuthenticator: true }), from.port, from.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  port = socket.address().port;
});

after(() => {
  if (!skip) socket.close();
});

/** Runs radclient for one request and returns its exit status and output. */
async function radclient(kind: RadclientOptions['kind'], attributes: string, timeoutSeconds = 3): Promise<{ status: number | null; output: string }> {
  const r = await runRadclient({ port, secret: SECRET, kind, packets: [attributes], retries: 1, timeoutSeconds });
  return { status: r.status, output: r.stdout + r.stderr };
}

/** The attribute lines radclient printed for the packet it received. */
function printedReply(output: string): string[] {
  const at = output.indexOf('Received ');
  assert.ok(at >= 0, `radclient got no reply:\n${output}`);
  return output
    .slice(at)
    .split('\n')
    .slice(1)
    .filter((l) => l.startsWith('\t'))
    .map((l) => l.trim());
}

const last = () => received[received.length - 1]!;

test('Access-Request with PAP, tags and Message-Authenticator; our Access-Accept passes radclient', { skip }, async () => {
  answer = () => ({
    code: Code.AccessAccept,
    attributes: [
      { name: 'Tunnel-Type', value: 'VLAN', tag: 1 },
      { name: 'Tunnel-Medium-Type', value: 'IEEE-802', tag: 1 },
      { name: 'Tunnel-Private-Group-ID', value: '120', tag: 1 },
      { name: 'Session-Timeout', value: 28800 },
      { name: 'Termination-Action', value: 'RADIUS-Request' },
      { name: 'Framed-IPv6-Prefix', value: '2001:db8:1::/48' },
      { name: 'Framed-Interface-Id', value: '0211:22ff:fe33:4455' },
      { name: 'Cisco-AVPair', value: 'cts:security-group-tag=0004-00' },
      { name: 'Cisco-AVPair', value: 'url-redirect-acl=REDIRECT' },
      { name: 'Aruba-User-Role', value: 'employee' },
      { name: 'Aruba-User-Vlan', value: 120 },
      { name: 'Class', value: Buffer.from('CACS:0A0B0C0D') },
    ],
  });
  const { status, output } = await radclient(
    'auth',
    'User-Name = "nemo", User-Password = "arctangent", NAS-IP-Address = 10.1.2.3, NAS-Port-Type = Ethernet, ' +
      'Calling-Station-Id = "AA-BB-CC-DD-EE-FF", Message-Authenticator = 0x00, Framed-IPv6-Address = 2001:db8::7, ' +
      'Tunnel-Private-Group-Id:3 = "unused", Cisco-AVPair = "audit-session-id=0A0B0C0D0000001A", Cisco-AVPair = "method=dot1x"',
  );
  assert.equal(status, 0, output);
  const lines = printedReply(output);
  assert.match(lines[0]!, /^Message-Authenticator = 0x[0-9a-f]{32}$/, 'first, as placed');
  assert.deepEqual(lines.slice(1), [
    'Tunnel-Type:1 = VLAN',
    'Tunnel-Medium-Type:1 = IEEE-802',
    'Tunnel-Private-Group-Id:1 = "120"',
    'Session-Timeout = 28800',
    'Termination-Action = RADIUS-Request',
    'Framed-IPv6-Prefix = 2001:db8:1::/48',
    'Framed-Interface-Id = 211:22ff:fe33:4455',
    'Cisco-AVPair = "cts:security-group-tag=0004-00"',
    'Cisco-AVPair = "url-redirect-acl=REDIRECT"',
    'Aruba-User-Role = "employee"',
    'Aruba-User-Vlan = 120',
    'Class = 0x434143533a3041304230433044',
  ]);
  const { datagram, packet } = last();
  assert.equal(verifyMessageAuthenticator(datagram, SECRET), true);
  assert.equal(revealUserPassword(getAttribute(packet, 'User-Password')!.value as Buffer, SECRET, packet.authenticator), 'arctangent');
  assert.equal(getString(packet, 'NAS-IP-Address'), '10.1.2.3');
  assert.equal(getString(packet, 'NAS-Port-Type'), 'Ethernet');
  assert.equal(getString(packet, 'Framed-IPv6-Address'), '2001:db8::7');
  assert.equal(getAttribute(packet, 'Tunnel-Private-Group-ID')!.tag, 3);
  assert.deepEqual(ciscoAvPairs(packet), ['audit-session-id=0A0B0C0D0000001A', 'method=dot1x']);
});

test('Accounting-Request: authenticator, Message-Authenticator and every accounting type; radclient accepts our answer', { skip }, async () => {
  answer = () => ({ code: Code.AccountingResponse, attributes: [] });
  const { status, output } = await radclient(
    'acct',
    'Acct-Status-Type = Stop, Acct-Session-Id = "0000001A", Acct-Terminate-Cause = Admin-Reset, Acct-Authentic = RADIUS, ' +
      'Acct-Input-Octets = 4294967295, Acct-Input-Gigawords = 2, Acct-Session-Time = 3600, Acct-Delay-Time = 0, ' +
      'Event-Timestamp = "Nov 23 2026 01:00:00 UTC", NAS-IPv6-Address = fe80::1, Framed-IP-Address = 192.0.2.7, ' +
      'Cisco-AVPair = "audit-session-id=ABC", Message-Authenticator = 0x00',
  );
  assert.equal(status, 0, output);
  const { datagram, packet } = last();
  assert.equal(verifyRequestAuthenticator(datagram, SECRET), true);
  assert.equal(verifyRequestAuthenticator(datagram, 'not-the-secret'), false);
  assert.equal(verifyMessageAuthenticator(datagram, SECRET), true);
  assert.equal(getString(packet, 'Acct-Status-Type'), 'Stop');
  assert.equal(getString(packet, 'Acct-Terminate-Cause'), 'Admin-Reset');
  assert.equal(getNumber(packet, 'Acct-Input-Octets'), 4294967295);
  assert.equal(getNumber(packet, 'Acct-Input-Gigawords'), 2);
  assert.equal(getNumber(packet, 'Event-Timestamp'), Date.UTC(2026, 10, 23, 1, 0, 0) / 1000);
  assert.equal(getString(packet, 'NAS-IPv6-Address'), 'fe80::1');
  assert.equal(ciscoAvPair(packet, 'audit-session-id'), 'ABC');
});

test('CoA-Request and Disconnect-Request; radclient accepts our ACK and decodes our NAK\'s Error-Cause', { skip }, async () => {
  answer = (request) =>
    request.code === Code.CoARequest
      ? { code: Code.CoANAK, attributes: [{ name: 'Error-Cause', value: 'Session-Context-Not-Found' }] }
      : { code: Code.DisconnectACK, attributes: [] };
  const coa = await radclient(
    'coa',
    'Calling-Station-Id = "AA-BB-CC-DD-EE-FF", Event-Timestamp = 1700000000, Message-Authenticator = 0x00, ' +
      'Cisco-AVPair = "subscriber:command=reauthenticate", Cisco-AVPair = "subscriber:reauthenticate-type=last"',
  );
  assert.match(coa.output, /Received CoA-NAK/);
  assert.ok(printedReply(coa.output).includes('Error-Cause = Session-Context-Not-Found'), coa.output);
  assert.doesNotMatch(coa.output, /verification failed|invalid/i);
  const request = last();
  assert.equal(request.packet.code, Code.CoARequest);
  assert.equal(verifyRequestAuthenticator(request.datagram, SECRET), true);
  assert.equal(verifyMessageAuthenticator(request.datagram, SECRET), true);
  assert.deepEqual(ciscoAvPairs(request.packet), ['subscriber:command=reauthenticate', 'subscriber:reauthenticate-type=last']);

  const disconnect = await radclient('disconnect', 'Acct-Session-Id = "0000001A", NAS-IP-Address = 10.1.2.3, Message-Authenticator = 0x00');
  assert.equal(disconnect.status, 0, disconnect.output);
  assert.match(disconnect.output, /Received Disconnect-ACK/);
  assert.equal(verifyRequestAuthenticator(last().datagram, SECRET), true);
  assert.equal(verifyMessageAuthenticator(last().datagram, SECRET), true);
});

test('Status-Server carries Message-Authenticator; radclient accepts both of our answers', { skip }, async () => {
  for (const code of [Code.AccessAccept, Code.AccountingResponse]) {
    answer = () => ({ code, attributes: [] });
    const { status, output } = await radclient('status', 'Message-Authenticator = 0x00');
    assert.equal(status, 0, output);
    assert.equal(last().packet.code, Code.StatusServer);
    assert.equal(verifyMessageAuthenticator(last().datagram, SECRET), true);
  }
});

test('negative control: radclient rejects answers signed with another secret', { skip }, async () => {
  for (const [kind, code] of [
    ['auth', Code.AccessAccept],
    ['acct', Code.AccountingResponse],
    ['disconnect', Code.DisconnectACK],
  ] as const) {
    answer = () => ({ code, attributes: [], secret: 'some-other-secret' });
    // radclient drops the bad answer and waits out its timeout, so keep that short.
    const { status, output } = await radclient(kind, 'User-Name = "x", Acct-Session-Id = "y", Message-Authenticator = 0x00', 1);
    assert.notEqual(status, 0, `${kind}: ${output}`);
    assert.match(output, /verification failed|invalid/i, kind);
  }
});
