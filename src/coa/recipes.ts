/**
 * What each CoA action is on the wire, per NAS vendor, as data: the RADIUS code and the attributes
 * that select the action. The session identification (Calling-Station-Id, NAS-IP-Address,
 * Acct-Session-Id, audit-session-id), Event-Timestamp and Message-Authenticator are added by the
 * sender for every recipe. Adding a vendor is adding an entry to RECIPES.
 */
import { Code, VENDORS, type AttributeInput } from '../radius/index.js';
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

/** The RFC 5176 forms only: reauthorize and disconnect. */
const RFC5176: Partial<Record<ActionKey, Recipe>> = {
  'reauth:default': RFC5176_REAUTH,
  'reauth:last': RFC5176_REAUTH,
  'reauth:rerun': RFC5176_REAUTH,
  'disconnect:default': RFC5176_DISCONNECT,
};

/** A port bounce as one vendor attribute, by number and as octets, so it needs no dictionary. */
const vendorBounce = (vendorId: number, vendorType: number, value: Buffer): Recipe => ({
  code: Code.CoARequest,
  attributes: [{ vendorId, vendorType, value }],
  auditSessionId: false,
});
const uint32 = (n: number) => Buffer.from([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
/** Seconds a bounced port stays down before it comes up and the endpoint authenticates again. */
const BOUNCE_SECONDS = 12;

/** Cisco's commands without the port ones: a wireless controller has no switch port to act on. */
const CISCO_WIRELESS: Partial<Record<ActionKey, Recipe>> = {
  'reauth:default': cisco('reauthenticate'),
  'reauth:last': cisco('reauthenticate', ['subscriber:reauthenticate-type=last']),
  'reauth:rerun': cisco('reauthenticate', ['subscriber:reauthenticate-type=rerun']),
  'disconnect:default': { code: Code.DisconnectRequest, attributes: [], auditSessionId: true },
  // A wireless client "bounced" is disconnected; it associates and authenticates again.
  'disconnect:bounce': { code: Code.DisconnectRequest, attributes: [], auditSessionId: true },
};

/**
 * One entry per NAS family (the `vendor` of a NAS client). Port bounce and port shutdown exist only
 * where the vendor documents an attribute for them; elsewhere the action is refused with the list
 * of what that NAS supports.
 */
export const RECIPES: Readonly<Record<string, Partial<Record<ActionKey, Recipe>>>> = {
  // Cisco IOS / IOS-XE switches: the commands of Cisco's RADIUS CoA extensions.
  cisco: {
    'reauth:default': cisco('reauthenticate'),
    'reauth:last': cisco('reauthenticate', ['subscriber:reauthenticate-type=last']),
    'reauth:rerun': cisco('reauthenticate', ['subscriber:reauthenticate-type=rerun']),
    'disconnect:default': { code: Code.DisconnectRequest, attributes: [], auditSessionId: true },
    'disconnect:bounce': cisco('bounce-host-port'),
    'disconnect:shutdown': cisco('disable-host-port'),
  },
  // Cisco wireless controllers (AireOS, Catalyst 9800): the same commands, no ports.
  'cisco-wlc': CISCO_WIRELESS,
  // Any RFC 5176 NAS: reauthorize and disconnect; no port commands exist in the RFC.
  rfc5176: RFC5176,
  // Aruba controllers (ArubaOS): the RFC forms; a wireless client "bounced" is disconnected.
  aruba: { ...RFC5176, 'disconnect:bounce': RFC5176_DISCONNECT },
  // Aruba switches (AOS-CX, AOS-Switch): the port bounced with Aruba-Port-Bounce-Host (vendor
  // 14823, type 40: the seconds the port stays down).
  'aruba-switch': { ...RFC5176, 'disconnect:bounce': vendorBounce(VENDORS.Aruba, 40, uint32(BOUNCE_SECONDS)) },
  // HPE ProCurve: HP-Port-Bounce-Host (vendor 11, type 23: the seconds down).
  hpe: { ...RFC5176, 'disconnect:bounce': vendorBounce(11, 23, uint32(BOUNCE_SECONDS)) },
  // Juniper EX: Juniper-AV-Pair (vendor 2636, type 52) "Port-Bounce".
  juniper: { ...RFC5176, 'disconnect:bounce': vendorBounce(2636, 52, Buffer.from('Port-Bounce')) },
  // Juniper Mist, Cisco Meraki, Fortinet, Huawei, Ruckus, Extreme, Ubiquiti: reauthorize and
  // disconnect as RFC 5176 has them (a wireless client disconnected comes back authenticated anew).
  mist: RFC5176,
  meraki: RFC5176,
  fortinet: RFC5176,
  huawei: RFC5176,
  ruckus: RFC5176,
  extreme: RFC5176,
  ubiquiti: RFC5176,
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
