/**
 * RADIUS is answered while the main thread (the API's) cannot run at all: the listeners, their
 * handlers and the group commit live on a thread of their own. The test blocks the main thread
 * for the whole exchange by running radclient synchronously (spawnSync returns only when radclient
 * has its answers or has given up): radclient then succeeds only if another thread answered.
 * Nothing depends on time; a node that answered RADIUS on the main thread fails every exchange.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { SECRET, startTestServer, type TestServer } from '../helpers/server.js';
import { needTool } from '../helpers/tools.js';
import { ADMINS, addAdmins, basic } from '../helpers/mnt.js';

const skip = needTool('radclient', 'freeradius-utils');

/** radclient run to completion while this thread waits: no callback of this thread runs meanwhile. */
function radclientBlocking(port: number, kind: 'auth' | 'acct', packet: string): { status: number | null; stdout: string } {
  const result = spawnSync('radclient', ['-x', '-r', '2', '-t', '3', `127.0.0.1:${port}`, kind, SECRET], { input: `${packet}\n`, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout };
}

function get(server: TestServer, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.api.port, path, headers: { authorization: basic(ADMINS['super-admin']) } }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the RADIUS thread', { skip }, () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
    await addAdmins(server);
  });
  after(() => server?.stop());

  test('an Accounting-Request is answered, after its commit, while the main thread is blocked', async () => {
    const mac = '0A:B1:0C:4E:00:01';
    const answered = radclientBlocking(
      server.ports.accounting,
      'acct',
      `Acct-Status-Type = Start, Acct-Session-Id = "blocked-1", Calling-Station-Id = "${mac}", NAS-IP-Address = 127.0.0.1, User-Name = "blocked"`,
    );
    assert.equal(answered.status, 0, `radclient got no answer:\n${answered.stdout}`);
    assert.match(answered.stdout, /Accounting-Response/);
    // Answered after the commit: the session is there as soon as this thread can look.
    const session = await server.store.findLatestSession({ mac });
    assert.equal(session?.acctSessionId, 'blocked-1');
  });

  test('an Access-Request is decided and answered while the main thread is blocked', async () => {
    const mac = '0A:B1:0C:4E:00:02';
    const answered = radclientBlocking(server.ports.auth, 'auth', `User-Name = "${mac}", User-Password = "${mac}", Calling-Station-Id = "${mac}", Service-Type = Call-Check`);
    // The default policy rejects an unknown MAC: radclient exits 1 on a reject, and with no answer.
    assert.match(answered.stdout, /Received Access-Reject/, `radclient got no answer:\n${answered.stdout}`);
    const records = await server.store.authRecordsByMac({ mac, since: 0, limit: 10 });
    assert.equal(records.length, 1);
  });

  test('its figures reach /metrics: packets, commit durations, its own event-loop delay', async () => {
    const { status, body } = await get(server, '/metrics');
    assert.equal(status, 200);
    assert.match(body, /^openmnt_radius_packets_total\{listener="accounting",outcome="answered"\} [1-9]/m);
    assert.match(body, /^openmnt_authentications_total\{result="failed",reason="[0-9]+"\} [1-9]/m);
    assert.match(body, /^openmnt_store_commit_duration_seconds_count [1-9]/m);
    assert.match(body, /^openmnt_radius_thread_delay_seconds\{quantile="0.99"\} /m);
  });
});
