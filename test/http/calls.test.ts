/**
 * Every MnT call under every prefix, in-process against a node that radclient filled, with each
 * answer parsed by an XML parser and checked against ISE's element names and order.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PREFIXES } from '../../src/http/index.js';
import { needTool } from '../helpers/tools.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { addAdmins, child, childNames, fill, followsOrder, get, parseXml, type Endpoint } from '../helpers/mnt.js';

const skip = needTool('radclient', 'freeradius-utils');

// Element orders as ISE 3.x writes them (ise-3.x-observed-responses.md).
const ACTIVE_SESSION = ['user_name', 'calling_station_id', 'nas_ip_address', 'acct_session_id', 'audit_session_id', 'server', 'framed_ip_address', 'framed_ipv6_address'];
const LEGACY_ACTIVE_SESSION = ['user_name', 'calling_station_id', 'nas_ip_address', 'acct_session_id', 'audit_session_id', 'server'];
const SESSION_PARAMETERS = [
  'passed', 'failed', 'user_name', 'nas_ip_address', 'calling_station_id', 'orig_calling_station_id', 'cpmsession_id',
  'destination_ip_address', 'device_ip_address', 'identity_group', 'network_device_name', 'acs_server',
  'authentication_method', 'authentication_protocol', 'framed_ip_address', 'nas_port_id', 'nas_port_type', 'auth_acs_timestamp', 'execution_steps',
  'response', 'audit_session_id', 'posture_status', 'selected_azn_profiles', 'service_type', 'message_code',
  'auth_acsview_timestamp', 'auth_id', 'identity_store', 'location', 'device_type', 'response_time', 'other_attr_string',
  'acct_id', 'acct_acs_timestamp', 'acct_acsview_timestamp', 'acct_session_id', 'acct_status_type', 'acct_input_octets',
  'acct_output_octets', 'acct_input_packets', 'acct_output_packets', 'acct_authentic', 'event_timestamp', 'started',
  'stopped', 'endpoint_policy',
];
// The 1.0.4 guide's sessionParameters schema (restsdStatus), for the legacy prefixes. Copied from the
// schema, not imported from views.ts: the order check must not compare the renderer with itself.
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
];
const SESSION_DETAIL = [
  'calling_station_id', 'orig_calling_station_id', 'session_state_bit', 'session_source', 'acct_session_time',
  'nas_ip_address', 'framed_ipv6_address', 'auth_method', 'auth_protocol', 'endpoint_policy', 'server', 'paks_in',
  'paks_out', 'bytes_in', 'bytes_out',
];
const AUTH_STATUS_ALL = [
  'passed', 'failed', 'user_name', 'nas_ip_address', 'failure_reason', 'nas_port_type', 'calling_station_id', 'identity_group',
  'network_device_name', 'acs_server', 'authentication_method', 'authentication_protocol', 'acs_timestamp',
  'execution_steps', 'response', 'audit_session_id', 'selected_azn_profiles', 'service_type', 'message_code', 'id',
  'acsview_timestamp', 'identity_store', 'response_time', 'location', 'device_type', 'other_attr_string',
];
const ACCT_STATUS = ['calling_station_id', 'audit_session_id', 'paks_in', 'paks_out', 'bytes_in', 'bytes_out', 'session_time', 'server'];
const REST_RESULT = ['http-code', 'cpm-code', 'description', 'module-name', 'internal-error-info', 'requested-operation', 'resource-id', 'resource-name', 'resource-type', 'status'];

const ENDPOINTS: Endpoint[] = [
  { mac: '00:11:22:33:44:01', user: 'jsmith', nas: '10.1.1.1', ip: '10.20.0.1', sid: '00000001', audit: '0A0101010000000100000001' },
  { mac: '00:11:22:33:44:02', user: 'alice', nas: '10.1.1.1', ip: '10.20.0.2', sid: '00000002', audit: '0A0101010000000200000002' },
  { mac: '00:11:22:33:44:03', user: `o'brien<&"x>`, nas: '10.1.1.2', ip: '10.20.0.3', sid: '00000003', audit: '0A0101020000000300000003' },
];

describe('MnT calls', { skip }, () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer((c) => {
      c.node.typeOfNode = 2;
      c.auth.profiles['Employee'] = { vlan: '120' };
      c.auth.groups = [{ name: 'Workstations', profile: 'Employee' }];
      c.auth.endpoints = ENDPOINTS.map((e) => ({ mac: e.mac, group: 'Workstations' }));
      c.mnt.failureReasons = [{ code: 22040, resolution: 'Ask the user to reset the password in the self-service portal.' }, { code: 99001, cause: 'A site rule refused the endpoint.' }];
    });
    await addAdmins(server);
    await fill(server, ENDPOINTS.map((e) => ({ ...e, user: e.user.replace(/"/g, '\\"') })));
  });
  after(async () => server.stop());

  for (const prefix of PREFIXES) {
    const current = prefix === '/admin/API/mnt/';
    describe(`under ${prefix}`, () => {
      test('Session/ActiveCount, PostureCount, ProfilerCount answer sessionCount (GET and PUT)', async () => {
        for (const method of ['GET', 'PUT']) {
          const active = parseXml((await get(server, `${prefix}Session/ActiveCount`, { method })).body);
          assert.equal(active.name, 'sessionCount');
          assert.deepEqual(childNames(active), ['count']);
          assert.equal(child(active, 'count')!.text, '3');
        }
        for (const call of ['PostureCount', 'ProfilerCount']) {
          const answer = await get(server, `${prefix}Session/${call}`);
          assert.equal(answer.status, 200);
          assert.equal(child(parseXml(answer.body), 'count')!.text, '0');
        }
      });

      test('Session/ActiveList: root, count, activeSession elements in ISE order', async () => {
        const answer = await get(server, `${prefix}Session/ActiveList`);
        assert.equal(answer.status, 200);
        assert.equal(answer.headers.get('content-type'), 'application/xml;charset=UTF-8');
        assert.match(answer.body, /^<\?xml version="1.0" encoding="UTF-8" standalone="yes"\?>\n</);
        const root = parseXml(answer.body);
        assert.equal(root.name, current ? 'activeList' : 'activeSessionList');
        assert.equal(root.attributes.noOfActiveSession, '3');
        assert.equal(root.children.length, 3);
        for (const s of root.children) {
          assert.equal(s.name, 'activeSession');
          assert.ok(followsOrder(childNames(s), current ? ACTIVE_SESSION : LEGACY_ACTIVE_SESSION), childNames(s).join(','));
        }
        const names = root.children.map((s) => child(s, 'user_name')!.text);
        assert.ok(names.includes(`o'brien<&"x>`), names.join(' | '));
      });

      test('Session/AuthList with each of the four null/time options', async () => {
        const now = new Date();
        const pad = (n: number) => String(n).padStart(2, '0');
        const at = (d: Date) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
        const hourAgo = encodeURIComponent(at(new Date(now.getTime() - 3600_000)));
        const soon = encodeURIComponent(at(new Date(now.getTime() + 3600_000)));
        const past = encodeURIComponent('2001-01-01 00:00:00.5');
        for (const [bounds, expected] of [
          ['null/null', 3],
          [`${hourAgo}/null`, 3],
          [`null/${past}`, 0],
          [`${hourAgo}/${soon}`, 3],
        ] as const) {
          const answer = await get(server, `${prefix}Session/AuthList/${bounds}`);
          assert.equal(answer.status, 200, answer.body);
          const root = parseXml(answer.body);
          assert.equal(root.attributes.noOfActiveSession, String(expected), bounds);
          assert.equal(root.children.length, expected);
        }
      });

      test('Session/MACAddress in any spelling, UserName, IPAddress (NAS or endpoint), EndPointIPAddress', async () => {
        for (const path of [
          'Session/MACAddress/00:11:22:33:44:02',
          'Session/MACAddress/00-11-22-33-44-02',
          'Session/MACAddress/0011.2233.4402',
          'Session/MACAddress/001122334402',
          'Session/UserName/alice',
          'Session/EndPointIPAddress/10.20.0.2',
          'Session/IPAddress/10.20.0.2',
        ]) {
          const answer = await get(server, `${prefix}${path}`);
          assert.equal(answer.status, 200, `${path}: ${answer.body}`);
          const root = parseXml(answer.body);
          assert.equal(root.name, 'sessionParameters');
          assert.ok(followsOrder(childNames(root), current ? SESSION_PARAMETERS : LEGACY_SESSION_PARAMETERS), childNames(root).join(','));
          assert.equal(child(root, 'calling_station_id')!.text, '00:11:22:33:44:02', path);
          if (current) assert.equal(child(root, 'orig_calling_station_id')!.text, '00-11-22-33-44-02');
          assert.equal(child(root, 'nas_port_id')!.text, 'Gi1/0/02');
          assert.equal(child(root, 'identity_group')!.text, 'Workstations');
          assert.equal(child(root, 'selected_azn_profiles')!.text, 'Employee');
          assert.equal(child(root, 'passed')!.attributes['xsi:type'], 'xs:boolean');
          assert.equal(child(root, 'passed')!.attributes['xmlns:xsi'], 'http://www.w3.org/2001/XMLSchema-instance');
        }
        const byNas = parseXml((await get(server, `${prefix}Session/IPAddress/10.1.1.2`)).body);
        assert.equal(child(byNas, 'calling_station_id')!.text, '00:11:22:33:44:03');
        assert.equal(child(byNas, 'user_name')!.text, `o'brien<&"x>`);
      });

      test('Session/Active/SessionID answers the detailed activeSession', async () => {
        const answer = await get(server, `${prefix}Session/Active/SessionID/0A0101010000000100000001/0`);
        assert.equal(answer.status, 200, answer.body);
        const root = parseXml(answer.body);
        assert.equal(root.name, 'activeSessionList');
        assert.equal(root.attributes.noOfActiveSession, '1');
        assert.ok(followsOrder(childNames(root.children[0]!), SESSION_DETAIL), childNames(root.children[0]!).join(','));
      });

      test('AuthStatus: All in ISE order, 0 for the default set, a + list, and both zeros for the latest only', async () => {
        const all = parseXml((await get(server, `${prefix}AuthStatus/MACAddress/00:11:22:33:44:01/3600/10/All`)).body);
        assert.equal(all.name, 'authStatusOutputList');
        const list = child(all, 'authStatusList')!;
        assert.equal(list.attributes.key, '00:11:22:33:44:01');
        assert.equal(list.children.length, 1);
        const element = list.children[0]!;
        assert.equal(element.name, 'authStatusElements');
        assert.ok(followsOrder(childNames(element), AUTH_STATUS_ALL), childNames(element).join(','));
        assert.equal(child(element, 'passed')!.text, 'true');
        const picked = parseXml((await get(server, `${prefix}AuthStatus/MACAddress/00:11:22:33:44:01/3600/10/user_name+acs_timestamp`)).body);
        assert.deepEqual(childNames(child(picked, 'authStatusList')!.children[0]!), ['user_name', 'acs_timestamp']);
        const defaults = await get(server, `${prefix}AuthStatus/MACAddress/00:11:22:33:44:01`);
        assert.equal(defaults.status, 200);
        assert.ok(childNames(child(parseXml(defaults.body), 'authStatusList')!.children[0]!).includes('network_device_name'));
        const latest = parseXml((await get(server, `${prefix}AuthStatus/MACAddress/00:11:22:33:44:01/0/0/0`)).body);
        assert.equal(child(latest, 'authStatusList')!.children.length, 1);
        const none = await get(server, `${prefix}AuthStatus/MACAddress/00:11:22:33:44:99/3600/10/All`);
        assert.match(none.body, /<authStatusList key="00:11:22:33:44:99"\/>/);
      });

      test('AcctStatus and the AcctStatusTT spellings', async () => {
        for (const path of ['AcctStatus/MACAddress/00:11:22:33:44:01/3600', 'AcctStatusTT/MACAddress/00:11:22:33:44:01/3600', 'Session/AcctStatusTT/MACAddress/00:11:22:33:44:01/0']) {
          const answer = await get(server, `${prefix}${path}`);
          assert.equal(answer.status, 200, `${path}: ${answer.body}`);
          const root = parseXml(answer.body);
          assert.equal(root.name, 'acctStatusOutputList');
          const list = child(root, 'acctStatusList')!;
          assert.equal(list.attributes.macAddress, '00:11:22:33:44:01');
          assert.equal(list.children[0]!.name, 'acctStatusElements');
          assert.ok(followsOrder(childNames(list.children[0]!), ACCT_STATUS));
          assert.equal(child(list.children[0]!, 'audit_session_id')!.text, '0A0101010000000100000001');
        }
      });

      test('Version and FailureReasons (with the configured edits)', async () => {
        const version = parseXml((await get(server, `${prefix}Version`)).body);
        assert.equal(version.name, 'product');
        assert.equal(version.attributes.name, 'Cisco Identity Services Engine');
        assert.deepEqual(childNames(version), ['version', 'type_of_node']);
        assert.equal(child(version, 'type_of_node')!.text, '2');
        const reasons = parseXml((await get(server, `${prefix}FailureReasons`)).body);
        assert.equal(reasons.name, 'failureReasonList');
        for (const r of reasons.children) assert.deepEqual(childNames(r), ['code', 'cause', 'resolution']);
        const wrongPassword = reasons.children.find((r) => r.attributes.id === '22040')!;
        assert.match(child(wrongPassword, 'code')!.text, /^22040 /);
        assert.equal(child(wrongPassword, 'resolution')!.text, 'Ask the user to reset the password in the self-service portal.');
        assert.equal(child(reasons.children.find((r) => r.attributes.id === '99001')!, 'cause')!.text, 'A site rule refused the endpoint.');
      });

      test('JSON for Accept: application/json, same data', async () => {
        const list = await get(server, `${prefix}Session/ActiveList`, { accept: 'application/json' });
        assert.equal(list.headers.get('content-type'), 'application/json;charset=UTF-8');
        const parsed = JSON.parse(list.body) as { noOfActiveSession: number; activeSession: { calling_station_id: string }[] };
        assert.equal(parsed.noOfActiveSession, 3);
        assert.deepEqual(parsed.activeSession.map((s) => s.calling_station_id).sort(), ENDPOINTS.map((e) => e.mac));
        const session = JSON.parse((await get(server, `${prefix}Session/MACAddress/00:11:22:33:44:01`, { accept: 'application/json' })).body) as Record<string, unknown>;
        assert.equal(session.passed, true);
        assert.equal(session.user_name, 'jsmith');
        const error = await get(server, `${prefix}Session/MACAddress/00:11:22:33:44:77`, { accept: 'application/json' });
        assert.equal(error.status, 500);
        assert.equal((JSON.parse(error.body) as { error: string }).error, 'SESSION_NOT_FOUND');
      });
    });
  }

  test('no session: 500 with ISE\'s mnt-rest-result and internal-error-info', async () => {
    const answer = await get(server, '/admin/API/mnt/Session/MACAddress/AA:BB:CC:DD:EE:FF');
    assert.equal(answer.status, 500);
    const root = parseXml(answer.body);
    assert.equal(root.name, 'mnt-rest-result');
    assert.deepEqual(childNames(root), REST_RESULT);
    assert.equal(child(root, 'internal-error-info')!.text, 'Error in generating XML output. Error message = Session data is not available for AA:BB:CC:DD:EE:FF.');
    assert.equal(child(root, 'cpm-code')!.text, '34110');
    assert.equal(child(root, 'module-name')!.text, 'MnT');
    assert.equal(child(root, 'resource-type')!.text, 'RESTSDStatus');
    assert.equal(child(root, 'status')!.text, 'SERVER_ERROR');
  });

  test('paging (our extension): page and size slice the list, X-Total-Count tells the whole', async () => {
    const first = await get(server, '/admin/API/mnt/Session/ActiveList?page=1&size=2');
    const second = await get(server, '/admin/API/mnt/Session/ActiveList?page=2&size=2');
    const beyond = await get(server, '/admin/API/mnt/Session/ActiveList?page=5&size=2');
    assert.equal(first.headers.get('x-total-count'), '3');
    assert.equal(parseXml(first.body).children.length, 2);
    assert.equal(parseXml(second.body).attributes.noOfActiveSession, '1');
    assert.match(beyond.body, /<activeList noOfActiveSession="0"\/>/);
    const macs = [...parseXml(first.body).children, ...parseXml(second.body).children].map((s) => child(s, 'calling_station_id')!.text);
    assert.deepEqual(macs.sort(), ENDPOINTS.map((e) => e.mac));
  });

  test('filters (our extension): nas, user and mac narrow the list in the store; a bad value is a 400 naming it', async () => {
    const macsOf = async (query: string) => parseXml((await get(server, `/admin/API/mnt/Session/ActiveList?${query}`)).body).children.map((s) => child(s, 'calling_station_id')!.text).sort();
    assert.deepEqual(await macsOf('nas=10.1.1.1'), ['00:11:22:33:44:01', '00:11:22:33:44:02']);
    assert.deepEqual(await macsOf('user=alice'), ['00:11:22:33:44:02']);
    assert.deepEqual(await macsOf('mac=00-11-22-33-44-03'), ['00:11:22:33:44:03']);
    assert.deepEqual(await macsOf('nas=10.1.1.1&user=jsmith&page=1&size=5'), ['00:11:22:33:44:01']);
    const counted = await get(server, '/admin/API/mnt/Session/ActiveList?nas=10.1.1.2');
    assert.equal(counted.headers.get('x-total-count'), '1');
    assert.equal(parseXml(counted.body).attributes.noOfActiveSession, '1');
    const bad = await get(server, '/admin/API/mnt/Session/ActiveList?nas=10.1.1.300');
    assert.equal(bad.status, 400);
    assert.match(bad.body, /query parameter nas &apos;10\.1\.1\.300&apos; is not valid: an IPv4 or IPv6 address/);
    assert.equal((await get(server, '/admin/API/mnt/Session/ActiveList?mac=zz')).status, 400);
  });

  test('grep -B5 on the ActiveList finds each MAC above its NAS line', async () => {
    const lines = (await get(server, '/admin/API/mnt/Session/ActiveList')).body.split('\n');
    const at = lines.findIndex((l) => l.trim() === '<nas_ip_address>10.1.1.2</nas_ip_address>');
    assert.ok(lines.slice(Math.max(0, at - 5), at).some((l) => l.includes('<calling_station_id>00:11:22:33:44:03</calling_station_id>')));
  });

  test('roles: helpdesk reads but may neither delete nor issue CoA; no or wrong credentials get 401', async () => {
    assert.equal((await get(server, '/admin/API/mnt/Session/ActiveCount', { as: 'helpdesk-admin' })).status, 200);
    const coa = await get(server, '/admin/API/mnt/CoA/Reauth/ise/00:11:22:33:44:01/1', { as: 'helpdesk-admin' });
    assert.equal(coa.status, 403);
    assert.equal(child(parseXml(coa.body), 'http-code')!.text, '403');
    assert.equal((await get(server, '/admin/API/mnt/Session/Delete/All', { as: 'helpdesk-admin', method: 'DELETE' })).status, 403);
    const anonymous = await get(server, '/admin/API/mnt/Version', { as: null });
    assert.equal(anonymous.status, 401);
    assert.match(anonymous.headers.get('www-authenticate') ?? '', /^Basic realm=/);
    assert.equal((await get(server, '/admin/API/mnt/Version', { password: 'wrong-password' })).status, 401);
  });

  test('Session/Delete closes sessions as administratively reset and keeps their history', async () => {
    const answer = await get(server, '/admin/API/mnt/Session/Delete/MACAddress/00-11-22-33-44-02', { as: 'mnt-admin', method: 'DELETE' });
    assert.equal(answer.status, 200, answer.body);
    const root = parseXml(answer.body);
    assert.equal(root.name, 'mnt-rest-result');
    assert.equal(child(root, 'status')!.text, 'SUCCESSFUL');
    assert.equal(child(root, 'cpm-code')!.text, '52092');
    assert.equal(child(root, 'resource-name')!.text, 'MNT_RAD_SESS');
    assert.equal(await server.store.countActive(), 2);
    const closed = await server.store.findLatestSession({ mac: '00:11:22:33:44:02', scope: 'closed' });
    assert.equal(closed?.closeReason, 'admin');
    const bySid = await get(server, '/ise/mnt/Session/Delete/SessionID/0A0101010000000100000001', { method: 'PUT' });
    assert.equal(bySid.status, 200);
    assert.equal(await server.store.countActive(), 1);
  });
});
