/**
 * pxGrid 2.0: a consumer does the control handshake (AccountCreate, AccountActivate while PENDING,
 * an admin's approval, ServiceLookup, AccessSecret), queries sessions radclient opened and closed,
 * and gets live session messages over STOMP on the WebSocket, whether it subscribes as Cisco's Go
 * sample does (binary SUBSCRIBE, no CONNECT) or as a STOMP 1.2 library does (CONNECT first).
 * Bad credentials, bad frames and unknown topics get 401/403 or an ERROR frame, never a crash.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client, type IMessage } from '@stomp/stompjs';
import WebSocket from 'ws';
import { ADMINS, addAdmins, basic } from '../helpers/mnt.js';
import { handshake, pxBasic, pxPost, RawStompClient, sessionQuery, type Consumer } from '../helpers/pxgrid-client.js';
import { radclient } from '../helpers/radclient.js';
import { SECRET, startTestServer, type TestServer } from '../helpers/server.js';
import { accountingStart } from '../helpers/session-writes.js';

const SAFETY = { timeout: 120_000 };
const TOPIC = '/topic/com.cisco.ise.session';

async function accounting(server: TestServer, packets: string[]): Promise<void> {
  const r = await radclient({ port: server.ports.accounting, secret: SECRET, kind: 'acct', packets });
  assert.equal(r.status, 0, r.stderr + r.stdout);
}
const start = (sid: string, mac: string, ip: string) =>
  `Acct-Status-Type = Start, Acct-Session-Id = "${sid}", User-Name = "user-${sid}", Calling-Station-Id = "${mac}", NAS-IP-Address = 10.2.2.2, NAS-Port-Id = "Gi1/0/7", Framed-IP-Address = ${ip}, Cisco-AVPair = "audit-session-id=AUD${sid}"`;
const stop = (sid: string, mac: string) => `Acct-Status-Type = Stop, Acct-Session-Id = "${sid}", Calling-Station-Id = "${mac}", NAS-IP-Address = 10.2.2.2, Acct-Terminate-Cause = User-Request`;

describe('pxGrid control and session services', SAFETY, () => {
  let server: TestServer;
  let port: number;
  before(async () => {
    server = await startTestServer();
    await addAdmins(server);
    port = server.api.port;
  });
  after(() => server.stop());

  test('the handshake: created PENDING, refused until an admin approves, then services and an access secret', async () => {
    const created = await pxPost(port, '/pxgrid/control/AccountCreate', { nodeName: 'fmc-1' });
    assert.equal(created.status, 200);
    assert.equal(created.json!.nodeName, 'fmc-1');
    const auth = pxBasic('fmc-1', created.json!.password as string);
    const activate = await pxPost(port, '/pxgrid/control/AccountActivate', { description: 'Firewall 7.4' }, auth);
    assert.deepEqual(activate.json, { accountState: 'PENDING', version: '2.0.0.2' });
    assert.equal((await pxPost(port, '/pxgrid/control/ServiceLookup', { name: 'com.cisco.ise.session' }, auth)).status, 403);
    assert.equal((await pxPost(port, '/pxgrid/control/AccessSecret', { peerNodeName: 'openmnt-test' }, auth)).status, 403);

    const listed = await fetch(`http://127.0.0.1:${port}/api/v1/pxgrid/accounts`, { headers: { authorization: basic(ADMINS['helpdesk-admin']) } });
    const accounts = ((await listed.json()) as { accounts: { nodeName: string; state: string; description: string }[] }).accounts;
    assert.deepEqual(accounts.map((a) => [a.nodeName, a.state, a.description]), [['fmc-1', 'PENDING', 'Firewall 7.4']]);
    const byHelpdesk = await fetch(`http://127.0.0.1:${port}/api/v1/pxgrid/accounts/fmc-1/approve`, { method: 'POST', headers: { authorization: basic(ADMINS['helpdesk-admin']) } });
    assert.equal(byHelpdesk.status, 403);
    const approved = await fetch(`http://127.0.0.1:${port}/api/v1/pxgrid/accounts/fmc-1/approve`, { method: 'POST', headers: { authorization: basic(ADMINS['super-admin']) } });
    assert.equal(approved.status, 200);

    assert.equal((await pxPost(port, '/pxgrid/control/AccountActivate', {}, auth)).json!.accountState, 'ENABLED');
    const session = await pxPost(port, '/pxgrid/control/ServiceLookup', { name: 'com.cisco.ise.session' }, auth);
    assert.deepEqual(session.json, {
      services: [
        {
          name: 'com.cisco.ise.session',
          nodeName: 'openmnt-test',
          properties: { restBaseUrl: `http://127.0.0.1:${port}/pxgrid/ise/session`, wsPubsubService: 'com.cisco.ise.pubsub', sessionTopic: TOPIC },
        },
      ],
    });
    const pubsub = await pxPost(port, '/pxgrid/control/ServiceLookup', { name: 'com.cisco.ise.pubsub' }, auth);
    assert.deepEqual(pubsub.json, { services: [{ name: 'com.cisco.ise.pubsub', nodeName: 'openmnt-test', properties: { wsUrl: `ws://127.0.0.1:${port}/pxgrid/ise/pubsub` } }] });
    assert.deepEqual((await pxPost(port, '/pxgrid/control/ServiceLookup', { name: 'com.cisco.ise.radius' }, auth)).json, { services: [] });
    const secret = await pxPost(port, '/pxgrid/control/AccessSecret', { peerNodeName: 'openmnt-test' }, auth);
    assert.equal(secret.status, 200);
    assert.match(secret.json!.secret as string, /^[A-Za-z0-9_-]{16,}$/);
    assert.equal((await pxPost(port, '/pxgrid/control/AccessSecret', { peerNodeName: 'ise-psn-9' }, auth)).status, 404);
  });

  test('bad requests: wrong or missing credentials 401, a taken name 409, bad JSON 400, GET 405, unknown call 404', async () => {
    const created = await pxPost(port, '/pxgrid/control/AccountCreate', { nodeName: 'siem-1' });
    assert.equal((await pxPost(port, '/pxgrid/control/AccountCreate', { nodeName: 'siem-1' })).status, 409);
    assert.equal((await pxPost(port, '/pxgrid/control/AccountCreate', { nodeName: 'bad name!' })).status, 400);
    assert.equal((await pxPost(port, '/pxgrid/control/AccountActivate', {}, pxBasic('siem-1', 'not-the-password'))).status, 401);
    assert.equal((await pxPost(port, '/pxgrid/control/AccountActivate', {}, pxBasic('nobody', 'x'))).status, 401);
    const none = await pxPost(port, '/pxgrid/control/AccountActivate', {});
    assert.equal(none.status, 401);
    const auth = pxBasic('siem-1', created.json!.password as string);
    assert.equal((await pxPost(port, '/pxgrid/control/AccountActivate', null, auth, '{"description": ')).status, 400);
    assert.equal((await pxPost(port, '/pxgrid/control/AccountActivate', null, auth, '[1,2]')).status, 400);
    assert.equal((await pxPost(port, '/pxgrid/control/Explode', {}, auth)).status, 404);
    const get = await fetch(`http://127.0.0.1:${port}/pxgrid/control/AccountActivate`, { headers: { authorization: auth } });
    assert.equal(get.status, 405);
    assert.equal(get.headers.get('allow'), 'POST');
    // A pending account's access secret is refused too: the session service needs ENABLED.
    assert.equal((await pxPost(port, '/pxgrid/ise/session/getSessions', {}, auth)).status, 403);
  });

  test('session queries: getSessions (all, and since a time with the closed ones), by MAC, by IP, with pxGrid names', async () => {
    const consumer = await handshake(port, 'query-1');
    await accounting(server, [start('q1', '00-AA-BB-CC-00-01', '10.50.0.1'), start('q2', '00-AA-BB-CC-00-02', '10.50.0.2')]);
    const all = await sessionQuery(consumer, 'getSessions', {});
    assert.equal(all.status, 200);
    const sessions = all.json!.sessions as Record<string, unknown>[];
    const q1 = sessions.find((s) => s.macAddress === '00:AA:BB:CC:00:01');
    assert.ok(q1, JSON.stringify(sessions));
    assert.equal(q1.state, 'STARTED');
    assert.equal(q1.userName, 'user-q1');
    assert.equal(q1.callingStationId, '00:AA:BB:CC:00:01');
    assert.deepEqual(q1.ipAddresses, ['10.50.0.1']);
    assert.equal(q1.nasIpAddress, '10.2.2.2');
    assert.equal(q1.nasPortId, 'Gi1/0/7');
    assert.equal(q1.auditSessionId, 'AUDq1');
    assert.match(q1.timestamp as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

    const byMac = await sessionQuery(consumer, 'getSessionByMacAddress', { macAddress: '00:aa:bb:cc:00:02' });
    assert.equal(byMac.json!.userName, 'user-q2');
    const byIp = await sessionQuery(consumer, 'getSessionByIpAddress', { ipAddress: '10.50.0.1' });
    assert.equal(byIp.json!.auditSessionId, 'AUDq1');
    assert.equal((await sessionQuery(consumer, 'getSessionByMacAddress', { macAddress: '00:AA:BB:CC:00:99' })).status, 204);
    assert.equal((await sessionQuery(consumer, 'getSessionByMacAddress', { macAddress: 'not-a-mac' })).status, 400);
    assert.equal((await sessionQuery(consumer, 'getSessions', { startTimestamp: 'yesterday' })).status, 400);

    const newest = sessions.map((s) => s.timestamp as string).sort().pop()!;
    await accounting(server, [stop('q2', '00-AA-BB-CC-00-02')]);
    const since = await sessionQuery(consumer, 'getSessions', { startTimestamp: newest });
    const changed = since.json!.sessions as Record<string, unknown>[];
    assert.deepEqual(
      changed.filter((s) => s.macAddress === '00:AA:BB:CC:00:02').map((s) => s.state),
      ['DISCONNECTED'],
    );
    // The consumer's own password works for queries too; someone else's secret does not.
    assert.equal((await pxPost(port, '/pxgrid/ise/session/getSessions', {}, pxBasic(consumer.nodeName, consumer.password))).status, 200);
    assert.equal((await pxPost(port, '/pxgrid/ise/session/getSessions', {}, pxBasic('siem-1', consumer.secret))).status, 401);
  });
});

describe('pxGrid with auto-approval', SAFETY, () => {
  test('pxgrid.autoApprove enables a new account at its first AccountActivate', async () => {
    const server = await startTestServer((c) => {
      c.pxgrid.autoApprove = true;
    });
    try {
      const created = await pxPost(server.api.port, '/pxgrid/control/AccountCreate', { nodeName: 'auto-1' });
      const activated = await pxPost(server.api.port, '/pxgrid/control/AccountActivate', {}, pxBasic('auto-1', created.json!.password as string));
      assert.equal(activated.json!.accountState, 'ENABLED');
    } finally {
      await server.stop();
    }
  });
});

describe('pxGrid pubsub over WebSocket and STOMP', SAFETY, () => {
  let server: TestServer;
  let consumer: Consumer;
  before(async () => {
    server = await startTestServer((c) => {
      c.pxgrid.heartBeatMs = 200;
    });
    await addAdmins(server);
    consumer = await handshake(server.api.port, 'go-sample');
  });
  after(() => server.stop());

  test('the node listens to session events only while a consumer is subscribed to the topic', async () => {
    // With nobody listening the store's writing thread does not hand committed events over at all.
    assert.equal(server.events.subscribers, 0, 'pxGrid on, no consumer: nothing listens to the bus');
    const client = await RawStompClient.connect(consumer.wsUrl, pxBasic(consumer.nodeName, consumer.secret));
    assert.equal(server.events.subscribers, 0, 'connected, not yet subscribed');
    client.subscribeLikeGoSample(consumer.sessionTopic);
    while (server.pxgrid!.pubsub.subscribers < 1) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(server.events.subscribers, 1);
    client.close();
    while (server.pxgrid!.pubsub.subscribers > 0) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(server.events.subscribers, 0, 'the last consumer left');
  });

  test('as the Go sample: binary SUBSCRIBE without CONNECT; live messages from sequence 0 for sessions radclient opens and closes', async () => {
    const client = await RawStompClient.connect(consumer.wsUrl, pxBasic(consumer.nodeName, consumer.secret));
    client.subscribeLikeGoSample(consumer.sessionTopic);
    // The Go sample asks for no receipt: the node's subscriber count tells when its SUBSCRIBE was taken.
    while (server.pxgrid!.pubsub.subscribers < 1) await new Promise((resolve) => setImmediate(resolve));
    // A second consumer that asks for a RECEIPT gets one.
    const probe = await RawStompClient.connect(consumer.wsUrl, pxBasic(consumer.nodeName, consumer.secret));
    probe.send(`SUBSCRIBE\ndestination:${TOPIC}\nid:7\nreceipt:r1\n\n\0`);
    await probe.until(() => probe.frames.some((f) => f.command === 'RECEIPT'), 'the RECEIPT');
    assert.equal(probe.frames[0]!.headers['receipt-id'], 'r1');
    assert.equal(probe.frames[0]!.binary, false, 'a client that writes text frames is answered in text');
    await accounting(server, [start('g1', '00-AA-BB-CC-10-01', '10.60.0.1')]);
    await accounting(server, [stop('g1', '00-AA-BB-CC-10-01')]);
    await client.until(() => client.messages().length >= 2, 'two session messages');
    const messages = client.messages();
    assert.equal(messages[0]!.sequence, 0, 'the first message after a start has sequence 0');
    assert.equal(messages[1]!.sequence, 1);
    assert.deepEqual(messages.map((m) => m.sessions.map((s) => [s.macAddress, s.state])), [[['00:AA:BB:CC:10:01', 'STARTED']], [['00:AA:BB:CC:10:01', 'DISCONNECTED']]]);
    const frame = client.frames.find((f) => f.command === 'MESSAGE')!;
    assert.equal(frame.binary, true, 'a client that writes binary frames is answered in binary');
    assert.equal(frame.headers.destination, TOPIC.replace(/:/g, '\\c'));
    assert.equal(frame.headers.subscription, '0');
    assert.equal(probe.messages().length >= 1, true);
    client.close();
    probe.close();
  });

  test('as a STOMP 1.2 library (@stomp/stompjs over ws): CONNECT, CONNECTED 1.2, SUBSCRIBE, messages', async () => {
    const received: IMessage[] = [];
    let wake: () => void = () => undefined;
    const stomp = new Client({
      webSocketFactory: () => new WebSocket(consumer.wsUrl, ['v12.stomp', 'v11.stomp', 'v10.stomp'], { headers: { authorization: pxBasic(consumer.nodeName, consumer.secret) } }),
      connectHeaders: { host: 'openmnt-test' },
      heartbeatIncoming: 1000,
      heartbeatOutgoing: 1000,
      reconnectDelay: 0,
    });
    const connected = new Promise<string | undefined>((resolve, reject) => {
      stomp.onConnect = (frame) => resolve(frame.headers.version);
      stomp.onStompError = (frame) => reject(new Error(frame.headers.message));
      stomp.onWebSocketError = () => reject(new Error('WebSocket error'));
    });
    stomp.activate();
    assert.equal(await connected, '1.2');
    const subscribed = new Promise<void>((resolve) => stomp.watchForReceipt('sub-1', () => resolve()));
    stomp.subscribe(TOPIC, (m) => {
      received.push(m);
      wake();
    }, { receipt: 'sub-1' });
    await subscribed;
    await accounting(server, [start('j1', '00-AA-BB-CC-20-01', '10.60.0.2')]);
    while (!received.some((m) => (JSON.parse(m.body) as { sessions: { macAddress: string }[] }).sessions.some((s) => s.macAddress === '00:AA:BB:CC:20:01'))) {
      await new Promise<void>((resolve) => (wake = resolve));
    }
    const message = JSON.parse(received[received.length - 1]!.body) as { sequence: number; sessions: { state: string; ipAddresses: string[] }[] };
    assert.equal(typeof message.sequence, 'number');
    assert.equal(message.sessions[0]!.state, 'STARTED');
    assert.deepEqual(message.sessions[0]!.ipAddresses, ['10.60.0.2']);
    await stomp.deactivate();
  });

  test('heart-beats: a client that asks for them gets EOLs between frames', async () => {
    const client = await RawStompClient.connect(consumer.wsUrl, pxBasic(consumer.nodeName, consumer.secret));
    client.send('CONNECT\naccept-version:1.2\nhost:x\nheart-beat:0,100\n\n\0');
    await client.until(() => client.frames.some((f) => f.command === 'CONNECTED'), 'CONNECTED');
    assert.equal(client.frames[0]!.headers['heart-beat'], '200,200');
    await client.until(() => client.heartBeats >= 2, 'two heart-beats');
    client.close();
  });

  test('bad frames, unknown topics and SEND get an ERROR frame and a closed connection; the node serves on', async () => {
    const cases: [string, RegExp][] = [
      [`SUBSCRIBE\ndestination:/topic/com.cisco.ise.radius.failure\nid:1\n\n\0`, /no topic/],
      ['HELLO\n\n\0', /unknown command/],
      ['SUBSCRIBE\ndestination:/topic/x\nid:1\n', /blank line/],
      [`SUBSCRIBE\ndestination:${TOPIC}\n\n\0`, /needs an id/],
      [`SEND\ndestination:${TOPIC}\n\nhello\0`, /not accepted/],
      ['CONNECT\naccept-version:1.0.9,2.0\n\n\0', /no common STOMP version/],
      [`SUBSCRIBE\ndestination:${TOPIC}\nid:1\ncontent-length:99\n\nabc\0`, /content-length/],
      ['\u0000\u0001\u0002garbage', /end of line/],
    ];
    for (const [frame, expected] of cases) {
      const client = await RawStompClient.connect(consumer.wsUrl, pxBasic(consumer.nodeName, consumer.secret));
      client.send(frame);
      await client.closedByServer();
      const error = client.frames.find((f) => f.command === 'ERROR');
      assert.ok(error, `an ERROR for ${JSON.stringify(frame)}`);
      assert.match(error.headers.message!, expected);
    }
    // A message past the size limit: the WebSocket is closed, nothing else happens.
    const big = await RawStompClient.connect(consumer.wsUrl, pxBasic(consumer.nodeName, consumer.secret));
    big.send(`SUBSCRIBE\ndestination:${TOPIC}\nid:1\n\n${'x'.repeat(200_000)}\0`);
    await big.closedByServer();
    assert.equal((await sessionQuery(consumer, 'getSessions', {})).status, 200, 'the node still answers');
  });

  test('the WebSocket refuses bad credentials (401), a pending account (403) and another path (404) before upgrading', async () => {
    const status = (url: string, auth?: string) => RawStompClient.connect(url, auth).then(
      (c) => {
        c.close();
        return 101;
      },
      (e: { status?: number }) => e.status,
    );
    assert.equal(await status(consumer.wsUrl), 401);
    assert.equal(await status(consumer.wsUrl, pxBasic(consumer.nodeName, 'wrong-secret')), 401);
    const created = await pxPost(server.api.port, '/pxgrid/control/AccountCreate', { nodeName: 'pending-1' });
    assert.equal(await status(consumer.wsUrl, pxBasic('pending-1', created.json!.password as string)), 403);
    assert.equal(await status(consumer.wsUrl.replace('/pubsub', '/other'), pxBasic(consumer.nodeName, consumer.secret)), 404);
  });
});

describe('pxGrid backpressure', SAFETY, () => {
  test('a consumer that stops reading skips messages instead of holding the node up; the sequence jump tells it, and radclient is answered meanwhile', async () => {
    const server = await startTestServer();
    try {
      await addAdmins(server);
      const consumer = await handshake(server.api.port, 'slow-1');
      const client = await RawStompClient.connect(consumer.wsUrl, pxBasic(consumer.nodeName, consumer.secret));
      client.subscribeLikeGoSample(consumer.sessionTopic);
      while (server.pxgrid!.pubsub.subscribers < 1) await new Promise((resolve) => setImmediate(resolve));
      // Stop reading: the node's socket buffer fills.
      (client.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
      const skipped = async () => Number(/openmnt_pxgrid_messages_skipped_total (\d+)/.exec(await (await fetch(`http://127.0.0.1:${server.api.port}/metrics`)).text())?.[1] ?? 0);
      let round = 0;
      while ((await skipped()) === 0) {
        assert.ok(round < 400, 'no message was ever skipped although the consumer read nothing');
        await server.store.write({ accounting: Array.from({ length: 500 }, (_, i) => accountingStart(`p${round}-${i}`, '00:11:22:33:99:01')) });
        // Handed to the pubsub now rather than at the bus's next fan-out (FAN_OUT_INTERVAL_MS).
        server.events.flush();
        round++;
      }
      // RADIUS is answered while the consumer is stuck.
      const r = await radclient({ port: server.ports.accounting, secret: SECRET, kind: 'acct', packets: [start('live', '00-AA-BB-CC-99-02', '10.70.0.1')] });
      assert.equal(r.status, 0);
      (client.ws as unknown as { _socket: { resume(): void } })._socket.resume();
      // Once the consumer drains, messages flow again. A write's events have reached the bus by the
      // time it resolves, and the flush hands them to the pubsub, so each marker is either counted
      // as skipped or on its way.
      for (let i = 0; ; i++) {
        const before = await skipped();
        const mac = `00:11:22:33:AA:${i.toString(16).padStart(2, '0').toUpperCase()}`;
        await server.store.write({ accounting: [accountingStart(`marker-${i}`, mac)] });
        server.events.flush();
        if ((await skipped()) > before) continue;
        await client.until(() => client.messages().some((m) => m.sessions.some((s) => s.macAddress === mac)), `marker ${mac}`);
        break;
      }
      const sequences = client.messages().map((m) => m.sequence);
      assert.ok(sequences.some((n, i) => i > 0 && n > sequences[i - 1]! + 1), `a jump in ${sequences.slice(0, 5).join(',')}…`);
      client.close();
    } finally {
      await server.stop();
    }
  });
});
