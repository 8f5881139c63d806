/**
 * What the benchmarks send: accounting and MAB requests shaped like a Cisco Catalyst access switch
 * sends them (IOS-XE 802.1X / MAB sessions), one distinct endpoint per session index.
 */
import type { AttributeInput } from '../../src/radius/index.js';
import type { AccountingWrite } from '../../src/store/index.js';

export type AcctPhase = 'Start' | 'Interim-Update' | 'Stop';

/** Switches the sessions are spread over (48 access ports each would be ~4,000 switches for 200k). */
const SWITCHES = 250;

/** `02:XX:XX:XX:XX:01`, locally administered, unique for i < 2^32. */
export function macFor(i: number): string {
  const bytes = [0x02, (i >>> 24) & 255, (i >>> 16) & 255, (i >>> 8) & 255, i & 255, 0x01];
  return bytes.map((b) => b.toString(16).padStart(2, '0').toUpperCase()).join(':');
}

export function nasIpFor(i: number): string {
  const nas = i % SWITCHES;
  return `10.${100 + (nas >> 8)}.${nas & 255}.1`;
}

export function auditSessionIdFor(i: number): string {
  // Cisco: NAS IP in hex (8) + session count (8) + timestamp (8).
  const nas = nasIpFor(i)
    .split('.')
    .map((o) => Number(o).toString(16).padStart(2, '0'))
    .join('')
    .toUpperCase();
  return `${nas}${(i >>> 0).toString(16).padStart(8, '0').toUpperCase()}6553F1A2`;
}

/**
 * Accounting for session i. `eventTime` (Unix seconds) is the Event-Timestamp of the Start; Interim
 * and Stop come 600 s and 1,200 s later on the session's own clock, with counters.
 */
export function accountingAttributes(i: number, phase: AcctPhase, eventTime: number): AttributeInput[] {
  const mac = macFor(i);
  const port = 1 + (Math.floor(i / SWITCHES) % 48);
  const elapsed = phase === 'Start' ? 0 : phase === 'Interim-Update' ? 600 : 1200;
  const attrs: AttributeInput[] = [
    { name: 'Acct-Status-Type', value: phase },
    { name: 'User-Name', value: mac.replace(/:/g, '').toLowerCase() },
    { name: 'Cisco-AVPair', value: `audit-session-id=${auditSessionIdFor(i)}` },
    { name: 'Framed-IP-Address', value: `172.${16 + ((i >>> 16) & 15)}.${(i >>> 8) & 255}.${i & 255}` },
    { name: 'Cisco-AVPair', value: 'method=mab' },
    { name: 'Called-Station-Id', value: `00-1B-54-${(i % SWITCHES).toString(16).padStart(2, '0').toUpperCase()}-00-${port.toString(16).padStart(2, '0').toUpperCase()}` },
    { name: 'Calling-Station-Id', value: mac.replace(/:/g, '-') },
    { name: 'NAS-IP-Address', value: nasIpFor(i) },
    { name: 'NAS-Port-Type', value: 'Ethernet' },
    { name: 'NAS-Port', value: 50100 + port },
    { name: 'NAS-Port-Id', value: `GigabitEthernet1/0/${port}` },
    { name: 'Class', value: `CACS:${auditSessionIdFor(i)}:ise-psn-1/482910374/${i}` },
    { name: 'Service-Type', value: 'Framed' },
    { name: 'Acct-Session-Id', value: (i + 1).toString(16).padStart(8, '0').toUpperCase() },
    { name: 'Acct-Authentic', value: 'RADIUS' },
    { name: 'Event-Timestamp', value: eventTime + elapsed },
  ];
  if (phase !== 'Start') {
    attrs.push(
      { name: 'Acct-Input-Octets', value: 1_048_576 + i * 37 },
      { name: 'Acct-Output-Octets', value: 4_194_304 + i * 91 },
      { name: 'Acct-Input-Packets', value: 9_000 + (i % 1000) },
      { name: 'Acct-Output-Packets', value: 21_000 + (i % 1000) },
      { name: 'Acct-Session-Time', value: elapsed },
    );
  }
  if (phase === 'Stop') attrs.push({ name: 'Acct-Terminate-Cause', value: 'Lost-Carrier' });
  attrs.push({ name: 'Acct-Delay-Time', value: 0 });
  return attrs;
}

/** A MAB Access-Request from a Catalyst: User-Name and User-Password are the MAC, Service-Type Call-Check. */
export function mabAttributes(i: number): AttributeInput[] {
  const mac = macFor(i);
  const bare = mac.replace(/:/g, '').toLowerCase();
  const port = 1 + (Math.floor(i / SWITCHES) % 48);
  return [
    { name: 'User-Name', value: bare },
    { name: 'User-Password', value: bare },
    { name: 'Service-Type', value: 'Call-Check' },
    { name: 'Cisco-AVPair', value: 'service-type=Call Check' },
    { name: 'Framed-MTU', value: 1485 },
    { name: 'Called-Station-Id', value: `00-1B-54-${(i % SWITCHES).toString(16).padStart(2, '0').toUpperCase()}-00-${port.toString(16).padStart(2, '0').toUpperCase()}` },
    { name: 'Calling-Station-Id', value: mac.replace(/:/g, '-') },
    { name: 'Cisco-AVPair', value: `audit-session-id=${auditSessionIdFor(i)}` },
    { name: 'Cisco-AVPair', value: 'method=mab' },
    { name: 'NAS-IP-Address', value: nasIpFor(i) },
    { name: 'NAS-Port-Id', value: `GigabitEthernet1/0/${port}` },
    { name: 'NAS-Port-Type', value: 'Ethernet' },
    { name: 'NAS-Port', value: 50100 + port },
  ];
}

/**
 * One accounting write for session i as the sessions layer hands it to the store: for benchmarks
 * that drive the store itself (its write path, its commits) rather than RADIUS.
 */
export function accountingWrite(i: number, kind: 'start' | 'interim' | 'stop', at: number): AccountingWrite {
  const mac = `02:00:${((i >> 16) & 255).toString(16).padStart(2, '0')}:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}:01`.toUpperCase();
  const nasIp = `10.100.${i % 250}.1`;
  const counters = kind === 'start' ? {} : { inputOctets: i * 10, outputOctets: i * 20, inputPackets: i, outputPackets: i, acctSessionTime: 600 };
  return {
    record: {
      receivedAt: at, nasIp, nasName: 'sw', statusType: kind, acctSessionId: String(i), callingStationId: mac, userName: `u${i}`,
      auditSessionId: `AUD${i}`, framedIp: `172.16.${(i >> 8) & 255}.${i & 255}`, sessionTime: null, inputOctets: null, outputOctets: null,
      inputPackets: null, outputPackets: null, delayTime: 0, eventTimestamp: null, terminateCause: kind === 'stop' ? 'User-Request' : null,
      server: 'bench', attributes: 'Acct-Status-Type=Start:!:NAS-Port-Type=Ethernet:!:Service-Type=Framed',
    },
    change: {
      kind, identity: { nasIp, acctSessionId: String(i), callingStationId: mac }, at, startedAt: at,
      fields: { acctAt: at, userName: `u${i}`, auditSessionId: `AUD${i}`, framedIp: `172.16.${(i >> 8) & 255}.${i & 255}`, nasPortId: 'GigabitEthernet1/0/1', nasPortType: 'Ethernet', ...counters },
    },
  };
}
