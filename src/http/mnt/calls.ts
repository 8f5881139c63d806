/**
 * Every MnT call as ISE names it, and the parsing of a request path into one of them. Paths are
 * case-sensitive, as on ISE. Arguments are checked here, so a handler only ever sees valid values;
 * a bad one is a 400 that names the segment and what it accepts.
 */
import { isIP } from 'node:net';
import { OpenMntError } from '../../errors.js';
import { normalizeMac } from '../../sessions/index.js';
import type { DisconnectType, ReauthType } from '../../coa/types.js';
import type { Right } from '../admins.js';

/** `/admin/API/mnt/` is today's ISE; the other two are ISE 1.0–1.1 and 1.2. */
export const PREFIXES = ['/admin/API/mnt/', '/ise/mnt/api/', '/ise/mnt/'] as const;
export type Prefix = (typeof PREFIXES)[number];

export type CallName =
  | 'Session/ActiveCount'
  | 'Session/PostureCount'
  | 'Session/ProfilerCount'
  | 'Session/ActiveList'
  | 'Session/AuthList'
  | 'Session/MACAddress'
  | 'Session/UserName'
  | 'Session/IPAddress'
  | 'Session/EndPointIPAddress'
  | 'Session/Active/SessionID'
  | 'AuthStatus/MACAddress'
  | 'AuthStatus/UserName'
  | 'AcctStatus/MACAddress'
  | 'Version'
  | 'FailureReasons'
  | 'Session/Delete/All'
  | 'Session/Delete/MACAddress'
  | 'Session/Delete/SessionID'
  | 'CoA/Reauth'
  | 'CoA/Disconnect';

export type CallArgs =
  | { kind: 'none' }
  | { kind: 'timeRange'; from: number | null; to: number | null }
  | { kind: 'mac'; mac: string }
  | { kind: 'text'; value: string }
  | { kind: 'ip'; ip: string }
  | { kind: 'sessionId'; auditSessionId: string; outputType: number }
  | { kind: 'authStatus'; key: { mac: string } | { userName: string }; seconds: number; records: number; latestOnly: boolean; attributes: 'default' | 'all' | string[] }
  | { kind: 'acctStatus'; mac: string; seconds: number }
  | { kind: 'coa'; mac: string; nasIp: string | null; endpointIp: string | null; reauth: ReauthType; disconnect: DisconnectType };

export interface ParsedCall {
  name: CallName;
  prefix: Prefix;
  right: Right;
  args: CallArgs;
  /** GET and PUT everywhere (ISE accepts both); DELETE too for Session/Delete. */
  methods: readonly string[];
}

const READ = ['GET', 'PUT', 'HEAD'] as const;
const DELETE = ['GET', 'PUT', 'DELETE', 'HEAD'] as const;

/** The restAuthStatus elements, the set a `+`-joined attribute list may name (1.0.4 guide). */
export const AUTH_STATUS_DEFAULT_FIELDS = [
  'passed', 'failed', 'user_name', 'nas_ip_address', 'failure_reason', 'calling_station_id', 'nas_port',
  'identity_group', 'network_device_name', 'acs_server', 'eap_authentication', 'framed_ip_address',
  'network_device_groups', 'access_service', 'acs_timestamp', 'authentication_method', 'execution_steps',
  'radius_response', 'audit_session_id', 'nas_identifier', 'nas_port_id', 'nac_policy_compliance',
  'selected_azn_profiles', 'service_type', 'eap_tunnel', 'message_code', 'destination_ip_address',
] as const;

function bad(segment: string, what: string, accepted: string): never {
  throw new OpenMntError('INVALID_ARGUMENT', `${what} '${segment}' is not valid: ${accepted}`);
}

export function macArgument(segment: string, what = 'MAC address'): string {
  return normalizeMac(segment) ?? bad(segment, what, 'use AA:BB:CC:DD:EE:FF, aa-bb-cc-dd-ee-ff, aabb.ccdd.eeff or aabbccddeeff');
}

export function ipArgument(segment: string, what: string): string {
  if (isIP(segment) === 0) bad(segment, what, 'an IPv4 or IPv6 address');
  return segment;
}

export function integerArgument(segment: string, what: string, min: number, max: number): number {
  if (!/^\d{1,10}$/.test(segment) || Number(segment) < min || Number(segment) > max) bad(segment, what, `a whole number from ${min} to ${max}`);
  return Number(segment);
}

/** `null` or `YYYY-MM-DD hh:mm:ss[.s]` (the node's local time, as ISE reads it). */
function timeBound(segment: string, what: string): number | null {
  if (segment === 'null') return null;
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?$/.exec(segment);
  if (!m) bad(segment, what, "'null' or a time written YYYY-MM-DD hh:mm:ss (optionally .s)");
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const ms = m[7] === undefined ? 0 : Number(m[7].padEnd(3, '0'));
  const date = new Date(y, mo - 1, d, h, mi, s, ms);
  if (date.getFullYear() !== y || date.getMonth() !== mo - 1 || date.getDate() !== d || h > 23 || mi > 59 || s > 59) {
    bad(segment, what, 'a real calendar date and time');
  }
  return date.getTime();
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new OpenMntError('INVALID_ARGUMENT', `path segment '${segment}' has a malformed percent-encoding`);
  }
}

function unknown(path: string): never {
  throw new OpenMntError('UNKNOWN_CALL', `no MnT call has the path ${path}`);
}

function arity(segments: string[], min: number, max: number, path: string): void {
  if (segments.length < min || segments.length > max) unknown(path);
}

/** Parses a request path (without query string) into a call. Throws UNKNOWN_CALL or INVALID_ARGUMENT. */
export function parseCall(pathname: string): ParsedCall {
  const prefix = PREFIXES.find((p) => pathname.startsWith(p));
  if (prefix === undefined) unknown(pathname);
  const rest = pathname.slice(prefix.length).replace(/\/$/, '');
  const raw = rest.split('/');
  const s = raw.map(decode);
  const call = (name: CallName, right: Right, args: CallArgs, methods: readonly string[] = READ): ParsedCall => ({ name, prefix, right, args, methods });
  const none: CallArgs = { kind: 'none' };

  switch (s[0]) {
    case 'Version':
      arity(s, 1, 1, pathname);
      return call('Version', 'read', none);
    case 'FailureReasons':
      arity(s, 1, 1, pathname);
      return call('FailureReasons', 'read', none);
    case 'AuthStatus':
      return authStatus(s, pathname, call);
    case 'AcctStatus':
    case 'AcctStatusTT':
      return acctStatus(s.slice(1), pathname, call);
    case 'CoA':
      return coa(s, raw, pathname, call);
    case 'Session':
      break;
    default:
      unknown(pathname);
  }
  switch (s[1]) {
    case 'ActiveCount':
    case 'PostureCount':
    case 'ProfilerCount':
      arity(s, 2, 2, pathname);
      return call(`Session/${s[1]}`, 'read', none);
    case 'ActiveList':
      arity(s, 2, 2, pathname);
      return call('Session/ActiveList', 'read', none);
    case 'AuthList': {
      arity(s, 4, 4, pathname);
      const from = timeBound(s[2]!, 'AuthList start time');
      const to = timeBound(s[3]!, 'AuthList end time');
      if (from !== null && to !== null && from > to) bad(s[3]!, 'AuthList end time', 'a time after the start time');
      return call('Session/AuthList', 'read', { kind: 'timeRange', from, to });
    }
    case 'MACAddress':
      arity(s, 3, 3, pathname);
      return call('Session/MACAddress', 'read', { kind: 'mac', mac: macArgument(s[2]!) });
    case 'UserName':
      arity(s, 3, 3, pathname);
      if (s[2] === '') bad('', 'user name', 'a non-empty user name');
      return call('Session/UserName', 'read', { kind: 'text', value: s[2]! });
    case 'IPAddress':
      arity(s, 3, 3, pathname);
      return call('Session/IPAddress', 'read', { kind: 'ip', ip: ipArgument(s[2]!, 'NAS IP address') });
    case 'EndPointIPAddress':
      arity(s, 3, 3, pathname);
      return call('Session/EndPointIPAddress', 'read', { kind: 'ip', ip: ipArgument(s[2]!, 'endpoint IP address') });
    case 'Active': {
      if (s[2] !== 'SessionID') unknown(pathname);
      arity(s, 4, 5, pathname);
      if (s[3] === '') bad('', 'audit session id', 'a non-empty audit-session-id');
      const outputType = s[4] === undefined ? 0 : integerArgument(s[4], 'output type', 0, 1);
      return call('Session/Active/SessionID', 'read', { kind: 'sessionId', auditSessionId: s[3]!, outputType });
    }
    case 'AcctStatusTT':
      return acctStatus(s.slice(2), pathname, call);
    case 'Delete':
      if (s[2] === 'All') {
        arity(s, 3, 3, pathname);
        return call('Session/Delete/All', 'write', none, DELETE);
      }
      arity(s, 4, 4, pathname);
      if (s[2] === 'MACAddress') return call('Session/Delete/MACAddress', 'write', { kind: 'mac', mac: macArgument(s[3]!) }, DELETE);
      if (s[2] === 'SessionID') {
        if (s[3] === '') bad('', 'audit session id', 'a non-empty audit-session-id');
        return call('Session/Delete/SessionID', 'write', { kind: 'text', value: s[3]! }, DELETE);
      }
      return unknown(pathname);
    default:
      return unknown(pathname);
  }
}

function authStatus(s: string[], pathname: string, call: (n: CallName, r: Right, a: CallArgs) => ParsedCall): ParsedCall {
  // AuthStatus/MACAddress/{mac}[/{seconds}/{records}/{attrs}]: without the window, the defaults.
  if (s.length !== 3 && s.length !== 6) unknown(pathname);
  let key: { mac: string } | { userName: string };
  let name: CallName;
  if (s[1] === 'MACAddress') {
    key = { mac: macArgument(s[2]!) };
    name = 'AuthStatus/MACAddress';
  } else if (s[1] === 'UserName') {
    if (s[2] === '') bad('', 'user name', 'a non-empty user name');
    key = { userName: s[2]! };
    name = 'AuthStatus/UserName';
  } else {
    return unknown(pathname);
  }
  const secondsIn = s.length === 6 ? integerArgument(s[3]!, 'AuthStatus seconds', 0, 864000) : 0;
  const recordsIn = s.length === 6 ? integerArgument(s[4]!, 'AuthStatus records', 0, 500) : 0;
  const attrsIn = s.length === 6 ? s[5]! : '0';
  let attributes: 'default' | 'all' | string[];
  if (attrsIn === '0') attributes = 'default';
  else if (attrsIn === 'All') attributes = 'all';
  else {
    const names = attrsIn.split(/[+ ]/).filter((n) => n !== '');
    for (const n of names) {
      if (!(AUTH_STATUS_DEFAULT_FIELDS as readonly string[]).includes(n)) {
        bad(attrsIn, 'AuthStatus attribute list', `0, All, or names joined with + from: ${AUTH_STATUS_DEFAULT_FIELDS.join(', ')}`);
      }
    }
    if (names.length === 0) bad(attrsIn, 'AuthStatus attribute list', '0, All, or names joined with +');
    attributes = names;
  }
  return call(name, 'read', {
    kind: 'authStatus',
    key,
    // 0 means the default: 10 days and 200 records; both 0 means only the latest record.
    seconds: secondsIn === 0 ? 864000 : secondsIn,
    records: recordsIn === 0 ? 200 : recordsIn,
    latestOnly: s.length === 6 && secondsIn === 0 && recordsIn === 0,
    attributes,
  });
}

function acctStatus(s: string[], pathname: string, call: (n: CallName, r: Right, a: CallArgs) => ParsedCall): ParsedCall {
  // {MACAddress}/{mac}[/{seconds}]; 0 or absent seconds means the last 15 minutes.
  if (s[0] !== 'MACAddress' || s.length < 2 || s.length > 3) unknown(pathname);
  const mac = macArgument(s[1]!);
  const seconds = s.length === 3 ? integerArgument(s[2]!, 'AcctStatus seconds', 0, 432000) : 0;
  return call('AcctStatus/MACAddress', 'read', { kind: 'acctStatus', mac, seconds: seconds === 0 ? 900 : seconds });
}

const REAUTH_TYPES: readonly ReauthType[] = ['default', 'last', 'rerun'];
const DISCONNECT_TYPES: readonly DisconnectType[] = ['default', 'bounce', 'shutdown'];

/**
 * CoA paths come in many shapes in the field (DESIGN.md): the documented
 * `{server}/{mac}/{type}[/{nasIp}[/{endpointIp}]]`, `{nasIp}/{mac}/1`, `{mac}/{nasIp}/1`,
 * `{psn}/{mac}/{nasIp}/{endpointIp}/{portId...}` and an SDK's `CoA/Disconnect>/...`. The MAC, the
 * addresses and the type digit are recognised by their form wherever they stand.
 */
function coa(s: string[], raw: string[], pathname: string, call: (n: CallName, r: Right, a: CallArgs) => ParsedCall): ParsedCall {
  let action = s[1];
  let args = s.slice(2);
  if (action === 'Disconnect>') action = 'Disconnect';
  if (action !== 'Reauth' && action !== 'Disconnect') unknown(pathname);
  if (args.length === 0) unknown(pathname);
  if (raw.length > 12) bad(raw.slice(2).join('/'), 'CoA arguments', 'at most server, MAC, type, NAS IP, endpoint IP and a port id');
  const at = args.findIndex((a) => normalizeMac(a) !== null);
  if (at < 0) bad(args.join('/'), 'CoA arguments', 'a path that holds the endpoint MAC address');
  const mac = normalizeMac(args[at]!)!;
  args = args.slice(at + 1);
  let digit: string | undefined;
  if (args[0] !== undefined && /^\d+$/.test(args[0])) digit = args.shift();
  const addresses: (string | null)[] = [];
  while (args.length > 0 && addresses.length < 2 && (args[0] === 'null' || isIP(args[0]!) !== 0)) {
    const a = args.shift()!;
    addresses.push(a === 'null' ? null : a);
  }
  if (digit === undefined && args.length === 1 && /^\d+$/.test(args[0]!)) digit = args.shift();
  const types = action === 'Reauth' ? REAUTH_TYPES : DISCONNECT_TYPES;
  const index = digit === undefined ? 0 : Number(digit);
  if (index >= types.length) bad(digit!, action === 'Reauth' ? 'Reauth type' : 'Disconnect port option', action === 'Reauth' ? '0 (default), 1 (last) or 2 (rerun)' : '0 (default), 1 (bounce port) or 2 (shut port)');
  const name: CallName = action === 'Reauth' ? 'CoA/Reauth' : 'CoA/Disconnect';
  return call(name, 'coa', {
    kind: 'coa',
    mac,
    nasIp: addresses[0] ?? null,
    endpointIp: addresses[1] ?? null,
    reauth: action === 'Reauth' ? REAUTH_TYPES[index]! : 'default',
    disconnect: action === 'Disconnect' ? DISCONNECT_TYPES[index]! : 'default',
  });
}
