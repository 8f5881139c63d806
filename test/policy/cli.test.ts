/** The policy commands of the CLI against a served node: endpoint set (group and attribute), device add, export and import. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { addAdmins, ADMINS, PASSWORD } from '../helpers/mnt.js';

function openmnt(server: TestServer, args: string[], input = ''): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/openmnt.js', ...args, '--host', `http://127.0.0.1:${server.api.port}`, '--user-name', ADMINS['super-admin']], {
      env: { ...process.env, ISE_API_PASS: PASSWORD },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (status) => resolve({ status: status ?? 1, stdout, stderr }));
    child.stdin.end(input);
  });
}

describe('openmnt endpoint / device / policy', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer((c) => {
      c.auth.groups = [{ name: 'Staff' }, { name: 'Quarantine' }];
      c.auth.endpoints = [{ mac: 'C8:5B:76:C6:59:62', group: 'Staff' }];
    });
    await addAdmins(server);
  });
  after(async () => server.stop());

  test('endpoint set --group, endpoint set ATTRIBUTE=VALUE, device add, export, import', async () => {
    const moved = await openmnt(server, ['endpoint', 'set', 'c8-5b-76-c6-59-62', '--group', 'Quarantine']);
    assert.equal(moved.status, 0, moved.stderr);
    assert.equal(JSON.parse(moved.stdout).group, 'Quarantine');
    const unknownAttribute = await openmnt(server, ['endpoint', 'set', 'C8:5B:76:C6:59:62', 'vlan-id=120']);
    assert.equal(unknownAttribute.status, 2);
    assert.match(unknownAttribute.stderr, /attribute 'vlan-id' is not defined/);
    await server.policy.apply([{ kind: 'attributes', key: 'vlan-id', data: { name: 'vlan-id', type: 'integer', values: [], description: '' } }], { admin: 'test', source: null });
    const set = await openmnt(server, ['endpoint', 'set', 'C8:5B:76:C6:59:62', 'vlan-id=120']);
    assert.equal(set.status, 0, set.stderr);
    assert.equal(JSON.parse(set.stdout).attributes['vlan-id'], 120);
    const device = await openmnt(server, ['device', 'add', 'core-sw-9', '--address', '10.9.0.1', '--vendor', 'aruba'], 'a-shared-secret\n');
    assert.equal(device.status, 0, device.stderr);
    assert.equal(server.policy.compiled.clients.find((c) => c.name === 'core-sw-9')?.secret.toString(), 'a-shared-secret');
    const exported = await openmnt(server, ['policy', 'export']);
    assert.equal(exported.status, 0);
    const file = join(server.dir, 'policy.json');
    writeFileSync(file, exported.stdout);
    const imported = await openmnt(server, ['policy', 'import', file, '--dry-run']);
    assert.equal(imported.status, 0, imported.stderr);
    assert.equal(JSON.parse(imported.stdout).dryRun, true);
  });
});
