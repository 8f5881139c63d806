/**
 * GET /api/v1/events: radclient opens and closes sessions, the stream shows each change once, in
 * order; filters; roles and bad requests; resume with Last-Event-ID across a node restart; the gap
 * past the bounded log; a consumer that stops reading is cut from the live feed and catches up.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createLogger } from '../../src/logger.js';
import { startServer } from '../../src/server.js';
import { ADMINS, addAdmins, basic, get } from '../helpers/mnt.js';
import { radclient } from '../helpers/radclient.js';
import { SECRET, startTestServer, testConfig, type TestServer } from '../helpers/server.js';
import { starts } from '../helpers/session-writes.js';
import { SseClient, sessionEvents } from '../helpers/sse-client.js';

const auth = { authorization: basic(ADMINS['super-admin']) };

async function accounting(server: { ports: { accounting: number } }, packets: string[]): Promise<void> {
  const r = await radclient({ port: server.ports.accounting, secret: SECRET, kind: 'acct', packets });
  assert.equal(r.status, 0, r.stderr + r.stdout);
}

const start = (sid: string, mac: string, extra = '') =>
  `Acct-Status-Type = Start, Acct-Session-Id = "${sid}", User-Name = "u-${sid}", Calling-Station-Id = "${mac}", NAS-IP-Address = 10.1.1.1, Framed-IP-Address = 10.9.0.${sid.length}${extra}`;
const interim = (sid: string, mac: string) => `Acct-Status-Type = Interim-Update, Acct-Session-Id = "${sid}", Calling-Station-Id = "${mac}", NAS-IP-Address = 10.1.1.1, Acct-Input-Octets = 1000`;
const stop = (sid: string, mac: string) => `Acct-Status-Type = Stop, Acct-Session-Id = "${sid}", Calling-Station-Id = "${mac}", NAS-IP-Address = 10.1.1.1, Acct-Terminate-Cause = User-Request`;

// A safety net, not a timed assertion: a stream that never brings the awaited event fails instead of hanging.
const SAFETY = { timeout: 120_000 };

describe('the session event stream', SAFETY, () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer((c) => {
      c.events.maxQueuedEvents = 10;
    });
    await addAdmins(server);
  });
  after(() => server.stop());

  test('radclient Start, Interim-Update, Stop: started, updated, closed, in order, with increasing ids', async () => {
    const sse = await SseClient.open(server.api.port, '/api/v1/events?mac=00-11-22-33-44-01', auth);
    assert.equal(sse.status, 200);
    await accounting(server, [start('s1', '00-11-22-33-44-01')]);
    await accounting(server, [interim('s1', '00-11-22-33-44-01')]);
    await accounting(server, [stop('s1', '00-11-22-33-44-01')]);
    const events = sessionEvents(await sse.until((m) => sessionEvents(m).length >= 3));
    sse.close();
    assert.deepEqual(events.map((e) => e.type), ['started', 'updated', 'closed']);
    assert.ok(events[0]!.id < events[1]!.id && events[1]!.id < events[2]!.id);
    assert.equal(events[0]!.session.callingStationId, '00:11:22:33:44:01');
    assert.equal(events[0]!.session.framedIp, '10.9.0.2');
    assert.equal(events[1]!.session.inputOctets, 1000);
    assert.equal(events[2]!.session.closeReason, 'stop');
    const ids = sse.messages.filter((m) => m.event.startsWith('session.')).map((m) => Number(m.id));
    assert.deepEqual(ids, events.map((e) => e.id), 'the SSE id is the event id');
  });

  test('filters: type and MAC; an event of another MAC never shows', async () => {
    const sse = await SseClient.open(server.api.port, '/api/v1/events?type=closed&mac=00:11:22:33:44:03', auth);
    await accounting(server, [start('f2', '00-11-22-33-44-02'), start('f3', '00-11-22-33-44-03')]);
    await accounting(server, [stop('f2', '00-11-22-33-44-02')]);
    await accounting(server, [stop('f3', '00-11-22-33-44-03')]);
    const events = sessionEvents(await sse.until((m) => sessionEvents(m).length >= 1));
    sse.close();
    assert.deepEqual(events.map((e) => [e.type, e.session.callingStationId]), [['closed', '00:11:22:33:44:03']]);
  });

  test('an admin delete closes with reason admin on the stream', async () => {
    const sse = await SseClient.open(server.api.port, '/api/v1/events?mac=00-11-22-33-44-04&type=closed', auth);
    await accounting(server, [start('d4', '00-11-22-33-44-04')]);
    const deleted = await get(server, '/admin/API/mnt/Session/Delete/MACAddress/00:11:22:33:44:04', { method: 'DELETE' });
    assert.equal(deleted.status, 200, deleted.body);
    const [closed] = sessionEvents(await sse.until((m) => sessionEvents(m).length >= 1));
    sse.close();
    assert.equal(closed!.session.closeReason, 'admin');
  });

  test('every role reads the stream; no or wrong credentials get 401; bad parameters 400', async () => {
    const helpdesk = await SseClient.open(server.api.port, '/api/v1/events', { authorization: basic(ADMINS['helpdesk-admin']) });
    assert.equal(helpdesk.status, 200);
    helpdesk.close();
    for (const [path, headers, status] of [
      ['/api/v1/events', {}, 401],
      ['/api/v1/events', { authorization: basic(ADMINS['super-admin'], 'wrong-password') }, 401],
      ['/api/v1/events?type=exploded', auth, 400],
      ['/api/v1/events?mac=nonsense', auth, 400],
      ['/api/v1/events?nas=10.1.1', auth, 400],
      ['/api/v1/events?colour=red', auth, 400],
      ['/api/v1/events', { ...auth, 'last-event-id': 'abc' }, 400],
    ] as const) {
      const sse = await SseClient.open(server.api.port, path, headers);
      await sse.finished();
      assert.equal(sse.status, status, `${path} ${JSON.stringify(headers)}: ${sse.body}`);
      if (status === 400) assert.match(JSON.parse(sse.body).message as string, /not (valid|known)/);
    }
    const post = await get(server, '/api/v1/events', { method: 'POST' });
    assert.equal(post.status, 405);
  });

  test('a consumer that stops reading is cut from the live feed, then gets every event in order from the log', async () => {
    const sse = await SseClient.open(server.api.port, '/api/v1/events', auth);
    sse.pause();
    const cutCount = async () => Number(/openmnt_event_streams_cut_total\{kind="sse"\} (\d+)/.exec((await get(server, '/metrics')).body)?.[1] ?? 0);
    const cutBefore = await cutCount();
    // Fill the socket until the node stops queueing for it: each round commits 500 sessions.
    let round = 0;
    while ((await cutCount()) === cutBefore) {
      assert.ok(round < 400, 'the stream was never cut although its consumer read nothing');
      await server.store.write({ accounting: starts(`bp${round++}`, 500) });
    }
    const last = server.events.lastId;
    sse.resume();
    const events = sessionEvents(await sse.until((m) => sessionEvents(m).some((e) => e.id === last), `event ${last}`));
    sse.close();
    const ids = events.map((e) => e.id);
    for (let i = 1; i < ids.length; i++) assert.equal(ids[i], ids[i - 1]! + 1, `no event lost or repeated after ${ids[i - 1]}`);
  });
});

describe('resuming the stream', SAFETY, () => {
  test('across a restart of the node: Last-Event-ID gives what was missed, in order, then live events', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'openmnt-resume-'));
    const config = testConfig(dir);
    const logger = createLogger('silent');
    let node = await startServer(config, logger);
    try {
      await node.admins.add(ADMINS['super-admin'], 'Test-Pass-1234', 'super-admin');
      const first = await SseClient.open(node.api.port, '/api/v1/events', auth);
      await accounting(node, [start('r1', '00-11-22-33-55-01')]);
      const [seen] = sessionEvents(await first.until((m) => sessionEvents(m).length >= 1));
      first.close();
      // Missed while away: one before the restart, one after it.
      await accounting(node, [stop('r1', '00-11-22-33-55-01')]);
      await node.close();
      node = await startServer(config, logger);
      await accounting(node, [start('r2', '00-11-22-33-55-02')]);
      const again = await SseClient.open(node.api.port, '/api/v1/events', { ...auth, 'last-event-id': String(seen!.id) });
      await accounting(node, [start('r3', '00-11-22-33-55-03')]);
      const events = sessionEvents(await again.until((m) => sessionEvents(m).length >= 3));
      again.close();
      assert.deepEqual(
        events.map((e) => [e.type, e.session.callingStationId]),
        [
          ['closed', '00:11:22:33:55:01'],
          ['started', '00:11:22:33:55:02'],
          ['started', '00:11:22:33:55:03'],
        ],
      );
      assert.deepEqual(events.map((e) => e.id), [seen!.id + 1, seen!.id + 2, seen!.id + 3]);
    } finally {
      await node.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a cursor older than the bounded log is told of the gap, then continues from the oldest event kept', async () => {
    const server = await startTestServer((c) => {
      c.store.eventLogSize = 100;
    });
    try {
      await addAdmins(server);
      for (let i = 0; i < 3; i++) await server.store.write({ accounting: starts(`g${i}`, 500) });
      const bounds = await server.store.eventBounds();
      assert.ok(bounds.first > 1, 'the log was pruned');
      const sse = await SseClient.open(server.api.port, '/api/v1/events?lastEventId=0', auth);
      const messages = await sse.until((m) => sessionEvents(m).some((e) => e.id === bounds.last));
      sse.close();
      assert.equal(messages[0]!.event, 'gap');
      assert.deepEqual(JSON.parse(messages[0]!.data), { from: 1, to: bounds.first - 1, resumeAt: bounds.first });
      assert.equal(sessionEvents(messages)[0]!.id, bounds.first);
    } finally {
      await server.stop();
    }
  });
});
