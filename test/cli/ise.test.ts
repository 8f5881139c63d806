/** The built `openmnt` client commands against a fixture that answers like a Cisco ISE node. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { spawn } from 'node:child_process';
import { FAILURE_REASON, IseFixture } from '../helpers/ise-fixture.js';
import { openmnt } from '../helpers/run.js';

const cli = (args: string[], env: Record<string, string>) => openmnt(args, env);

describe('openmnt client commands against an ISE-like node', () => {
  const ise = new IseFixture([
    { user: 'jsmith', mac: 'C8:5B:76:C6:59:62', nas: '10.50.1.10', ip: '10.50.10.100', acctSessionId: '00000001', auditSessionId: '0A32010A00001234ABCDEF01' },
    { user: 'alice', mac: '98:BB:1E:1F:A7:13', nas: '10.50.1.10', ip: '10.50.10.101', acctSessionId: '00000002', auditSessionId: '0A32010A00001234ABCDEF02' },
    { user: 'bob', mac: '14:F6:D8:7B:31:80', nas: '10.50.1.20', ip: '10.50.10.102', acctSessionId: '00000003', auditSessionId: '0A32011400001234ABCDEF03' },
  ]);
  let env: Record<string, string>;
  before(async () => {
    await ise.start();
    env = { ISE_PAN_FQDN: ise.url, ISE_API_USER: 'ise-admin', ISE_API_PASS: 'Ise-Pass-1' };
  });
  after(async () => ise.close());

  test('count, version and the activeList root parsed with an XML parser', async () => {
    assert.equal((await cli(['count'], env)).stdout, '3\n');
    const version = JSON.parse((await cli(['version', '--format', 'json'], env)).stdout) as Record<string, string>[];
    assert.equal(version[0]!.product, 'Cisco Identity Services Engine');
    const sessions = JSON.parse((await cli(['sessions', '--nas', '10.50.1.10', '--format', 'json'], env)).stdout) as Record<string, string>[];
    assert.deepEqual(sessions.map((s) => s.calling_station_id), ['C8:5B:76:C6:59:62', '98:BB:1E:1F:A7:13']);
  });

  test('a lower-case MAC is sent upper case (ISE fails on lower case); ISE\'s 500 for no session exits 4', async () => {
    const found = await cli(['session', '--mac', 'c8-5b-76-c6-59-62', '--format', 'json'], env);
    assert.equal(found.status, 0, found.stderr);
    assert.equal((JSON.parse(found.stdout) as Record<string, string>[])[0]!.nas_ip_address, '10.50.1.10');
    assert.ok(ise.requests.some((r) => r.path === '/admin/API/mnt/Session/MACAddress/C8:5B:76:C6:59:62'));
    const missing = await cli(['session', '--mac', 'AA:BB:CC:DD:EE:FF'], env);
    assert.equal(missing.status, 4);
    assert.match(missing.stderr, /Session data is not available for AA:BB:CC:DD:EE:FF\./);
  });

  test('coa by user resolves MAC and NAS through the session; ISE\'s "false" exits 1', async () => {
    const ok = await cli(['coa', '--user', 'alice', '--format', 'json'], env);
    assert.equal(ok.status, 0, ok.stderr);
    assert.ok(ise.requests.some((r) => r.method === 'PUT' && r.path === '/admin/API/mnt/CoA/Reauth/openmnt-cli/98:BB:1E:1F:A7:13/0/10.50.1.10'));
    ise.coaResult = false;
    assert.equal((await cli(['coa', '--mac', 'C8:5B:76:C6:59:62'], env)).status, 1);
    ise.coaResult = true;
    // ISE cannot verify: the CLI looks at the session before and after the wait; it did not change.
    const verify = await cli(['coa', '--mac', 'C8:5B:76:C6:59:62', '--verify', '--verify-timeout', '1', '--format', 'json'], env);
    assert.equal(verify.status, 1);
    assert.equal((JSON.parse(verify.stdout) as Record<string, string>[])[0]!.verified, 'false');
  });

  test('coa bulk loops client-side with the pacing options; --policy needs OpenMnT', async () => {
    const before = ise.requests.filter((r) => r.path.startsWith('/admin/API/mnt/CoA/Disconnect/')).length;
    const started = Date.now();
    const run = await cli(['coa', 'bulk', '--nas', '10.50.1.10', '--action', 'bounce', '--rate', '4', '--concurrency', '1', '--yes', '--format', 'json'], env);
    assert.equal(run.status, 0, run.stderr);
    assert.equal((JSON.parse(run.stdout) as Record<string, string>[])[0]!.ack, '2');
    assert.ok(Date.now() - started >= 500, '4 per second: two CoAs take at least half a second');
    const sent = ise.requests.filter((r) => r.path.startsWith('/admin/API/mnt/CoA/Disconnect/')).slice(before);
    assert.deepEqual(sent.map((r) => r.path.split('/').slice(7, 10).join('/')).sort(), ['98:BB:1E:1F:A7:13/1/10.50.1.10', 'C8:5B:76:C6:59:62/1/10.50.1.10']);
    assert.equal((await cli(['coa', 'bulk', '--policy', 'Wired_802.1X_Closed', '--yes'], env)).status, 2);
    assert.equal((await cli(['count'], { ...env, ISE_API_PASS: 'nope' })).status, 3);
  });

  test('the cookbook spellings: a bare MAC is the MAC lookup, auth-logs is auth-status', async () => {
    const bare = await cli(['session', 'c8-5b-76-c6-59-62', '--format', 'json'], env);
    assert.equal(bare.status, 0, bare.stderr);
    assert.equal((JSON.parse(bare.stdout) as Record<string, string>[])[0]!.user_name, 'jsmith');
    assert.equal(ise.requests.at(-1)!.path, '/admin/API/mnt/Session/MACAddress/C8:5B:76:C6:59:62');
    const notMac = await cli(['session', 'jsmith'], env);
    assert.equal(notMac.status, 2);
    assert.match(notMac.stderr, /jsmith is not a MAC address/);
    const logs = await cli(['auth-logs', 'C8:5B:76:C6:59:62', '--format', 'json'], env);
    assert.equal(logs.status, 0, logs.stderr);
    assert.equal(ise.requests.at(-1)!.path, '/admin/API/mnt/AuthStatus/MACAddress/C8:5B:76:C6:59:62/3600/50/All');
    assert.equal((JSON.parse(logs.stdout) as Record<string, string>[])[0]!.failure_reason, FAILURE_REASON);
    assert.equal((await cli(['auth-status', '--mac', 'C8:5B:76:C6:59:62', '--format', 'json'], env)).stdout, logs.stdout);
  });

  test('at 80 columns auth-status keeps failure_reason whole (wrapped), and no line is wider', async () => {
    const r = await cli(['auth-status', 'C8:5B:76:C6:59:62'], { ...env, COLUMNS: '80' });
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.ok(lines.every((l) => l.length <= 80), r.stdout);
    assert.match(lines[0]!, /^ACS_TIMESTAMP\s+PASSED\s+.*CALLING_STATION_ID\s+FAILURE_REASON$/);
    const at = lines[0]!.indexOf('FAILURE_REASON');
    assert.equal(lines.slice(1).map((l) => l.slice(at).trim()).join(' '), FAILURE_REASON);
    assert.match(lines[1]!, /C8:5B:76:C6:59:62/);
  });

  test('sessions against ISE: no query is sent (ISE has no filter); the list is read as a stream', async () => {
    await cli(['sessions', '--nas', '10.50.1.10'], env);
    const asked = ise.requests.filter((r) => r.path === '/admin/API/mnt/Session/ActiveList').at(-1)!;
    assert.equal(asked.query, '');
    // The answer is held open after 2,000 sessions; rows must reach standard output before it ends.
    let release!: () => void;
    ise.held = { before: 2000, after: 1000, release: new Promise<void>((resolve) => (release = resolve)) };
    try {
      const child = spawn(process.execPath, ['bin/openmnt.js', 'sessions', '--format', 'csv'], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const printedBeforeEnd = new Promise<void>((resolve) => {
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('00:00:00:00:07:CF')) resolve(); // session 1999, before the answer ends
        });
      });
      const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
      // Without streaming this never resolves: the CLI would wait for the end the fixture withholds.
      await Promise.race([printedBeforeEnd, exited.then(() => assert.fail(`exited before printing rows: ${err}`))]);
      assert.ok(!out.includes('00:00:00:00:07:D0'), 'nothing after the held point yet');
      release();
      assert.equal(await exited, 0, err);
      assert.equal(out.trimEnd().split('\n').length, 1 + 3000);
    } finally {
      ise.held = null;
    }
  });

  test('sessions against OpenMnT: --nas, --user, --mac and paging go to the server as a query', async () => {
    ise.openMnt = true;
    try {
      const r = await cli(['sessions', '--nas', '10.50.1.10', '--user', 'alice', '--mac', '98-bb-1e-1f-a7-13', '--page', '1', '--size', '10', '--format', 'json'], env);
      assert.equal(r.status, 0, r.stderr);
      const asked = ise.requests.filter((x) => x.path === '/admin/API/mnt/Session/ActiveList').at(-1)!;
      assert.deepEqual(Object.fromEntries(new URLSearchParams(asked.query)), { nas: '10.50.1.10', user: 'alice', mac: '98:BB:1E:1F:A7:13', page: '1', size: '10' });
    } finally {
      ise.openMnt = false;
    }
  });
});
