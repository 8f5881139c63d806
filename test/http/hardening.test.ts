/**
 * What an outside security test found in the API, each case shown closed: brute force through the
 * lock-out, leaked and unbounded connections, chunked bodies past the limit, weak TLS suites, and
 * passwords typed into the user field reaching the log.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { LoginGuard } from '../../src/http/index.js';
import { ADMINS, addAdmins, basic, get, PASSWORD } from '../helpers/mnt.js';
import { logCapture, startTestServer, type TestServer } from '../helpers/server.js';
import { needTool } from '../helpers/tools.js';

const WRONG = 'Not-The-Password-1';

describe('login guard (unit)', () => {
  test('a success clears only the failures against the account it proves', () => {
    const now = 0;
    const guard = new LoginGuard({ slowAfter: 100, maxFailures: 4, windowSeconds: 60, lockSeconds: 30, now: () => now });
    const attempt = (account: string, ok: boolean) => {
      const started = guard.begin('10.0.0.1', account);
      assert.ok(started.allowed, `attempt at ${account} allowed`);
      if (ok) started.attempt.succeeded();
      else started.attempt.failed();
    };
    for (let i = 0; i < 3; i++) {
      attempt('root', false);
      attempt('helpdesk', true);
    }
    attempt('root', false);
    assert.deepEqual(guard.check('10.0.0.1'), { allowed: false, retryAfterSeconds: 30 }, 'four failures at root lock the source');
    // The right password of the guessed account itself does clear the guesses at it.
    const other = new LoginGuard({ slowAfter: 100, maxFailures: 4, windowSeconds: 60, lockSeconds: 30, now: () => now });
    for (let i = 0; i < 3; i++) {
      const s = other.begin('10.0.0.2', 'root');
      if (s.allowed) s.attempt.failed();
    }
    const good = other.begin('10.0.0.2', 'root');
    assert.ok(good.allowed);
    good.attempt.succeeded();
    assert.deepEqual(other.check('10.0.0.2'), { allowed: true, delayMs: 0 });
  });

  test('attempts count from their start: a burst beyond the limit is refused before any is checked', () => {
    const guard = new LoginGuard({ slowAfter: 100, maxFailures: 10, windowSeconds: 60, lockSeconds: 30 });
    const started = Array.from({ length: 100 }, () => guard.begin('10.0.0.3', 'root'));
    assert.equal(started.filter((s) => s.allowed).length, 10);
    for (const s of started) if (s.allowed) s.attempt.failed();
    assert.equal(guard.check('10.0.0.3').allowed, false);
    // Settling twice changes nothing.
    const late = new LoginGuard({ slowAfter: 100, maxFailures: 2, windowSeconds: 60, lockSeconds: 30 });
    const a = late.begin('10.0.0.4', 'x');
    assert.ok(a.allowed);
    a.attempt.failed();
    a.attempt.failed();
    assert.equal(late.check('10.0.0.4').allowed, true, 'one attempt is one failure');
  });

  test('guessing one account from many addresses is slowed down', () => {
    const guard = new LoginGuard({ slowAfter: 3, maxFailures: 10, windowSeconds: 60, lockSeconds: 30 });
    for (let i = 0; i < 6; i++) {
      const s = guard.begin(`10.1.0.${i}`, 'root');
      assert.ok(s.allowed);
      s.attempt.failed();
    }
    const next = guard.begin('10.1.0.99', 'root');
    assert.ok(next.allowed && next.attempt.delayMs > 0, 'a fresh address guessing the same account waits');
    const unrelated = guard.begin('10.1.0.99', null);
    assert.ok(unrelated.allowed);
  });
});

describe('API lock-out over HTTP', () => {
  let server: TestServer;
  const log = logCapture();

  before(async () => {
    // No slow-down here: these tests are about counting, not waiting.
    server = await startTestServer((c) => {
      c.api.lockout = { slowAfter: 1000, maxFailures: 10, windowSeconds: 300, lockSeconds: 300 };
      c.log.level = 'info';
    }, log.stream);
    await addAdmins(server);
  });
  after(async () => server.stop());

  test("a read-only admin's own logins do not wash away guesses at a Super Admin", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) {
      statuses.push((await get(server, '/admin/API/mnt/Version', { as: 'super-admin', password: WRONG })).status);
      // Before the fix each of these successes cleared the source's failures.
      statuses.push((await get(server, '/admin/API/mnt/Version', { as: 'helpdesk-admin' })).status);
    }
    const guesses = statuses.filter((_, i) => i % 2 === 0);
    assert.equal(guesses.filter((s) => s === 401).length, 10, 'ten wrong guesses are checked, no more');
    assert.ok(guesses.slice(10).every((s) => s === 429), `later guesses are locked out: ${guesses.join(' ')}`);
    assert.equal((await get(server, '/admin/API/mnt/Version', { as: 'super-admin' })).status, 429, 'even the right password waits out the lock');
  });

  test('neither a password typed as a user name nor an unknown name reaches the log', async () => {
    const typedAsName = 'Summer-Holiday-2026!';
    const res = await fetch(`http://127.0.0.1:${server.api.port}/admin/API/mnt/Version`, { headers: { authorization: `Basic ${Buffer.from(`${typedAsName}:x`).toString('base64')}` } });
    assert.ok(res.status === 401 || res.status === 429);
    await res.text();
    assert.ok(!log.text().includes(typedAsName), 'the typed password is not in the log');
    assert.match(log.text(), new RegExp(`"admin":"${ADMINS['super-admin']}"`), 'a failure at an existing account names it');
  });
});

describe('API lock-out: a parallel burst', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer((c) => {
      c.api.lockout = { slowAfter: 1000, maxFailures: 10, windowSeconds: 300, lockSeconds: 300 };
    });
    await addAdmins(server);
  });
  after(async () => server.stop());

  test('100 parallel wrong passwords: ten are checked, the rest refused with 429', async () => {
    const answers = await Promise.all(
      Array.from({ length: 100 }, () => fetch(`http://127.0.0.1:${server.api.port}/admin/API/mnt/Version`, { headers: { authorization: basic(ADMINS['super-admin'], WRONG) } }).then(async (r) => {
        await r.arrayBuffer();
        return r.status;
      })),
    );
    assert.equal(answers.filter((s) => s === 401).length, 10, answers.join(' '));
    assert.equal(answers.filter((s) => s === 429).length, 90);
  });
});

/** Opens `count` TCP connections from `localAddress` that send nothing. */
async function idleConnections(port: number, count: number, localAddress = '127.0.0.1'): Promise<{ sockets: Socket[]; closed: Promise<void>[] }> {
  const sockets: Socket[] = [];
  const closed: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const socket = connect({ port, host: '127.0.0.1', localAddress });
    socket.on('error', () => undefined);
    sockets.push(socket);
    closed.push(new Promise((resolve) => socket.once('close', () => resolve())));
    await new Promise<void>((resolve) => {
      socket.once('connect', () => resolve());
      socket.once('close', () => resolve());
    });
  }
  return { sockets, closed };
}

function closeWaitSockets(port: number): number {
  const out = spawnSync('ss', ['-Htan', 'state', 'close-wait', `( sport = :${port} )`], { encoding: 'utf8' });
  return out.stdout.split('\n').filter((l) => l.trim() !== '').length;
}

describe('connections: timeouts, caps, no leaked sockets (HTTPS)', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer((c) => {
      c.api.tls.enabled = true;
      c.api.connections = { total: 400, perSource: 250, handshakeSeconds: 1, headersSeconds: 1, idleSeconds: 2 };
    });
    await addAdmins(server);
  });
  after(async () => server.stop());

  test('200 connections that never finish a TLS handshake are closed by the node; none is left in CLOSE-WAIT', { skip: needTool('ss', 'iproute2') }, async () => {
    const { sockets, closed } = await idleConnections(server.api.port, 200);
    // Half of them close their side at once, as a scanner does; the node must still let go of them.
    sockets.slice(0, 100).forEach((s) => s.end());
    await Promise.all(closed);
    // The server side is gone too: nothing open, nothing waiting to be closed.
    while (server.api.connections() > 0) await new Promise((r) => setTimeout(r, 20));
    assert.equal(closeWaitSockets(server.api.port), 0);
  });
});

describe('connections: a flood from one address (HTTPS)', () => {
  let server: TestServer;
  before(async () => {
    // Deadlines far beyond the test, so that only the cap decides which connections stay.
    server = await startTestServer((c) => {
      c.api.tls.enabled = true;
      c.api.connections = { total: 400, perSource: 250, handshakeSeconds: 120, headersSeconds: 120, idleSeconds: 120 };
    });
    await addAdmins(server);
  });
  after(async () => server.stop());

  test('a flood from one address beyond its cap leaves the API answering everyone else', async () => {
    const flood = await idleConnections(server.api.port, 600, '127.0.0.2');
    try {
      // Connections past the per-address cap are closed on arrival; the first 250 stay open.
      await Promise.all(flood.closed.slice(250));
      assert.equal(server.api.connections(), 250);
      const answer = await new Promise<number>((resolve, reject) => {
        const socket = tlsConnect({ port: server.api.port, host: '127.0.0.1', rejectUnauthorized: false }, () => {
          socket.write(`GET /admin/API/mnt/Version HTTP/1.1\r\nHost: x\r\nAuthorization: ${basic(ADMINS['helpdesk-admin'], PASSWORD)}\r\nConnection: close\r\n\r\n`);
        });
        let text = '';
        socket.on('data', (d: Buffer) => (text += d.toString()));
        socket.on('end', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0)));
        socket.on('error', reject);
      });
      assert.equal(answer, 200);
    } finally {
      flood.sockets.forEach((s) => s.destroy());
    }
  });
});

describe('bodies and TLS suites', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer((c) => {
      c.api.tls.enabled = true;
    });
    await addAdmins(server);
  });
  after(async () => server.stop());

  test('a chunked body past 64 KiB to an MnT call is refused with 413 and the connection closed', async () => {
    const result = await new Promise<{ status: number; sent: number }>((resolve, reject) => {
      const socket = tlsConnect({ port: server.api.port, host: '127.0.0.1', rejectUnauthorized: false }, () => {
        socket.write(`PUT /admin/API/mnt/Session/ActiveCount HTTP/1.1\r\nHost: x\r\nAuthorization: ${basic(ADMINS['super-admin'])}\r\nTransfer-Encoding: chunked\r\n\r\n`);
        const chunk = Buffer.alloc(64 * 1024, 0x41);
        const frame = Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]);
        // Up to 20 MiB, stopping as soon as the node has answered.
        const pump = () => {
          while (!answered && sent < 20 * 1024 * 1024) {
            sent += chunk.length;
            if (!socket.write(frame)) return void socket.once('drain', pump);
          }
          if (!answered) socket.write('0\r\n\r\n');
        };
        pump();
      });
      let sent = 0;
      let answered = false;
      let text = '';
      socket.on('data', (d: Buffer) => {
        answered = true;
        text += d.toString();
      });
      socket.on('close', () => resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), sent }));
      socket.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' || e.code === 'EPIPE' ? undefined : reject(e)));
    });
    assert.equal(result.status, 413);
    assert.ok(result.sent < 20 * 1024 * 1024, 'the node did not wait for all 20 MiB');
  });

  test('TLS 1.2 offers ECDHE with AEAD only (every suite OpenSSL has for an RSA certificate, tried one by one)', { skip: needTool('openssl', 'openssl') }, async () => {
    // The node's certificate is RSA, so only suites authenticated by RSA can ever be negotiated.
    const list = spawnSync('openssl', ['ciphers', '-tls1_2', 'aRSA:@SECLEVEL=0'], { encoding: 'utf8' }).stdout.trim().split(':');
    const tls12 = list.filter((c) => !c.startsWith('TLS_'));
    assert.ok(tls12.length > 20, `OpenSSL lists ${tls12.length} suites`);
    const accepted: string[] = [];
    // A few clients at a time: each is a process of its own.
    for (let i = 0; i < tls12.length; i += 8) {
      const batch = tls12.slice(i, i + 8);
      const results = await Promise.all(batch.map((cipher) => sClient(server.api.port, cipher)));
      batch.forEach((cipher, j) => results[j] && accepted.push(cipher));
    }
    assert.ok(accepted.length > 0, 'some suite is accepted');
    for (const cipher of accepted) assert.match(cipher, /^ECDHE-(RSA|ECDSA)-(AES(128|256)-GCM-SHA(256|384)|CHACHA20-POLY1305)$/, `${cipher} is accepted`);
    assert.ok(!accepted.includes('AES128-SHA') && !accepted.includes('ECDHE-RSA-AES128-SHA'));
  });
});

/** Whether `openssl s_client` completes a TLS 1.2 handshake offering only `cipher`. */
function sClient(port: number, cipher: string): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-tls1_2', '-cipher', `${cipher}:@SECLEVEL=0`, '-brief'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.stdin.end('Q\n');
    child.on('close', () => resolve(/CONNECTION ESTABLISHED|Ciphersuite: /.test(out) && !/alert|handshake failure|no cipher/i.test(out)));
  });
}
