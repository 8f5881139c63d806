/**
 * The configuration of a running node: SIGHUP applies a changed file (a new NAS is answered without
 * a restart), a broken file leaves the running configuration in place, and `check-config` says
 * whether a file is valid and shows it with its secrets masked.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startNodeProcess, type NodeProcess } from '../helpers/node-process.js';
import { radclient } from '../helpers/radclient.js';
import { openmnt } from '../helpers/run.js';
import { needTool } from '../helpers/tools.js';

const skip = needTool('radclient', 'freeradius-utils');

function configText(dir: string, clients: string[]): string {
  return [
    'radius:',
    '  auth: { host: 127.0.0.1, port: 0 }',
    '  accounting: { host: 127.0.0.1, port: 0 }',
    '  clients:',
    ...clients.map((c) => `    - ${c}`),
    `api: { host: 127.0.0.1, port: 0, tls: { enabled: false }, adminsFile: ${join(dir, 'admins.json')} }`,
    `pxgrid: { accountsFile: ${join(dir, 'pxgrid-accounts.json')} }`,
    `store: { path: ${join(dir, 'openmnt.db')}, synchronous: normal }`,
    'log: { level: info }',
    '',
  ].join('\n');
}

describe('SIGHUP reloads the configuration', { skip }, () => {
  let dir: string;
  let file: string;
  let node: NodeProcess;
  const start = (sid: string) =>
    radclient({
      port: node.ports.accounting,
      secret: 'lab-secret-1',
      kind: 'acct',
      retries: 1,
      timeoutSeconds: 1,
      packets: [`Acct-Status-Type = Start, Acct-Session-Id = "${sid}", Calling-Station-Id = "00-11-22-33-44-55", NAS-IP-Address = 127.0.0.1`],
    });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'openmnt-reload-'));
    file = join(dir, 'openmnt.yaml');
    writeFileSync(file, configText(dir, ['{ name: far-switch, address: 10.9.9.9, secret: far-secret-1 }']));
    node = await startNodeProcess({}, ['--config', file]);
  });
  after(async () => {
    await node?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a NAS added to the file is answered after SIGHUP, without a restart', async () => {
    const before = await start('reload-1');
    assert.notEqual(before.status, 0, 'an unknown NAS gets no answer');
    writeFileSync(file, configText(dir, ['{ name: far-switch, address: 10.9.9.9, secret: far-secret-1 }', '{ name: lab-switch, address: 127.0.0.1, secret: lab-secret-1 }']));
    const reloaded = node.nextLog('configuration reloaded');
    node.child.kill('SIGHUP');
    const entry = await reloaded;
    assert.deepEqual(entry.applied, ['radius.clients: +lab-switch']);
    const after = await start('reload-2');
    assert.equal(after.status, 0, after.stderr);
    assert.match(after.stdout, /Accounting-Response/);
  });

  test('a broken file on SIGHUP keeps the running configuration, and says why', async () => {
    writeFileSync(file, configText(dir, ['{ name: lab-switch, address: 127.0.0.1, secret: lab-secret-1, vendr: cisco }']));
    const failed = node.nextLog('configuration reload failed; the running configuration is kept');
    node.child.kill('SIGHUP');
    const entry = await failed;
    assert.match(String(entry.reason), /vendr/);
    const still = await start('reload-3');
    assert.equal(still.status, 0, 'the NAS of the running configuration is still answered');
  });

  test('a changed store setting is reported as needing a restart; the NAS change beside it applies', async () => {
    writeFileSync(file, configText(dir, ['{ name: lab-switch, address: 127.0.0.1, secret: lab-secret-1 }']).replace('synchronous: normal', 'synchronous: full'));
    const reloaded = node.nextLog('configuration reloaded');
    const warned = node.nextLog('changed settings that take effect only after a restart; the running values are kept');
    node.child.kill('SIGHUP');
    assert.deepEqual((await reloaded).applied, ['radius.clients: -far-switch']);
    assert.deepEqual((await warned).settings, ['store']);
    assert.equal((await start('reload-4')).status, 0);
  });
});

describe('openmnt check-config', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'openmnt-check-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('a valid file: exit 0, the effective configuration with secrets masked', async () => {
    const file = join(dir, 'good.yaml');
    writeFileSync(file, configText(dir, ['{ name: lab-switch, address: 127.0.0.1, secret: Very-Secret-77 }']));
    const r = await openmnt(['check-config', '--config', file], {});
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /valid/);
    assert.match(r.stdout, /secret: "?\*{8}"?/);
    assert.ok(!r.stdout.includes('Very-Secret-77'));
    assert.match(r.stdout, /coaPort: 3799/, 'defaults are filled in');
    assert.equal((await openmnt(['check-config', '--config', file, '--quiet'], {})).stdout, '');
  });

  test('a bad file: exit 2 and one line naming the setting', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, configText(dir, ['{ name: lab-switch, address: 127.0.0.1, secret: s, coaPort: 99999 }']));
    const r = await openmnt(['check-config', '--config', file], {});
    assert.equal(r.status, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr.trim(), /^openmnt check-config: .*radius\.clients\[0\]\.coaPort/);
    const missing = await openmnt(['check-config', '--config', join(dir, 'nope.yaml')], {});
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /cannot read configuration file/);
  });
});
