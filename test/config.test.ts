import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { defaultConfig, loadConfig } from '../src/config.js';
import { isOpenMntError } from '../src/errors.js';

function yamlFile(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'openmnt-config-')), 'openmnt.yaml');
  writeFileSync(file, text);
  return file;
}

function rejects(fn: () => unknown, code: string, pattern: RegExp) {
  assert.throws(fn, (e: unknown) => isOpenMntError(e) && e.code === code && pattern.test(e.message));
}

test('the documented example loads and validates', () => {
  const config = loadConfig({ file: 'openmnt.example.yaml', env: {} });
  assert.equal(config.node.name, 'mnt-node-1');
  assert.equal(config.radius.clients.length, 2);
  assert.equal(config.radius.clients[0]!.coaPort, 1700);
  assert.equal(config.radius.clients[1]!.coaPort, 3799);
  assert.equal(config.radius.clients[1]!.requireMessageAuthenticator, false, 'defaults fill the rest');
  assert.equal(config.auth.profiles['Employee']!.sgt, 4);
  assert.equal(config.auth.profiles['Guest-VLAN']!.vlan, '999');
});

test('no file means defaults', () => {
  assert.deepEqual(loadConfig({ env: {} }), defaultConfig());
});

test('environment overrides scalars by path', () => {
  const config = loadConfig({
    env: {
      OPENMNT_RADIUS__AUTH__PORT: '11812',
      OPENMNT_SESSIONS__STALE_AFTER_INTERVALS: '5',
      OPENMNT_STORE__PATH: '/tmp/x.db',
      OPENMNT_NODE__NAME: 'edge-7',
    },
  });
  assert.equal(config.radius.auth.port, 11812);
  assert.equal(config.sessions.staleAfterIntervals, 5);
  assert.equal(config.store.path, '/tmp/x.db');
  assert.equal(config.node.name, 'edge-7');
});

test('mistakes name the setting', () => {
  rejects(() => loadConfig({ env: { OPENMNT_RADIUS__AUTH__PORT: 'abc' } }), 'CONFIG_INVALID', /radius\.auth\.port/);
  rejects(() => loadConfig({ env: { OPENMNT_RADIUS__AUTH__PORT: '70000' } }), 'CONFIG_INVALID', /radius\.auth\.port/);
  rejects(() => loadConfig({ file: yamlFile('radius:\n  acct:\n    port: 1\n'), env: {} }), 'CONFIG_INVALID', /unknown setting radius\.acct/);
  rejects(() => loadConfig({ file: yamlFile('radius:\n  clients:\n    - address: 10.0.0.300\n      secret: x\n'), env: {} }), 'CONFIG_INVALID', /clients\[0\]\.address/);
  rejects(() => loadConfig({ file: yamlFile('radius:\n  clients:\n    - address: 10.0.0.0/33\n      secret: x\n'), env: {} }), 'CONFIG_INVALID', /clients\[0\]\.address/);
  rejects(() => loadConfig({ file: yamlFile('radius:\n  clients:\n    - address: 10.0.0.1\n'), env: {} }), 'CONFIG_INVALID', /clients\[0\]\.secret/);
  rejects(() => loadConfig({ file: yamlFile('auth:\n  unknownEndpoint: Nowhere\n'), env: {} }), 'CONFIG_INVALID', /auth\.unknownEndpoint/);
  rejects(() => loadConfig({ file: yamlFile('auth:\n  profiles:\n    X: { sgt: 70000 }\n'), env: {} }), 'CONFIG_INVALID', /auth\.profiles\.X\.sgt/);
  rejects(() => loadConfig({ file: yamlFile('store:\n  synchronous: sometimes\n'), env: {} }), 'CONFIG_INVALID', /store\.synchronous/);
  rejects(() => loadConfig({ file: yamlFile('store:\n  walMaxMiB: 0\n'), env: {} }), 'CONFIG_INVALID', /store\.walMaxMiB/);
  rejects(() => loadConfig({ file: yamlFile('store:\n  minFreeMiB: -1\n'), env: {} }), 'CONFIG_INVALID', /store\.minFreeMiB/);
  rejects(() => loadConfig({ file: yamlFile(': : :\n  - ['), env: {} }), 'CONFIG_INVALID', /not valid YAML/);
  rejects(() => loadConfig({ file: '/nonexistent/openmnt.yaml', env: {} }), 'CONFIG_NOT_FOUND', /cannot read/);
});
