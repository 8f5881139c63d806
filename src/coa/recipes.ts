/**
 * What each CoA action is on the wire, per NAS vendor, as data: the RADIUS code and the attributes
 * that select the action. The session identification (Calling-Station-Id, NAS-IP-Address,
 * Acct-Session-Id, audit-session-id), Event-Timestamp and Message-Authenticator are added by the
 * sender for every recipe. Adding a vendor is adding an entry to RECIPES.
 */
import { Code, type AttributeInput } from '../radius/index.js';
import { OpenMntError } from '../errors.js';
import type { CoaAction } from './types.js';

export interface Recipe {
  code: typeof Code.CoARequest | typeof Code.DisconnectRequest;
  attributes: readonly AttributeInput[];
  /** Whether the Cisco `audit-session-id` AVPair identifies the session (Cisco only). */
  auditSessionId: boolean;
}

type ActionKey = `${CoaAction['action']}:${CoaAction['type']}`;

const cisco = (command: string, extra: readonly string[] = []): Recipe => ({
  code: Code.CoARequest,
  attributes: [`subscriber:command=${command}`, ...extra].map((value) => ({ name: 'Cisco-AVPair', value })),
  auditSessionId: true,
});

/** RFC 5176 §3.2: a CoA-Request with Service-Type Authorize-Only asks the NAS to reauthorize. */
const RFC5176_REAUTH: Recipe = { code: Code.CoARequest, attributes: [{ name: 'Service-Type', value: 'Authorize-Only' }], auditSessionId: false };
const RFC5176_DISCONNECT: Recipe = { code: Code.DisconnectRequest, attributes: [], auditSessionId: false };

export const RECIPES: Readonly<Record<string, Partial<Record<ActionKey, Recipe>>>> = {
  // Cisco IOS / IOS-XE and WLC: the commands of Cisco's RADIUS CoA extensions.
  cisco: {
    'reauth:default': cisco('reauthenticate'),
    'reauth:last': cisco('reauthenticate', ['subscriber:reauthenticate-type=last']),
    'reauth:rerun': cisco('reauthenticate', ['subscriber:reauthenticate-type=rerun']),
    'disconnect:default': { code: Code.DisconnectRequest, attributes: [], auditSessionId: true },
    'disconnect:bounce': cisco('bounce-host-port'),
    'disconnect:shutdown': cisco('disable-host-port'),
  },
  // Any RFC 5176 NAS: reauthorize and disconnect; no port commands exist in the RFC.
  rfc5176: {
    'reauth:default': RFC5176_REAUTH,
    'reauth:last': RFC5176_REAUTH,
    'reauth:rerun': RFC5176_REAUTH,
    'disconnect:default': RFC5176_DISCONNECT,
  },
  // Aruba (AOS-CX, AOS-Switch, controllers) accept the RFC 5176 forms; a bounce is a disconnect,
  // after which the client reconnects and is authenticated again.
  aruba: {
    'reauth:default': RFC5176_REAUTH,
    'reauth:last': RFC5176_REAUTH,
    'reauth:rerun': RFC5176_REAUTH,
    'disconnect:default': RFC5176_DISCONNECT,
    'disconnect:bounce': RFC5176_DISCONNECT,
  },
};

/** The recipe for a NAS vendor (unknown vendors get the RFC 5176 forms). */
export function recipeFor(vendor: string, action: CoaAction): Recipe {
  const table = RECIPES[vendor.toLowerCase()] ?? RECIPES.rfc5176!;
  const recipe = table[`${action.action}:${action.type}`];
  if (recipe === undefined) {
    throw new OpenMntError('INVALID_ARGUMENT', `a ${vendor} NAS has no ${action.action} of type ${action.type} (supported: ${Object.keys(table).join(', ')})`);
  }
  return recipe;
}
