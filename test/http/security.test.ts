/**
 * Admin accounts, roles, lock-out, HTTPS and what the node logs: the parts that decide who may
 * see and change sessions.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isOpenMntError } from '../../src/errors.js';
import { AdminDirectory, LoginGuard, ROLES, loadTlsCredentials, parseBasicAuthorization, parseRole, roleAllows } from '../../src/http/index.js';
import { logCapture, startTestServer, type TestServer } from '../helpers/server.js';
import { ADMINS, PASSWORD, addAdmins, basic, get } from '../helpers/mnt.js';

describe('roles and credentials', () => {
  test('role matrix: Super and System Admin everything, MnT Admin read + CoA + delete, Helpdesk read only', () => {
    const table = Object.fromEntries(ROLES.map((r) => [r, (['read', 'coa', 'write'] as const).filter((right) => roleAllows(r, right))]));
    assert.deepEqual(table, {
      'super-admin': ['read', 'coa', 'write'],
      'system-admin': ['read', 'coa', 'write'],
      'mnt-admin': ['read', 'coa', 'write'],
      'helpdesk-admin': ['read'],
    });
    assert.equal(parseRole('Helpdesk Admin'), 'helpdesk-admin');
    assert.equal(parseRole('super_admin'), 'super-admin');
    assert.throws(() => parseRole('root'), (e) => isOpenMntError(e, 'INVALID_ARGUMENT'));
  });

  test('Basic credentials are parsed per RFC 7617 and malformed ones refused', () => {
    assert.deepEqual(parseBasicAuthorization(basic('ops', 'a:b:c')), { name: 'ops', password: 'a:b:c' });
    assert.deepEqual(parseBasicAuthorization(`basic   ${Buffer.from('ü:pw').toString('base64')}`), { name: 'ü', password: 'pw' });
    for (const bad of [undefined, '', 'Basic', 'Basic !!!', 'Bearer x', `Basic ${Buffer.from('nocolon').toString('base64')}`, `Basic ${Buffer.from(':pw').toString('base64')}`]) {
      assert.equal(parseBasicAuthorization(bad), null, String(bad));
    }
  });

  test('login guard: slows after a few failures, locks out, forgets on success', () => {
    let now = 0;
    const guard = new LoginGuard({ slowAfter: 2, maxFailures: 4, windowSeconds: 60, lockSeconds: 30, now: () => now });
    const recordFailure = (source: string) => {
      const started = guard.begin(source, null);
      assert.ok(started.allowed, `${source} may try`);
      started.attempt.failed();
    };
    assert.deepEqual(guard.check('10.0.0.1'), { allowed: true, delayMs: 0 });
    recordFailure('10.0.0.1');
    recordFailure('10.0.0.1');
    assert.deepEqual(guard.check('10.0.0.1'), { allowed: true, delayMs: 250 });
    recordFailure('10.0.0.1');
    assert.deepEqual(guard.check('10.0.0.1'), { allowed: true, delayMs: 500 });
    recordFailure('10.0.0.1');
    assert.deepEqual(guard.check('10.0.0.1'), { allowed: false, retryAfterSeconds: 30 });
    assert.deepEqual(guard.check('10.0.0.2'), { allowed: true, delayMs: 0 });
    now += 31_000;
    assert.deepEqual(guard.check('10.0.0.1'), { allowed: true, delayMs: 0 });
    recordFailure('10.0.0.2');
    now += 61_000;
    assert.deepEqual(guard.check('10.0.0.2'), { allowed: true, delayMs: 0 }, 'failures leave the window');
  });

  test('a hash of a lower cost is made again at the current cost on the next successful login', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'openmnt-admins-'));
    try {
      const file = join(dir, 'admins.json');
      const old = AdminDirectory.open(file, { cost: 14 });
      await old.add('ops', 'Ops-Pass-2468', 'mnt-admin');
      assert.match(readFileSync(file, 'utf8'), /"hash": "scrypt\$16384\$/);
      const current = AdminDirectory.open(file, { cost: 15 });
      assert.equal(await current.verify('ops', 'Wrong-Pass-000'), null);
      assert.match(readFileSync(file, 'utf8'), /"hash": "scrypt\$16384\$/, 'a wrong password changes nothing');
      assert.equal((await current.verify('ops', 'Ops-Pass-2468'))?.name, 'ops');
      assert.match(readFileSync(file, 'utf8'), /"hash": "scrypt\$32768\$8\$1\$/, 'upgraded on login');
      const fresh = AdminDirectory.open(file, { cost: 15 });
      assert.equal((await fresh.verify('ops', 'Ops-Pass-2468'))?.role, 'mnt-admin', 'the new hash verifies');
      assert.equal(await fresh.verify('ops', 'Wrong-Pass-000'), null);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('admin file: scrypt hashes only, mode 0600, changes seen by a running directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'openmnt-admins-'));
    try {
      const file = join(dir, 'admins.json');
      const a = AdminDirectory.open(file);
      const b = AdminDirectory.open(file);
      const first = await a.ensureInitialAdmin();
      assert.ok(first && first.name === 'admin' && first.password.length >= 16);
      assert.equal(await a.ensureInitialAdmin(), null);
      const text = readFileSync(file, 'utf8');
      assert.ok(!text.includes(first.password));
      assert.match(text, /"hash": "scrypt\$131072\$8\$1\$/, 'OWASP minimum by default: N = 2^17');
      assert.equal(statSync(file).mode & 0o777, 0o600);
      // Another process's change is noticed within a second (the file's mtime is checked at most that often).
      await new Promise((r) => setTimeout(r, 1100));
      assert.equal((await b.verify('admin', first.password))?.role, 'super-admin');
      await a.passwd('admin', 'another-password');
      await new Promise((r) => setTimeout(r, 1100));
      assert.equal(await b.verify('admin', first.password), null, 'the old password no longer works');
      assert.equal((await b.verify('admin', 'another-password'))?.name, 'admin');
      await assert.rejects(a.add('admin', 'x'.repeat(12), 'mnt-admin'), (e) => isOpenMntError(e, 'ALREADY_EXISTS'));
      await assert.rejects(a.add('short', 'abc', 'mnt-admin'), (e) => isOpenMntError(e, 'INVALID_ARGUMENT'));
      await assert.rejects(a.remove('admin'), (e) => isOpenMntError(e, 'INVALID_ARGUMENT'), 'the last Super Admin stays');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('MnT API lock-out and logging', () => {
  let server: TestServer;
  const log = logCapture();

  before(async () => {
    server = await startTestServer((c) => {
      c.api.lockout = { slowAfter: 2, maxFailures: 4, windowSeconds: 60, lockSeconds: 60 };
      c.log.level = 'debug';
    }, log.stream);
    await addAdmins(server);
  });
  after(async () => server.stop());

  test('repeated failures are slowed, then locked out with 429 and Retry-After, even for the right password', async () => {
    const wrong = 'Wrong-Secret-Word-77';
    for (let i = 0; i < 4; i++) {
      const started = Date.now();
      const answer = await get(server, '/admin/API/mnt/Version', { password: wrong });
      assert.equal(answer.status, 401);
      if (i >= 2) assert.ok(Date.now() - started >= 200, `attempt ${i + 1} was slowed`);
    }
    const locked = await get(server, '/admin/API/mnt/Version');
    assert.equal(locked.status, 429);
    assert.ok(Number(locked.headers.get('retry-after')) > 0);
  });

  test('neither passwords nor the Authorization header reach the log', () => {
    assert.match(log.text(), /MnT API login failed/);
    for (const secret of ['Wrong-Secret-Word-77', PASSWORD, Buffer.from(`${ADMINS['super-admin']}:Wrong-Secret-Word-77`).toString('base64')]) {
      assert.ok(!log.text().includes(secret), `log holds ${secret}`);
    }
    assert.doesNotMatch(log.text(), /authorization/i);
  });
});

describe('MnT API lock-out and a client with many connections', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer((c) => {
      c.api.lockout = { slowAfter: 2, maxFailures: 5, windowSeconds: 300, lockSeconds: 60 };
    });
    await addAdmins(server);
  });
  after(async () => server.stop());

  test('credentials verified moments ago are not counted as attempts in flight; a locked source stays locked', async () => {
    assert.equal((await get(server, '/admin/API/mnt/Version', { as: 'mnt-admin' })).status, 200, 'verified once (now remembered)');
    // Four wrong passwords for another account from the same address: one short of the lock.
    for (let i = 0; i < 4; i++) assert.equal((await get(server, '/admin/API/mnt/Version', { as: 'helpdesk-admin', password: 'Wrong-Secret-Word-78' })).status, 401);
    // Counted as attempts, the first of these would be in flight (slowed) when the second began,
    // and the second would make five: refused with 429 although its password is right.
    const burst = await Promise.all(Array.from({ length: 8 }, () => get(server, '/admin/API/mnt/Session/ActiveCount', { as: 'mnt-admin' })));
    assert.deepEqual(burst.map((a) => a.status), Array(8).fill(200));
    // A password not verified before is still an attempt: the fifth failure locks the address out,
    // and then even the remembered credentials are refused.
    assert.equal((await get(server, '/admin/API/mnt/Version', { as: 'helpdesk-admin', password: 'Wrong-Secret-Word-78' })).status, 401);
    const locked = await get(server, '/admin/API/mnt/Version', { as: 'mnt-admin' });
    assert.equal(locked.status, 429);
    assert.ok(Number(locked.headers.get('retry-after')) > 0);
  });
});

describe('/health and /metrics', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
    await addAdmins(server);
  });
  after(async () => server.stop());

  test('health tells the store works and how many sessions are active; metrics count calls by status', async () => {
    const health = (await (await fetch(`http://127.0.0.1:${server.api.port}/health`)).json()) as Record<string, unknown>;
    assert.equal(health.status, 'ok');
    assert.equal(health.activeSessions, 0);
    await get(server, '/admin/API/mnt/Session/ActiveCount');
    await get(server, '/admin/API/mnt/Session/MACAddress/00:00:00:00:00:01');
    const metrics = await (await fetch(`http://127.0.0.1:${server.api.port}/metrics`)).text();
    assert.match(metrics, /^openmnt_api_requests_total\{call="Session\/ActiveCount",status="200"\} 1$/m);
    assert.match(metrics, /^openmnt_api_requests_total\{call="Session\/MACAddress",status="500"\} 1$/m);
    assert.match(metrics, /^openmnt_api_request_duration_seconds_bucket\{call="Session\/ActiveCount",le="\+Inf"\} 1$/m);
    assert.match(metrics, /^openmnt_sessions_active 0$/m);
    assert.match(metrics, /^openmnt_radius_packets_total\{listener="accounting",outcome="answered"\} 0$/m);
    assert.match(metrics, /^# TYPE openmnt_api_request_duration_seconds histogram$/m);
  });
});

describe('HTTPS', () => {
  test('a self-signed certificate is made on first start, reused later, and served', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'openmnt-tls-'));
    try {
      const first = await loadTlsCredentials({ certFile: '', keyFile: '', dir }, ['openmnt-test']);
      assert.equal(first.generated, true);
      assert.equal(statSync(join(dir, 'key.pem')).mode & 0o777, 0o600);
      const again = await loadTlsCredentials({ certFile: '', keyFile: '', dir }, ['openmnt-test']);
      assert.equal(again.generated, false);
      assert.equal(again.fingerprint, first.fingerprint);

      const server = await startTestServer((c) => {
        c.api.tls = { enabled: true, certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem'), dir };
      });
      try {
        await addAdmins(server);
        assert.match(server.api.url, /^https:\/\//);
        const { status, fingerprint } = await new Promise<{ status: number; fingerprint: string }>((resolve, reject) => {
          const req = request(
            { host: '127.0.0.1', port: server.api.port, path: '/admin/API/mnt/Session/ActiveCount', rejectUnauthorized: false, headers: { authorization: basic(ADMINS['helpdesk-admin']) } },
            (res) => {
              const peer = (res.socket as import('node:tls').TLSSocket).getPeerCertificate();
              res.resume();
              res.on('end', () => resolve({ status: res.statusCode ?? 0, fingerprint: peer.fingerprint256 }));
            },
          );
          req.on('error', reject);
          req.end();
        });
        assert.equal(status, 200);
        assert.equal(fingerprint, first.fingerprint);
      } finally {
        await server.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a configured key that does not belong to the certificate stops the start with a clear error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'openmnt-tls-'));
    try {
      const a = await loadTlsCredentials({ certFile: '', keyFile: '', dir: join(dir, 'a') }, []);
      await loadTlsCredentials({ certFile: '', keyFile: '', dir: join(dir, 'b') }, []);
      writeFileSync(join(dir, 'cert.pem'), a.cert);
      await assert.rejects(
        loadTlsCredentials({ certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'b', 'key.pem'), dir }, []),
        (e) => isOpenMntError(e, 'CONFIG_INVALID') && /key does not belong/.test(e.message),
      );
      await assert.rejects(loadTlsCredentials({ certFile: join(dir, 'missing.pem'), keyFile: join(dir, 'b', 'key.pem'), dir }, []), (e) => isOpenMntError(e, 'CONFIG_INVALID'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('openmnt admin (the built binary)', () => {
  let dir: string;
  let config: string;
  const run = (args: string[], input = '') => spawnSync(process.execPath, ['bin/openmnt.js', 'admin', ...args, '--config', config], { input, encoding: 'utf8' });

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'openmnt-cli-admin-'));
    config = join(dir, 'openmnt.yaml');
    writeFileSync(config, `api: { adminsFile: ${join(dir, 'admins.json')} }\n`);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('add, list, passwd, remove; the password comes from stdin, never from the command line', async () => {
    let r = run(['add', 'root', '--role', 'super-admin'], 'First-Pass-123\n');
    assert.equal(r.status, 0, r.stderr);
    r = run(['add', 'desk', '--role', 'Helpdesk Admin'], 'Desk-Pass-123\n');
    assert.equal(r.status, 0, r.stderr);
    r = run(['list']);
    assert.equal(r.status, 0);
    assert.match(r.stdout, /^NAME\s+ROLE\s+CREATED \(UTC\)\s+PASSWORD CHANGED \(UTC\)$/m);
    assert.match(r.stdout, /^desk\s+Helpdesk Admin\s+\d{4}-/m);
    assert.match(r.stdout, /^root\s+Super Admin\s+/m);
    r = run(['passwd', 'desk'], 'Second-Pass-456\n');
    assert.equal(r.status, 0, r.stderr);
    const directory = AdminDirectory.open(join(dir, 'admins.json'));
    assert.equal(await directory.verify('desk', 'Desk-Pass-123'), null);
    assert.equal((await directory.verify('desk', 'Second-Pass-456'))?.role, 'helpdesk-admin');
    r = run(['remove', 'desk']);
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(run(['list']).stdout, /desk/);
  });

  test('failures exit 1 with the reason; usage mistakes exit 2 with the help', () => {
    const cases: [string[], string, number, RegExp][] = [
      [['add', 'root'], 'Another-Pass-1\n', 1, /already exists/],
      [['add', 'weak'], 'abc\n', 1, /at least 8 characters/],
      [['add', 'x', '--role', 'wizard'], 'Good-Pass-123\n', 1, /unknown role 'wizard'/],
      [['add', 'bad name'], 'Good-Pass-123\n', 1, /not valid/],
      [['passwd', 'nobody'], 'Good-Pass-123\n', 1, /no admin named 'nobody'/],
      [['remove', 'root'], '', 1, /last Super Admin/],
      [['add'], '', 2, /Usage/],
      [['frobnicate'], '', 2, /Usage/],
      [['list', 'extra'], '', 2, /Usage/],
      [['list', '--role', 'mnt-admin'], '', 2, /--role and --groups only go with add/],
    ];
    for (const [args, input, status, message] of cases) {
      const r = run(args, input);
      assert.equal(r.status, status, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message, args.join(' '));
    }
  });

  test('--help prints the whole help text', () => {
    const r = spawnSync(process.execPath, ['bin/openmnt.js', 'admin', '--help'], { encoding: 'utf8' });
    assert.equal(r.status, 0);
    for (const word of ['add <name>', 'passwd <name>', 'list', 'remove <name>', '--role', 'Exit codes']) assert.ok(r.stdout.includes(word), word);
  });
});
