/**
 * An authentication decision → the record the AuthStatus call reads, and, for an accepted request,
 * the session it opens or refreshes in the directory (state `authenticated` until accounting
 * starts).
 */
import type { AuthDecision } from '../auth/policy.js';
import { ciscoAvPair, type AttributeInput, type RadiusPacket } from '../radius/index.js';
import type { AuthWrite } from '../store/index.js';
import { addressOf, firstByName, otherAttributes, type FirstByName } from './accounting.js';
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

/**
 * Text of the first attribute of that name (`valueText`: enumerated values by their dictionary
 * name), or null; `first` is the packet's attributes by name, read in one pass (firstByName).
 */
function text(first: FirstByName, name: string): string | null {
  const a = first.get(name);
  if (a === undefined) return null;
  return Buffer.isBuffer(a.value) ? octetsText(a.value) : valueText(name, a.value);
}

function number(first: FirstByName, name: string): number | null {
  const a = first.get(name);
  return a !== undefined && typeof a.value === 'number' ? a.value : null;
}

/**
 * Every object here is one literal with all its keys, never a spread of shared fields: `{ ...common,
 * more }` builds the object key by key through map transitions, and with some thirty keys that was
 * most of an authentication's cost on the RADIUS thread (about 100 µs and much garbage per call).
 */
export function toAuthWrite(event: AuthenticationEvent, server: string): AuthWrite {
  const { packet, decision } = event;
  const first = firstByName(packet.attributes);
  const nasIp = addressOf(first, event.sourceAddress);
  const callingRaw = text(first, 'Calling-Station-Id');
  const callingStationId = callingRaw === null ? null : callingStationKey(callingRaw);
  const auditSessionId = ciscoAvPair(packet, 'audit-session-id') ?? null;
  const acctSessionId = text(first, 'Acct-Session-Id');
  const profile = decision.profile;
  const response = responseString(event.reply);
  const userName = text(first, 'User-Name');
  const nasPort = number(first, 'NAS-Port');
  const nasPortId = text(first, 'NAS-Port-Id');
  const nasPortType = text(first, 'NAS-Port-Type');
  const nasIdentifier = text(first, 'NAS-Identifier');
  const calledStationId = text(first, 'Called-Station-Id');
  const framedIp = text(first, 'Framed-IP-Address');
  const serviceType = text(first, 'Service-Type');
  const others = otherAttributes(packet.attributes);
  const record = {
    userName,
    nasPort,
    nasPortId,
    nasPortType,
    nasIdentifier,
    calledStationId,
    auditSessionId,
    framedIp,
    identityGroup: decision.identityGroup,
    networkDeviceName: event.nasName,
    authenticationMethod: decision.authenticationMethod,
    authenticationProtocol: decision.authenticationProtocol,
    identityStore: decision.identityStore,
    selectedAuthzProfile: decision.profileName,
    authzPolicy: decision.authzPolicy,
    serviceType,
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
    otherAttributes: others,
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
        userName,
        nasPort,
        nasPortId,
        nasPortType,
        nasIdentifier,
        calledStationId,
        auditSessionId,
        framedIp,
        identityGroup: decision.identityGroup,
        networkDeviceName: event.nasName,
        authenticationMethod: decision.authenticationMethod,
        authenticationProtocol: decision.authenticationProtocol,
        identityStore: decision.identityStore,
        selectedAuthzProfile: decision.profileName,
        authzPolicy: decision.authzPolicy,
        serviceType,
        origCallingStationId: callingRaw,
        authAt: event.receivedAt,
        vlan: profile?.vlan ?? null,
        dacl: profile?.dacl ?? profile?.filterId ?? null,
        sgt: profile?.sgt === undefined ? null : String(profile.sgt),
        sessionTimeout: profile?.sessionTimeout ?? null,
        terminationAction: profile?.terminationAction === 'radius-request' ? 'RADIUS-Request' : profile?.terminationAction === 'default' ? 'Default' : null,
        authResponse: response,
        otherAttributes: others,
      },
    },
  };
}
