/**
 * Authentication and accounting records as ISE's remote-logging messages, so that the parsers
 * SIEMs have for ISE read them: the category as the program name (`CISE_Passed_Authentications`,
 * `CISE_Failed_Attempts`, `CISE_RADIUS_Accounting`), then a message id, the number of segments
 * and this segment's number, then the body — time, zone, sequence number, message code,
 * severity, message class and text, and `Name=value` pairs separated by `, `.
 *
 * Pure: records and a context in, strings out. No sockets, no clock of its own.
 */
import type { NewAccountingRecord, NewAuthRecord } from '../store/index.js';

export type SyslogHeader = 'ise' | 'rfc5424';

export interface IseMessage {
  category: 'CISE_Passed_Authentications' | 'CISE_Failed_Attempts' | 'CISE_RADIUS_Accounting';
  code: number;
  messageClass: string;
  text: string;
  /** Name and value pairs, in order; absent values are left out. */
  pairs: [string, string | number | null | undefined][];
  at: number;
}

/** The ISE message codes of what this node logs. */
export const MESSAGE_CODES = {
  passed: 5200,
  failed: 5400,
  accountingStart: 3000,
  accountingStop: 3001,
  accountingUpdate: 3002,
} as const;

/** RFC 5424 §6.2.1: severity 5 is Notice, which ISE gives all three categories. */
const NOTICE = 5;

export function authenticationMessage(r: NewAuthRecord): IseMessage {
  const pairs: IseMessage['pairs'] = [
    ['Device IP Address', r.nasIp],
    ['UserName', r.userName],
    ['Protocol', 'Radius'],
    ['RequestLatency', r.responseTimeMs],
    ['NetworkDeviceName', r.networkDeviceName],
    ['User-Name', r.userName],
    ['NAS-IP-Address', r.nasIp],
    ['NAS-Port', r.nasPort],
    ['Service-Type', r.serviceType],
    ['Framed-IP-Address', r.framedIp],
    ['Called-Station-ID', r.calledStationId],
    ['Calling-Station-ID', r.callingStationId],
    ['NAS-Identifier', r.nasIdentifier],
    ['NAS-Port-Type', r.nasPortType],
    ['NAS-Port-Id', r.nasPortId],
    ['AcsSessionID', r.acctSessionId],
    ['AuthenticationIdentityStore', r.identityStore],
    ['AuthenticationMethod', r.authenticationMethod],
    ['AuthenticationProtocol', r.authenticationProtocol],
    ['SelectedAuthorizationProfiles', r.selectedAuthzProfile],
    ['IdentityGroup', r.identityGroup],
    ['AuthorizationPolicyMatchedRule', r.authzPolicy],
    ['FailureReason', r.passed ? null : r.failureReason],
    ['CPMSessionID', r.auditSessionId],
    ['EndPointMACAddress', r.callingStationId],
    ['AcsServer', r.server],
  ];
  return r.passed
    ? { category: 'CISE_Passed_Authentications', code: MESSAGE_CODES.passed, messageClass: 'Passed-Authentication', text: 'Authentication succeeded', pairs, at: r.receivedAt }
    : { category: 'CISE_Failed_Attempts', code: MESSAGE_CODES.failed, messageClass: 'Failed-Attempt', text: 'Authentication failed', pairs, at: r.receivedAt };
}

export function accountingMessage(r: NewAccountingRecord): IseMessage {
  const [code, text] =
    r.statusType === 'Start'
      ? [MESSAGE_CODES.accountingStart, 'RADIUS Accounting start request']
      : r.statusType === 'Stop'
        ? [MESSAGE_CODES.accountingStop, 'RADIUS Accounting stop request']
        : [MESSAGE_CODES.accountingUpdate, 'RADIUS Accounting watchdog update'];
  return {
    category: 'CISE_RADIUS_Accounting',
    code,
    messageClass: 'Radius-Accounting',
    text,
    at: r.receivedAt,
    pairs: [
      ['Device IP Address', r.nasIp],
      ['NetworkDeviceName', r.nasName],
      ['UserName', r.userName],
      ['User-Name', r.userName],
      ['NAS-IP-Address', r.nasIp],
      ['Framed-IP-Address', r.framedIp],
      ['Calling-Station-ID', r.callingStationId],
      ['Acct-Status-Type', r.statusType],
      ['Acct-Delay-Time', r.delayTime],
      ['Acct-Input-Octets', r.inputOctets],
      ['Acct-Output-Octets', r.outputOctets],
      ['Acct-Session-Id', r.acctSessionId],
      ['Acct-Session-Time', r.sessionTime],
      ['Acct-Input-Packets', r.inputPackets],
      ['Acct-Output-Packets', r.outputPackets],
      ['Acct-Terminate-Cause', r.terminateCause],
      ['CPMSessionID', r.auditSessionId],
      ['AcsServer', r.server],
    ],
  };
}

/** A value as ISE writes it in a pair: a comma inside a value would end the pair, so it is escaped. */
function pairValue(value: string | number): string {
  return String(value).replace(/\\/g, '\\\\').replace(/,/g, '\\,').replace(/[\r\n]/g, ' ');
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `2026-12-02 05:14:08.123 +00:00`: ISE's body time (this node writes UTC). */
function bodyTime(at: number): string {
  const d = new Date(at);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)} +00:00`;
}

/** The body after the segment numbers: time, zone, sequence, code, severity, class: text, pairs. */
export function messageBody(m: IseMessage, sequence: number): string {
  const pairs = m.pairs.filter(([, v]) => v !== null && v !== undefined && v !== '').map(([k, v]) => `${k}=${pairValue(v!)}`);
  return `${bodyTime(m.at)} ${pad(sequence, 10)} ${m.code} NOTICE ${m.messageClass}: ${m.text}${pairs.length > 0 ? `, ${pairs.join(', ')}` : ''},`;
}

export interface FrameContext {
  header: SyslogHeader;
  /** RFC 5424 facility number (ISE's default is local6, 22). */
  facility: number;
  hostname: string;
  /** ISE's message id: one per message, the same in each of its segments. */
  messageId: number;
  sequence: number;
  /** Longest datagram or line to send; a longer message is cut into segments, as ISE does. */
  maxLength: number;
  now: number;
}

/** The finished syslog messages (one per segment) of one ISE message. */
export function frames(m: IseMessage, c: FrameContext): string[] {
  const pri = `<${c.facility * 8 + NOTICE}>`;
  const d = new Date(c.now);
  const head =
    c.header === 'ise'
      ? // RFC 3164 style, as ISE sends it: `Dec  2 05:14:08 host CISE_...`
        `${pri}${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} ${c.hostname} ${m.category} `
      : // RFC 5424: VERSION, ISO time, HOSTNAME, APP-NAME (the category), PROCID, MSGID, no structured data.
        `${pri}1 ${d.toISOString()} ${c.hostname} ${m.category} - ${m.code} - `;
  const body = messageBody(m, c.sequence);
  const messageId = pad(c.messageId, 10);
  // Room for the head and `id total number ` (segment counts of up to three digits).
  const room = Math.max(64, c.maxLength - Buffer.byteLength(head) - messageId.length - 9);
  const segments: string[] = [];
  for (let rest = body; rest.length > 0; ) {
    let cut = Math.min(rest.length, room);
    while (Buffer.byteLength(rest.slice(0, cut)) > room) cut--;
    segments.push(rest.slice(0, cut));
    rest = rest.slice(cut);
  }
  return segments.map((segment, i) => `${head}${messageId} ${segments.length} ${i} ${segment}`);
}
