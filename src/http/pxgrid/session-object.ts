/**
 * A session as pxGrid 2.0's session service shows it (`com.cisco.ise.session`): pxGrid's field
 * names, its state words, ISO 8601 times; fields we have no value for are left out, as ISE does.
 * Consumers merge by `callingStationId` and keep the newest `timestamp`.
 */
import type { Session } from '../../store/index.js';
import { normalizeMac } from '../../sessions/mac.js';
import { isoTime } from '../../events/view.js';
import { jsonValue, StringSink, type TextSink } from '../../text-sink.js';

export type PxGridState = 'AUTHENTICATING' | 'AUTHENTICATED' | 'POSTURED' | 'STARTED' | 'DISCONNECTED';

export function pxgridState(s: Session): PxGridState {
  if (s.state === 'closed') return 'DISCONNECTED';
  if (s.state === 'authenticated') return 'AUTHENTICATED';
  return s.postureStatus?.toLowerCase() === 'compliant' ? 'POSTURED' : 'STARTED';
}

/**
 * pxGrid's members in the order ISE writes them, each with how it is read from our session; a
 * member whose value is null, undefined or empty is left out. One table for the object (REST
 * answers) and the text (the topic's messages, written straight into the batch's bytes).
 */
const MEMBERS: readonly (readonly [string, (s: Session) => unknown])[] = [
  // When the record last changed: a closed session's close time, else its last update.
  ['timestamp', (s) => isoTime(s.closedAt ?? s.updatedAt)],
  ['state', pxgridState],
  ['userName', (s) => s.userName],
  ['callingStationId', (s) => s.callingStationId],
  ['calledStationId', (s) => s.calledStationId],
  ['auditSessionId', (s) => s.auditSessionId],
  ['ipAddresses', (s) => [s.framedIp, s.framedIpv6].filter((a): a is string => typeof a === 'string' && a !== '')],
  ['macAddress', (s) => normalizeMac(s.callingStationId)],
  ['nasIpAddress', (s) => s.nasIp],
  ['nasPortId', (s) => s.nasPortId],
  ['nasPortType', (s) => s.nasPortType],
  ['nasIdentifier', (s) => s.nasIdentifier],
  ['postureStatus', (s) => s.postureStatus],
  ['endpointProfile', (s) => s.endpointPolicy],
  ['ctsSecurityGroup', (s) => s.sgt],
  ['adNormalizedUser', (s) => s.userName],
  ['serviceType', (s) => s.serviceType],
  ['selectedAuthzProfiles', (s) => (s.selectedAuthzProfile ? [s.selectedAuthzProfile] : null)],
  ['tunnelPrivateGroupId', (s) => s.vlan],
];

const empty = (value: unknown) => value === null || value === undefined || value === '' || (Array.isArray(value) && value.length === 0);

export function pxgridSession(s: Session): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, read] of MEMBERS) {
    const value = read(s);
    if (!empty(value)) out[name] = value;
  }
  return out;
}

/** JSON.stringify(pxgridSession(s)), written into `sink` without the object. */
export function writePxgridSession(sink: TextSink, s: Session): void {
  let text = '';
  for (const [name, read] of MEMBERS) {
    const value = read(s);
    if (empty(value)) continue;
    text += `${text === '' ? '{' : ','}"${name}":${Array.isArray(value) ? `[${value.map(jsonValue).join(',')}]` : jsonValue(value)}`;
  }
  sink.text(text === '' ? '{}' : `${text}}`);
}

export function pxgridSessionJson(s: Session): string {
  const sink = new StringSink();
  writePxgridSession(sink, s);
  return sink.value;
}
