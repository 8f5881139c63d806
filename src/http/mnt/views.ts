/**
 * What each MnT answer holds, as ordered fields. One list of fields renders as ISE's XML (element
 * order matters: field scripts read it line by line with `grep -B5`) or as JSON with the same names.
 * Element names and order follow ISE 3.x as observed under `/admin/API/mnt/`, and the 1.0.4 schemas
 * where the legacy prefixes differ.
 */
import type { AccountingRecord, AuthRecord, JsonMember, Session } from '../../store/index.js';
import type { FailureReason } from '../../auth/index.js';
import { AUTH_STATUS_DEFAULT_FIELDS, type Prefix } from './calls.js';
import { jsonValue } from '../../text-sink.js';

/** A value: absent values are left out; `''` is written as an empty element. */
export type Value = string | number | boolean | null | undefined;
export type Field = readonly [name: string, value: Value];

const BOOLEAN_NS = 'xsi:type="xs:boolean" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"';

export const XML_HEADER = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';

const ESCAPES: Record<string, string> = { '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' };

const UNSAFE = /[<>&"'\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;
const UNSAFE_ALL = new RegExp(UNSAFE.source, 'g');

/** Escapes text for XML 1.0; characters XML cannot carry at all (most C0 controls) become U+FFFD. */
export function escapeXml(text: string): string {
  // Nearly every value (MACs, addresses, ids) needs nothing: a test without a replacement is
  // what most of a streamed list's values cost (the replace built a copy of each).
  if (!UNSAFE.test(text)) return text;
  return text.replace(UNSAFE_ALL, (c) => ESCAPES[c] ?? '\uFFFD');
}

function indent(level: number): string {
  return '    '.repeat(level);
}

/** The fields as element lines at `level`, as one string (empty when every value is absent). */
export function xmlFields(fields: readonly Field[], level: number): string {
  const pad = indent(level);
  let out = '';
  for (const [name, value] of fields) {
    if (value === undefined || value === null) continue;
    if (typeof value === 'boolean') out += `${pad}<${name} ${BOOLEAN_NS}>${value}</${name}>\n`;
    else if (value === '') out += `${pad}<${name}/>\n`;
    else out += `${pad}<${name}>${typeof value === 'string' ? escapeXml(value) : value}</${name}>\n`;
  }
  return out;
}

export function xmlElement(name: string, fields: readonly Field[], level: number, attributes = ''): string {
  const pad = indent(level);
  const inner = xmlFields(fields, level + 1);
  if (inner === '') return `${pad}<${name}${attributes}/>\n`;
  return `${pad}<${name}${attributes}>\n${inner}${pad}</${name}>\n`;
}

export function xmlDocument(name: string, fields: readonly Field[], attributes = ''): string {
  return XML_HEADER + xmlElement(name, fields, 0, attributes);
}

export function attr(name: string, value: string | number): string {
  return ` ${name}="${escapeXml(String(value))}"`;
}

export function jsonObject(fields: readonly Field[]): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const [name, value] of fields) if (value !== undefined && value !== null) out[name] = value;
  return out;
}

function iso(ms: number | null | undefined): string | undefined {
  return ms === null || ms === undefined ? undefined : new Date(ms).toISOString();
}

/** Whether this prefix speaks today's ISE (3.x shapes) or the 1.0.4 ones. */
export function isCurrent(prefix: Prefix): boolean {
  return prefix === '/admin/API/mnt/';
}

/** What an `activeSession` is written from: a full session or a list summary. */
type SessionSummaryFields = Pick<Session, 'userName' | 'callingStationId' | 'nasIp' | 'acctSessionId' | 'auditSessionId' | 'server' | 'framedIp' | 'framedIpv6'>;

/**
 * The members of an `activeSession` (ActiveList, AuthList), as data: the JSON view writes them, and
 * so can a store (Store.listSessionJsonPages), so a streamed list of millions need not make a
 * JavaScript object of each. The XML fields (activeSessionFields) are the same, written out.
 */
export function activeSessionMembers(prefix: Prefix): readonly JsonMember[] {
  return isCurrent(prefix) ? CURRENT_MEMBERS : LEGACY_MEMBERS;
}

const LEGACY_MEMBERS: readonly JsonMember[] = [
  { name: 'user_name', field: 'userName' },
  { name: 'calling_station_id', field: 'callingStationId' },
  { name: 'nas_ip_address', field: 'nasIp' },
  { name: 'acct_session_id', field: 'acctSessionId', absent: 'omitEmpty' },
  { name: 'audit_session_id', field: 'auditSessionId' },
  { name: 'server', field: 'server' },
];
// ISE 3.x adds the endpoint addresses and writes an absent IPv6 address self-closed (empty).
const CURRENT_MEMBERS: readonly JsonMember[] = [...LEGACY_MEMBERS, { name: 'framed_ip_address', field: 'framedIp' }, { name: 'framed_ipv6_address', field: 'framedIpv6', absent: 'empty' }];

/** A member's value as a field: undefined (left out), '' where an absent value is written empty, or the value. */
function memberValue(s: SessionSummaryFields, member: JsonMember): Value {
  const value = s[member.field];
  if (value === null || value === undefined) return member.absent === 'empty' ? '' : undefined;
  return value === '' && member.absent === 'omitEmpty' ? undefined : value;
}

/**
 * `activeSession` of ActiveList / AuthList: from a full session or a list summary. The members
 * above written out by hand: an XML list makes these for every session it streams, and reading the
 * fields by the members' names cost 110–130 ns a session more (a quarter of this step).
 * test/http/json-text.test.ts holds the two to the same names, order and absences.
 */
export function activeSessionFields(s: SessionSummaryFields, prefix: Prefix): Field[] {
  const fields: Field[] = [
    ['user_name', s.userName],
    ['calling_station_id', s.callingStationId],
    ['nas_ip_address', s.nasIp],
    ['acct_session_id', s.acctSessionId === '' ? undefined : s.acctSessionId],
    ['audit_session_id', s.auditSessionId],
    ['server', s.server],
  ];
  if (isCurrent(prefix)) fields.push(['framed_ip_address', s.framedIp], ['framed_ipv6_address', s.framedIpv6 ?? '']);
  return fields;
}

/**
 * `JSON.stringify(jsonObject(activeSessionFields(s, prefix)))`, written member by member from the
 * summary: the field arrays built only to be read once cost as much as parsing the rows did.
 */
export function activeSessionJson(s: SessionSummaryFields, prefix: Prefix): string {
  let out = '';
  const members = activeSessionMembers(prefix);
  for (let i = 0; i < members.length; i++) {
    const value = memberValue(s, members[i]!);
    if (value !== undefined) out += `,"${members[i]!.name}":${jsonValue(value)}`;
  }
  return out === '' ? '{}' : `{${out.slice(1)}}`;
}

/** `sessionParameters` of Session/MACAddress, UserName, IPAddress, EndPointIPAddress. */
export function sessionParameterFields(s: Session): Field[] {
  const authenticated = s.authId !== null && s.authId !== undefined;
  // Each timestamp is written twice (acs and acsview): formatted once.
  const authAt = iso(s.authAt);
  const acctAt = iso(s.acctAt);
  return [
    ['passed', true],
    ['failed', false],
    ['user_name', s.userName],
    ['nas_ip_address', s.nasIp],
    ['calling_station_id', s.callingStationId],
    ['orig_calling_station_id', s.origCallingStationId],
    ['cpmsession_id', s.auditSessionId],
    ['device_ip_address', s.nasIp],
    ['identity_group', s.identityGroup],
    ['network_device_name', s.networkDeviceName],
    ['acs_server', s.server],
    ['authentication_method', s.authenticationMethod],
    ['authentication_protocol', s.authenticationProtocol],
    ['framed_ip_address', s.framedIp],
    // Not in every ISE answer, but scripts read them to build a port-scoped CoA URL (the quick
    // reference's "Simplified CoA"); written when the NAS sent them.
    ['nas_port_id', s.nasPortId],
    ['nas_port_type', s.nasPortType],
    ['auth_acs_timestamp', authAt],
    ['response', s.authResponse],
    ['audit_session_id', s.auditSessionId],
    ['posture_status', s.postureStatus],
    ['selected_azn_profiles', s.selectedAuthzProfile],
    ['service_type', s.serviceType],
    ['message_code', authenticated ? 5200 : undefined],
    ['auth_acsview_timestamp', authAt],
    ['auth_id', s.authId],
    ['identity_store', s.identityStore],
    ['other_attr_string', s.otherAttributes],
    ['acct_id', s.acctId],
    ['acct_acs_timestamp', acctAt],
    ['acct_acsview_timestamp', acctAt],
    ['acct_session_id', s.acctSessionId === '' ? undefined : s.acctSessionId],
    ['acct_status_type', s.acctStatusType],
    ['acct_input_octets', s.inputOctets],
    ['acct_output_octets', s.outputOctets],
    ['acct_input_packets', s.inputPackets],
    ['acct_output_packets', s.outputPackets],
    ['acct_authentic', s.acctAuthentic],
    ['event_timestamp', s.eventTimestamp],
    ['started', s.acctStatusType !== null && s.acctStatusType !== undefined],
    ['stopped', s.state === 'closed'],
    ['endpoint_policy', s.endpointPolicy],
  ];
}

/** The 1.0.4 schema's `sessionParameters` (legacy prefixes): its own names and order. */
export function legacySessionParameterFields(s: Session): Field[] {
  const authenticated = s.authId !== null && s.authId !== undefined;
  const values: Record<string, Value> = {
    passed: true,
    failed: false,
    user_name: s.userName,
    nas_ip_address: s.nasIp,
    calling_station_id: s.callingStationId,
    nas_port: s.nasPort,
    identity_group: s.identityGroup,
    network_device_name: s.networkDeviceName,
    acs_server: s.server,
    authn_protocol: s.authenticationProtocol,
    framed_ip_address: s.framedIp,
    auth_acs_timestamp: iso(s.authAt),
    authentication_method: s.authenticationMethod,
    audit_session_id: s.auditSessionId,
    nas_identifier: s.nasIdentifier,
    nas_port_id: s.nasPortId,
    auth_id: s.authId,
    auth_acsview_timestamp: iso(s.authAt),
    message_code: authenticated ? 5200 : undefined,
    authorization_policy: s.authzPolicy,
    identity_store: s.identityStore,
    response: s.authResponse,
    service_type: s.serviceType,
    cts_security_group: s.sgt,
    nas_port_type: s.nasPortType,
    selected_azn_profiles: s.selectedAuthzProfile,
    other_attributes: s.otherAttributes,
    acct_id: s.acctId,
    acct_acs_timestamp: iso(s.acctAt),
    acct_acsview_timestamp: iso(s.acctAt),
    acct_session_id: s.acctSessionId === '' ? undefined : s.acctSessionId,
    acct_status_type: s.acctStatusType,
    acct_session_time: s.acctSessionTime,
    acct_input_octets: s.inputOctets,
    acct_output_octets: s.outputOctets,
    acct_input_packets: s.inputPackets,
    acct_output_packets: s.outputPackets,
    acct_class: s.acctClass,
    acct_terminate_cause: s.terminateCause,
    acct_multi_session_id: s.multiSessionId,
    acct_authentic: s.acctAuthentic,
    termination_action: s.terminationAction,
    session_timeout: s.sessionTimeout,
    acct_interim_interval: s.acctInterimInterval,
    acct_delay_time: s.acctDelayTime,
    event_timestamp: s.eventTimestamp,
    framed_protocol: s.framedProtocol,
    started: s.acctStatusType !== null && s.acctStatusType !== undefined,
    stopped: s.state === 'closed',
    vlan: s.vlan,
    dacl: s.dacl,
    endpoint_policy: s.endpointPolicy,
  };
  return LEGACY_SESSION_PARAMETERS.map((name) => [name, values[name]] as const);
}

/** Element order of the 1.0.4 `restsdStatus` type. */
const LEGACY_SESSION_PARAMETERS = [
  'passed', 'failed', 'user_name', 'nas_ip_address', 'failure_reason', 'calling_station_id', 'nas_port', 'identity_group',
  'network_device_name', 'acs_server', 'authn_protocol', 'framed_ip_address', 'network_device_groups', 'access_service',
  'auth_acs_timestamp', 'authentication_method', 'execution_steps', 'radius_response', 'audit_session_id', 'nas_identifier',
  'nas_port_id', 'nac_policy_compliance', 'auth_id', 'auth_acsview_timestamp', 'message_code', 'acs_session_id',
  'service_selection_policy', 'authorization_policy', 'identity_store', 'response', 'service_type', 'cts_security_group',
  'use_case', 'cisco_av_pair', 'ad_domain', 'acs_username', 'radius_username', 'nac_role', 'nac_username', 'nac_posture_token',
  'nac_radius_is_user_auth', 'selected_posture_server', 'selected_identity_store', 'authentication_identity_store',
  'azn_exp_pol_matched_rule', 'ext_pol_server_matched_rule', 'grp_mapping_pol_matched_rule', 'identity_policy_matched_rule',
  'nas_port_type', 'query_identity_stores', 'selected_azn_profiles', 'sel_exp_azn_profiles', 'selected_query_identity_stores',
  'eap_tunnel', 'tunnel_details', 'cisco_ssg_attributes', 'other_attributes', 'response_time', 'nad_failure',
  'destination_ip_address', 'acct_id', 'acct_acs_timestamp', 'acct_acsview_timestamp', 'acct_session_id', 'acct_status_type',
  'acct_session_time', 'acct_input_octets', 'acct_output_octets', 'acct_input_packets', 'acct_output_packets', 'acct_class',
  'acct_terminate_cause', 'acct_multi_session_id', 'acct_authentic', 'termination_action', 'session_timeout', 'idle_timeout',
  'acct_interim_interval', 'acct_delay_time', 'event_timestamp', 'acct_tunnel_connection', 'acct_tunnel_packet_lost',
  'security_group', 'framed_protocol', 'started', 'stopped', 'ckpt_id', 'type', 'nad_acsview_timestamp', 'vlan', 'dacl',
  'authentication_type', 'interface_name', 'reason', 'endpoint_policy',
] as const;

/** `activeSession` of Session/Active/SessionID (the detailed form). */
export function sessionDetailFields(s: Session): Field[] {
  return [
    ['calling_station_id', s.callingStationId],
    ['orig_calling_station_id', s.origCallingStationId],
    // Bit 0: authenticated, bit 1: accounting started, bit 2: stopped.
    ['session_state_bit', (s.authId ? 1 : 0) | (s.acctStatusType ? 2 : 0) | (s.state === 'closed' ? 4 : 0)],
    ['session_source', 'RADIUS'],
    ['acct_session_time', s.acctSessionTime],
    ['nas_ip_address', s.nasIp],
    ['framed_ipv6_address', s.framedIpv6 ?? ''],
    ['auth_method', s.authenticationMethod],
    ['auth_protocol', s.authenticationProtocol],
    ['endpoint_policy', s.endpointPolicy],
    ['server', s.server],
    ['paks_in', s.inputPackets],
    ['paks_out', s.outputPackets],
    ['bytes_in', s.inputOctets],
    ['bytes_out', s.outputOctets],
  ];
}

function authValue(r: AuthRecord, name: string): Value {
  switch (name) {
    case 'passed':
      return r.passed;
    case 'failed':
      return !r.passed;
    case 'user_name':
      return r.userName;
    case 'nas_ip_address':
      return r.nasIp;
    case 'failure_reason':
      return r.passed ? undefined : r.failureReason;
    case 'calling_station_id':
      return r.callingStationId;
    case 'nas_port':
      return r.nasPort;
    case 'nas_port_type':
      return r.nasPortType;
    case 'identity_group':
      return r.identityGroup;
    case 'network_device_name':
      return r.networkDeviceName;
    case 'acs_server':
      return r.server;
    case 'framed_ip_address':
      return r.framedIp;
    case 'acs_timestamp':
    case 'acsview_timestamp':
      return iso(r.receivedAt);
    case 'authentication_method':
      return r.authenticationMethod;
    case 'authentication_protocol':
      return r.authenticationProtocol;
    case 'execution_steps':
      return r.executionSteps;
    case 'response':
    case 'radius_response':
      return r.response;
    case 'audit_session_id':
      return r.auditSessionId;
    case 'nas_identifier':
      return r.nasIdentifier;
    case 'nas_port_id':
      return r.nasPortId;
    case 'selected_azn_profiles':
      return r.selectedAuthzProfile;
    case 'service_type':
      return r.serviceType;
    case 'message_code':
      return r.messageCode;
    case 'id':
      return r.id;
    case 'identity_store':
      return r.identityStore;
    case 'response_time':
      return r.responseTimeMs;
    case 'other_attr_string':
      return r.otherAttributes;
    default:
      return undefined;
  }
}

/** ISE 3.x `All` order; `failure_reason` stands where the 1.0.4 schema has it, after the NAS. */
const AUTH_STATUS_ALL_FIELDS = [
  'passed', 'failed', 'user_name', 'nas_ip_address', 'failure_reason', 'nas_port_type', 'calling_station_id',
  'identity_group', 'network_device_name', 'acs_server', 'authentication_method', 'authentication_protocol',
  'acs_timestamp', 'execution_steps', 'response', 'audit_session_id', 'selected_azn_profiles', 'service_type',
  'message_code', 'id', 'acsview_timestamp', 'identity_store', 'response_time', 'location', 'device_type',
  'other_attr_string',
];

export function authStatusFields(r: AuthRecord, attributes: 'default' | 'all' | string[]): Field[] {
  const names = attributes === 'all' ? AUTH_STATUS_ALL_FIELDS : attributes === 'default' ? AUTH_STATUS_DEFAULT_FIELDS : attributes;
  return names.map((n) => [n, authValue(r, n)] as const);
}

export function acctStatusFields(r: AccountingRecord): Field[] {
  return [
    ['calling_station_id', r.callingStationId],
    ['audit_session_id', r.auditSessionId],
    ['paks_in', r.inputPackets],
    ['paks_out', r.outputPackets],
    ['bytes_in', r.inputOctets],
    ['bytes_out', r.outputOctets],
    ['session_time', r.sessionTime],
    ['server', r.server],
  ];
}

export function failureReasonFields(r: FailureReason): Field[] {
  return [
    ['code', `${r.id} ${r.title}`],
    ['cause', r.cause],
    ['resolution', r.resolution],
  ];
}

/** The `mnt-rest-result` body ISE answers errors and Session/Delete with (children in ISE's order). */
export interface RestResult {
  httpCode: number;
  cpmCode: number;
  description: string;
  internalErrorInfo: string;
  requestedOperation: string;
  resourceId: string;
  resourceName: string;
  resourceType: string;
  status: 'SUCCESSFUL' | 'CLIENT_ERROR' | 'SERVER_ERROR';
}

export function restResultFields(r: RestResult): Field[] {
  return [
    ['http-code', r.httpCode],
    ['cpm-code', r.cpmCode],
    ['description', r.description],
    ['module-name', 'MnT'],
    ['internal-error-info', r.internalErrorInfo],
    ['requested-operation', r.requestedOperation],
    ['resource-id', r.resourceId],
    ['resource-name', r.resourceName],
    ['resource-type', r.resourceType],
    ['status', r.status],
  ];
}

/**
 * Whole answers. Each takes the answer format and gives the body: the XML as ISE writes it, or the
 * JSON twin with the same names. The streamed session lists are built from `sessionListHead`,
 * `sessionListItem` and `sessionListTail`, so a list of any length is written a chunk at a time.
 */
type Format = 'xml' | 'json';

/**
 * `JSON.stringify({ ...attributes, ...jsonObject(fields) })`, written member by member: the object
 * of some seventy keys, built key by key, was in V8's slow dictionary form, and making it then
 * serialising it cost a MACAddress answer in JSON half again what its XML took. A repeated name
 * (where the object would keep one member) takes the object's way.
 */
function jsonFieldsText(fields: readonly Field[], attributes: Record<string, string | number>): string {
  const names = new Set<string>();
  let out = '';
  const member = (name: string, value: string | number | boolean) => {
    out += `,${jsonValue(name)}:${jsonValue(value)}`;
  };
  for (const [name, value] of Object.entries(attributes)) {
    names.add(name);
    member(name, value);
  }
  for (const [name, value] of fields) {
    if (value === undefined || value === null) continue;
    if (names.has(name)) return JSON.stringify({ ...attributes, ...jsonObject(fields) });
    names.add(name);
    member(name, value);
  }
  return out === '' ? '{}' : `{${out.slice(1)}}`;
}

export function fieldsDocument(format: Format, root: string, fields: readonly Field[], attributes: Record<string, string | number> = {}): string {
  if (format === 'json') return jsonFieldsText(fields, attributes);
  return xmlDocument(root, fields, Object.entries(attributes).map(([k, v]) => attr(k, v)).join(''));
}

export function sessionListEmpty(format: Format, root: string): string {
  return format === 'json' ? JSON.stringify({ noOfActiveSession: 0, activeSession: [] }) : `${XML_HEADER}<${root} noOfActiveSession="0"/>\n`;
}

export function sessionListHead(format: Format, root: string, count: number): string {
  return format === 'json' ? `{"noOfActiveSession":${count},"activeSession":[` : `${XML_HEADER}<${root} noOfActiveSession="${count}">\n`;
}

export function sessionListItem(format: Format, session: SessionSummaryFields, prefix: Prefix, first: boolean): string {
  if (format === 'json') return (first ? '' : ',') + activeSessionJson(session, prefix);
  return `    <activeSession>\n${xmlFields(activeSessionFields(session, prefix), 2)}    </activeSession>\n`;
}

export function sessionListTail(format: Format, root: string): string {
  return format === 'json' ? ']}' : `</${root}>\n`;
}

/** `Session/Active/SessionID`: a list of exactly one detailed session. */
export function sessionDetailDocument(format: Format, fields: readonly Field[]): string {
  if (format === 'json') return JSON.stringify({ noOfActiveSession: 1, activeSession: [jsonObject(fields)] });
  return XML_HEADER + `<activeSessionList noOfActiveSession="1">\n${xmlElement('activeSession', fields, 1)}</activeSessionList>\n`;
}

export function authStatusDocument(format: Format, key: string, elements: readonly Field[][]): string {
  if (format === 'json') return JSON.stringify({ key, authStatusElements: elements.map(jsonObject) });
  const inner = elements.map((f) => xmlElement('authStatusElements', f, 2)).join('');
  const list = inner === '' ? `    <authStatusList${attr('key', key)}/>\n` : `    <authStatusList${attr('key', key)}>\n${inner}    </authStatusList>\n`;
  return `${XML_HEADER}<authStatusOutputList>\n${list}</authStatusOutputList>\n`;
}

export function acctStatusDocument(format: Format, mac: string, elements: readonly Field[][]): string {
  if (format === 'json') return JSON.stringify({ macAddress: mac, acctStatusElements: elements.map(jsonObject) });
  const inner = elements.map((f) => xmlElement('acctStatusElements', f, 2)).join('');
  const list = inner === '' ? `    <acctStatusList${attr('macAddress', mac)}/>\n` : `    <acctStatusList${attr('macAddress', mac)}>\n${inner}    </acctStatusList>\n`;
  return `${XML_HEADER}<acctStatusOutputList>\n${list}</acctStatusOutputList>\n`;
}

export function failureReasonsDocument(format: Format, catalogue: readonly FailureReason[]): string {
  if (format === 'json') return JSON.stringify({ failureReason: catalogue.map((r) => ({ id: String(r.id), ...jsonObject(failureReasonFields(r)) })) });
  const body = catalogue.map((r) => xmlElement('failureReason', failureReasonFields(r), 1, attr('id', r.id))).join('');
  return `${XML_HEADER}<failureReasonList>\n${body}</failureReasonList>\n`;
}

/** `CoA/...`: `results` is true only when the NAS acknowledged; JSON adds what the NAS said. */
export function remoteCoaDocument(format: Format, requestType: string, ok: boolean, detail: object): string {
  if (format === 'json') return JSON.stringify({ requestType, results: ok, ...detail });
  return `${XML_HEADER}<remoteCoA requestType="${requestType}">\n    <results>${ok}</results>\n</remoteCoA>\n`;
}

/** An error as ISE words it; the JSON twin adds our stable code and message first. */
export function restResultDocument(format: Format, result: RestResult, error?: { code: string; message: string }): string {
  if (format === 'json') return JSON.stringify({ ...(error ? { error: error.code, message: error.message } : {}), ...jsonObject(restResultFields(result)) });
  return xmlDocument('mnt-rest-result', restResultFields(result));
}
