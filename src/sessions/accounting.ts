/**
 * Accounting-Request → what the directory should do. The rules (RFC 2866, RFC 2869, DESIGN.md):
 * Start opens, Interim-Update refreshes (or opens, back-dated by Acct-Session-Time), Stop closes,
 * Accounting-On/Off close everything of that NAS. Counters add the Gigawords. The event time is
 * Event-Timestamp when the NAS sent one, else receipt time less Acct-Delay-Time.
 */
import {
  attributeValueName,
  ciscoAvPair,
  type Attribute,
  type RadiusPacket,
} from '../radius/index.js';
import type { AccountingWrite, SessionChange } from '../store/index.js';
import { attributeStrings, octetsText } from './format.js';
import { callingStationKey } from './mac.js';

export interface AccountingEvent {
  packet: RadiusPacket;
  nasName: string;
  /** Source address of the datagram; the NAS address when the packet names none. */
  sourceAddress: string;
  receivedAt: number;
}

const GIGAWORD = 2 ** 32;

/** Acct-Status-Type values (RFC 2866 §5.1, RFC 2866 for On/Off). */
const STATUS = { start: 1, stop: 2, interim: 3, accountingOn: 7, accountingOff: 8 } as const;

/**
 * The first attribute of each name, found in one pass over the packet: the conversion reads some
 * 35 attributes by name, and a scan with a case-folded name lookup per read cost more than the
 * rest of the conversion together. Decoded attributes carry the dictionary's spelling, which is
 * the spelling used below.
 */
export type FirstByName = Map<string, Attribute>;

export function firstByName(attributes: readonly Attribute[]): FirstByName {
  const first: FirstByName = new Map();
  for (const a of attributes) if (!first.has(a.name)) first.set(a.name, a);
  return first;
}

function str(first: FirstByName, name: string): string | null {
  const a = first.get(name);
  if (a === undefined) return null;
  return Buffer.isBuffer(a.value) ? octetsText(a.value) : String(a.value);
}

function num(first: FirstByName, name: string): number | null {
  const a = first.get(name);
  return a !== undefined && typeof a.value === 'number' ? a.value : null;
}

function named(first: FirstByName, name: string): string | null {
  const a = first.get(name);
  if (a === undefined) return null;
  return typeof a.value === 'number' ? (attributeValueName(name, a.value) ?? String(a.value)) : String(a.value);
}

function counter(first: FirstByName, low: string, high: string): number | null {
  const lo = num(first, low);
  const hi = num(first, high);
  if (lo === null && hi === null) return null;
  return (hi ?? 0) * GIGAWORD + (lo ?? 0);
}

/** NAS-IP-Address, else NAS-IPv6-Address, else where the datagram came from. */
export function nasAddress(packet: RadiusPacket, sourceAddress: string): string {
  return addressOf(firstByName(packet.attributes), sourceAddress);
}

export function addressOf(first: FirstByName, sourceAddress: string): string {
  return str(first, 'NAS-IP-Address') ?? str(first, 'NAS-IPv6-Address') ?? sourceAddress;
}

export function toAccountingWrite(event: AccountingEvent, server: string): AccountingWrite {
  const { packet, receivedAt } = event;
  const first = firstByName(packet.attributes);
  const status = num(first, 'Acct-Status-Type');
  const statusName = status === null ? 'Unknown' : (attributeValueName('Acct-Status-Type', status) ?? String(status));
  const nasIp = addressOf(first, event.sourceAddress);
  const eventTimestamp = num(first, 'Event-Timestamp');
  const delay = num(first, 'Acct-Delay-Time');
  const at = eventTimestamp !== null ? eventTimestamp * 1000 : receivedAt - (delay ?? 0) * 1000;
  const sessionTime = num(first, 'Acct-Session-Time');
  const callingRaw = str(first, 'Calling-Station-Id');
  const callingStationId = callingRaw === null ? null : callingStationKey(callingRaw);
  const acctSessionId = str(first, 'Acct-Session-Id');
  const auditSessionId = ciscoAvPair(packet, 'audit-session-id') ?? null;
  const inputOctets = counter(first, 'Acct-Input-Octets', 'Acct-Input-Gigawords');
  const outputOctets = counter(first, 'Acct-Output-Octets', 'Acct-Output-Gigawords');
  const inputPackets = num(first, 'Acct-Input-Packets');
  const outputPackets = num(first, 'Acct-Output-Packets');
  const terminateCause = named(first, 'Acct-Terminate-Cause');
  const userName = str(first, 'User-Name');
  const framedIp = str(first, 'Framed-IP-Address');
  const texts = attributeStrings(packet.attributes, HIDDEN, HAS_COLUMN);

  const record = {
    receivedAt,
    nasIp,
    nasName: event.nasName,
    statusType: statusName,
    acctSessionId,
    callingStationId,
    userName,
    auditSessionId,
    framedIp,
    sessionTime,
    inputOctets,
    outputOctets,
    inputPackets,
    outputPackets,
    delayTime: delay,
    eventTimestamp,
    terminateCause,
    server,
    attributes: texts.all,
  };

  let change: SessionChange | null = null;
  if (status === STATUS.accountingOn || status === STATUS.accountingOff) {
    change = { kind: 'nas-reset', nasIp, at };
  } else if (status === STATUS.start || status === STATUS.interim || status === STATUS.stop) {
    const kind = status === STATUS.start ? 'start' : status === STATUS.stop ? 'stop' : 'interim';
    change = {
      kind,
      identity: { nasIp, acctSessionId: acctSessionId ?? '', callingStationId: callingStationId ?? '' },
      at,
      startedAt: kind === 'start' ? at : at - (sessionTime ?? 0) * 1000,
      fields: {
        origCallingStationId: callingRaw,
        userName,
        auditSessionId,
        nasIpv6: str(first, 'NAS-IPv6-Address'),
        nasIdentifier: str(first, 'NAS-Identifier'),
        nasPort: num(first, 'NAS-Port'),
        nasPortId: str(first, 'NAS-Port-Id'),
        nasPortType: named(first, 'NAS-Port-Type'),
        calledStationId: str(first, 'Called-Station-Id'),
        framedIp,
        framedIpv6: str(first, 'Framed-IPv6-Address') ?? str(first, 'Framed-IPv6-Prefix'),
        serviceType: named(first, 'Service-Type'),
        framedProtocol: named(first, 'Framed-Protocol'),
        acctStatusType: statusName,
        acctAt: receivedAt,
        acctSessionTime: sessionTime,
        inputOctets,
        outputOctets,
        inputPackets,
        outputPackets,
        acctDelayTime: delay,
        eventTimestamp,
        acctAuthentic: named(first, 'Acct-Authentic'),
        acctInterimInterval: num(first, 'Acct-Interim-Interval'),
        acctClass: str(first, 'Class'),
        terminateCause,
        multiSessionId: str(first, 'Acct-Multi-Session-Id'),
        otherAttributes: texts.other,
      },
    };
  }
  return { record, change };
}

/** Never stored: secrets and integrity checks. */
const HIDDEN: ReadonlySet<string> = new Set(['User-Password', 'CHAP-Password', 'Message-Authenticator']);

/** Attributes that have no column of their own, for ISE's other_attr_string. */
const HAS_COLUMN: ReadonlySet<string> = new Set([
  ...HIDDEN,
  'User-Name',
  'NAS-IP-Address',
  'NAS-IPv6-Address',
  'NAS-Identifier',
  'NAS-Port',
  'NAS-Port-Id',
  'NAS-Port-Type',
  'Called-Station-Id',
  'Calling-Station-Id',
  'Framed-IP-Address',
  'Framed-IPv6-Address',
  'Framed-IPv6-Prefix',
  'Service-Type',
  'Framed-Protocol',
  'Acct-Status-Type',
  'Acct-Session-Id',
  'Acct-Session-Time',
  'Acct-Input-Octets',
  'Acct-Output-Octets',
  'Acct-Input-Gigawords',
  'Acct-Output-Gigawords',
  'Acct-Input-Packets',
  'Acct-Output-Packets',
  'Acct-Delay-Time',
  'Event-Timestamp',
  'Acct-Authentic',
  'Acct-Interim-Interval',
  'Class',
  'Acct-Terminate-Cause',
  'Acct-Multi-Session-Id',
]);

export function otherAttributes(attributes: readonly Attribute[]): string | null {
  return attributeStrings(attributes, HAS_COLUMN).all || null;
}
