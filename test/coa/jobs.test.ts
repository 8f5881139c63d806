/**
 * Bulk CoA jobs through the JSON API against simulated NAS devices (real UDP on 127.0.0.x):
 * selection, dry run, pacing per NAS, each endpoint once, mixed outcomes, cancel, roles; and
 * verification after a reauth.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Job, JobPage, JobResultPage } from '../../src/coa/index.js';
import { NasSimulator } from '../helpers/nas-simulator.js';
import { needTool } from '../helpers/tools.js';
import { SECRET as RADIUS_SECRET, startTestServer, type TestServer } from '../helpers/server.js';
import { ADMINS, addAdmins, basic, fill, get, type Endpoint } from '../helpers/mnt.js';
import { radclient } from '../helpers/radclient.js';

const skip = needTool('radclient', 'freeradius-utils');
const NAS_SECRET = 'bulk-secret';
const FAST = { initialTimeoutMs: 60, maxTimeoutMs: 120, maxAttempts: 3, maxTotalMs: 1000 };

/** 8 endpoints on each of three NAS; the first two of each NAS are printers. */
const ENDPOINTS: Endpoint[] = [];
for (let n = 0; n < 3; n++) {
  for (let i = 0; i < 8; i++) {
    const k = n * 8 + i;
    const hex = k.toString(16).padStart(2, '0').toUpperCase();
    ENDPOINTS.push({ mac: `00:AA:00:00:0${n}:${hex}`, user: `user${k}`, nas: `127.0.0.${11 + n}`, ip: `10.9.${n}.${i + 1}`, sid: `000000${hex}`, audit: `0A09000${n}00000000000000${hex}` });
  }
}

async function post(server: TestServer, body: unknown, as: keyof typeof ADMINS = 'mnt-admin'): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${server.api.port}/api/v1/coa/jobs`, {
    method: 'POST',
    headers: { authorization: basic(ADMINS[as]), 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

describe('bulk CoA jobs', { skip }, () => {
  let server: TestServer;
  const nas: NasSimulator[] = [];

  before(async () => {
    for (let n = 0; n < 3; n++) nas.push(await new NasSimulator(NAS_SECRET).start(0, `127.0.0.${11 + n}`));
    server = await startTestServer((c) => {
      c.coa = { ...c.coa, ...FAST };
      c.auth.profiles['Printer-VLAN'] = { vlan: '300' };
      c.auth.groups = [{ name: 'Printers', profile: 'Printer-VLAN' }, { name: 'Workstations' }];
      c.auth.endpoints = ENDPOINTS.map((e, k) => ({ mac: e.mac, group: k % 8 < 2 ? 'Printers' : 'Workstations' }));
      c.radius.clients.push(
        ...nas.map((s, n) => ({ name: `switch-${n}`, address: `127.0.0.${11 + n}`, secret: NAS_SECRET, vendor: 'cisco', coaPort: s.port, requireMessageAuthenticator: false, deviceGroups: [] })),
      );
    });
    await addAdmins(server);
    await fill(server, ENDPOINTS);
  });
  after(async () => {
    await server.stop();
    for (const s of nas) await s.close();
  });

  test('dry run: the count and the endpoints, nothing sent', async () => {
    const before = nas.map((s) => s.received.length);
    const { status, json } = await post(server, { selector: { nasIp: '127.0.0.12' }, action: 'reauth', dryRun: true });
    assert.equal(status, 200);
    assert.equal(json.count, 8);
    assert.deepEqual((json.endpoints as { mac: string }[]).map((e) => e.mac).sort(), ENDPOINTS.slice(8, 16).map((e) => e.mac));
    assert.deepEqual(nas.map((s) => s.received.length), before);
  });

  test('by identity group across NAS: every printer once, paced per NAS', async () => {
    for (const s of nas) s.behaviour = { kind: 'delay', ms: 50 };
    const { status, json } = await post(server, { selector: { identityGroup: 'Printers' }, action: 'reauth', type: 'last', pacing: { perNasInFlight: 1 } });
    assert.equal(status, 202, JSON.stringify(json));
    const job = await server.jobs.wait(json.id as string);
    assert.equal(job.state, 'done');
    assert.equal(job.total, 6);
    assert.equal(job.counts.ack, 6);
    // One at a time per NAS, 50 ms each: two printers per NAS take at least 100 ms.
    assert.ok(job.durationMs! >= 95, `duration ${job.durationMs} ms`);
    const polled = (await get(server, `/api/v1/coa/jobs/${job.id}`, { as: 'helpdesk-admin' })).body;
    assert.equal((JSON.parse(polled) as Job).completed, 6);
  });

  test('a MAC list with a duplicate acts once per endpoint; offline MACs are not selected', async () => {
    for (const s of nas) s.behaviour = { kind: 'ack' };
    const macs = [ENDPOINTS[3]!.mac, ENDPOINTS[3]!.mac.toLowerCase().replace(/:/g, '-'), ENDPOINTS[20]!.mac, '00:AA:FF:FF:FF:FF'];
    const { json } = await post(server, { selector: { macs }, action: 'disconnect', type: 'bounce' });
    const job = await server.jobs.wait(json.id as string);
    assert.equal(job.total, 2);
    assert.equal(job.counts.ack, 2);
  });

  test('mixed NAS: ACK, NAK and silence each reported per endpoint', async () => {
    nas[0]!.behaviour = { kind: 'ack' };
    nas[1]!.behaviour = { kind: 'nak', errorCause: 503 };
    nas[2]!.behaviour = { kind: 'silent' };
    const { json } = await post(server, { selector: { identityGroup: 'Workstations' }, action: 'reauth' });
    const job = await server.jobs.wait(json.id as string);
    assert.deepEqual(job.counts, { ack: 6, nak: 6, timeout: 6, refused: 0, cancelled: 0, unreachable: 0 });
    assert.equal('results' in job, false, 'the summary carries no per-endpoint results');
    const results = async (query: string) => JSON.parse((await get(server, `/api/v1/coa/jobs/${job.id}/results${query}`, { as: 'helpdesk-admin' })).body) as JobResultPage;
    const all = await results('');
    assert.equal(all.results.length, 18);
    assert.equal(all.next, null, 'an ended job: nothing follows');
    const naks = await results('?outcome=nak');
    assert.equal(naks.results.length, 6);
    assert.ok(naks.results.every((r) => r.outcome === 'nak' && r.errorCause === 503 && r.nasIp === '127.0.0.12'));
    const timeouts = (await results('?outcome=timeout')).results;
    assert.equal(timeouts.length, 6);
    assert.ok(timeouts.every((r) => r.attempts === FAST.maxAttempts));
    assert.ok(job.durationMs! < 3000, 'within the retransmit budget');
  });

  test('cancel: endpoints not yet started are skipped', async () => {
    for (const s of nas) s.behaviour = { kind: 'delay', ms: 150 };
    const { json } = await post(server, { selector: { identityGroup: 'Workstations' }, action: 'reauth', pacing: { perNasInFlight: 1 } });
    await new Promise((r) => setTimeout(r, 200));
    const cancelled = await fetch(`http://127.0.0.1:${server.api.port}/api/v1/coa/jobs/${json.id as string}`, { method: 'DELETE', headers: { authorization: basic(ADMINS['mnt-admin']) } });
    assert.equal(cancelled.status, 200);
    const job = await server.jobs.wait(json.id as string);
    assert.equal(job.state, 'cancelled');
    assert.ok(job.counts.cancelled > 0 && job.counts.ack > 0, JSON.stringify(job.counts));
    assert.equal(job.completed, job.total);
  });

  test('the list is paged newest first with a stable cursor; results page with after; a MAC list shows as its length', async () => {
    for (const s of nas) s.behaviour = { kind: 'ack' };
    const macs = ENDPOINTS.slice(0, 5).map((e) => e.mac);
    const { json } = await post(server, { selector: { macs }, action: 'reauth' });
    assert.deepEqual(json.selector, { macCount: 5 }, 'the start answer does not echo the MAC list');
    await server.jobs.wait(json.id as string);
    const list = async (query: string) => JSON.parse((await get(server, `/api/v1/coa/jobs${query}`)).body) as JobPage;
    const everything = (await list('?limit=1000')).jobs.map((j) => j.id);
    assert.equal(everything[0], json.id, 'newest first');
    const first = await list('?limit=2');
    assert.deepEqual(first.jobs.map((j) => j.id), everything.slice(0, 2));
    assert.equal('results' in first.jobs[0]!, false);
    // A job started between two pages does not shift the next page.
    const { json: newer } = await post(server, { selector: { macs: [ENDPOINTS[0]!.mac] }, action: 'reauth' });
    await server.jobs.wait(newer.id as string);
    const second = await list(`?limit=2&before=${first.next!}`);
    assert.deepEqual(second.jobs.map((j) => j.id), everything.slice(2, 4));
    const pages: string[] = [];
    for (let page = await list('?limit=3'); ; page = await list(`?limit=3&before=${page.next!}`)) {
      pages.push(...page.jobs.map((j) => j.id));
      if (page.next === null) break;
    }
    assert.deepEqual(pages, [newer.id, ...everything]);
    const seen: string[] = [];
    let after = 0;
    for (;;) {
      const page = JSON.parse((await get(server, `/api/v1/coa/jobs/${json.id as string}/results?limit=2&after=${after}`)).body) as JobResultPage;
      seen.push(...page.results.map((r) => r.mac));
      if (page.next === null) break;
      after = page.next;
    }
    assert.deepEqual(seen.sort(), [...macs].sort());
    for (const bad of ['?limit=0', '?limit=1001', '?before=x', '?state=sleeping', '?limt=5', '?limit=1&limit=2']) {
      assert.equal((await get(server, `/api/v1/coa/jobs${bad}`)).status, 400, bad);
    }
    for (const bad of ['?outcome=maybe', '?after=-1', '?limit=10001', '?before=1']) {
      assert.equal((await get(server, `/api/v1/coa/jobs/${json.id as string}/results${bad}`)).status, 400, bad);
    }
    assert.equal((await get(server, '/api/v1/coa/jobs/no-such-job/results')).status, 404);
  });

  test('helpdesk may not start jobs; malformed job requests get 400', async () => {
    assert.equal((await post(server, { selector: { nasIp: '127.0.0.11' }, action: 'reauth' }, 'helpdesk-admin')).status, 403);
    for (const bad of [
      '{"selector": {}',
      { selector: {}, action: 'reauth' },
      { selector: { nasIp: '300.1.1.1' }, action: 'reauth' },
      { selector: { macs: ['zz'] }, action: 'reauth' },
      { selector: { nasIp: '127.0.0.11' }, action: 'reboot' },
      { selector: { nasIp: '127.0.0.11' }, action: 'reauth', type: 'bounce' },
      { selector: { nasIp: '127.0.0.11' }, action: 'reauth', pacing: { perNasInFlight: 0 } },
      { selector: { vlan: '10' }, action: 'reauth' },
    ]) {
      const { status } = await post(server, bad);
      assert.equal(status, 400, JSON.stringify(bad));
    }
    assert.equal((await get(server, '/api/v1/coa/jobs/no-such-job')).status, 404);
  });

  test('CoA with verification: the endpoint\'s next accounting update is awaited and shown before/after', async () => {
    for (const s of nas) s.behaviour = { kind: 'ack' };
    const e = ENDPOINTS[0]!;
    const pending = get(server, `/admin/API/mnt/CoA/Reauth/ise/${e.mac}/0?verify=5`, { accept: 'application/json' });
    await new Promise((r) => setTimeout(r, 300));
    const interim = await radclient({
      port: server.ports.accounting,
      secret: RADIUS_SECRET,
      kind: 'acct',
      packets: [`Acct-Status-Type = Interim-Update, Acct-Session-Id = "${e.sid}", User-Name = "${e.user}", Calling-Station-Id = "${e.mac.replace(/:/g, '-')}", NAS-IP-Address = ${e.nas}, Acct-Session-Time = 60`],
    });
    assert.equal(interim.status, 0, interim.stderr);
    const answer = JSON.parse((await pending).body) as { results: boolean; verification: { verified: boolean; before: { vlan: string }; after: { lastAccountingAt: string } } };
    assert.equal(answer.results, true);
    assert.equal(answer.verification.verified, true);
    assert.equal(answer.verification.before.vlan, '300');
    assert.ok(answer.verification.after.lastAccountingAt);
    const quiet = JSON.parse((await get(server, `/admin/API/mnt/CoA/Reauth/ise/${ENDPOINTS[1]!.mac}/0?verify=1`, { accept: 'application/json' })).body) as { verification: { verified: boolean; waitedMs: number } };
    assert.equal(quiet.verification.verified, false);
    assert.ok(quiet.verification.waitedMs >= 1000);
  });
});
