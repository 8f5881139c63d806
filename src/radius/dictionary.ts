/**
 * The RADIUS dictionary as data: packet codes, attributes, their named values and vendors.
 *
 * Sources: RFC 2865, 2866, 2867, 2868, 2869, 3162, 3580, 4072, 4372, 4675, 4818, 5176, 5997,
 * 6911, and the vendors' published dictionaries. Value names follow FreeRADIUS's dictionaries,
 * so that what operators type into radclient and read in its output means the same here; a
 * later entry with an already-used number is an alias (accepted when encoding, never printed).
 *
 * Lookup maps are built once, when this module loads; nothing here allocates per packet.
 */

// ---------------------------------------------------------------- packet codes

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

/**
 * How the Authenticator field of a packet is filled, which decides every authenticator rule.
 * - `random`: 16 unpredictable octets chosen by the sender (RFC 2865 §3, RFC 5997 §3).
 * - `signed`: MD5 over the packet with 16 zero octets in the field, then the secret
 *   (RFC 2866 §3 for Accounting-Request, RFC 5176 §2.3 for CoA and Disconnect requests).
 * - `response`: MD5 over the packet with the request's authenticator in the field, then the
 *   secret (RFC 2865 §3, RFC 2866 §4, RFC 5176 §2.3).
 */
export type AuthenticatorRule = 'random' | 'signed' | 'response';

const CODES: readonly (readonly [code: number, name: string, rule: AuthenticatorRule])[] = [
  [1, 'Access-Request', 'random'],
  [2, 'Access-Accept', 'response'],
  [3, 'Access-Reject', 'response'],
  [4, 'Accounting-Request', 'signed'],
  [5, 'Accounting-Response', 'response'],
  [11, 'Access-Challenge', 'response'],
  [12, 'Status-Server', 'random'],
  [13, 'Status-Client', 'random'],
  [40, 'Disconnect-Request', 'signed'],
  [41, 'Disconnect-ACK', 'response'],
  [42, 'Disconnect-NAK', 'response'],
  [43, 'CoA-Request', 'signed'],
  [44, 'CoA-ACK', 'response'],
  [45, 'CoA-NAK', 'response'],
];

const CODE_NAME: (string | undefined)[] = new Array(256);
const CODE_RULE: (AuthenticatorRule | undefined)[] = new Array(256);
for (const [code, name, rule] of CODES) {
  CODE_NAME[code] = name;
  CODE_RULE[code] = rule;
}

/** `codeName(43)` → `'CoA-Request'`; codes outside the table read `Code-<n>`. */
export function codeName(code: number): string {
  return CODE_NAME[code] ?? `Code-${code}`;
}

/** The authenticator rule of a packet code, or undefined for a code this codec does not know. */
export function authenticatorRule(code: number): AuthenticatorRule | undefined {
  return CODE_RULE[code];
}

// ---------------------------------------------------------------- attribute types

/**
 * Data types (RFC 8044 names where they exist). `text` is UTF-8; `octets` is RFC 8044's
 * "string"; `date` is seconds since the Unix epoch; `vsa` is the Vendor-Specific container.
 */
export type DataType = 'text' | 'octets' | 'integer' | 'date' | 'ipaddr' | 'ipv6addr' | 'ipv6prefix' | 'ifid' | 'vsa';

export interface AttributeDef {
  readonly name: string;
  /** The attribute number; 26 for every vendor attribute. */
  readonly type: number;
  readonly vendorId?: number;
  readonly vendorType?: number;
  readonly dataType: DataType;
  /** RFC 2868: a tag octet leads the value (integer: always; text: when it is 0x00–0x1F). */
  readonly tagged: boolean;
  /** RFC 2865 §5.2: the value is hidden with the shared secret and the Request Authenticator. */
  readonly hidden: boolean;
  /** Named values: number → the name printed for it. */
  readonly valueNames?: ReadonlyMap<number, string>;
  /** Named values: lower-case name or alias → number. */
  readonly valueNumbers?: ReadonlyMap<string, number>;
}

/** Value name → number; the first name of a number is the one printed, later ones are aliases. */
export type ValueTable = Readonly<Record<string, number>>;
export interface AttributeSpecOptions {
  values?: ValueTable;
  tagged?: true;
  hidden?: true;
}
/** One attribute as data: number (vendor type for a vendor attribute), name, data type, options. */
export type AttributeSpec = readonly [type: number, name: string, dataType: DataType, options?: AttributeSpecOptions];

// ---------------------------------------------------------------- named values

const SERVICE_TYPE: ValueTable = {
  'Login-User': 1,
  'Framed-User': 2,
  'Callback-Login-User': 3,
  'Callback-Framed-User': 4,
  'Outbound-User': 5,
  'Administrative-User': 6,
  'NAS-Prompt-User': 7,
  'Authenticate-Only': 8,
  'Callback-NAS-Prompt': 9,
  'Call-Check': 10,
  'Callback-Administrative': 11,
  Voice: 12,
  Fax: 13,
  'Modem-Relay': 14,
  'IAPP-Register': 15,
  'IAPP-AP-Check': 16,
  'Authorize-Only': 17,
  'Framed-Management': 18,
  // RFC 2865 §5.6 spells these without "-User".
  Login: 1,
  Framed: 2,
  'Callback-Login': 3,
  'Callback-Framed': 4,
  Outbound: 5,
  Administrative: 6,
  'NAS-Prompt': 7,
};

const FRAMED_PROTOCOL: ValueTable = {
  PPP: 1,
  SLIP: 2,
  ARAP: 3,
  'Gandalf-SLML': 4,
  'Xylogics-IPX-SLIP': 5,
  'X.75-Synchronous': 6,
  'GPRS-PDP-Context': 7,
};

const NAS_PORT_TYPE: ValueTable = {
  Async: 0,
  Sync: 1,
  ISDN: 2,
  'ISDN-V120': 3,
  'ISDN-V110': 4,
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
  'Token-Ring': 20,
  FDDI: 21,
  'Wireless-CDMA2000': 22,
  'Wireless-UMTS': 23,
  'Wireless-1X-EV': 24,
  IAPP: 25,
  FTTP: 26,
  'Wireless-802.16': 27,
  'Wireless-802.20': 28,
  'Wireless-802.22': 29,
  PPPoA: 30,
  PPPoEoA: 31,
  PPPoEoE: 32,
  PPPoEoVLAN: 33,
  PPPoEoQinQ: 34,
  xPON: 35,
  'Wireless-XGP': 36,
  // RFC 2865 §5.41 spellings.
  'ISDN-Sync': 2,
  'ISDN-Async-V120': 3,
  'ISDN-Async-V110': 4,
};

const ACCT_STATUS_TYPE: ValueTable = {
  Start: 1,
  Stop: 2,
  'Interim-Update': 3,
  'Accounting-On': 7,
  'Accounting-Off': 8,
  'Tunnel-Start': 9,
  'Tunnel-Stop': 10,
  'Tunnel-Reject': 11,
  'Tunnel-Link-Start': 12,
  'Tunnel-Link-Stop': 13,
  'Tunnel-Link-Reject': 14,
  Failed: 15,
  Alive: 3,
};

const ACCT_TERMINATE_CAUSE: ValueTable = {
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
  // RFC 3580 §3.24: IEEE 802.1X causes.
  'Supplicant-Restart': 19,
  'Reauthentication-Failure': 20,
  'Port-Reinit': 21,
  'Port-Disabled': 22,
};

const TUNNEL_TYPE: ValueTable = {
  PPTP: 1,
  L2F: 2,
  L2TP: 3,
  ATMP: 4,
  VTP: 5,
  AH: 6,
  IP: 7,
  'MIN-IP': 8,
  ESP: 9,
  GRE: 10,
  DVS: 11,
  'IP-in-IP': 12,
  VLAN: 13,
};

const TUNNEL_MEDIUM_TYPE: ValueTable = {
  IPv4: 1,
  IPv6: 2,
  NSAP: 3,
  HDLC: 4,
  'BBN-1822': 5,
  'IEEE-802': 6,
  'E.163': 7,
  'E.164': 8,
  'F.69': 9,
  'X.121': 10,
  IPX: 11,
  Appletalk: 12,
  'DecNet-IV': 13,
  'Banyan-Vines': 14,
  'E.164-NSAP': 15,
  IP: 1,
};

/** RFC 5176 §3.5 Error-Cause values, named after the RFC's descriptions. */
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

const ERROR_CAUSE_VALUES: ValueTable = {
  ...ERROR_CAUSE,
  // FreeRADIUS's names for three of them.
  'Residual-Context-Removed': 201,
  'Proxy-Request-Not-Routable': 502,
  'Proxy-Processing-Error': 505,
};

/** What each Error-Cause tells the operator who sent a CoA or Disconnect request. */
const ERROR_CAUSE_TEXT: ReadonlyMap<number, string> = new Map([
  [201, 'no session was active any more; the NAS cleared what was left of it'],
  [202, 'the NAS ignored an EAP packet in the request that it found invalid'],
  [401, 'the request carries an attribute the NAS does not support'],
  [402, 'the request lacks an attribute the NAS needs'],
  [403, 'the NAS identity in the request does not match the NAS that received it'],
  [404, 'the NAS found the request malformed or otherwise invalid'],
  [405, 'the NAS does not offer the service the request asks for'],
  [406, 'the NAS does not support this kind of request (CoA or Disconnect)'],
  [407, 'an attribute in the request has a value the NAS cannot accept'],
  [501, 'the NAS is configured to refuse this request'],
  [502, 'a proxy could not forward the request to the NAS'],
  [503, 'the NAS has no session matching the request'],
  [504, 'the NAS found the session but could not end it'],
  [505, 'a proxy failed while handling the request'],
  [506, 'the NAS lacked the resources to carry out the request'],
  [507, 'the NAS will re-authorize the session with a new Access-Request'],
  [508, 'the request matched several sessions and the NAS acts on only one at a time'],
]);

/**
 * A short sentence saying what an Error-Cause value means. Values outside RFC 5176's list are
 * described by their range (RFC 5176 §3.5: 2xx success, 4xx client error, 5xx NAS error).
 */
export function errorCauseText(code: number): string {
  const text = ERROR_CAUSE_TEXT.get(code);
  if (text !== undefined) return text;
  if (code >= 200 && code <= 299) return `the NAS reported success with an unlisted cause (${code})`;
  if (code >= 400 && code <= 499) return `the NAS rejected the request for an unlisted reason (${code})`;
  if (code >= 500 && code <= 599) return `the NAS could not carry out the request for an unlisted reason (${code})`;
  return `unknown Error-Cause ${code}`;
}

// ---------------------------------------------------------------- standard attributes

export const STANDARD_ATTRIBUTES: readonly AttributeSpec[] = [
  // RFC 2865
  [1, 'User-Name', 'text'],
  [2, 'User-Password', 'octets', { hidden: true }],
  [3, 'CHAP-Password', 'octets'],
  [4, 'NAS-IP-Address', 'ipaddr'],
  [5, 'NAS-Port', 'integer'],
  [6, 'Service-Type', 'integer', { values: SERVICE_TYPE }],
  [7, 'Framed-Protocol', 'integer', { values: FRAMED_PROTOCOL }],
  [8, 'Framed-IP-Address', 'ipaddr'],
  [9, 'Framed-IP-Netmask', 'ipaddr'],
  [10, 'Framed-Routing', 'integer', { values: { None: 0, Broadcast: 1, Listen: 2, 'Broadcast-Listen': 3 } }],
  [11, 'Filter-Id', 'text'],
  [12, 'Framed-MTU', 'integer'],
  [13, 'Framed-Compression', 'integer', { values: { None: 0, 'Van-Jacobson-TCP-IP': 1, 'IPX-Header-Compression': 2, 'Stac-LZS': 3 } }],
  [14, 'Login-IP-Host', 'ipaddr'],
  [15, 'Login-Service', 'integer', { values: { Telnet: 0, Rlogin: 1, 'TCP-Clear': 2, PortMaster: 3, LAT: 4, 'X25-PAD': 5, 'X25-T3POS': 6, 'TCP-Clear-Quiet': 8 } }],
  [16, 'Login-TCP-Port', 'integer', { values: { Telnet: 23, Rlogin: 513, Rsh: 514 } }],
  [18, 'Reply-Message', 'text'],
  [19, 'Callback-Number', 'text'],
  [20, 'Callback-Id', 'text'],
  [22, 'Framed-Route', 'text'],
  [23, 'Framed-IPX-Network', 'ipaddr'],
  [24, 'State', 'octets'],
  [25, 'Class', 'octets'],
  [26, 'Vendor-Specific', 'vsa'],
  [27, 'Session-Timeout', 'integer'],
  [28, 'Idle-Timeout', 'integer'],
  [29, 'Termination-Action', 'integer', { values: { Default: 0, 'RADIUS-Request': 1 } }],
  [30, 'Called-Station-Id', 'text'],
  [31, 'Calling-Station-Id', 'text'],
  [32, 'NAS-Identifier', 'text'],
  [33, 'Proxy-State', 'octets'],
  [34, 'Login-LAT-Service', 'text'],
  [35, 'Login-LAT-Node', 'text'],
  [36, 'Login-LAT-Group', 'octets'],
  [37, 'Framed-AppleTalk-Link', 'integer'],
  [38, 'Framed-AppleTalk-Network', 'integer'],
  [39, 'Framed-AppleTalk-Zone', 'text'],
  [60, 'CHAP-Challenge', 'octets'],
  [61, 'NAS-Port-Type', 'integer', { values: NAS_PORT_TYPE }],
  [62, 'Port-Limit', 'integer'],
  [63, 'Login-LAT-Port', 'text'],
  // RFC 2866
  [40, 'Acct-Status-Type', 'integer', { values: ACCT_STATUS_TYPE }],
  [41, 'Acct-Delay-Time', 'integer'],
  [42, 'Acct-Input-Octets', 'integer'],
  [43, 'Acct-Output-Octets', 'integer'],
  [44, 'Acct-Session-Id', 'text'],
  [45, 'Acct-Authentic', 'integer', { values: { RADIUS: 1, Local: 2, Remote: 3, Diameter: 4 } }],
  [46, 'Acct-Session-Time', 'integer'],
  [47, 'Acct-Input-Packets', 'integer'],
  [48, 'Acct-Output-Packets', 'integer'],
  [49, 'Acct-Terminate-Cause', 'integer', { values: ACCT_TERMINATE_CAUSE }],
  [50, 'Acct-Multi-Session-Id', 'text'],
  [51, 'Acct-Link-Count', 'integer'],
  // RFC 2867
  [68, 'Acct-Tunnel-Connection', 'text'],
  [86, 'Acct-Tunnel-Packets-Lost', 'integer'],
  // RFC 2868. Tunnel-Password (69) has its own salted hiding and is kept as raw octets.
  [64, 'Tunnel-Type', 'integer', { tagged: true, values: TUNNEL_TYPE }],
  [65, 'Tunnel-Medium-Type', 'integer', { tagged: true, values: TUNNEL_MEDIUM_TYPE }],
  [66, 'Tunnel-Client-Endpoint', 'text', { tagged: true }],
  [67, 'Tunnel-Server-Endpoint', 'text', { tagged: true }],
  [69, 'Tunnel-Password', 'octets'],
  [81, 'Tunnel-Private-Group-ID', 'text', { tagged: true }],
  [82, 'Tunnel-Assignment-ID', 'text', { tagged: true }],
  [83, 'Tunnel-Preference', 'integer', { tagged: true }],
  [90, 'Tunnel-Client-Auth-ID', 'text', { tagged: true }],
  [91, 'Tunnel-Server-Auth-ID', 'text', { tagged: true }],
  // RFC 2869
  [52, 'Acct-Input-Gigawords', 'integer'],
  [53, 'Acct-Output-Gigawords', 'integer'],
  [55, 'Event-Timestamp', 'date'],
  [70, 'ARAP-Password', 'octets'],
  [71, 'ARAP-Features', 'octets'],
  [72, 'ARAP-Zone-Access', 'integer', { values: { 'Default-Zone': 1, 'Zone-Filter-Inclusive': 2, 'Zone-Filter-Exclusive': 4 } }],
  [73, 'ARAP-Security', 'integer'],
  [74, 'ARAP-Security-Data', 'text'],
  [75, 'Password-Retry', 'integer'],
  [76, 'Prompt', 'integer', { values: { 'No-Echo': 0, Echo: 1 } }],
  [77, 'Connect-Info', 'text'],
  [78, 'Configuration-Token', 'text'],
  [79, 'EAP-Message', 'octets'],
  [80, 'Message-Authenticator', 'octets'],
  [84, 'ARAP-Challenge-Response', 'octets'],
  [85, 'Acct-Interim-Interval', 'integer'],
  [87, 'NAS-Port-Id', 'text'],
  [88, 'Framed-Pool', 'text'],
  // RFC 4372
  [89, 'Chargeable-User-Identity', 'octets'],
  // RFC 4675
  [56, 'Egress-VLANID', 'integer'],
  [57, 'Ingress-Filters', 'integer', { values: { Enabled: 1, Disabled: 2 } }],
  [58, 'Egress-VLAN-Name', 'text'],
  [59, 'User-Priority-Table', 'octets'],
  // RFC 3162
  [95, 'NAS-IPv6-Address', 'ipv6addr'],
  [96, 'Framed-Interface-Id', 'ifid'],
  [97, 'Framed-IPv6-Prefix', 'ipv6prefix'],
  [98, 'Login-IPv6-Host', 'ipv6addr'],
  [99, 'Framed-IPv6-Route', 'text'],
  [100, 'Framed-IPv6-Pool', 'text'],
  // RFC 5176
  [101, 'Error-Cause', 'integer', { values: ERROR_CAUSE_VALUES }],
  // RFC 4072
  [102, 'EAP-Key-Name', 'octets'],
  // RFC 4818
  [123, 'Delegated-IPv6-Prefix', 'ipv6prefix'],
  // RFC 6911
  [168, 'Framed-IPv6-Address', 'ipv6addr'],
  [169, 'DNS-Server-IPv6-Address', 'ipv6addr'],
  [170, 'Route-IPv6-Information', 'ipv6prefix'],
  [171, 'Delegated-IPv6-Prefix-Pool', 'text'],
  [172, 'Stateful-IPv6-Address-Pool', 'text'],
];

// ---------------------------------------------------------------- vendors

export interface VendorSpec {
  readonly id: number;
  readonly name: string;
  /** Sub-attributes in the RFC 2865 §5.26 layout: one octet of type, one of length. */
  readonly attributes: readonly AttributeSpec[];
}

export const VENDORS = { Cisco: 9, Microsoft: 311, Aruba: 14823 } as const;

export const VENDOR_TABLE: readonly VendorSpec[] = [
  {
    id: VENDORS.Cisco,
    name: 'Cisco',
    attributes: [
      // Repeated Cisco-AVPairs are kept in packet order; the server reads `key=value` from them.
      [1, 'Cisco-AVPair', 'text'],
      [2, 'Cisco-NAS-Port', 'text'],
      [23, 'h323-remote-address', 'text'],
      [24, 'h323-conf-id', 'text'],
      [25, 'h323-setup-time', 'text'],
      [26, 'h323-call-origin', 'text'],
      [27, 'h323-call-type', 'text'],
      [28, 'h323-connect-time', 'text'],
      [29, 'h323-disconnect-time', 'text'],
      [30, 'h323-disconnect-cause', 'text'],
      [31, 'h323-voice-quality', 'text'],
      [33, 'h323-gw-id', 'text'],
      [35, 'h323-incoming-conf-id', 'text'],
      [250, 'Cisco-Account-Info', 'text'],
      [251, 'Cisco-Service-Info', 'text'],
      // The first octet is a binary command number (e.g. 0x0c for account logoff).
      [252, 'Cisco-Command-Code', 'octets'],
      [253, 'Cisco-Control-Info', 'text'],
    ],
  },
  {
    id: VENDORS.Microsoft,
    name: 'Microsoft',
    attributes: [
      [1, 'MS-CHAP-Response', 'octets'],
      [2, 'MS-CHAP-Error', 'text'],
      [7, 'MS-MPPE-Encryption-Policy', 'integer', { values: { 'Encryption-Allowed': 1, 'Encryption-Required': 2 } }],
      [8, 'MS-MPPE-Encryption-Types', 'integer', { values: { 'RC4-40bit-Allowed': 1, 'RC4-128bit-Allowed': 2, 'RC4-40or128-bit-Allowed': 6 } }],
      [11, 'MS-CHAP-Challenge', 'octets'],
      // RFC 2548 §2.4.2: salted and hidden; kept as the octets on the wire.
      [16, 'MS-MPPE-Send-Key', 'octets'],
      [17, 'MS-MPPE-Recv-Key', 'octets'],
      [25, 'MS-CHAP2-Response', 'octets'],
      [26, 'MS-CHAP2-Success', 'octets'],
    ],
  },
  {
    id: VENDORS.Aruba,
    name: 'Aruba',
    attributes: [
      [1, 'Aruba-User-Role', 'text'],
      [2, 'Aruba-User-Vlan', 'integer'],
      [3, 'Aruba-Priv-Admin-User', 'integer'],
      [4, 'Aruba-Admin-Role', 'text'],
      [5, 'Aruba-Essid-Name', 'text'],
      [6, 'Aruba-Location-Id', 'text'],
      [7, 'Aruba-Port-Identifier', 'text'],
      [9, 'Aruba-Named-User-Vlan', 'text'],
      [10, 'Aruba-AP-Group', 'text'],
      [12, 'Aruba-Device-Type', 'text'],
      [23, 'Aruba-CPPM-Role', 'text'],
      [36, 'Aruba-User-Group', 'text'],
      [40, 'Aruba-Port-Bounce-Host', 'integer'],
      [43, 'Aruba-Captive-Portal-URL', 'text'],
      [61, 'Aruba-Device-MAC-Address', 'text'],
    ],
  },
];

// ---------------------------------------------------------------- lookup maps, built once

function valueMaps(table: ValueTable): Pick<AttributeDef, 'valueNames' | 'valueNumbers'> {
  const valueNames = new Map<number, string>();
  const valueNumbers = new Map<string, number>();
  for (const [name, n] of Object.entries(table)) {
    if (!valueNames.has(n)) valueNames.set(n, name);
    valueNumbers.set(name.toLowerCase(), n);
  }
  return { valueNames, valueNumbers };
}

function define(spec: AttributeSpec, vendorId?: number): AttributeDef {
  const [number, name, dataType, options = {}] = spec;
  const def: AttributeDef = {
    name,
    type: vendorId === undefined ? number : 26,
    ...(vendorId === undefined ? {} : { vendorId, vendorType: number }),
    dataType,
    tagged: options.tagged === true,
    hidden: options.hidden === true,
    ...(options.values === undefined ? {} : valueMaps(options.values)),
  };
  return Object.freeze(def);
}

const BY_NAME = new Map<string, AttributeDef>();
const BY_EXACT_NAME = new Map<string, AttributeDef>();
const BY_TYPE: (AttributeDef | undefined)[] = new Array(256).fill(undefined);
const BY_VENDOR = new Map<number, (AttributeDef | undefined)[]>();

// The tables are checked for duplicate names and numbers by test/radius/dictionary.test.ts.
for (const spec of STANDARD_ATTRIBUTES) {
  const def = define(spec);
  BY_TYPE[def.type] = def;
  BY_NAME.set(def.name.toLowerCase(), def);
  BY_EXACT_NAME.set(def.name, def);
}
for (const vendor of VENDOR_TABLE) {
  const table: (AttributeDef | undefined)[] = new Array(256).fill(undefined);
  for (const spec of vendor.attributes) {
    const def = define(spec, vendor.id);
    table[def.vendorType!] = def;
    BY_NAME.set(def.name.toLowerCase(), def);
    BY_EXACT_NAME.set(def.name, def);
  }
  BY_VENDOR.set(vendor.id, table);
}

/** Attribute names match without regard to case, as in FreeRADIUS (`Tunnel-Private-Group-Id`). */
export function attributeByName(name: string): AttributeDef | undefined {
  // Most lookups use the dictionary's own spelling (decoded attributes carry it): that case
  // skips folding the name, which was a measurable share of turning a packet into a record.
  return BY_EXACT_NAME.get(name) ?? BY_NAME.get(name.toLowerCase());
}

/** A standard attribute by number, or a vendor attribute by vendor id and vendor type. */
export function attributeByType(type: number, vendorId?: number, vendorType?: number): AttributeDef | undefined {
  if (vendorId !== undefined) return vendorType === undefined ? undefined : BY_VENDOR.get(vendorId)?.[vendorType];
  return BY_TYPE[type];
}

/** `attributeValueName('Acct-Status-Type', 1)` → `'Start'`. */
export function attributeValueName(name: string, value: number): string | undefined {
  return attributeByName(name)?.valueNames?.get(value);
}

/** `attributeValueNumber('Acct-Status-Type', 'interim-update')` → 3 (names and aliases, any case). */
export function attributeValueNumber(name: string, valueName: string): number | undefined {
  return attributeByName(name)?.valueNumbers?.get(valueName.toLowerCase());
}

/** Every known attribute of a vendor, indexed by vendor type; undefined for an unknown vendor. */
export function vendorAttributes(vendorId: number): readonly (AttributeDef | undefined)[] | undefined {
  return BY_VENDOR.get(vendorId);
}

// ---------------------------------------------------------------- loaded dictionaries

/** What `registerDictionary` added, and what it left because a built-in already had it. */
export interface RegisterResult {
  vendors: number;
  attributes: number;
  /** Names or numbers the built-in (or an earlier) table already has: the first stays. */
  kept: number;
}

/**
 * Adds attributes and vendors defined elsewhere (a FreeRADIUS dictionary, see
 * dictionary-files.ts). Nothing already known changes: a name or number already taken keeps its
 * definition, so the hot path reads every packet it read before exactly as before.
 */
export function registerDictionary(defs: { vendors: readonly { id: number; name: string }[]; attributes: readonly { vendorId?: number; spec: AttributeSpec }[] }): RegisterResult {
  const result: RegisterResult = { vendors: 0, attributes: 0, kept: 0 };
  for (const v of defs.vendors) {
    if (BY_VENDOR.has(v.id)) continue;
    BY_VENDOR.set(v.id, new Array(256).fill(undefined));
    result.vendors++;
  }
  for (const { vendorId, spec } of defs.attributes) {
    const def = define(spec, vendorId);
    const table = vendorId === undefined ? BY_TYPE : BY_VENDOR.get(vendorId);
    const slot = vendorId === undefined ? def.type : def.vendorType!;
    if (table === undefined || table[slot] !== undefined || BY_NAME.has(def.name.toLowerCase())) {
      result.kept++;
      continue;
    }
    table[slot] = def;
    BY_NAME.set(def.name.toLowerCase(), def);
    BY_EXACT_NAME.set(def.name, def);
    result.attributes++;
  }
  return result;
}
