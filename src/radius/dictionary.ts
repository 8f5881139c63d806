/**
 * The RADIUS dictionary as data: packet codes, attributes and their named values, vendors.
 * Sources: RFC 2865, 2866, 2868, 2869, 3162, 5176, 6911, and the vendors' published dictionaries.
 */

export const Code = {
  AccessRequest: 1,
  AccessAccept: 2,
  AccessReject: 3,
  AccountingRequest: 4,
  AccountingResponse: 5,
  AccessChallenge: 11,
  StatusServer: 12,
  StatusClient: 13,
  DisconnectRequest: 40,
  DisconnectACK: 41,
  DisconnectNAK: 42,
  CoARequest: 43,
  CoAACK: 44,
  CoANAK: 45,
} as const;

export const CODE_NAMES: ReadonlyMap<number, string> = new Map([
  [1, 'Access-Request'],
  [2, 'Access-Accept'],
  [3, 'Access-Reject'],
  [4, 'Accounting-Request'],
  [5, 'Accounting-Response'],
  [11, 'Access-Challenge'],
  [12, 'Status-Server'],
  [13, 'Status-Client'],
  [40, 'Disconnect-Request'],
  [41, 'Disconnect-ACK'],
  [42, 'Disconnect-NAK'],
  [43, 'CoA-Request'],
  [44, 'CoA-ACK'],
  [45, 'CoA-NAK'],
]);

export type DataType =
  | 'text'
  | 'octets'
  | 'integer'
  | 'ipaddr'
  | 'ipv6addr'
  | 'ipv6prefix'
  | 'ifid'
  | 'date'
  | 'vsa'
  /** RFC 2868 tagged integer: one tag octet, then a 24-bit value. */
  | 'tagged-integer'
  /** RFC 2868 tagged string: a tag octet only when the first octet is 0x01–0x1F. */
  | 'tagged-text';

export interface AttributeDef {
  name: string;
  type: number;
  vendorId?: number;
  vendorType?: number;
  dataType: DataType;
  /** Hidden with the shared secret (RFC 2865 §5.2). */
  encrypted?: boolean;
  values?: Readonly<Record<string, number>>;
}

const SERVICE_TYPE = {
  Login: 1,
  Framed: 2,
  'Callback-Login': 3,
  'Callback-Framed': 4,
  Outbound: 5,
  Administrative: 6,
  'NAS-Prompt': 7,
  'Authenticate-Only': 8,
  'Callback-NAS-Prompt': 9,
  'Call-Check': 10,
  'Callback-Administrative': 11,
  'Authorize-Only': 17,
};

const NAS_PORT_TYPE = {
  Async: 0,
  Sync: 1,
  'ISDN-Sync': 2,
  'ISDN-Async-v120': 3,
  'ISDN-Async-v110': 4,
  Virtual: 5,
  PIAFS: 6,
  'HDLC-Clear-Channel': 7,
  'X.25': 8,
  'X.75': 9,
  'G.3-Fax': 10,
  SDSL: 11,
  'ADSL-CAP': 12,
  'ADSL-DMT': 13,
  IDSL: 14,
  Ethernet: 15,
  xDSL: 16,
  Cable: 17,
  'Wireless-Other': 18,
  'Wireless-802.11': 19,
};

const TERMINATE_CAUSE = {
  'User-Request': 1,
  'Lost-Carrier': 2,
  'Lost-Service': 3,
  'Idle-Timeout': 4,
  'Session-Timeout': 5,
  'Admin-Reset': 6,
  'Admin-Reboot': 7,
  'Port-Error': 8,
  'NAS-Error': 9,
  'NAS-Request': 10,
  'NAS-Reboot': 11,
  'Port-Unneeded': 12,
  'Port-Preempted': 13,
  'Port-Suspended': 14,
  'Service-Unavailable': 15,
  Callback: 16,
  'User-Error': 17,
  'Host-Request': 18,
  'Supplicant-Restart': 19,
  'Reauthentication-Failure': 20,
  'Port-Reinit': 21,
  'Port-Disabled': 22,
};

export const ERROR_CAUSE = {
  'Residual-Session-Context-Removed': 201,
  'Invalid-EAP-Packet': 202,
  'Unsupported-Attribute': 401,
  'Missing-Attribute': 402,
  'NAS-Identification-Mismatch': 403,
  'Invalid-Request': 404,
  'Unsupported-Service': 405,
  'Unsupported-Extension': 406,
  'Invalid-Attribute-Value': 407,
  'Administratively-Prohibited': 501,
  'Request-Not-Routable': 502,
  'Session-Context-Not-Found': 503,
  'Session-Context-Not-Removable': 504,
  'Other-Proxy-Processing-Error': 505,
  'Resources-Unavailable': 506,
  'Request-Initiated': 507,
  'Multiple-Session-Selection-Unsupported': 508,
} as const;

/** What each Error-Cause means for the operator who sent the request, in plain words. */
const ERROR_CAUSE_WORDS: Readonly<Record<number, string>> = {
  201: 'the session was removed; some of its context remains on the NAS',
  202: 'the EAP packet in the request was not valid',
  401: 'the NAS does not support an attribute in the request',
  402: 'the request lacks an attribute the NAS needs',
  403: 'the NAS identification in the request does not match this NAS',
  404: 'the NAS found the request invalid',
  405: 'the NAS does not offer the requested service',
  406: 'the NAS does not support this extension (e.g. CoA or Disconnect)',
  407: 'an attribute in the request has a value the NAS does not accept',
  501: 'the NAS is configured to refuse this request',
  502: 'the request could not be routed to the right NAS',
  503: 'the NAS has no session matching the request',
  504: 'the NAS found the session but cannot remove it',
  505: 'a proxy failed while handling the request',
  506: 'the NAS lacks the resources to carry out the request',
  507: 'the NAS started this exchange itself',
  508: 'the request matched several sessions and the NAS cannot act on several',
};

export function errorCauseText(code: number): string {
  const name = Object.entries(ERROR_CAUSE).find(([, v]) => v === code)?.[0];
  const words = ERROR_CAUSE_WORDS[code];
  if (name === undefined || words === undefined) return `Error-Cause ${code}`;
  return `${code} ${name}: ${words}`;
}

const a = (type: number, name: string, dataType: DataType, extra: Partial<AttributeDef> = {}): AttributeDef => ({
  type,
  name,
  dataType,
  ...extra,
});

export const STANDARD_ATTRIBUTES: readonly AttributeDef[] = [
  a(1, 'User-Name', 'text'),
  a(2, 'User-Password', 'octets', { encrypted: true }),
  a(3, 'CHAP-Password', 'octets'),
  a(4, 'NAS-IP-Address', 'ipaddr'),
  a(5, 'NAS-Port', 'integer'),
  a(6, 'Service-Type', 'integer', { values: SERVICE_TYPE }),
  a(7, 'Framed-Protocol', 'integer', { values: { PPP: 1, SLIP: 2, ARAP: 3, 'Gandalf-SLML': 4, 'Xylogics-IPX-SLIP': 5, 'X.75-Synchronous': 6, GPRS: 7 } }),
  a(8, 'Framed-IP-Address', 'ipaddr'),
  a(9, 'Framed-IP-Netmask', 'ipaddr'),
  a(10, 'Framed-Routing', 'integer', { values: { None: 0, Broadcast: 1, Listen: 2, 'Broadcast-Listen': 3 } }),
  a(11, 'Filter-Id', 'text'),
  a(12, 'Framed-MTU', 'integer'),
  a(13, 'Framed-Compression', 'integer', { values: { None: 0, 'Van-Jacobson-TCP-IP': 1, 'IPX-Header-Compression': 2, 'Stac-LZS': 3 } }),
  a(14, 'Login-IP-Host', 'ipaddr'),
  a(15, 'Login-Service', 'integer', { values: { Telnet: 0, Rlogin: 1, 'TCP-Clear': 2, PortMaster: 3, LAT: 4, X25_PAD: 5, X25_T3POS: 6, TCP_Clear_Quiet: 8 } }),
  a(16, 'Login-TCP-Port', 'integer'),
  a(18, 'Reply-Message', 'text'),
  a(19, 'Callback-Number', 'text'),
  a(20, 'Callback-Id', 'text'),
  a(22, 'Framed-Route', 'text'),
  a(23, 'Framed-IPX-Network', 'ipaddr'),
  a(24, 'State', 'octets'),
  a(25, 'Class', 'octets'),
  a(26, 'Vendor-Specific', 'vsa'),
  a(27, 'Session-Timeout', 'integer'),
  a(28, 'Idle-Timeout', 'integer'),
  a(29, 'Termination-Action', 'integer', { values: { Default: 0, 'RADIUS-Request': 1 } }),
  a(30, 'Called-Station-Id', 'text'),
  a(31, 'Calling-Station-Id', 'text'),
  a(32, 'NAS-Identifier', 'text'),
  a(33, 'Proxy-State', 'octets'),
  a(34, 'Login-LAT-Service', 'text'),
  a(35, 'Login-LAT-Node', 'text'),
  a(36, 'Login-LAT-Group', 'octets'),
  a(37, 'Framed-AppleTalk-Link', 'integer'),
  a(38, 'Framed-AppleTalk-Network', 'integer'),
  a(39, 'Framed-AppleTalk-Zone', 'text'),
  a(40, 'Acct-Status-Type', 'integer', {
    values: { Start: 1, Stop: 2, 'Interim-Update': 3, 'Accounting-On': 7, 'Accounting-Off': 8, Failed: 15 },
  }),
  a(41, 'Acct-Delay-Time', 'integer'),
  a(42, 'Acct-Input-Octets', 'integer'),
  a(43, 'Acct-Output-Octets', 'integer'),
  a(44, 'Acct-Session-Id', 'text'),
  a(45, 'Acct-Authentic', 'integer', { values: { RADIUS: 1, Local: 2, Remote: 3, Diameter: 4 } }),
  a(46, 'Acct-Session-Time', 'integer'),
  a(47, 'Acct-Input-Packets', 'integer'),
  a(48, 'Acct-Output-Packets', 'integer'),
  a(49, 'Acct-Terminate-Cause', 'integer', { values: TERMINATE_CAUSE }),
  a(50, 'Acct-Multi-Session-Id', 'text'),
  a(51, 'Acct-Link-Count', 'integer'),
  a(52, 'Acct-Input-Gigawords', 'integer'),
  a(53, 'Acct-Output-Gigawords', 'integer'),
  a(55, 'Event-Timestamp', 'date'),
  a(60, 'CHAP-Challenge', 'octets'),
  a(61, 'NAS-Port-Type', 'integer', { values: NAS_PORT_TYPE }),
  a(62, 'Port-Limit', 'integer'),
  a(63, 'Login-LAT-Port', 'text'),
  a(64, 'Tunnel-Type', 'tagged-integer', { values: { PPTP: 1, L2F: 2, L2TP: 3, ATMP: 4, VTP: 5, AH: 6, 'IP-IP': 7, 'MIN-IP-IP': 8, ESP: 9, GRE: 10, DVS: 11, 'IP-in-IP': 12, VLAN: 13 } }),
  a(65, 'Tunnel-Medium-Type', 'tagged-integer', { values: { IPv4: 1, IPv6: 2, NSAP: 3, HDLC: 4, BBN_1822: 5, 'IEEE-802': 6, E163: 7, E164: 8 } }),
  a(66, 'Tunnel-Client-Endpoint', 'tagged-text'),
  a(67, 'Tunnel-Server-Endpoint', 'tagged-text'),
  a(69, 'Tunnel-Password', 'octets'),
  a(77, 'Connect-Info', 'text'),
  a(79, 'EAP-Message', 'octets'),
  a(80, 'Message-Authenticator', 'octets'),
  a(81, 'Tunnel-Private-Group-ID', 'tagged-text'),
  a(82, 'Tunnel-Assignment-ID', 'tagged-text'),
  a(83, 'Tunnel-Preference', 'tagged-integer'),
  a(85, 'Acct-Interim-Interval', 'integer'),
  a(87, 'NAS-Port-Id', 'text'),
  a(88, 'Framed-Pool', 'text'),
  a(89, 'Chargeable-User-Identity', 'octets'),
  a(95, 'NAS-IPv6-Address', 'ipv6addr'),
  a(96, 'Framed-Interface-Id', 'ifid'),
  a(97, 'Framed-IPv6-Prefix', 'ipv6prefix'),
  a(98, 'Login-IPv6-Host', 'ipv6addr'),
  a(99, 'Framed-IPv6-Route', 'text'),
  a(100, 'Framed-IPv6-Pool', 'text'),
  a(101, 'Error-Cause', 'integer', { values: ERROR_CAUSE }),
  a(168, 'Framed-IPv6-Address', 'ipv6addr'),
];

export const VENDORS = { Cisco: 9, Microsoft: 311, Aruba: 14823 } as const;

const v = (vendorId: number, vendorType: number, name: string, dataType: DataType, extra: Partial<AttributeDef> = {}): AttributeDef => ({
  type: 26,
  vendorId,
  vendorType,
  name,
  dataType,
  ...extra,
});

export const VENDOR_ATTRIBUTES: readonly AttributeDef[] = [
  v(9, 1, 'Cisco-AVPair', 'text'),
  v(9, 2, 'Cisco-NAS-Port', 'text'),
  v(9, 250, 'Cisco-Account-Info', 'text'),
  v(9, 252, 'Cisco-Command-Code', 'octets'),
  v(311, 16, 'MS-MPPE-Send-Key', 'octets'),
  v(311, 17, 'MS-MPPE-Recv-Key', 'octets'),
  v(14823, 1, 'Aruba-User-Role', 'text'),
  v(14823, 2, 'Aruba-User-Vlan', 'integer'),
  v(14823, 3, 'Aruba-Priv-Admin-User', 'integer'),
  v(14823, 5, 'Aruba-Location-Id', 'text'),
  v(14823, 9, 'Aruba-Port-Bounce-Host', 'integer'),
  v(14823, 25, 'Aruba-Named-User-Vlan', 'text'),
];

const byName = new Map<string, AttributeDef>();
const byType = new Map<number, AttributeDef>();
const byVendor = new Map<number, AttributeDef>();
const vendorKey = (vendorId: number, vendorType: number) => vendorId * 256 + vendorType;

for (const def of STANDARD_ATTRIBUTES) {
  byName.set(def.name.toLowerCase(), def);
  byType.set(def.type, def);
}
for (const def of VENDOR_ATTRIBUTES) {
  byName.set(def.name.toLowerCase(), def);
  byVendor.set(vendorKey(def.vendorId!, def.vendorType!), def);
}

/** Attribute names are matched without regard to case, as FreeRADIUS does. */
export function attributeByName(name: string): AttributeDef | undefined {
  return byName.get(name.toLowerCase());
}

export function attributeByType(type: number, vendorId?: number, vendorType?: number): AttributeDef | undefined {
  if (vendorId !== undefined && vendorType !== undefined) return byVendor.get(vendorKey(vendorId, vendorType));
  return byType.get(type);
}

const valueNames = new Map<string, Map<number, string>>();
for (const def of [...STANDARD_ATTRIBUTES, ...VENDOR_ATTRIBUTES]) {
  if (def.values) valueNames.set(def.name, new Map(Object.entries(def.values).map(([k, n]) => [n, k])));
}

/** `attributeValueName('Acct-Status-Type', 1)` → `'Start'`. */
export function attributeValueName(name: string, value: number): string | undefined {
  return valueNames.get(name)?.get(value);
}

export function codeName(code: number): string {
  return CODE_NAMES.get(code) ?? `Code-${code}`;
}
