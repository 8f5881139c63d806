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
  // What used to pass silently: a misspelt vendor (generic CoA at a Cisco switch), a MAC that
  // matches nothing, a group nobody defined, the same NAS or endpoint twice.
  rejects(() => loadConfig({ file: yamlFile('radius:\n  clients:\n    - { address: 10.0.0.1, secret: x, vendor: junper }\n'), env: {} }), 'CONFIG_INVALID', /clients\[0\]\.vendor must be one of cisco, cisco-wlc, rfc5176, aruba, aruba-switch, hpe, juniper/);
  rejects(() => loadConfig({ file: yamlFile('radius:\n  clients:\n    - { name: a, address: 10.0.0.1, secret: x }\n    - { name: a, address: 10.0.0.2, secret: x }\n'), env: {} }), 'CONFIG_INVALID', /clients\[1\]\.name must be different from radius\.clients\[0\]\.name/);
  rejects(() => loadConfig({ file: yamlFile('radius:\n  clients:\n    - { name: a, address: 10.0.0.1, secret: x }\n    - { name: b, address: 10.0.0.1, secret: y }\n'), env: {} }), 'CONFIG_INVALID', /clients\[1\]\.address/);
  rejects(() => loadConfig({ file: yamlFile('auth:\n  endpoints:\n    - { mac: 00-11-22-33-44-5G }\n'), env: {} }), 'CONFIG_INVALID', /auth\.endpoints\[0\]\.mac must be a MAC address/);
  rejects(() => loadConfig({ file: yamlFile('auth:\n  endpoints:\n    - { mac: 00-11-22-33-44-55 }\n    - { mac: 0011.2233.4455 }\n'), env: {} }), 'CONFIG_INVALID', /auth\.endpoints\[1\]\.mac must be different .*00:11:22:33:44:55/);
  rejects(() => loadConfig({ file: yamlFile('auth:\n  endpoints:\n    - { mac: 00-11-22-33-44-55, group: Printrs }\n'), env: {} }), 'CONFIG_INVALID', /auth\.endpoints\[0\]\.group must be the name of a group in auth\.groups \(none is defined\)/);
  rejects(() => loadConfig({ file: yamlFile('log:\n  syslog:\n    - { host: 10.0.0.9, port: 514, transport: carrier-pigeon }\n'), env: {} }), 'CONFIG_INVALID', /log\.syslog\[0\]\.transport must be udp, tcp or tls/);
  rejects(() => loadConfig({ file: yamlFile('log:\n  syslog:\n    - { host: 10.0.0.9 }\n'), env: {} }), 'CONFIG_INVALID', /log\.syslog\[0\]\.port/);
  rejects(() => loadConfig({ file: yamlFile('auth:\n  groups:\n    - { name: Staff }\n  users:\n    - { name: bob, password: p, group: Stafff }\n'), env: {} }), 'CONFIG_INVALID', /auth\.users\[0\]\.group must be the name of a group in auth\.groups \(Staff\)/);
  rejects(() => loadConfig({ file: '/nonexistent/openmnt.yaml', env: {} }), 'CONFIG_NOT_FOUND', /cannot read/);
  // The proxy: a pool naming a server nobody defined, a realm naming a missing pool, a bad address.
  const home = '  homeServers:\n    - { name: aaa-1, address: 10.0.0.11, secret: s }\n';
  rejects(() => loadConfig({ file: yamlFile(`proxy:\n${home}  pools:\n    - { name: corp, homeServers: [aaa-2] }\n`), env: {} }), 'CONFIG_INVALID', /proxy\.pools\[0\]\.homeServers\[0\] must be the name of a server in proxy\.homeServers \(aaa-1\)/);
  rejects(() => loadConfig({ file: yamlFile(`proxy:\n${home}  realms:\n    - { name: corp.example, pool: corp }\n`), env: {} }), 'CONFIG_INVALID', /proxy\.realms\[0\]\.pool must be the name of a pool in proxy\.pools \(none is defined\)/);
  rejects(() => loadConfig({ file: yamlFile('proxy:\n  homeServers:\n    - { name: aaa-1, address: aaa.example, secret: s }\n'), env: {} }), 'CONFIG_INVALID', /proxy\.homeServers\[0\]\.address must be an IP address/);
  rejects(() => loadConfig({ file: yamlFile(`proxy:\n${home}  pools:\n    - { name: corp, homeServers: [aaa-1] }\n  onNoHomeServer: shrug\n`), env: {} }), 'CONFIG_INVALID', /proxy\.onNoHomeServer must be one of reject, drop/);
  rejects(() => loadConfig({ file: yamlFile('radius:\n  dictionaries: [""]\n'), env: {} }), 'CONFIG_INVALID', /radius\.dictionaries\[0\] must be a dictionary file name/);
});

test('store.driver postgres takes a postgres:// URL (several hosts allowed), a pool size and TLS settings; SQLite stays the default', () => {
  assert.equal(loadConfig({ env: {} }).store.driver, 'sqlite');
  const config = loadConfig({
    file: yamlFile('store:\n  driver: postgres\n  url: postgres://openmnt:pw@db1:5432,db2:5433/openmnt\n  poolSize: 20\n  tls: { mode: verify-full, caFile: /etc/ssl/ca.pem }\n'),
    env: {},
  });
  assert.equal(config.store.driver, 'postgres');
  assert.equal(config.store.url, 'postgres://openmnt:pw@db1:5432,db2:5433/openmnt');
  assert.equal(config.store.poolSize, 20);
  assert.deepEqual(config.store.tls, { mode: 'verify-full', caFile: '/etc/ssl/ca.pem', certFile: '', keyFile: '' });
  rejects(() => loadConfig({ file: yamlFile('store:\n  driver: postgres\n'), env: {} }), 'CONFIG_INVALID', /store\.url must be a postgres:\/\/ URL with store\.driver: postgres/);
  rejects(() => loadConfig({ file: yamlFile('store:\n  driver: mysql\n'), env: {} }), 'CONFIG_INVALID', /store\.driver must be sqlite or postgres/);
  rejects(() => loadConfig({ file: yamlFile('store:\n  driver: postgres\n  url: mysql://db/x\n'), env: {} }), 'CONFIG_INVALID', /store\.url must be a postgres:\/\/ URL/);
  rejects(() => loadConfig({ file: yamlFile('store:\n  poolSize: 0\n'), env: {} }), 'CONFIG_INVALID', /store\.poolSize must be a whole number 1-1000/);
  rejects(() => loadConfig({ file: yamlFile('store:\n  tls: { mode: always }\n'), env: {} }), 'CONFIG_INVALID', /store\.tls\.mode must be disable, prefer, require or verify-full/);
  const fromEnv = loadConfig({ env: { OPENMNT_STORE__DRIVER: 'postgres', OPENMNT_STORE__URL: 'postgresql://db/openmnt' } });
  assert.equal(fromEnv.store.url, 'postgresql://db/openmnt');
});
