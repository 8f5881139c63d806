/**
 * The JSON calls the console's newer pages read, without a browser: authentications across every
 * endpoint (time window, filters, keyset paging), a group's endpoints with online status and its
 * evidence (delegated admins kept to their groups), and the dashboard's per-minute history.
 * A node filled by radclient; the store a real SQLite file.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createLogger } from '../../src/logger.js';
import { ActivitySampler } from '../../src/sessions/index.js';
import { addAdmins, fill } from '../helpers/mnt.js';
import { api } from '../helpers/policy-api.js';
import { radclient } from '../helpers/radclient.js';
import { SECRET, startTestServer, type TestServer } from '../helpers/server.js';
import { needTool } from '../helpers/tools.js';

const skip = needTool('radclient', 'freeradius-utils');

const ONLINE = { mac: '00:11:22:33:77:01', user: 'ann', nas: '127.0.0.1', ip: '10.40.0.1', sid: 'v0000001', audit: '0A2800010000000100000001' };
const OFFLINE = { mac: '00:11:22:33:77:02', user: 'ben', nas: '127.0.0.1', ip: '10.40.0.2', sid: 'v0000002', audit: '0A2800020000000200000002' };
const STAFF = { mac: '00:11:22:33:77:03', user: 'cat', nas: '127.0.0.1', ip: '10.40.0.3', sid: 'v0000003', audit: '0A2800030000000300000003' };

describe('the console views of the JSON API', { skip }, () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer((c) => {
      c.auth.unknownEndpoint = 'PermitAccess';
      c.auth.groups = [{ name: 'Lab' }, { name: 'Staff' }];
      c.auth.endpoints = [
        { mac: ONLINE.mac, group: 'Lab' },
        { mac: OFFLINE.mac, group: 'Lab' },
        { mac: STAFF.mac, group: 'Staff' },
      ];
    });
    await addAdmins(server);
    await fill(server, [ONLINE, OFFLINE, STAFF]);
    const stop = await radclient({
      port: server.ports.accounting,
      secret: SECRET,
      kind: 'acct',
      packets: [`Acct-Status-Type = Stop, Acct-Session-Id = "${OFFLINE.sid}", User-Name = "${OFFLINE.user}", Calling-Station-Id = "${OFFLINE.mac.replace(/:/g, '-')}", NAS-IP-Address = 127.0.0.1, Acct-Session-Time = 60, Acct-Terminate-Cause = Lost-Carrier`],
    });
    assert.equal(stop.status, 0, stop.stderr);
    // Two failed password logins of an unknown user: rejected, with ISE's failure reason.
    const failed = await radclient({
      port: server.ports.auth,
      secret: SECRET,
      kind: 'auth',
      packets: ['User-Name = "mallory", User-Password = "guess", Calling-Station-Id = "00-11-22-33-77-09"', 'User-Name = "trudy", User-Password = "guess", Calling-Station-Id = "00-11-22-33-77-0A"'],
    });
    assert.match(failed.stdout, /Access-Reject/);
  });
  after(async () => server?.stop());

  test('authentications across every endpoint: newest first, filtered by result, NAS and reason, paged by keyset; bad parameters are 400', async () => {
    const all = await api(server, 'GET', '/authentications', undefined, {}, 'helpdesk-admin');
    assert.equal(all.status, 200);
    const rows = all.json.authentications as { id: number; at: string; passed: boolean; mac: string | null; failureReasonCode: number | null }[];
    assert.deepEqual(new Set(rows.map((r) => r.mac)), new Set([ONLINE.mac, OFFLINE.mac, STAFF.mac, '00:11:22:33:77:09', '00:11:22:33:77:0A']));
    for (let i = 1; i < rows.length; i++) assert.ok(rows[i - 1]!.at >= rows[i]!.at, 'newest first');
    assert.equal(all.json.next, null, 'everything fitted in one page');
    const failed = await api(server, 'GET', '/authentications?passed=false');
    assert.deepEqual(failed.json.authentications.map((r: { userName: string }) => r.userName).sort(), ['mallory', 'trudy']);
    const code = failed.json.authentications[0].failureReasonCode as number;
    assert.ok(code > 0);
    const byReason = await api(server, 'GET', `/authentications?reason=${code}`);
    assert.ok(byReason.json.authentications.length >= 1 && byReason.json.authentications.every((r: { failureReasonCode: number }) => r.failureReasonCode === code));
    assert.equal((await api(server, 'GET', '/authentications?nas=10.9.9.9')).json.authentications.length, 0, 'no record from that NAS');
    assert.equal((await api(server, 'GET', '/authentications?nas=127.0.0.1')).json.authentications.length, rows.length);
    // Pages of two: together the whole list, in the same order, none twice.
    const paged: number[] = [];
    let before: string | null = '';
    while (before !== null) {
      const page = await api(server, 'GET', `/authentications?limit=2${before === '' ? '' : `&before=${before}`}`);
      assert.equal(page.status, 200);
      assert.ok(page.json.authentications.length <= 2);
      paged.push(...page.json.authentications.map((r: { id: number }) => r.id));
      before = page.json.next;
    }
    assert.deepEqual(paged, rows.map((r) => r.id));
    // An empty window: nothing since a moment ahead.
    assert.equal((await api(server, 'GET', `/authentications?since=${Date.now() + 60_000}`)).json.authentications.length, 0);
    for (const [query, words] of [
      ['before=yesterday', /before 'yesterday' is not valid/],
      [`mac=${ONLINE.mac}&user=ann`, /not both/],
      ['reason=abc', /reason/],
      [`since=${Date.now() - 11 * 86_400_000}`, /more than 10 days back/],
      ['passed=maybe', /passed 'maybe' is not valid/],
      ['nas=not-an-ip', /nas/],
      ['colour=red', /colour is not known/],
      [`mac=${ONLINE.mac}&before=1.1`, /before pages the list across every endpoint/],
    ] as const) {
      const r = await api(server, 'GET', `/authentications?${query}`);
      assert.equal(r.status, 400, query);
      assert.match(r.json.message, words, query);
    }
  });

  test('a group\'s endpoints: the online one with its session and evidence, the offline one with its Stop; filters; delegated admins see their groups only', async () => {
    const lab = await api(server, 'GET', '/groups/Lab/endpoints', undefined, {}, 'mnt-admin');
    assert.equal(lab.status, 200, JSON.stringify(lab.json));
    assert.equal(lab.json.members, 2);
    assert.equal(lab.json.online, 1);
    const byMac = new Map(lab.json.endpoints.map((e: { mac: string }) => [e.mac, e]));
    const on = byMac.get(ONLINE.mac) as Record<string, any>;
    assert.equal(on.online, true);
    assert.equal(on.session.nasIp, '127.0.0.1');
    assert.equal(on.session.framedIp, ONLINE.ip);
    assert.equal(on.lastAuthentication.passed, true);
    assert.equal(on.lastAccounting.statusType, 'Start');
    const off = byMac.get(OFFLINE.mac) as Record<string, any>;
    assert.equal(off.online, false);
    assert.equal(off.session, null);
    assert.equal(off.lastAccounting.statusType, 'Stop');
    assert.equal(off.lastAccounting.terminateCause, 'Lost-Carrier');
    assert.equal(off.lastAuthentication.passed, true, 'its last authentication stays as evidence');
    assert.deepEqual((await api(server, 'GET', '/groups/Lab/endpoints?status=online')).json.endpoints.map((e: { mac: string }) => e.mac), [ONLINE.mac]);
    assert.deepEqual((await api(server, 'GET', '/groups/Lab/endpoints?status=offline')).json.endpoints.map((e: { mac: string }) => e.mac), [OFFLINE.mac]);
    assert.deepEqual((await api(server, 'GET', '/groups/Lab/endpoints?q=77-02')).json.endpoints.map((e: { mac: string }) => e.mac), [OFFLINE.mac], 'a MAC fragment in any spelling');
    const firstPage = await api(server, 'GET', '/groups/Lab/endpoints?limit=1');
    assert.equal(firstPage.json.endpoints.length, 1);
    assert.equal(firstPage.json.next, 1);
    // A delegated admin (group Lab): its group, not another; helpdesk reads every group.
    assert.equal((await api(server, 'GET', '/groups/Lab/endpoints', undefined, {}, 'delegated-admin')).status, 200);
    const other = await api(server, 'GET', '/groups/Staff/endpoints', undefined, {}, 'delegated-admin');
    assert.equal(other.status, 403);
    assert.match(other.json.message, /may manage endpoints of Lab only/);
    assert.equal((await api(server, 'GET', '/groups/Staff/endpoints', undefined, {}, 'helpdesk-admin')).json.online, 1);
    assert.equal((await api(server, 'GET', '/groups/Nope/endpoints')).status, 404);
    for (const query of ['status=asleep', 'limit=0', 'limit=501', 'offset=-1', 'colour=red']) {
      assert.equal((await api(server, 'GET', `/groups/Lab/endpoints?${query}`)).status, 400, query);
    }
  });

  test('the dashboard history: a sample a minute (authentications as differences of the totals), the count now; hours 1-24', async () => {
    let totals = { passed: 10, failed: 2 };
    const sampler = new ActivitySampler({ store: server.store, totals: async () => totals, logger: createLogger('silent') });
    // Half an hour back: minutes the node's own sampler (one a minute from its start) never writes.
    const minute = Math.floor(Date.now() / 60_000) * 60_000 - 30 * 60_000;
    await sampler.sample(minute - 120_000);
    totals = { passed: 15, failed: 5 };
    await sampler.sample(minute - 60_000);
    await sampler.close();
    const h = await api(server, 'GET', '/summary/history?hours=1', undefined, {}, 'helpdesk-admin');
    assert.equal(h.status, 200);
    assert.equal(h.json.now.active, 2, ONLINE.mac + ' and ' + STAFF.mac);
    const points = h.json.points as { at: string; active: number; passed: number; failed: number }[];
    const two = points.filter((p) => Date.parse(p.at) === minute - 120_000 || Date.parse(p.at) === minute - 60_000);
    assert.deepEqual(two.map((p) => [p.active, p.passed, p.failed]), [[2, 10, 2], [2, 5, 3]]);
    for (const query of ['hours=0', 'hours=25', 'hours=x']) assert.equal((await api(server, 'GET', `/summary/history?${query}`)).status, 400, query);
    assert.equal((await api(server, 'GET', '/summary/history', undefined, {}, 'delegated-admin')).status, 403);
  });
});
