/**
 * 10,000 endpoints moved in one call: one change, answered with a CoA job for the online ones
 * (paced per NAS by the job runner), every outcome reported by the job. And configuration audit
 * events reach the webhook receivers as `configuration.audit`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { NasSimulator } from '../helpers/nas-simulator.js';
import { needTool } from '../helpers/tools.js';
import { radclient } from '../helpers/radclient.js';
import { SECRET, startTestServer, type TestServer } from '../helpers/server.js';
import { addAdmins } from '../helpers/mnt.js';
import { api } from '../helpers/policy-api.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';

const skip = needTool('radclient', 'freeradius-utils');
const COUNT = 10_000;
const ONLINE = 200;
const mac = (i: number) => `02:00:00:${((i >> 16) & 0xff).toString(16).padStart(2, '0')}:${((i >> 8) & 0xff).toString(16).padStart(2, '0')}:${(i & 0xff).toString(16).padStart(2, '0')}`.toUpperCase();
const WEBHOOK_SECRET = `whsec_${Buffer.from('webhook-key-for-the-policy-tests').toString('base64')}`;

describe('10,000 endpoints moved in one call', { skip }, () => {
  let server: TestServer;
  let nas: NasSimulator;

  before(async () => {
    nas = await new NasSimulator(SECRET).start();
    server = await startTestServer((c) => {
      c.radius.clients[0]!.coaPort = nas.port;
      c.auth.profiles['VlanA'] = { vlan: '10' };
      c.auth.profiles['VlanB'] = { vlan: '20' };
      c.auth.groups = [{ name: 'A', profile: 'VlanA' }, { name: 'B', profile: 'VlanB' }];
      c.auth.endpoints = Array.from({ length: COUNT }, (_, i) => ({ mac: mac(i), group: 'A' }));
    });
    await addAdmins(server);
    const online = await radclient({
      port: server.ports.auth,
      secret: SECRET,
      kind: 'auth',
      packets: Array.from({ length: ONLINE }, (_, i) => {
        const m = mac(i * 50);
        return `User-Name = "${m}", User-Password = "${m}", Calling-Station-Id = "${m}", Service-Type = Call-Check, NAS-IP-Address = 127.0.0.1`;
      }),
    });
    assert.equal(online.status, 0, online.stderr);
  });
  after(async () => {
    await server.stop();
    await nas.close();
  });

  test('one bulk call: the change whole, a job for the online endpoints, every outcome reported', async () => {
    const moved = await api(server, 'POST', '/endpoints/bulk', { macs: Array.from({ length: COUNT }, (_, i) => mac(i)), set: { group: 'B' } });
    assert.equal(moved.status, 200, JSON.stringify(moved.json).slice(0, 500));
    assert.equal(moved.json.changed, COUNT);
    assert.equal(moved.json.enforcement.evaluated, ONLINE);
    assert.equal(moved.json.enforcement.changed, ONLINE);
    const [job] = moved.json.enforcement.jobs as { action: string; id: string; total: number }[];
    assert.equal(job!.action, 'reauth');
    assert.equal(job!.total, ONLINE);
    // Wait for the job to end (its state is the event), then read every outcome.
    let state = 'running';
    let summary: Record<string, any> = {};
    while (state === 'running') {
      summary = (await api(server, 'GET', `/coa/jobs/${job!.id}`)).json;
      state = summary.state as string;
      if (state === 'running') await nas.waitForRequests(Math.min(ONLINE, nas.received.length + 1));
    }
    assert.equal(state, 'done');
    assert.equal(summary.counts.ack, ONLINE);
    const results = await api(server, 'GET', `/coa/jobs/${job!.id}/results?limit=1000`);
    assert.equal(results.json.results.length, ONLINE);
    assert.equal(nas.received.length, ONLINE);
    assert.equal((await api(server, 'GET', '/endpoints?group=B&limit=1')).json.total, COUNT);
  });

  test('a bulk call with one unknown MAC changes nothing', async () => {
    const revision = server.policy.revision;
    const r = await api(server, 'POST', '/endpoints/bulk', { macs: [mac(1), '02:FF:FF:FF:FF:FF'], set: { group: 'A' } });
    assert.equal(r.status, 404);
    assert.match(r.json.message, /macs entry 2: no endpoint 02:FF:FF:FF:FF:FF/);
    assert.equal(server.policy.revision, revision);
  });
});

describe('configuration audit webhooks', () => {
  let server: TestServer;
  const receiver = new WebhookReceiver(WEBHOOK_SECRET);
  before(async () => {
    await receiver.start();
    server = await startTestServer((c) => {
      c.coa = { ...c.coa, webhooks: [{ url: receiver.url, secret: WEBHOOK_SECRET }] };
      c.auth.groups = [{ name: 'Lab' }];
    });
    await addAdmins(server);
  });
  after(async () => {
    await server.stop();
    await receiver.close();
  });

  test('a change is published as configuration.audit, signed', async () => {
    const created = await api(server, 'POST', '/endpoints', { mac: '00:00:5E:00:53:01', group: 'Lab' });
    assert.equal(created.status, 201);
    await server.coa.webhooks.drain();
    const events = receiver.received.map((r) => ({ ...r, event: JSON.parse(r.body) as { type: string; data: Record<string, unknown> } })).filter((r) => r.event.type === 'configuration.audit');
    const mine = events.find((e) => e.event.data.key === '00:00:5E:00:53:01');
    assert.ok(mine, JSON.stringify(receiver.received.map((r) => r.body)));
    assert.equal(mine.signatureValid, true);
    assert.equal(mine.event.data.operation, 'create');
    assert.equal((mine.event.data.after as { group: string }).group, 'Lab');
  });
});
