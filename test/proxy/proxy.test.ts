/**
 * The proxy against home servers simulated over real UDP (test/helpers/fake-home.ts): routing by
 * realm with the name stripped and a secret of its own per leg, answers refused when forged or
 * garbled, a server brought back by Status-Server, load balancing, accounting forwarded after it
 * is recorded, fuzzed EAP and State relays, and CoA for a session authenticated through the proxy.
 * Nothing waits for a time: each test waits for what it needs to have happened.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { HOME_SERVER_DEFAULTS, type HomeServerConfig } from '../../src/proxy/index.js';
import { Code, decodePacket, encodePacket, getAttributes, revealUserPassword, type AttributeInput } from '../../src/radius/index.js';
import { FakeHome } from '../helpers/fake-home.js';
import { addAdmins, get } from '../helpers/mnt.js';
import { api as policyApi } from '../helpers/policy-api.js';
import { NasSimulator } from '../helpers/nas-simulator.js';
import { SECRET, startTestServer, type TestServer } from '../helpers/server.js';
import { UdpClient } from '../helpers/udp-client.js';

const names = ['main', 'forger', 'good', 'garbler', 'sleeper', 'lb1', 'lb2', 'acct', 'challenger'] as const;
type Name = (typeof names)[number];

describe('the RADIUS proxy', () => {
  const homes = {} as Record<Name, FakeHome>;
  let server: TestServer;
  let client: UdpClient;
  let nas: NasSimulator;
  let id = 0;

  const access = (attributes: AttributeInput[]) => encodePacket({ code: Code.AccessRequest, identifier: id++ & 255, attributes }, { secret: SECRET, messageAuthenticator: true });
  /** Sent until answered (a NAS retransmits), the answer decoded. */
  async function ask(datagram: Buffer, port = server.ports.auth) {
    for (;;) {
      const reply = await client.request(datagram, port, 3000, SECRET);
      if (reply !== null) return decodePacket(reply);
    }
  }
  const homeServer = (name: Name, extra: Partial<HomeServerConfig> = {}): HomeServerConfig => ({
    ...HOME_SERVER_DEFAULTS,
    name,
    address: '127.0.0.1',
    authPort: homes[name].port,
    accountingPort: homes[name].port,
    secret: homes[name].secret,
    responseTimeoutSeconds: 0.5,
    statusCheck: 'none' as const,
    ...extra,
  });

  before(async () => {
    for (const n of names) homes[n] = await new FakeHome(`home-${n}-secret`).start();
    homes.forger.behaviour = { kind: 'wrong-secret' };
    homes.garbler.behaviour = { kind: 'garbage' };
    homes.sleeper.behaviour = { kind: 'silent' };
    homes.sleeper.answersStatus = false;
    nas = await new NasSimulator('coa-secret-1').start(0, '127.0.0.60');
    server = await startTestServer((c) => {
      c.radius.clients.push({ name: 'edge-60', address: '127.0.0.60', secret: 'coa-secret-1', vendor: 'cisco', coaPort: nas.port, requireMessageAuthenticator: false, deviceGroups: [] });
      c.proxy.homeServers = [
        homeServer('main'),
        homeServer('forger'),
        homeServer('good'),
        homeServer('garbler'),
        homeServer('sleeper', { statusCheck: 'status-server', checkIntervalSeconds: 0.1, answersToAlive: 2, responseTimeoutSeconds: 0.3 }),
        homeServer('lb1'),
        homeServer('lb2'),
        homeServer('acct'),
        homeServer('challenger'),
      ];
      c.proxy.pools = [
        { name: 'corp', type: 'fail-over', homeServers: ['main'] },
        { name: 'forged', type: 'fail-over', homeServers: ['forger', 'good'] },
        { name: 'garbled', type: 'fail-over', homeServers: ['garbler', 'good'] },
        { name: 'sleepy', type: 'fail-over', homeServers: ['sleeper', 'good'] },
        { name: 'balanced', type: 'load-balance', homeServers: ['lb1', 'lb2'] },
        { name: 'accounting', type: 'fail-over', homeServers: ['acct'] },
        { name: 'eap', type: 'fail-over', homeServers: ['challenger'] },
      ];
      c.proxy.realms = [
        { name: 'corp.example', format: 'suffix', strip: true, pool: 'corp' },
        { name: 'forged.example', format: 'suffix', strip: false, pool: 'forged' },
        { name: 'garbled.example', format: 'suffix', strip: false, pool: 'garbled' },
        { name: 'SLEEPY', format: 'prefix', strip: true, pool: 'sleepy' },
        { name: 'lb.example', format: 'suffix', strip: false, pool: 'balanced' },
        { name: 'acct.example', format: 'suffix', strip: false, pool: 'accounting' },
        { name: 'eap.example', format: 'suffix', strip: false, pool: 'eap' },
      ];
      c.proxy.accounting = 'proxy';
    });
    await addAdmins(server);
    client = await UdpClient.open();
  });
  after(async () => {
    await client?.close();
    await server?.stop();
    await nas?.close();
    for (const h of Object.values(homes)) await h.close();
  });

  test("realm routing: the name stripped, the password under the home server's secret; the NAS gets the VLAN, AuthStatus the record", async () => {
    homes.main.behaviour = { kind: 'accept', attributes: [{ name: 'Tunnel-Private-Group-Id', value: '77', tag: 1 }, { name: 'Tunnel-Type', value: 'VLAN', tag: 1 }] };
    const answer = await ask(access([
      { name: 'User-Name', value: 'dave@corp.example' },
      { name: 'User-Password', value: 'dave-pass-1' },
      { name: 'Calling-Station-Id', value: '0A-00-00-00-01-01' },
    ]));
    assert.equal(answer.code, Code.AccessAccept);
    assert.equal(getAttributes(answer, 'Tunnel-Private-Group-Id')[0]?.value, '77');
    const got = homes.main.received.at(-1)!;
    assert.equal(got.authentic, true);
    assert.equal(getAttributes(got.packet, 'User-Name')[0]!.value, 'dave');
    assert.equal(revealUserPassword(getAttributes(got.packet, 'User-Password')[0]!.value as Buffer, homes.main.secret, got.packet.authenticator), 'dave-pass-1');
    assert.equal(getAttributes(got.packet, 'Proxy-State').length, 1);
    const [record] = await server.store.authRecordsByMac({ mac: '0A:00:00:00:01:01', since: 0, limit: 5 });
    assert.equal(record?.passed, true);
    assert.equal(record?.identityStore, 'main');
    assert.equal(record?.authzPolicy, 'proxy:corp');
    assert.equal((await server.store.findLatestSession({ mac: '0A:00:00:00:01:01' }))?.vlan, '77');
  });

  test('no route: decided by the local policy, as before', async () => {
    const answer = await ask(access([{ name: 'User-Name', value: 'nobody-local' }, { name: 'User-Password', value: 'x' }, { name: 'Calling-Station-Id', value: '0A-00-00-00-01-02' }]));
    assert.equal(answer.code, Code.AccessReject);
    const [record] = await server.store.authRecordsByMac({ mac: '0A:00:00:00:01:02', since: 0, limit: 5 });
    assert.notEqual(record?.authzPolicy, 'proxy:corp');
    assert.equal(homes.main.received.filter((r) => getAttributes(r.packet, 'User-Name')[0]?.value === 'nobody-local').length, 0);
  });

  test('a forged answer (another secret) and a garbled one are refused and counted; the next server answers', async () => {
    for (const [realm, bad] of [['forged.example', 'forger'], ['garbled.example', 'garbler']] as const) {
      const answer = await ask(access([{ name: 'User-Name', value: `erin@${realm}` }, { name: 'User-Password', value: 'x' }]));
      assert.equal(answer.code, Code.AccessAccept, realm);
      assert.ok(homes[bad].received.length >= 1, `${bad} was asked first`);
    }
    const stats = new Map((await server.radius.snapshot()).homeServers.map((h) => [h.name, h]));
    assert.ok(stats.get('forger')!.badAnswers >= 1);
    assert.equal(stats.get('forger')!.answered, 0);
    assert.ok(stats.get('good')!.answered >= 2);
  });

  test('a silent server goes zombie; Status-Server brings it back; then it is asked first again', async () => {
    const first = await ask(access([{ name: 'User-Name', value: 'SLEEPY\\frank' }, { name: 'User-Password', value: 'x' }]));
    assert.equal(first.code, Code.AccessAccept, 'the second server answered');
    const state = async () => (await server.radius.snapshot()).homeServers.find((h) => h.name === 'sleeper')!.state;
    assert.notEqual(await state(), 'alive');
    homes.sleeper.behaviour = { kind: 'accept' };
    homes.sleeper.answersStatus = true;
    while ((await state()) !== 'alive') await homes.sleeper.waitFor(homes.sleeper.received.length + 1);
    const before = homes.sleeper.received.filter((r) => r.packet.code === Code.AccessRequest).length;
    const again = await ask(access([{ name: 'User-Name', value: 'SLEEPY\\frank' }, { name: 'User-Password', value: 'x' }]));
    assert.equal(again.code, Code.AccessAccept);
    const asked = homes.sleeper.received.filter((r) => r.packet.code === Code.AccessRequest);
    assert.equal(asked.length, before + 1);
    assert.equal(getAttributes(asked.at(-1)!.packet, 'User-Name')[0]!.value, 'frank');
  });

  test('a load-balanced pool spreads requests in flight over its servers', async () => {
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => ask(access([{ name: 'User-Name', value: `lb-${i}@lb.example` }, { name: 'User-Password', value: 'x' }]))));
    assert.ok(answers.every((a) => a.code === Code.AccessAccept));
    assert.ok(homes.lb1.received.length > 0 && homes.lb2.received.length > 0, `${homes.lb1.received.length} / ${homes.lb2.received.length}`);
    assert.equal(homes.lb1.received.length + homes.lb2.received.length, 40);
  });

  test('accounting (proxy mode): recorded here and answered, then forwarded signed with the home secret', async () => {
    const request = encodePacket(
      {
        code: Code.AccountingRequest,
        identifier: id++ & 255,
        attributes: [
          { name: 'Acct-Status-Type', value: 'Start' },
          { name: 'Acct-Session-Id', value: 'proxied-acct-1' },
          { name: 'User-Name', value: 'gina@acct.example' },
          { name: 'Calling-Station-Id', value: '0A-00-00-00-01-03' },
          { name: 'NAS-IP-Address', value: '127.0.0.1' },
        ],
      },
      { secret: SECRET },
    );
    const answer = await ask(request, server.ports.accounting);
    assert.equal(answer.code, Code.AccountingResponse);
    assert.equal((await server.store.findLatestSession({ mac: '0A:00:00:00:01:03' }))?.acctSessionId, 'proxied-acct-1');
    await homes.acct.waitFor(1);
    const got = homes.acct.received[0]!;
    assert.equal(got.packet.code, Code.AccountingRequest);
    assert.equal(got.authentic, true);
    assert.equal(getAttributes(got.packet, 'Acct-Session-Id')[0]!.value, 'proxied-acct-1');
  });

  test('fuzzed EAP-Message and State relays: counted drops, no crash, the node still answers', async () => {
    homes.challenger.behaviour = { kind: 'challenge', state: Buffer.from('challenge-state-1') };
    const before = (await server.radius.stats()).auth.dropped.malformed;
    let malformed = 0;
    for (let i = 0; i < 300; i++) {
      const eap = randomBytes(1 + (i % 250));
      const state = i % 3 === 0 ? Buffer.from('challenge-state-1') : randomBytes(1 + (i % 40));
      const datagram = access([{ name: 'User-Name', value: `fuzz-${i}@eap.example` }, { name: 'EAP-Message', value: eap }, { name: 'State', value: state }]);
      if (i % 10 === 0) {
        // A Length field larger than the datagram (RFC 2865 §3: silently discarded): malformed.
        const broken = Buffer.from(datagram);
        broken.writeUInt16BE(datagram.length + 16, 2);
        client.send(broken, server.ports.auth);
        malformed++;
      } else {
        const answer = await ask(datagram);
        assert.equal(answer.code, Code.AccessChallenge);
      }
    }
    homes.main.behaviour = { kind: 'accept' };
    const after = await ask(access([{ name: 'User-Name', value: 'after-fuzz@corp.example' }, { name: 'User-Password', value: 'x' }]));
    assert.equal(after.code, Code.AccessAccept);
    assert.equal((await server.radius.stats()).auth.dropped.malformed, before + malformed);
  });

  test("local policy after the proxy: an endpoint's own profile (a quarantine) replaces what the home server authorized; a denying one turns the Accept into a Reject", async () => {
    homes.main.behaviour = { kind: 'accept', attributes: [{ name: 'Tunnel-Private-Group-Id', value: '77', tag: 1 }, { name: 'Filter-Id', value: 'corp-acl' }] };
    assert.equal((await policyApi(server, 'POST', '/profiles', { name: 'Quarantine-999', vlan: '999' })).status, 201);
    assert.equal((await policyApi(server, 'POST', '/profiles', { name: 'Blocked', deny: true })).status, 201);
    assert.equal((await policyApi(server, 'POST', '/endpoints', { mac: '0A:00:00:00:01:05', profile: 'Quarantine-999' })).status, 201);
    assert.equal((await policyApi(server, 'POST', '/endpoints', { mac: '0A:00:00:00:01:06', profile: 'Blocked' })).status, 201);
    const ask1 = (mac: string) => ask(access([{ name: 'User-Name', value: 'ivy@corp.example' }, { name: 'User-Password', value: 'x' }, { name: 'Calling-Station-Id', value: mac }]));
    const quarantined = await ask1('0A-00-00-00-01-05');
    assert.equal(quarantined.code, Code.AccessAccept);
    assert.deepEqual(getAttributes(quarantined, 'Tunnel-Private-Group-Id').map((a) => a.value), ['999']);
    assert.equal(getAttributes(quarantined, 'Filter-Id').length, 0);
    const [record] = await server.store.authRecordsByMac({ mac: '0A:00:00:00:01:05', since: 0, limit: 5 });
    assert.equal(record?.selectedAuthzProfile, 'Quarantine-999');
    assert.match(record?.authzPolicy ?? '', /^proxy:corp >> Assigned profile$/);
    assert.equal((await server.store.findLatestSession({ mac: '0A:00:00:00:01:05' }))?.vlan, '999');
    const blocked = await ask1('0A-00-00-00-01-06');
    assert.equal(blocked.code, Code.AccessReject);
    const [denied] = await server.store.authRecordsByMac({ mac: '0A:00:00:00:01:06', since: 0, limit: 5 });
    assert.equal(denied?.passed, false);
    assert.equal(denied?.failureReasonCode, 15039);
    // An endpoint without a profile of its own keeps what the home server said.
    const plain = await ask1('0A-00-00-00-01-07');
    assert.deepEqual(getAttributes(plain, 'Tunnel-Private-Group-Id').map((a) => a.value), ['77']);
  });

  test('a rule marked afterProxy replaces the home server\'s authorization for its group; unmarked rules and other groups leave it', async () => {
    homes.main.behaviour = { kind: 'accept', attributes: [{ name: 'Tunnel-Private-Group-Id', value: '77', tag: 1 }] };
    assert.equal((await policyApi(server, 'POST', '/groups', { name: 'Suspicious' })).status, 201);
    assert.equal((await policyApi(server, 'POST', '/groups', { name: 'Printers' })).status, 201);
    assert.equal((await policyApi(server, 'POST', '/profiles', { name: 'Inspect-555', vlan: '555' })).status, 201);
    assert.equal((await policyApi(server, 'POST', '/profiles', { name: 'Printers-600', vlan: '600' })).status, 201);
    assert.equal((await policyApi(server, 'POST', '/endpoints', { mac: '0A:00:00:00:01:08', group: 'Suspicious' })).status, 201);
    assert.equal((await policyApi(server, 'POST', '/endpoints', { mac: '0A:00:00:00:01:09', group: 'Printers' })).status, 201);
    const marked = { name: 'inspect-suspicious', order: 1, conditions: { identityGroup: ['Suspicious'], method: ['dot1x'] }, profile: 'Inspect-555', afterProxy: true };
    assert.equal((await policyApi(server, 'POST', '/rules', marked)).status, 201);
    // The same kind of rule for printers, not marked: it decides local MAB only.
    assert.equal((await policyApi(server, 'POST', '/rules', { name: 'printers-vlan', order: 2, conditions: { identityGroup: ['Printers'] }, profile: 'Printers-600' })).status, 201);
    assert.equal((await policyApi(server, 'POST', '/rules', { name: 'bad-flag', conditions: {}, profile: 'Inspect-555', afterProxy: 'yes' })).status, 400);

    const ask1 = (mac: string) => ask(access([{ name: 'User-Name', value: 'jo@corp.example' }, { name: 'User-Password', value: 'x' }, { name: 'Calling-Station-Id', value: mac }]));
    const suspicious = await ask1('0A-00-00-00-01-08');
    assert.equal(suspicious.code, Code.AccessAccept);
    assert.deepEqual(getAttributes(suspicious, 'Tunnel-Private-Group-Id').map((a) => a.value), ['555']);
    const [record] = await server.store.authRecordsByMac({ mac: '0A:00:00:00:01:08', since: 0, limit: 5 });
    assert.equal(record?.selectedAuthzProfile, 'Inspect-555');
    assert.equal(record?.authzPolicy, 'proxy:corp >> inspect-suspicious');
    const printer = await ask1('0A-00-00-00-01-09');
    assert.deepEqual(getAttributes(printer, 'Tunnel-Private-Group-Id').map((a) => a.value), ['77']);
    const stranger = await ask1('0A-00-00-00-01-0A');
    assert.deepEqual(getAttributes(stranger, 'Tunnel-Private-Group-Id').map((a) => a.value), ['77']);
  });

  test('CoA for a session authenticated through the proxy reaches its NAS', async () => {
    homes.main.behaviour = { kind: 'accept', attributes: [{ name: 'Tunnel-Private-Group-Id', value: '88', tag: 1 }] };
    const answer = await ask(access([
      { name: 'User-Name', value: 'hank@corp.example' },
      { name: 'User-Password', value: 'x' },
      { name: 'Calling-Station-Id', value: '0A-00-00-00-01-04' },
      { name: 'NAS-IP-Address', value: '127.0.0.60' },
    ]));
    assert.equal(answer.code, Code.AccessAccept);
    const coa = await get(server, '/admin/API/mnt/CoA/Reauth/openmnt-test/0A:00:00:00:01:04/1', { as: 'mnt-admin' });
    assert.equal(coa.status, 200, coa.body);
    assert.match(coa.body, /<results>true<\/results>/);
    const last = nas.received.at(-1)!;
    assert.equal(last.authentic, true);
    assert.equal(getAttributes(last.packet, 'Calling-Station-Id')[0]?.value, '0A-00-00-00-01-04');
  });
});
