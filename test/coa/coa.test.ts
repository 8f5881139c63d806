/**
 * The CoA sender and engine against a simulated NAS over real UDP: the exact attributes of each
 * recipe, NAK with Error-Cause, identical retransmissions, forged replies ignored, NAS ports, the
 * identifier pool; and MnT CoA calls end to end on sessions radclient created.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CoaSender, RECIPES } from '../../src/coa/index.js';
import { Code, ciscoAvPairs, decodePacket, encodePacket, getString, getNumber, type RadiusPacket } from '../../src/radius/index.js';
import { NasSimulator } from '../helpers/nas-simulator.js';
import { needTool } from '../helpers/tools.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { addAdmins, child, fill, get, parseXml } from '../helpers/mnt.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';

const SECRET = 'coa-secret-1';
const WEBHOOK_SECRET = `whsec_${Buffer.from('webhook-key-for-the-coa-tests').toString('base64')}`;
const FAST = { initialTimeoutMs: 60, maxTimeoutMs: 240, maxAttempts: 4, maxTotalMs: 3000 };
/** For answers that must come at the first attempt: a busy machine may take longer than FAST allows. */
const PATIENT = { initialTimeoutMs: 10_000, maxTimeoutMs: 10_000, maxAttempts: 2, maxTotalMs: 20_000 };

function sender(sockets = 2, policy = FAST): CoaSender {
  return new CoaSender({ policy, sockets });
}

describe('CoA sender', () => {
  let nas: NasSimulator;
  before(async () => {
    nas = await new NasSimulator(SECRET).start();
  });
  after(async () => nas.close());

  const target = () => ({ address: '127.0.0.1', port: nas.port, secret: Buffer.from(SECRET) });

  test('an ACK: signed request with Message-Authenticator, outcome ack after one attempt', async () => {
    nas.behaviour = { kind: 'ack' };
    const s = sender(2, PATIENT);
    const reply = await s.send({ code: Code.CoARequest, attributes: [{ name: 'Calling-Station-Id', value: '00-11-22-33-44-55' }], nas: target() });
    await s.close();
    assert.equal(reply.outcome, 'ack');
    assert.equal(reply.code, Code.CoAACK);
    assert.equal(reply.attempts, 1);
    assert.ok(reply.rttMs !== null && reply.rttMs >= 0);
    const last = nas.received.at(-1)!;
    assert.equal(last.authentic, true);
    assert.ok(last.packet.attributes.some((a) => a.name === 'Message-Authenticator'));
  });

  test('a NAK carries its Error-Cause in numbers and words', async () => {
    nas.behaviour = { kind: 'nak', errorCause: 503 };
    const s = sender();
    const reply = await s.send({ code: Code.DisconnectRequest, attributes: [{ name: 'Calling-Station-Id', value: 'x' }], nas: target() });
    await s.close();
    assert.equal(reply.outcome, 'nak');
    assert.equal(reply.code, Code.DisconnectNAK);
    assert.equal(reply.errorCause, 503);
    assert.match(reply.errorCauseText ?? '', /session/i);
  });

  test('no reply: the identical datagram is sent again with doubling waits, then a timeout', async () => {
    nas.behaviour = { kind: 'silent' };
    const before = nas.received.length;
    // When the sender sent each one (the simulator's receive times carry the receiving side's delays).
    const sentAt: number[] = [];
    const s = new CoaSender({ policy: FAST, sockets: 2, onTransmit: () => sentAt.push(performance.now()) });
    const reply = await s.send({ code: Code.CoARequest, attributes: [{ name: 'Calling-Station-Id', value: 'y' }], nas: target() });
    await s.close();
    const sent = nas.received.slice(before);
    assert.equal(reply.outcome, 'timeout');
    assert.equal(reply.attempts, 4);
    assert.equal(sent.length, 4);
    for (const r of sent) assert.deepEqual(r.raw, sent[0]!.raw, 'retransmissions are byte for byte the same');
    // A timer never fires before its delay (Node rounds to whole milliseconds: 1 ms of slack).
    const gaps = sentAt.slice(1).map((t, i) => t - sentAt[i]!);
    assert.equal(gaps.length, 3);
    assert.ok(gaps[0]! >= FAST.initialTimeoutMs - 1 && gaps[1]! >= 2 * FAST.initialTimeoutMs - 1 && gaps[2]! >= FAST.maxTimeoutMs - 1, `backoff doubles: ${gaps.map((g) => g.toFixed(0)).join(', ')} ms`);
  });

  test('a forged reply is ignored and the real one accepted', async () => {
    nas.behaviour = { kind: 'forge-then-ack' };
    const s = sender(2, PATIENT);
    const reply = await s.send({ code: Code.CoARequest, attributes: [{ name: 'Calling-Station-Id', value: 'z' }], nas: target() });
    assert.equal(reply.outcome, 'ack');
    assert.equal(s.stats.ignored, 1);
    await s.close();
  });

  test('more than 256 at once: identifiers spread over the socket pool, every request answered', async () => {
    nas.behaviour = { kind: 'delay', ms: 40 };
    const s = sender(2, { ...FAST, initialTimeoutMs: 2000, maxTimeoutMs: 2000 });
    const replies = await Promise.all(
      Array.from({ length: 600 }, (_, i) => s.send({ code: Code.CoARequest, attributes: [{ name: 'Calling-Station-Id', value: `m${i}` }], nas: target() })),
    );
    await s.close();
    assert.ok(replies.every((r) => r.outcome === 'ack' && r.attempts === 1));
    assert.equal(s.stats.retransmitted, 0);
  });
});

describe('recipes as data', () => {
  test('Cisco commands per action, RFC 5176 forms for generic and Aruba NAS', () => {
    const pairs = (vendor: string, key: string) => RECIPES[vendor]![key as 'reauth:default']!.attributes.map((a) => a.value);
    assert.deepEqual(pairs('cisco', 'reauth:default'), ['subscriber:command=reauthenticate']);
    assert.deepEqual(pairs('cisco', 'reauth:last'), ['subscriber:command=reauthenticate', 'subscriber:reauthenticate-type=last']);
    assert.deepEqual(pairs('cisco', 'reauth:rerun'), ['subscriber:command=reauthenticate', 'subscriber:reauthenticate-type=rerun']);
    assert.deepEqual(pairs('cisco', 'disconnect:bounce'), ['subscriber:command=bounce-host-port']);
    assert.deepEqual(pairs('cisco', 'disconnect:shutdown'), ['subscriber:command=disable-host-port']);
    assert.equal(RECIPES.cisco!['disconnect:default']!.code, Code.DisconnectRequest);
    assert.equal(RECIPES.rfc5176!['reauth:default']!.code, Code.CoARequest);
    assert.equal(RECIPES.aruba!['disconnect:bounce']!.code, Code.DisconnectRequest);
  });

  test('every NAS family of the vendor table has one, and a port bounce goes out as that vendor documents it', () => {
    for (const family of ['cisco', 'cisco-wlc', 'aruba', 'aruba-switch', 'hpe', 'juniper', 'mist', 'meraki', 'fortinet', 'huawei', 'ruckus', 'extreme', 'ubiquiti', 'rfc5176']) {
      const table = RECIPES[family];
      assert.ok(table, family);
      assert.ok(table['reauth:default'] && table['disconnect:default'], `${family} reauthorizes and disconnects`);
    }
    // Encoded as the NAS will receive it, then read back.
    const bounce = (family: string) => {
      const recipe = RECIPES[family]!['disconnect:bounce']!;
      const wire = encodePacket({ code: recipe.code, identifier: 1, attributes: [...recipe.attributes] }, { secret: 'x' });
      return decodePacket(wire).attributes.find((a) => a.type === 26)!;
    };
    const hp = bounce('hpe');
    assert.deepEqual([hp.vendorId, hp.vendorType, (hp.value as Buffer).readUInt32BE(0)], [11, 23, 12]);
    const juniper = bounce('juniper');
    assert.deepEqual([juniper.vendorId, juniper.vendorType, (juniper.value as Buffer).toString()], [2636, 52, 'Port-Bounce']);
    const aruba = bounce('aruba-switch');
    assert.deepEqual([aruba.name, aruba.value], ['Aruba-Port-Bounce-Host', 12]);
    // Where no attribute is documented, the action is refused with what the NAS supports.
    assert.equal(RECIPES.meraki!['disconnect:bounce'], undefined);
  });
});

const skip = needTool('radclient', 'freeradius-utils');

describe('MnT CoA calls end to end', { skip }, () => {
  let server: TestServer;
  let cisco: NasSimulator;
  let generic: NasSimulator;
  const receiver = new WebhookReceiver(WEBHOOK_SECRET);

  before(async () => {
    await receiver.start();
    cisco = await new NasSimulator(SECRET).start(0, '127.0.0.10');
    generic = await new NasSimulator('generic-secret').start(0, '127.0.0.20');
    server = await startTestServer((c) => {
      c.auth.unknownEndpoint = 'PermitAccess';
      c.coa = { ...c.coa, ...FAST, webhooks: [{ url: receiver.url, secret: WEBHOOK_SECRET }] };
      c.radius.clients = [
        // radclient sends from 127.0.0.1; the sessions name their NAS with NAS-IP-Address.
        { name: 'radclient', address: '127.0.0.1', secret: 'testing123', vendor: 'cisco', coaPort: 3799, requireMessageAuthenticator: false, deviceGroups: [] },
        { name: 'access-switch', address: '127.0.0.10', secret: SECRET, vendor: 'cisco', coaPort: cisco.port, requireMessageAuthenticator: false, deviceGroups: [] },
        { name: 'other-nas', address: '127.0.0.20', secret: 'generic-secret', vendor: 'rfc5176', coaPort: generic.port, requireMessageAuthenticator: false, deviceGroups: [] },
      ];
    });
    await addAdmins(server);
    // The sessions come from radclient (source 127.0.0.1), claiming the NAS addresses above; the
    // simulators then stand in for those NAS on their CoA ports.
    const nasSecret = server.config.radius.clients[0]!.secret;
    assert.equal(nasSecret, 'testing123');
    await fill(server, [
      { mac: '00:11:22:33:44:01', user: 'jsmith', nas: '127.0.0.10', ip: '10.20.0.1', sid: '00000001', audit: '0A000A0A0000000100000001' },
      { mac: '00:11:22:33:44:02', user: 'alice', nas: '127.0.0.20', ip: '10.20.0.2', sid: '00000002', audit: '0A000A140000000200000002' },
    ]);
  });
  after(async () => {
    await server.stop();
    await cisco.close();
    await generic.close();
    await receiver.close();
  });

  const last = (nas: NasSimulator): RadiusPacket => nas.received.at(-1)!.packet;

  test('CoA/Reauth by MAC: the Cisco recipe with the session identification, results true on ACK', async () => {
    cisco.behaviour = { kind: 'ack' };
    const answer = await get(server, '/admin/API/mnt/CoA/Reauth/ise-01/00:11:22:33:44:01/1', { as: 'mnt-admin' });
    assert.equal(answer.status, 200, answer.body);
    const root = parseXml(answer.body);
    assert.equal(root.name, 'remoteCoA');
    assert.equal(root.attributes.requestType, 'reauth');
    assert.equal(child(root, 'results')!.text, 'true');
    const packet = last(cisco);
    assert.equal(packet.code, Code.CoARequest);
    assert.equal(cisco.received.at(-1)!.authentic, true);
    assert.equal(getString(packet, 'Calling-Station-Id'), '00-11-22-33-44-01');
    assert.equal(getString(packet, 'NAS-IP-Address'), '127.0.0.10');
    assert.equal(getString(packet, 'Acct-Session-Id'), '00000001');
    assert.ok(Math.abs(getNumber(packet, 'Event-Timestamp')! - Date.now() / 1000) < 5);
    assert.deepEqual(ciscoAvPairs(packet), ['audit-session-id=0A000A0A0000000100000001', 'subscriber:command=reauthenticate', 'subscriber:reauthenticate-type=last']);
  });

  test('the cookbook\'s swapped shapes reach the same NAS: {nasIp}/{mac}/1 and {mac}/{nasIp}/1', async () => {
    for (const path of ['CoA/Reauth/127.0.0.10/00:11:22:33:44:01/1', 'CoA/Reauth/00:11:22:33:44:01/127.0.0.10/1', 'CoA/Disconnect>/ise-01/00:11:22:33:44:01/1']) {
      const before = cisco.received.length;
      const answer = await get(server, `/admin/API/mnt/${path}`, { method: 'PUT' });
      assert.equal(child(parseXml(answer.body), 'results')!.text, 'true', path);
      // One request reached the NAS; on a busy machine it may have come twice, as a retransmission
      // (the same Identifier and Request Authenticator), which is not a second request.
      const requests = new Set(cisco.received.slice(before).map((r) => r.raw.subarray(0, 2).toString('hex') + r.raw.subarray(4, 20).toString('hex')));
      assert.equal(requests.size, 1, path);
    }
    assert.deepEqual(ciscoAvPairs(last(cisco)).slice(1), ['subscriber:command=bounce-host-port']);
  });

  test('Reauth types on the wire: default and rerun', async () => {
    await get(server, '/admin/API/mnt/CoA/Reauth/ise-01/00:11:22:33:44:01/0');
    assert.deepEqual(ciscoAvPairs(last(cisco)).slice(1), ['subscriber:command=reauthenticate']);
    await get(server, '/admin/API/mnt/CoA/Reauth/ise-01/00:11:22:33:44:01/2/null/null');
    assert.deepEqual(ciscoAvPairs(last(cisco)).slice(1), ['subscriber:command=reauthenticate', 'subscriber:reauthenticate-type=rerun']);
  });

  test('Disconnect by port option: plain Disconnect-Request and port shutdown', async () => {
    await get(server, '/admin/API/mnt/CoA/Disconnect/ise-01/00:11:22:33:44:01/0');
    assert.equal(last(cisco).code, Code.DisconnectRequest);
    assert.deepEqual(ciscoAvPairs(last(cisco)), ['audit-session-id=0A000A0A0000000100000001']);
    await get(server, '/admin/API/mnt/CoA/Disconnect/ise-01/00:11:22:33:44:01/2/127.0.0.10/10.20.0.1');
    assert.deepEqual(ciscoAvPairs(last(cisco)).slice(1), ['subscriber:command=disable-host-port']);
  });

  test('a NAK answers false; JSON tells the outcome, Error-Cause, attempts and round trip', async () => {
    cisco.behaviour = { kind: 'nak', errorCause: 503 };
    const xml = await get(server, '/admin/API/mnt/CoA/Reauth/ise-01/00:11:22:33:44:01/0');
    assert.equal(child(parseXml(xml.body), 'results')!.text, 'false');
    const json = JSON.parse((await get(server, '/admin/API/mnt/CoA/Reauth/ise-01/00:11:22:33:44:01/0', { accept: 'application/json' })).body) as Record<string, unknown>;
    assert.equal(json.results, false);
    assert.equal(json.outcome, 'nak');
    assert.equal(json.errorCause, 503);
    // One attempt on a quiet machine; the node's short test timeouts may resend once on a busy one.
    assert.ok(typeof json.attempts === 'number' && json.attempts >= 1 && json.attempts <= FAST.maxAttempts);
    assert.equal(typeof json.rttMs, 'number');
    cisco.behaviour = { kind: 'ack' };
    await server.coa.webhooks.drain();
    const hook = receiver.received.map((r) => ({ ...r, event: JSON.parse(r.body) as { type: string; data: Record<string, unknown> } })).filter((r) => r.event.data.outcome === 'nak');
    assert.ok(hook.length >= 2, 'each NAK reached the webhook');
    assert.ok(hook.every((r) => r.signatureValid));
    assert.equal(hook[0]!.event.type, 'coa.audit');
    assert.equal(hook[0]!.event.data.errorCause, 503);
    assert.equal(hook[0]!.event.data.mac, '00:11:22:33:44:01');
  });

  test('a NAS that never answers: false after the retransmit budget, attempts counted', async () => {
    cisco.behaviour = { kind: 'silent' };
    const json = JSON.parse((await get(server, '/admin/API/mnt/CoA/Reauth/ise-01/00:11:22:33:44:01/0', { accept: 'application/json' })).body) as Record<string, unknown>;
    assert.equal(json.outcome, 'timeout');
    assert.equal(json.attempts, FAST.maxAttempts);
    cisco.behaviour = { kind: 'ack' };
  });

  test('a generic RFC 5176 NAS gets Service-Type Authorize-Only, no Cisco pairs', async () => {
    const answer = await get(server, '/admin/API/mnt/CoA/Reauth/ise-01/00:11:22:33:44:02/0');
    assert.equal(child(parseXml(answer.body), 'results')!.text, 'true');
    const packet = last(generic);
    assert.equal(getNumber(packet, 'Service-Type'), 17);
    assert.deepEqual(ciscoAvPairs(packet), []);
  });

  test('offline endpoint: ISE\'s no-session 500; unsupported action on a generic NAS: 400', async () => {
    const offline = await get(server, '/admin/API/mnt/CoA/Reauth/ise-01/00:11:22:33:44:99/0');
    assert.equal(offline.status, 500);
    assert.match(offline.body, /Session data is not available for 00:11:22:33:44:99\./);
    const bounce = await get(server, '/admin/API/mnt/CoA/Disconnect/ise-01/00:11:22:33:44:02/1');
    assert.equal(bounce.status, 400);
    assert.match(bounce.body, /has no disconnect of type bounce/);
  });

  test('the audit log keeps every CoA with who, what and what the NAS answered; queryable with filters', async () => {
    const audit = async (query: string) => {
      const answer = await get(server, `/api/v1/coa/audit${query}`, { as: 'helpdesk-admin' });
      assert.equal(answer.status, 200, answer.body);
      return JSON.parse(answer.body) as { records: Record<string, unknown>[]; next: number | null };
    };
    const naks = await audit('?mac=00-11-22-33-44-01&outcome=nak');
    assert.ok(naks.records.length >= 2);
    const nak = naks.records[0]!;
    assert.equal(nak.errorCause, 503);
    assert.match(String(nak.errorCauseText), /session/i);
    assert.equal(nak.admin, 'root-admin');
    assert.equal(nak.nasIp, '127.0.0.10');
    assert.equal(nak.auditSessionId, '0A000A0A0000000100000001');
    assert.equal(nak.origin, 'mnt-api');
    const first = (await audit('?mac=00:11:22:33:44:01&action=reauth&limit=100')).records.at(-1)!;
    assert.equal(first.admin, 'mnt-admin');
    assert.equal(first.outcome, 'ack');
    assert.equal(first.actionType, 'last');
    assert.equal(typeof first.rttMs, 'number');
    const refused = (await audit('?outcome=refused')).records;
    assert.ok(refused.some((r) => r.mac === '00:11:22:33:44:99' && /SESSION_NOT_FOUND/.test(String(r.detail))));
    const page = await audit('?limit=2');
    assert.equal(page.records.length, 2);
    const next = await audit(`?limit=2&before=${page.next}`);
    assert.ok((next.records[0]!.id as number) < (page.records[1]!.id as number));
    for (const bad of ['?mac=zz', '?outcome=maybe', '?limit=0', '?since=yesterday', '?nas=1.2.3']) {
      assert.equal((await get(server, `/api/v1/coa/audit${bad}`)).status, 400, bad);
    }
    assert.equal((await get(server, '/api/v1/coa/audit', { as: null })).status, 401);
  });

  test('a session with no NAS on record: ISE\'s 400 with its words', async () => {
    const at = Date.now();
    await server.store.write({
      accounting: [
        {
          record: {
            receivedAt: at, nasIp: '', nasName: null, statusType: 'Start', acctSessionId: 'nonas', callingStationId: '00:11:22:33:44:77',
            userName: null, auditSessionId: null, framedIp: null, sessionTime: null, inputOctets: null, outputOctets: null,
            inputPackets: null, outputPackets: null, delayTime: null, eventTimestamp: null, terminateCause: null, server: 'openmnt-test', attributes: '',
          },
          change: { kind: 'start', identity: { nasIp: '', acctSessionId: 'nonas', callingStationId: '00:11:22:33:44:77' }, at, startedAt: at, fields: {} },
        },
      ],
    });
    const answer = await get(server, '/admin/API/mnt/CoA/Reauth/ise-01/00:11:22:33:44:77/0');
    assert.equal(answer.status, 400);
    const root = parseXml(answer.body);
    assert.equal(child(root, 'internal-error-info')!.text, 'No NAS_IP_ADDRESS associated with the calling station id 00:11:22:33:44:77. This CoA request can not be delivered.');
    assert.equal(child(root, 'resource-type')!.text, 'CoAResult');
    assert.equal(child(root, 'status')!.text, 'CLIENT_ERROR');
  });

  test('/metrics counts CoA outcomes by action, as the audit log has them', async () => {
    const metrics = await (await fetch(`http://127.0.0.1:${server.api.port}/metrics`)).text();
    const audit = JSON.parse((await get(server, '/api/v1/coa/audit?limit=10000')).body) as { records: { action: string; outcome: string }[] };
    const expected = new Map<string, number>();
    for (const r of audit.records) expected.set(`${r.action}|${r.outcome}`, (expected.get(`${r.action}|${r.outcome}`) ?? 0) + 1);
    assert.ok(expected.has('reauth|ack') && expected.has('reauth|nak'), 'the suite sent both');
    for (const [key, n] of expected) {
      const [action, outcome] = key.split('|');
      assert.match(metrics, new RegExp(`^openmnt_coa_total\\{action="${action}",outcome="${outcome}"\\} ${n}$`, 'm'));
    }
  });
});

describe('a NAS on Cisco\'s legacy CoA port 1700', () => {
  test('the CoA goes to the configured port', async () => {
    const legacy = new NasSimulator(SECRET);
    await legacy.start(1700, '127.0.0.40');
    try {
      const s = sender(2, PATIENT);
      const reply = await s.send({ code: Code.CoARequest, attributes: [{ name: 'Calling-Station-Id', value: 'legacy' }], nas: { address: '127.0.0.40', port: 1700, secret: Buffer.from(SECRET) } });
      await s.close();
      assert.equal(reply.outcome, 'ack');
      assert.equal(legacy.port, 1700);
      assert.equal(legacy.received.length, 1);
    } finally {
      await legacy.close();
    }
  });
});
