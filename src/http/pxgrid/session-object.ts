/**
 * A session as pxGrid 2.0's session service shows it (`com.cisco.ise.session`): pxGrid's field
 * names, its state words, ISO 8601 times; fields we have no value for are left out, as ISE does.
 * Consumers merge by `callingStationId` and keep the newest `timestamp`.
 */
import type { Session } from '../../store/index.js';
import { normalizeMac } from '../../sessions/mac.js';

export type PxGridState = 'AUTHENTICATING' | 'AUTHENTICATED' | 'POSTURED' | 'STARTED' | 'DISCONNECTED';

export function pxgridState(s: Session): PxGridState {
  if (s.state === 'closed') return 'DISCONNECTED';
  if (s.state === 'authenticated') return 'AUTHENTICATED';
  return s.postureStatus?.toLowerCase() === 'compliant' ? 'POSTURED' : 'STARTED';
}

export function pxgridSession(s: Session): Record<string, unknown> {
  const out: Record<string, unknown> = {
    // When the record last changed: a closed session's close time, else its last update.
    timestamp: new Date(s.closedAt ?? s.updatedAt).toISOString(),
    state: pxgridState(s),
  };
  const put = (key: string, value: unknown) => {
    if (value !== null && value !== undefined && value !== '') out[key] = value;
  };
  put('userName', s.userName);
  put('callingStationId', s.callingStationId);
  put('calledStationId', s.calledStationId);
  put('auditSessionId', s.auditSessionId);
  const addresses = [s.framedIp, s.framedIpv6].filter((a): a is string => typeof a === 'string' && a !== '');
  if (addresses.length > 0) out.ipAddresses = addresses;
  put('macAddress', normalizeMac(s.callingStationId) ?? undefined);
  put('nasIpAddress', s.nasIp);
  put('nasPortId', s.nasPortId);
  put('nasPortType', s.nasPortType);
  put('nasIdentifier', s.nasIdentifier);
  put('postureStatus', s.postureStatus);
  put('endpointProfile', s.endpointPolicy);
  put('ctsSecurityGroup', s.sgt);
  put('adNormalizedUser', s.userName);
  put('serviceType', s.serviceType);
  if (s.selectedAuthzProfile) out.selectedAuthzProfiles = [s.selectedAuthzProfile];
  if (s.vlan) put('tunnelPrivateGroupId', s.vlan);
  return out;
}
