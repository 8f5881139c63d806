/**
 * The RADIUS thread's work per accounting packet, without sockets: decode, check the Request
 * Authenticator and Message-Authenticator, encode the Accounting-Response. A typical Cisco
 * Interim-Update with 19 attributes. The anchor: far above the 20,000 req/s ingest target, since
 * this is only part of what the thread does per packet.
 *
 *   npm run bench:codec
 *   PACKETS=500000 npm run bench:codec
 */
import {
  Code,
  decodePacket,
  encodePacket,
  encodeResponse,
  verifyMessageAuthenticator,
  verifyRequestAuthenticator,
} from '../src/radius/index.js';
import { fmt } from './lib/load.js';

const PACKETS = Number(process.env.PACKETS ?? 200_000);
const SECRET = Buffer.from('testing123');
const ANCHOR = 20_000;

const request = encodePacket(
  {
    code: Code.AccountingRequest,
    identifier: 1,
    attributes: [
      { name: 'Acct-Status-Type', value: 'Interim-Update' },
      { name: 'User-Name', value: 'host/laptop-42.corp.example.com' },
      { name: 'NAS-IP-Address', value: '10.1.2.3' },
      { name: 'NAS-Port', value: 50101 },
      { name: 'NAS-Port-Type', value: 'Ethernet' },
      { name: 'NAS-Port-Id', value: 'GigabitEthernet1/0/1' },
      { name: 'Called-Station-Id', value: '00-11-22-33-44-55' },
      { name: 'Calling-Station-Id', value: 'AA-BB-CC-DD-EE-FF' },
      { name: 'Acct-Session-Id', value: '0000001A' },
      { name: 'Acct-Input-Octets', value: 123456 },
      { name: 'Acct-Output-Octets', value: 654321 },
      { name: 'Acct-Session-Time', value: 3600 },
      { name: 'Event-Timestamp', value: 1700000000 },
      { name: 'Framed-IP-Address', value: '10.9.8.7' },
      { name: 'Class', value: Buffer.from('CACS:0A0B0C0D0000001A:ise/123/456') },
      { name: 'Cisco-AVPair', value: 'audit-session-id=0A0B0C0D0000001A12345678' },
      { name: 'Cisco-AVPair', value: 'method=dot1x' },
      { name: 'Cisco-AVPair', value: 'connect-progress=Auth Open' },
      { name: 'Framed-IPv6-Address', value: '2001:db8::1234' },
    ],
  },
  { secret: SECRET, messageAuthenticator: true },
);

function once(): Buffer {
  const packet = decodePacket(request);
  if (!verifyRequestAuthenticator(request, SECRET) || verifyMessageAuthenticator(request, SECRET) !== true) throw new Error('the request does not verify');
  return encodeResponse(packet, Code.AccountingResponse, [], SECRET);
}

// Warm up, so the optimising compiler has run before the clock starts.
for (let i = 0; i < 20_000; i++) once();
const started = process.hrtime.bigint();
for (let i = 0; i < PACKETS; i++) once();
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
const rate = Math.round(PACKETS / seconds);
console.log(`codec: decode + verify + answer, ${fmt(PACKETS)} Accounting-Requests of ${request.length} bytes`);
console.log(`  measured ${fmt(rate)} packets/s on one thread   anchor > ${fmt(ANCHOR)}/s   ${rate > ANCHOR ? 'met' : 'NOT met'} (${(rate / ANCHOR).toFixed(1)}×)`);
