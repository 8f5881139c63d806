/** Failed authentications are visible without the API: a log line each, and counters by reason. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { mab as mabRequest, radclient } from '../helpers/radclient.js';
import { logCapture, SECRET, startTestServer, type TestServer } from '../helpers/server.js';
import { needTool } from '../helpers/tools.js';

describe('authentications in the log and in /metrics', { skip: needTool('radclient', 'freeradius-utils') }, () => {
  let server: TestServer;
  const log = logCapture();
  before(async () => {
    server = await startTestServer((c) => {
      c.log.level = 'info';
      c.auth.groups = [{ name: 'Printers', profile: 'Print' }];
      c.auth.profiles['Print'] = { vlan: '30' };
      c.auth.endpoints = [{ mac: '00:11:22:33:44:55', group: 'Printers' }];
      c.auth.users = [{ name: 'alice', password: 'correct horse', group: 'Printers' }];
    }, log.stream);
  });
  after(async () => server.stop());

  const mab = (mac: string) => mabRequest(server.ports.auth, SECRET, mac, 'Message-Authenticator = 0x00');

  test('a line per failed authentication (never the password); counters by result and failure reason', async () => {
    assert.equal((await mab('00-11-22-33-44-55')).status, 0);
    await mab('66-77-88-99-AA-BB');
    await mab('66-77-88-99-AA-BC');
    await radclient({ port: server.ports.auth, secret: SECRET, kind: 'auth', packets: ['User-Name = "alice", User-Password = "wrong battery"'] });
    const lines = log
      .text()
      .split('\n')
      .filter((l) => l.includes('"msg":"authentication failed"'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(lines.length, 3);
    assert.deepEqual(lines.map((l) => l.user).sort(), ['66-77-88-99-AA-BB', '66-77-88-99-AA-BC', 'alice']);
    assert.ok(lines.every((l) => Number.isInteger(l.reason) && (l.reason as number) > 0), 'each names its ISE failure reason code');
    assert.ok(lines.every((l) => typeof l.reasonText === 'string' && l.nas === 'test-switch'));
    assert.ok(!log.text().includes('wrong battery'), 'the password is not logged');
    const metrics = await (await fetch(`http://127.0.0.1:${server.api.port}/metrics`)).text();
    assert.match(metrics, /^openmnt_authentications_total\{result="passed",reason=""\} 1$/m);
    const failed = [...metrics.matchAll(/^openmnt_authentications_total\{result="failed",reason="(\d+)"\} (\d+)$/gm)];
    assert.equal(failed.reduce((n, m) => n + Number(m[2]), 0), 3);
    for (const line of lines) assert.ok(failed.some((m) => m[1] === String(line.reason)), `reason ${String(line.reason)} counted`);
  });

  test('per-NAS packet counters, commit times and the process in /metrics', async () => {
    // A wrong secret: the Message-Authenticator does not verify and the request is dropped.
    await radclient({ port: server.ports.auth, secret: 'not-the-secret', kind: 'auth', retries: 1, timeoutSeconds: 1, packets: ['User-Name = "x", User-Password = "y", Message-Authenticator = 0x00'] });
    const metrics = await (await fetch(`http://127.0.0.1:${server.api.port}/metrics`)).text();
    const value = (pattern: RegExp) => Number(pattern.exec(metrics)?.[1] ?? NaN);
    const perNas = new Map([...metrics.matchAll(/^openmnt_radius_nas_packets_total\{nas="test-switch",outcome="([a-z-]+)"\} (\d+)$/gm)].map((m) => [m[1]!, Number(m[2])]));
    assert.equal(perNas.get('answered'), 4, 'the four decided requests of the test before');
    assert.ok((perNas.get('dropped-bad-message-authenticator') ?? 0) >= 1, metrics);
    // Whatever a slow machine made radclient retransmit, every packet received has one outcome.
    const outcomes = [...perNas].filter(([o]) => o !== 'received').reduce((n, [, v]) => n + v, 0);
    assert.equal(perNas.get('received'), outcomes);
    assert.ok(value(/^openmnt_store_commit_duration_seconds_count (\d+)$/m) >= 1, 'each decision was committed');
    assert.ok(value(/^process_resident_memory_bytes (\d+)$/m) > 0);
    assert.ok(value(/^process_open_fds (\d+)$/m) > 0);
    assert.match(metrics, /^openmnt_main_thread_delay_seconds\{quantile="0\.99"\} [\d.e-]+$/m);
    assert.match(metrics, /^# TYPE nodejs_gc_duration_seconds histogram$/m);
  });

  test('every metric the Grafana dashboard queries is one the node exports', async () => {
    const metrics = await (await fetch(`http://127.0.0.1:${server.api.port}/metrics`)).text();
    const exported = new Map([...metrics.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
    const dashboard = JSON.parse(readFileSync('packaging/grafana-dashboard.json', 'utf8')) as { panels: { title: string; targets: { expr: string }[] }[] };
    assert.ok(dashboard.panels.length >= 10);
    for (const panel of dashboard.panels) {
      for (const { expr } of panel.targets) {
        for (const [name] of expr.matchAll(/\b(?:openmnt|process|nodejs)_[a-z0-9_]+/g)) {
          const histogram = name.replace(/_bucket$/, '');
          assert.ok(exported.has(name) || exported.get(histogram) === 'histogram', `${panel.title}: ${name} is exported`);
        }
      }
    }
  });
});
