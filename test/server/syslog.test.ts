/**
 * Remote syslog in ISE's format: a UDP, a TCP and a TLS collector each receive a passed and a failed
 * authentication and an accounting record, and read them with the fields SIEM parsers for ISE
 * take apart (category, message id, segments, time, sequence, code, severity, class, pairs).
 */
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createServer as createTlsServer } from 'node:tls';
import selfsigned from 'selfsigned';
import { authenticationMessage, frames } from '../../src/syslog/index.js';
import { mab as mabRequest, radclient } from '../helpers/radclient.js';
import { SECRET, startTestServer, type TestServer } from '../helpers/server.js';
import { needTool } from '../helpers/tools.js';

/** What parsers for ISE extract from the text after the program name. */
const ISE_BODY = /^(\d{10}) (\d+) (\d+) (\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}) (\+\d{2}:\d{2}) (\d{10}) (\d{4}) (NOTICE) ([\w-]+): ([^,]+), (.*),$/;

interface Parsed {
  category: string;
  code: string;
  messageClass: string;
  text: string;
  pairs: Map<string, string>;
}

function parse(line: string): Parsed {
  // ISE's own header: `<181>Dec  2 05:14:08 host CISE_... `; RFC 5424: `<181>1 2026-… host CISE_... - 5200 - `.
  const m = /^<181>(?:1 \S+ \S+ (CISE_\w+) - \d+ - |\w{3} [ \d]\d \d{2}:\d{2}:\d{2} \S+ (CISE_\w+) )(.*)$/.exec(line);
  assert.ok(m, `a syslog line: ${line}`);
  const body = ISE_BODY.exec(m[3]!);
  assert.ok(body, `ISE's body: ${m[3]}`);
  const pairs = new Map(body[11]!.split(/(?<!\\), /).map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)] as [string, string]));
  return { category: (m[1] ?? m[2])!, code: body[7]!, messageClass: body[9]!, text: body[10]!, pairs };
}

class Collector {
  readonly lines: string[] = [];
  #waiting: { n: number; resolve: () => void }[] = [];
  add(line: string): void {
    this.lines.push(line);
    this.#waiting = this.#waiting.filter((w) => (this.lines.length >= w.n ? (w.resolve(), false) : true));
  }
  count(n: number): Promise<void> {
    return this.lines.length >= n ? Promise.resolve() : new Promise((resolve) => this.#waiting.push({ n, resolve }));
  }
}

describe('remote syslog to UDP, TCP and TLS collectors', { skip: needTool('radclient', 'freeradius-utils') }, () => {
  let server: TestServer;
  const udp = createSocket('udp4');
  let tcp: Server;
  let tls: Server;
  const got = { udp: new Collector(), tcp: new Collector(), tls: new Collector() };

  const lines = (collector: Collector) => (chunk: Buffer, state: { rest: string }) => {
    state.rest += chunk.toString();
    const parts = state.rest.split('\n');
    state.rest = parts.pop()!;
    for (const p of parts) collector.add(p);
  };

  before(async () => {
    udp.on('message', (m) => got.udp.add(m.toString()));
    await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
    tcp = createServer((s) => {
      const state = { rest: '' };
      s.on('data', (d: Buffer) => lines(got.tcp)(d, state));
    });
    await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
    const pems = selfsigned.generate([{ name: 'commonName', value: 'collector' }], { keySize: 2048, days: 2 });
    tls = createTlsServer({ key: pems.private, cert: pems.cert }, (s) => {
      const state = { rest: '' };
      s.on('data', (d: Buffer) => lines(got.tls)(d, state));
    });
    await new Promise<void>((resolve) => tls.listen(0, '127.0.0.1', resolve));
    const base = { host: '127.0.0.1', facility: 22, maxLength: 8192, caFile: '', rejectUnauthorized: false };
    server = await startTestServer((c) => {
      c.auth.groups = [{ name: 'Printers', profile: 'Print' }];
      c.auth.profiles['Print'] = { vlan: '30' };
      c.auth.endpoints = [{ mac: '00:11:22:33:44:55', group: 'Printers' }];
      c.log.syslog = [
        { ...base, port: udp.address().port, transport: 'udp', header: 'ise' },
        { ...base, port: (tcp.address() as { port: number }).port, transport: 'tcp', header: 'rfc5424' },
        { ...base, port: (tls.address() as { port: number }).port, transport: 'tls', header: 'ise' },
      ];
    });
  });
  after(async () => {
    await server.stop();
    udp.close();
    tcp.close();
    tls.close();
  });

  const mab = (mac: string) => mabRequest(server.ports.auth, SECRET, mac, 'NAS-Port-Id = "Gi1/0/7, uplink"');

  test('a pass (5200), a failure (5400) and an accounting start (3000) reach every collector', async () => {
    assert.equal((await mab('00-11-22-33-44-55')).status, 0);
    await mab('66-77-88-99-AA-BB');
    const start = await radclient({
      port: server.ports.accounting,
      secret: SECRET,
      kind: 'acct',
      packets: ['Acct-Status-Type = Start, Acct-Session-Id = "sys-1", Calling-Station-Id = "00-11-22-33-44-55", User-Name = "printer-1", NAS-IP-Address = 127.0.0.1'],
    });
    assert.equal(start.status, 0, start.stderr);
    for (const [name, collector] of Object.entries(got)) {
      await collector.count(3);
      const parsed = collector.lines.map(parse);
      const by = (code: string) => parsed.find((p) => p.code === code);
      const passed = by('5200');
      const failed = by('5400');
      const acct = by('3000');
      assert.ok(passed && failed && acct, `${name}: ${collector.lines.join('\n')}`);
      assert.equal(passed.category, 'CISE_Passed_Authentications');
      assert.equal(passed.messageClass, 'Passed-Authentication');
      assert.equal(passed.text, 'Authentication succeeded');
      assert.equal(passed.pairs.get('Calling-Station-ID'), '00:11:22:33:44:55');
      assert.equal(passed.pairs.get('IdentityGroup'), 'Printers');
      assert.equal(passed.pairs.get('NetworkDeviceName'), 'test-switch');
      assert.equal(passed.pairs.get('NAS-Port-Id'), 'Gi1/0/7\\, uplink', 'a comma in a value is escaped');
      assert.equal(failed.category, 'CISE_Failed_Attempts');
      assert.equal(failed.messageClass, 'Failed-Attempt');
      assert.match(failed.pairs.get('FailureReason') ?? '', /^\d{5} /);
      assert.equal(acct.category, 'CISE_RADIUS_Accounting');
      assert.equal(acct.pairs.get('Acct-Status-Type'), 'Start');
      assert.equal(acct.pairs.get('Acct-Session-Id'), 'sys-1');
      assert.equal(acct.pairs.get('UserName'), 'printer-1');
    }
    assert.match(got.tcp.lines[0]!, /^<181>1 \d{4}-\d{2}-\d{2}T/, 'the TCP collector asked for RFC 5424 headers');
    assert.match(got.udp.lines[0]!, /^<181>[A-Z][a-z]{2} [ \d]\d /, 'the UDP collector gets ISE\'s own header');
  });
});

test('a message longer than the collector takes is cut into numbered segments of one message id', () => {
  const message = authenticationMessage({
    receivedAt: Date.UTC(2026, 11, 2, 5, 14, 8, 123), passed: true, failureReasonCode: null, failureReason: null, userName: 'u'.repeat(900), nasIp: '10.1.1.1',
    nasPort: null, nasPortId: null, nasPortType: null, nasIdentifier: null, callingStationId: '00:11:22:33:44:55', calledStationId: null, auditSessionId: null,
    acctSessionId: null, framedIp: null, identityGroup: null, networkDeviceName: 'sw', authenticationMethod: 'mab', authenticationProtocol: 'Lookup',
    identityStore: null, selectedAuthzProfile: null, authzPolicy: null, serviceType: null, messageCode: 5200, response: null, executionSteps: null,
    otherAttributes: null, responseTimeMs: 3, server: 'mnt-1',
  });
  const out = frames(message, { header: 'ise', facility: 22, hostname: 'mnt-1', messageId: 42, sequence: 7, maxLength: 600, now: Date.UTC(2026, 11, 2, 5, 14, 8) });
  assert.ok(out.length >= 4, `${out.length} segments`);
  out.forEach((line, i) => {
    assert.ok(Buffer.byteLength(line) <= 600, `segment ${i} fits`);
    assert.match(line, new RegExp(`^<181>Dec  2 05:14:08 mnt-1 CISE_Passed_Authentications 0000000042 ${out.length} ${i} `));
  });
  const joined = out.map((l) => l.replace(/^.*? CISE_Passed_Authentications 0000000042 \d+ \d+ /, '')).join('');
  assert.match(joined, /^2026-12-02 05:14:08\.123 \+00:00 0000000007 5200 NOTICE Passed-Authentication: Authentication succeeded, /);
  assert.ok(joined.includes(`UserName=${'u'.repeat(900)}`), 'the segments join back into the whole message');
});
