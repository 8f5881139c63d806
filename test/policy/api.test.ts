/**
 * The policy API's refusals and guarantees: precise 400s with nothing half-applied, 412 for the
 * second of two concurrent edits, delegated admins kept inside their groups and away from CoA,
 * imports of clients.conf and ISE's CSVs (bad rows by line, all or nothing, dry run), the OpenAPI
 * document against the route table, and a restart keeping every change.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createLogger } from '../../src/logger.js';
import { startServer } from '../../src/server.js';
import { compilePolicy } from '../../src/policy/index.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { addAdmins, get } from '../helpers/mnt.js';
import { api } from '../helpers/policy-api.js';
import { apiV1Routes } from '../../src/http/pipeline.js';

describe('policy API', () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer((c) => {
      c.auth.profiles['Lab-VLAN'] = { vlan: '30' };
      c.auth.groups = [{ name: 'Lab', profile: 'Lab-VLAN' }, { name: 'Staff' }];
      c.auth.endpoints = [{ mac: '00:00:00:00:00:01', group: 'Lab' }, { mac: '00:00:00:00:00:02', group: 'Staff' }];
    });
    await addAdmins(server);
  });
  after(async () => server.stop());

  test('bad input: each a precise 4xx, and the running policy untouched', async () => {
    const revision = server.policy.revision;
    const unknownGroup = await api(server, 'POST', '/endpoints', { mac: '00:00:00:00:00:09', group: 'Nope' });
    assert.equal(unknownGroup.status, 400);
    assert.match(unknownGroup.json.message, /endpoint 00:00:00:00:00:09: names the group 'Nope', which does not exist/);
    const duplicate = await api(server, 'POST', '/endpoints', { mac: '00-00-00-00-00-01', group: 'Lab' });
    assert.equal(duplicate.status, 409);
    assert.match(duplicate.json.message, /endpoint '00:00:00:00:00:01' already exists/);
    assert.equal((await api(server, 'POST', '/attributes', { name: 'owner', type: 'enum', values: ['it', 'ops'] })).status, 201);
    const badValue = await api(server, 'PATCH', '/endpoints/00:00:00:00:00:01', { attributes: { owner: 'hr' } });
    assert.equal(badValue.status, 400);
    assert.match(badValue.json.message, /attribute owner must be one of it, ops, not 'hr'/);
    const missingProfile = await api(server, 'POST', '/rules', { name: 'r1', conditions: { identityGroup: 'Lab' }, profile: 'Ghost' });
    assert.equal(missingProfile.status, 400);
    assert.match(missingProfile.json.message, /rule r1: names the profile 'Ghost', which does not exist/);
    // A User-Name pattern runs on the RADIUS thread for every request: one that could backtrack
    // without end is refused, as are back-references.
    for (const pattern of ['^(a+)+$', '(x|xx)*@corp', '(.)\\1']) {
      const risky = await api(server, 'POST', '/rules', { name: 'r2', conditions: { userName: pattern }, profile: 'VlanA' });
      assert.equal(risky.status, 400, pattern);
      assert.match(risky.json.message, /conditions\.userName .* (repeats a group|uses a back-reference)/);
    }
    const badMac = await api(server, 'GET', '/endpoints/not-a-mac');
    assert.equal(badMac.status, 400);
    const unknownField = await api(server, 'POST', '/groups', { name: 'X', colour: 'red' });
    assert.equal(unknownField.status, 400);
    assert.match(unknownField.json.message, /unknown field 'colour'/);
    const inUse = await api(server, 'DELETE', '/groups/Lab');
    assert.equal(inUse.status, 400, 'a group its endpoints still name cannot go');
    assert.equal(server.policy.revision, revision + 1, 'only the attribute definition was written');
    assert.equal((await api(server, 'GET', '/endpoints/00:00:00:00:00:01')).json.group, 'Lab');
  });

  test('two admins edit the same endpoint: the second gets 412', async () => {
    const a = await api(server, 'GET', '/endpoints/00:00:00:00:00:02');
    const b = await api(server, 'GET', '/endpoints/00:00:00:00:00:02', undefined, {}, 'system-admin');
    assert.equal(a.etag, b.etag);
    const first = await api(server, 'PATCH', '/endpoints/00:00:00:00:00:02', { description: 'first' }, { 'if-match': a.etag! });
    assert.equal(first.status, 200);
    assert.notEqual(first.etag, a.etag);
    const second = await api(server, 'PATCH', '/endpoints/00:00:00:00:00:02', { description: 'second' }, { 'if-match': b.etag! }, 'system-admin');
    assert.equal(second.status, 412);
    assert.match(second.json.message, /was changed since it was read/);
    assert.equal((await api(server, 'GET', '/endpoints/00:00:00:00:00:02')).json.description, 'first');
  });

  test('a delegated admin: its groups only, revoke keeps the endpoint, never CoA', async () => {
    const list = await api(server, 'GET', '/endpoints', undefined, {}, 'delegated-admin');
    assert.equal(list.status, 200);
    assert.deepEqual(list.json.items.map((e: { group: string }) => e.group), ['Lab']);
    const outside = await api(server, 'GET', '/endpoints/00:00:00:00:00:02', undefined, {}, 'delegated-admin');
    assert.equal(outside.status, 403);
    assert.match(outside.json.message, /may manage endpoints of Lab only/);
    const moveOut = await api(server, 'PATCH', '/endpoints/00:00:00:00:00:01', { group: 'Staff' }, {}, 'delegated-admin');
    assert.equal(moveOut.status, 403);
    const modify = await api(server, 'PATCH', '/endpoints/00:00:00:00:00:01', { attributes: { owner: 'it' } }, {}, 'delegated-admin');
    assert.equal(modify.status, 200, JSON.stringify(modify.json));
    assert.match(modify.json.enforcement.skipped, /delegated admin does not issue CoA/);
    const devices = await api(server, 'GET', '/devices', undefined, {}, 'delegated-admin');
    assert.equal(devices.status, 403);
    const coa = await get(server, '/admin/API/mnt/CoA/Reauth/openmnt/00:00:00:00:00:01/0', { as: 'delegated-admin' });
    assert.equal(coa.status, 403);
    const job = await api(server, 'POST', '/coa/jobs', { selector: { macs: ['00:00:00:00:00:01'] }, action: 'reauth' }, {}, 'delegated-admin');
    assert.equal(job.status, 403);
    const anc = await api(server, 'POST', '/endpoints/00:00:00:00:00:01/anc', { action: 'bounce' }, {}, 'delegated-admin');
    assert.equal(anc.status, 403);
    const revoke = await api(server, 'DELETE', '/endpoints/00:00:00:00:00:01', undefined, {}, 'delegated-admin');
    assert.equal(revoke.status, 200);
    assert.equal(revoke.json.group, null);
    assert.equal((await api(server, 'GET', '/endpoints/00:00:00:00:00:01')).status, 200, 'revoked, not deleted');
    assert.equal((await api(server, 'PATCH', '/endpoints/00:00:00:00:00:01', { group: 'Lab' })).status, 200);
    const mntRead = await api(server, 'PATCH', '/endpoints/00:00:00:00:00:01', { description: 'x' }, {}, 'helpdesk-admin');
    assert.equal(mntRead.status, 403, 'a read-only role cannot change the policy');
  });

  test('imports: clients.conf and ISE CSVs; bad rows by line, all or nothing; dry run', async () => {
    const conf = [
      '# core',
      'client core-sw-1 {',
      '  ipaddr = 10.20.0.1',
      '  secret = "s3cret-1"',
      '  nas_type = cisco',
      '  require_message_authenticator = yes',
      '}',
      'client 10.30.0.0/16 {',
      '  secret = block-secret',
      '  shortname = branch',
      '  nas_type = other',
      '}',
    ].join('\n');
    const dry = await api(server, 'POST', '/policy/import?format=clients.conf&dryRun=true', conf, { 'content-type': 'text/plain' });
    assert.equal(dry.status, 200, JSON.stringify(dry.json));
    assert.equal(dry.json.dryRun, true);
    assert.deepEqual(dry.json.changes.map((c: { key: string }) => c.key), ['core-sw-1', 'branch']);
    assert.equal((await api(server, 'GET', '/devices/core-sw-1')).status, 404, 'a dry run writes nothing');
    const done = await api(server, 'POST', '/policy/import?format=clients.conf', conf, { 'content-type': 'text/plain' });
    assert.equal(done.status, 200);
    const branch = await api(server, 'GET', '/devices/branch');
    assert.equal(branch.json.address, '10.30.0.0/16');
    assert.equal(branch.json.vendor, 'rfc5176');
    assert.equal((await api(server, 'GET', '/devices/core-sw-1')).json.requireMessageAuthenticator, true);

    const ise = [
      'Name:String(32):Required,Description:String(256),IP Address:Subnets(a.b.c.d/m#....):Required,Network Device Groups:String(100)(Type#Root Name#Name|...),Authentication:Shared Secret:String(128),coaPort:Integer(128)',
      'wlc-1,controller,10.40.0.1/32,Location#All Locations#HQ|Device Type#All Device Types,wlc-secret,1700',
    ].join('\n');
    const iseDone = await api(server, 'POST', '/policy/import?format=ise-network-devices', ise);
    assert.equal(iseDone.status, 200, JSON.stringify(iseDone.json));
    const wlc = await api(server, 'GET', '/devices/wlc-1');
    assert.equal(wlc.json.address, '10.40.0.1');
    assert.equal(wlc.json.coaPort, 1700);
    assert.deepEqual(wlc.json.deviceGroups, ['Location#All Locations#HQ', 'Device Type#All Device Types']);

    const endpoints = ['MACAddress,EndPointPolicy,IdentityGroup,Description', '00:00:00:00:01:01,Apple-Device,Lab,ok row', 'zz,Apple-Device,Lab,bad mac', '00:00:00:00:01:03,Unknown,Nope,bad group'].join('\n');
    const revision = server.policy.revision;
    const broken = await api(server, 'POST', '/policy/import?format=ise-endpoints', endpoints);
    assert.equal(broken.status, 400);
    assert.match(broken.json.message, /line 3: endpoint: 'zz' is not a MAC address/);
    assert.equal(server.policy.revision, revision, 'nothing applied');
    assert.equal((await api(server, 'GET', '/endpoints/00:00:00:00:01:01')).status, 404);
    const unknownGroup = await api(server, 'POST', '/policy/import?format=csv', 'mac,group,owner\n00:00:00:00:01:01,Lab,it\n00:00:00:00:01:03,Nope,ops\n');
    assert.equal(unknownGroup.status, 400);
    assert.match(unknownGroup.json.message, /line 3: endpoint 00:00:00:00:01:03: the group 'Nope' does not exist/);
    const plain = await api(server, 'POST', '/policy/import?format=csv', 'mac,group,owner\n00:00:00:00:01:01,Lab,it\n00:00:00:00:01:03,Staff,ops\n');
    assert.equal(plain.status, 200, JSON.stringify(plain.json));
    assert.equal((await api(server, 'GET', '/endpoints/00:00:00:00:01:03')).json.attributes.owner, 'ops');
  });

  test('export, then import of the export, is a no-op that validates', async () => {
    const exported = await api(server, 'GET', '/policy/export');
    assert.equal(exported.status, 200);
    assert.ok(exported.json.devices.some((d: { secret: string }) => d.secret !== '******'), 'an export keeps secrets (it is a backup)');
    const back = await api(server, 'POST', '/policy/import?format=json&dryRun=true', exported.json);
    assert.equal(back.status, 200, JSON.stringify(back.json));
  });

  test('the OpenAPI document covers every /api/v1 route and method', async () => {
    const doc = await api(server, 'GET', '/openapi.json');
    assert.equal(doc.status, 200);
    assert.equal(doc.json.openapi, '3.1.0');
    const paths = doc.json.paths as Record<string, Record<string, unknown>>;
    // Every route the pipeline dispatches: asked one by one, each answers something other than 404.
    for (const [path, methods] of Object.entries(paths)) {
      // The event stream answers with a stream that does not end (test/events/sse.test.ts tests it).
      if (path === '/api/v1/events') continue;
      for (const method of Object.keys(methods)) {
        const concrete = path.replace('/api/v1', '').replace('{key}', '00:00:00:00:00:01').replace('{id}', 'no-such-job');
        const r = await api(server, method.toUpperCase(), concrete, method === 'get' || method === 'delete' ? undefined : '{}', {}, 'helpdesk-admin');
        assert.notEqual(r.status, 405, `${method} ${path} is routed`);
      }
    }
    for (const expected of ['/api/v1/coa/jobs', '/api/v1/coa/audit', '/api/v1/coa/jobs/{id}/results', '/api/v1/endpoints/{key}', '/api/v1/audit/config', '/api/v1/policy/import', '/api/v1/openapi.json']) {
      assert.ok(paths[expected], `${expected} is described`);
    }
    // The route table the pipeline dispatches on, method by method, against the document.
    const table = apiV1Routes({ config: server.config, store: server.store, policy: server.policy, jobs: server.jobs, coa: server.coa, events: server.events, pxgrid: server.pxgrid } as never);
    const described = Object.entries(paths).flatMap(([p, m]) => Object.keys(m).map((method) => `${method.toUpperCase()} ${p}`)).sort();
    const routed = table.flatMap((r) => Object.keys(r.methods).map((method) => `${method} /api/v1${r.path.replace(/:([a-z]+)/gi, '{$1}')}`)).sort();
    assert.deepEqual(described, routed);
    assert.ok(paths['/api/v1/endpoints/{key}']!.patch);
    assert.ok((paths['/api/v1/endpoints/{key}']!.patch as { responses: Record<string, unknown> }).responses['412']);
  });

  test('everything survives a restart; the file wins only for what changed in it', async () => {
    const config = server.config;
    await server.close();
    // Edited while the node was down: one endpoint's group changed in the file.
    config.auth.endpoints = [{ mac: '00:00:00:00:00:01', group: 'Lab' }, { mac: '00:00:00:00:00:02', group: 'Lab' }];
    const again = await startServer(config, createLogger('silent'));
    try {
      const compiled = compilePolicy(again.policy.snapshot());
      assert.ok(again.policy.get('endpoints', '00:00:00:00:01:03'), 'an endpoint imported through the API is kept');
      assert.ok(compiled.clients.some((c) => c.name === 'wlc-1'), 'a device imported through the API is kept');
      assert.equal((again.policy.get('endpoints', '00:00:00:00:00:01')!.data as { attributes: Record<string, unknown> }).attributes.owner, 'it', 'an object the file did not change keeps its API changes');
      assert.equal((again.policy.get('endpoints', '00:00:00:00:00:02')!.data as { group: string }).group, 'Lab', 'what the file changed is applied');
      const audit = await again.store.configAudit({ key: '00:00:00:00:00:02', limit: 1 });
      assert.equal(audit[0]!.admin, 'configuration file');
      assert.equal(audit[0]!.source, 'start');
    } finally {
      await again.close();
      server.close = async () => undefined;
    }
  });
});
