/**
 * An authentication decision → the record the AuthStatus call reads, and, for an accepted request,
 * the session it opens or refreshes in the directory (state `authenticated` until accounting
 * starts).
 */
import type { AuthDecision } from '../auth/policy.js';
import { ciscoAvPair, type AttributeInput, type RadiusPacket } from '../radius/index.js';
import type { AuthWrite } from '../store/index.js';
import { nasAddress, otherAttributes } from './accounting.js';
import { octetsText, responseString, valueText } from './format.js';
import { callingStationKey } from './mac.js';

export interface AuthenticationEvent {
  packet: RadiusPacket;
  nasName: string;
  sourceAddress: string;
  receivedAt: number;
  decidedAt: number;
  decision: AuthDecision;
  reply: readonly AttributeInput[];
}

function text(packet: RadiusPacket, name: string): string | null {
  const a = packet.attributes.find((x) => x.name === name);
  if (a === undefined) return null;
  return Buffer.isBuffer(a.value) ? octetsText(a.value) : valueText(name, a.value);
}

function number(packet: RadiusPacket, name: string): number | null {
  const a = packet.attributes.find((x) => x.name === name);
  return a !== undefined && typeof a.value === 'number' ? a.value : null;
}

export function toAuthWrite(event: AuthenticationEvent, server: string): AuthWrite {
  const { packet, decision } = event;
  const nasIp = nasAddress(packet, event.sourceAddress);
  const callingRaw = text(packet, 'Calling-Station-Id');
  const callingStationId = callingRaw === null ? null : callingStationKey(callingRaw);
  const auditSessionId = ciscoAvPair(packet, 'audit-session-id') ?? null;
  const acctSessionId = text(packet, 'Acct-Session-Id');
  const profile = decision.profile;
  const response = responseString(event.reply);
  const common = {
    userName: text(packet, 'User-Name'),
    nasPort: number(packet, 'NAS-Port'),
    nasPortId: text(packet, 'NAS-Port-Id'),
    nasPortType: text(packet, 'NAS-Port-Type'),
    nasIdentifier: text(packet, 'NAS-Identifier'),
    calledStationId: text(packet, 'Called-Station-Id'),
    auditSessionId,
    framedIp: text(packet, 'Framed-IP-Address'),
    identityGroup: decision.identityGroup,
    networkDeviceName: event.nasName,
    authenticationMethod: decision.authenticationMethod,
    authenticationProtocol: decision.authenticationProtocol,
    identityStore: decision.identityStore,
    selectedAuthzProfile: decision.profileName,
    authzPolicy: decision.authzPolicy,
    serviceType: text(packet, 'Service-Type'),
  };
  const record = {
    ...common,
    receivedAt: event.receivedAt,
    passed: decision.accept,
    failureReasonCode: decision.failureReasonCode,
    failureReason: decision.failureReason,
    nasIp,
    callingStationId,
    acctSessionId,
    messageCode: decision.messageCode,
    response,
    executionSteps: decision.executionSteps.join(','),
    otherAttributes: otherAttributes(packet.attributes),
    responseTimeMs: Math.max(0, event.decidedAt - event.receivedAt),
    server,
  };
  if (!decision.accept || callingStationId === null) return { record, session: null };
  return {
    record,
    session: {
      identity: { nasIp, acctSessionId: acctSessionId ?? '', callingStationId },
      at: event.receivedAt,
      fields: {
        ...common,
        origCallingStationId: callingRaw,
        authAt: event.receivedAt,
        vlan: profile?.vlan ?? null,
        dacl: profile?.dacl ?? profile?.filterId ?? null,
        sgt: profile?.sgt === undefined ? null : String(profile.sgt),
        sessionTimeout: profile?.sessionTimeout ?? null,
        terminationAction: profile?.terminationAction === 'radius-request' ? 'RADIUS-Request' : profile?.terminationAction === 'default' ? 'Default' : null,
        authResponse: response,
        otherAttributes: record.otherAttributes,
      },
    },
  };
}
