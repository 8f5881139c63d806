/**
 * The runtime policy end to end over real UDP: radclient MAB gets group A's VLAN; moving the
 * endpoint to group B through the API sends a CoA reauth to a simulated NAS, whose ACK is in the
 * API answer; the NAS's next MAB (radclient again) gets group B's VLAN, and the session and
 * AuthStatus show the new profile. The same for a managed-attribute change a rule matches, and a
 * device added through the API is answered without a restart.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Code } from '../../src/radius/index.js';
import { NasSimulator } from '../helpers/nas-simulator.js';
import { needTool } from '../helpers/tools.js';
import { mab, radclient } from '../helpers/radclient.js';
import { SECRET, startTestServer, type TestServer } from '../helpers/server.js';
import { addAdmins, get, ADMINS } from '../helpers/mnt.js';
import { api } from '../helpers/policy-api.js';

const skip = needTool('radclient', 'freeradius-utils');
const MAC = '00:AA:BB:CC:DD:01';
const MAC2 = '00:AA:BB:CC:DD:02';

describe('policy changes enforced by CoA', { skip }, () => {
  let server: TestServer;
  let nas: NasSimulator;

  before(async () => {
    nas = await new NasSimulator(SECRET).start();
    server = await startTestServer((c) => {
      c.radius.clients[0]!.coaPort = nas.port;
      c.auth.profiles['VlanA'] = { vlan: '10' };
      c.auth.profiles['VlanB'] = { vlan: '20' };
      c.auth.profiles['Vlan120'] = { vlan: '120' };
      c.auth.groups = [{ name: 'A', profile: 'VlanA' }, { name: 'B', profile: 'VlanB' }];
      c.auth.endpoints = [{ mac: MAC, group: 'A' }, { mac: MAC2, group: 'A' }];
      c.auth.users = [{ name: 'carol', password: 'Carol-Pass-2026', group: 'A' }];
    });
    await addAdmins(server);
  });
  after(async () => {
    await server.stop();
    await nas.close();
  });

  test('a group move: CoA reauth acknowledged, the next MAB gets the new VLAN, session and AuthStatus show it', async () => {
    const first = await mab(server.ports.auth, SECRET, MAC, 'NAS-IP-Address = 127.0.0.1');
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /Tunnel-Private-Group-Id:1 = "10"/i);

    const read = await api(server, 'GET', `/endpoints/${MAC.toLowerCase().replace(/:/g, '-')}`);
    assert.equal(read.status, 200);
    assert.equal(read.json.group, 'A');
    const sent = nas.received.length;
    const moved = await api(server, 'PATCH', `/endpoints/${MAC}`, { group: 'B' }, { 'if-match': read.etag! });
    assert.equal(moved.status, 200, JSON.stringify(moved.json));
    assert.equal(moved.json.group, 'B');
    const e = moved.json.enforcement.endpoint;
    assert.equal(e.action, 'reauth');
    assert.equal(e.currentProfile, 'VlanA');
    assert.equal(e.newProfile, 'VlanB');
    assert.equal(e.outcome, 'ack', 'the answer says the NAS acknowledged');
    assert.equal(nas.received.length, sent + 1);
    const coa = nas.received.at(-1)!;
    assert.equal(coa.packet.code, Code.CoARequest);
    assert.equal(coa.authentic, true);

    // The NAS reauthenticates the endpoint: its MAB again.
    const again = await mab(server.ports.auth, SECRET, MAC, 'NAS-IP-Address = 127.0.0.1');
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /Tunnel-Private-Group-Id:1 = "20"/i);

    const session = await get(server, `/admin/API/mnt/Session/MACAddress/${MAC}`, { accept: 'application/json' });
    assert.equal(session.status, 200);
    const s = JSON.parse(session.body) as Record<string, unknown>;
    assert.equal(s.selected_azn_profiles, 'VlanB');
    const auth = await get(server, `/admin/API/mnt/AuthStatus/MACAddress/${MAC}/3600/10/All`, { accept: 'application/json' });
    const elements = (JSON.parse(auth.body) as { authStatusElements: Record<string, unknown>[] }).authStatusElements;
    assert.equal(elements[0]!.selected_azn_profiles, 'VlanB');
    assert.equal(elements[1]!.selected_azn_profiles, 'VlanA');

    // The bulk-job `policy` selector: the whole policy set, one rule of it, or neither.
    const policy = String((await server.store.findLatestSession({ mac: MAC }))!.authzPolicy);
    const [set] = policy.split(' >> ');
    const count = async (selected: string) => {
      const job = await api(server, 'POST', '/coa/jobs', { selector: { policy: selected }, action: 'reauth', dryRun: true });
      assert.equal(job.status, 200, JSON.stringify(job.json));
      return job.json.count as number;
    };
    assert.ok(policy.includes(' >> '), policy);
    assert.equal(await count(policy), 1);
    assert.equal(await count(set!), 1);
    assert.equal(await count(`${set} >> no-such-rule`), 0);
    assert.equal(await count(set!.slice(0, -1)), 0, 'a prefix of a set name is not the set');
  });

  test('a managed attribute a rule matches: CoA, then the rule\'s VLAN', async () => {
    assert.equal((await api(server, 'POST', '/attributes', { name: 'vlan-id', type: 'integer' })).status, 201);
    const rule = await api(server, 'POST', '/rules', { name: 'vlan-120', policySet: 'Default', order: 10, conditions: { attributes: { 'vlan-id': 120 } }, profile: 'Vlan120' });
    assert.equal(rule.status, 201, JSON.stringify(rule.json));
    assert.equal((await mab(server.ports.auth, SECRET, MAC2, 'NAS-IP-Address = 127.0.0.1')).status, 0);
    const changed = await api(server, 'PATCH', `/endpoints/${MAC2}`, { attributes: { 'vlan-id': '120' } });
    assert.equal(changed.status, 200, JSON.stringify(changed.json));
    assert.equal(changed.json.attributes['vlan-id'], 120, 'kept as the integer the definition says');
    assert.equal(changed.json.enforcement.endpoint.outcome, 'ack');
    const again = await mab(server.ports.auth, SECRET, MAC2, 'NAS-IP-Address = 127.0.0.1');
    assert.match(again.stdout, /Tunnel-Private-Group-Id:1 = "120"/i);
  });

  test("a user's change is enforced on the sessions it authenticated (PAP)", async () => {
    const pap = () =>
      radclient({ port: server.ports.auth, secret: SECRET, kind: 'auth', packets: ['User-Name = "carol", User-Password = "Carol-Pass-2026", Calling-Station-Id = "00-AA-BB-CC-DD-07", NAS-IP-Address = 127.0.0.1'] });
    const first = await pap();
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /Tunnel-Private-Group-Id:1 = "10"/i);
    const sent = nas.received.length;
    const moved = await api(server, 'PATCH', '/users/carol', { group: 'B' });
    assert.equal(moved.status, 200, JSON.stringify(moved.json));
    const e = moved.json.enforcement.endpoint;
    assert.equal(e.mac, '00:AA:BB:CC:DD:07');
    assert.equal(e.currentProfile, 'VlanA');
    assert.equal(e.newProfile, 'VlanB');
    assert.equal(e.outcome, 'ack');
    assert.equal(nas.received.length, sent + 1);
    const again = await pap();
    assert.match(again.stdout, /Tunnel-Private-Group-Id:1 = "20"/i);
  });

  test('a NAK is reported with its Error-Cause', async () => {
    nas.behaviour = { kind: 'nak', errorCause: 503 };
    try {
      const moved = await api(server, 'PATCH', `/endpoints/${MAC}`, { group: 'A' });
      assert.equal(moved.json.enforcement.endpoint.outcome, 'nak');
      assert.equal(moved.json.enforcement.endpoint.errorCause, 503);
    } finally {
      nas.behaviour = { kind: 'ack' };
    }
  });

  test('a device added through the API: its first packet is answered without a restart', async () => {
    assert.equal((await api(server, 'DELETE', '/devices/test-switch')).status, 200);
    const unknown = await mab(server.ports.auth, SECRET, MAC, 'NAS-IP-Address = 127.0.0.1');
    assert.notEqual(unknown.status, 0, 'a NAS no longer in the table is not answered');
    const added = await api(server, 'POST', '/devices', { name: 'lab-switch', address: '127.0.0.1', secret: SECRET, coaPort: nas.port });
    assert.equal(added.status, 201, JSON.stringify(added.json));
    assert.equal(added.json.secret, '******');
    const answered = await mab(server.ports.auth, SECRET, MAC, 'NAS-IP-Address = 127.0.0.1');
    assert.equal(answered.status, 0, answered.stderr);
  });

  test("a group's own coaOnChange (disconnect) and ANC quarantine", async () => {
    assert.equal((await api(server, 'POST', '/profiles', { name: 'Blocked', deny: true })).status, 201);
    assert.equal((await api(server, 'POST', '/groups', { name: 'Q', profile: 'Blocked', coaOnChange: 'disconnect' })).status, 201);
    const moved = await api(server, 'PATCH', `/endpoints/${MAC}`, { group: 'Q' });
    assert.equal(moved.json.enforcement.endpoint.action, 'disconnect');
    assert.equal(moved.json.enforcement.endpoint.newProfile, 'Blocked');
    assert.equal(moved.json.enforcement.endpoint.outcome, 'ack');
    assert.equal(nas.received.at(-1)!.packet.code, Code.DisconnectRequest);
    const settings = await api(server, 'PATCH', '/settings?enforce=false', { quarantineProfile: 'Blocked' });
    assert.equal(settings.status, 200, JSON.stringify(settings.json));
    const quarantined = await api(server, 'POST', `/endpoints/${MAC2}/anc`, { action: 'quarantine' });
    assert.equal(quarantined.status, 200, JSON.stringify(quarantined.json));
    assert.equal(quarantined.json.profile, 'Blocked');
    assert.equal(quarantined.json.enforcement.endpoint.action, 'reauth');
    assert.equal(quarantined.json.enforcement.endpoint.outcome, 'ack');
    const rejected = await mab(server.ports.auth, SECRET, MAC2, 'NAS-IP-Address = 127.0.0.1');
    assert.match(rejected.stdout, /Access-Reject/);
    const released = await api(server, 'POST', `/endpoints/${MAC2}/anc`, { action: 'unquarantine' });
    assert.equal(released.json.profile, null);
  });

  test('the configuration audit has each change with admin, source, before and after', async () => {
    const audit = await api(server, 'GET', `/audit/config?kind=endpoints&key=${encodeURIComponent(MAC)}`);
    assert.equal(audit.status, 200);
    const moves = audit.json.records as { admin: string; source: string; before: { group: string }; after: { group: string } }[];
    const move = moves.find((r) => r.before?.group === 'A' && r.after?.group === 'B');
    assert.ok(move, JSON.stringify(moves));
    assert.equal(move.admin, ADMINS['super-admin']);
    assert.match(move.source, /127\.0\.0\.1/);
    const devices = await api(server, 'GET', '/audit/config?kind=devices&key=lab-switch');
    assert.equal(devices.json.records[0].after.secret, '******', 'secrets never reach the audit');
  });
});
