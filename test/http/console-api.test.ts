/**
 * The console's server side without a browser: the redirect and the static files' caching, the
 * sign-in cookie and its attributes, the cookie authenticating /api/v1 and MnT calls under the
 * same role rules as HTTP Basic, the CSRF token on every state change, sign-out, lock-out on the
 * sign-in form, timeouts, and the JSON routes the console reads (sessions paging, filter, sort).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ConsoleSessions, csrfMatches, sessionCookieOf } from '../../src/http/ui/console-sessions.js';
import { addAdmins, ADMINS, basic, fill, PASSWORD } from '../helpers/mnt.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { needTool } from '../helpers/tools.js';

const skip = needTool('radclient', 'freeradius-utils');

interface Signed {
  cookie: string;
  csrf: string;
  role: string;
}

async function signIn(server: TestServer, name: string, password = PASSWORD): Promise<{ status: number; signed: Signed | null; headers: Headers; body: string }> {
  const res = await fetch(`http://127.0.0.1:${server.api.port}/ui/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username: name, password }).toString(),
    redirect: 'manual',
  });
  const body = await res.text();
  const setCookie = res.headers.get('set-cookie');
  if (res.status !== 303 || setCookie === null) return { status: res.status, signed: null, headers: res.headers, body };
  const cookie = setCookie.split(';')[0]!;
  const who = (await (await fetch(`http://127.0.0.1:${server.api.port}/ui/session`, { headers: { cookie } })).json()) as { csrfToken: string; role: string };
  return { status: res.status, signed: { cookie, csrf: who.csrfToken, role: who.role }, headers: res.headers, body };
}

function call(server: TestServer, path: string, s: Signed | null, init: { method?: string; body?: unknown; csrf?: boolean } = {}) {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (s !== null) headers.cookie = s.cookie;
  if (s !== null && init.csrf !== false) headers['x-csrf-token'] = s.csrf;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  return fetch(`http://127.0.0.1:${server.api.port}${path}`, { method: init.method ?? 'GET', headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
}

describe('console sessions (the clock driven by the test)', () => {
  test('a session ends after the idle time without use, and at the absolute limit even when used', () => {
    let now = 1_000_000;
    const sessions = new ConsoleSessions({ idleMs: 10_000, absoluteMs: 30_000, now: () => now });
    const { cookie, session } = sessions.open('ops');
    now += 9_000;
    assert.equal(sessions.touch(cookie).session?.admin, 'ops', 'used within the idle time');
    now += 9_000;
    assert.ok(sessions.touch(cookie).session, 'the idle clock restarted at the last use');
    now += 10_000;
    assert.deepEqual(sessions.touch(cookie), { session: null, why: 'idle' });
    const second = sessions.open('ops');
    for (let i = 0; i < 3; i++) {
      now += 8_000;
      assert.ok(sessions.touch(second.cookie).session, `used ${8 * (i + 1)} s after sign-in`);
    }
    now += 8_000;
    assert.deepEqual(sessions.touch(second.cookie), { session: null, why: 'expired' }, '32 s after sign-in, though used every 8 s');
    assert.equal(csrfMatches(session, session.csrfToken), true);
    assert.equal(csrfMatches(session, 'x'.repeat(session.csrfToken.length)), false);
    assert.equal(csrfMatches(session, undefined), false);
  });

  test('the cookie is read from a Cookie header among others, and a malformed value is no session', () => {
    assert.equal(sessionCookieOf('a=1; openmnt_console=abcdefghijklmnopqrstuvwxyz; b=2'), 'abcdefghijklmnopqrstuvwxyz');
    assert.equal(sessionCookieOf('openmnt_console=<script>'), null);
    assert.equal(sessionCookieOf(undefined), null);
  });
});

describe('the console over HTTP', { skip }, () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer((c) => {
      c.auth.unknownEndpoint = 'PermitAccess';
      c.api.lockout = { slowAfter: 10, maxFailures: 3, windowSeconds: 300, lockSeconds: 900 };
    });
    await addAdmins(server);
    await fill(server, [
      { mac: '00:11:22:33:55:01', user: 'jsmith', nas: '10.9.0.1', ip: '10.20.1.1', sid: 'c0000001', audit: '0A0900010000000100000001' },
      { mac: '00:11:22:33:55:02', user: 'alice', nas: '10.9.0.1', ip: '10.20.1.2', sid: 'c0000002', audit: '0A0900010000000200000002' },
      { mac: '00:11:22:33:55:03', user: 'bob', nas: '10.9.0.2', ip: '10.20.1.3', sid: 'c0000003', audit: '0A0900020000000300000003' },
    ]);
  });
  after(async () => server.stop());

  test('/ redirects to /ui/; index.html is revalidated, hashed assets are immutable for a year, nothing from another origin', async () => {
    const root = await fetch(`http://127.0.0.1:${server.api.port}/`, { redirect: 'manual' });
    assert.equal(root.status, 302);
    assert.equal(root.headers.get('location'), '/ui/');
    const index = await fetch(`http://127.0.0.1:${server.api.port}/ui/`);
    assert.equal(index.status, 200);
    assert.equal(index.headers.get('cache-control'), 'no-cache');
    assert.match(index.headers.get('content-security-policy') ?? '', /default-src 'self'/);
    const html = await index.text();
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!).filter((u) => !u.startsWith('data:'));
    assert.ok(assets.length >= 2, html);
    for (const url of assets) {
      assert.match(url, /^\/ui\/assets\/[\w-]+-[\w-]{8}\.(js|css)$/, `${url} is local and content-hashed`);
      const asset = await fetch(`http://127.0.0.1:${server.api.port}${url}`, { headers: { 'accept-encoding': 'gzip' } });
      assert.equal(asset.status, 200);
      assert.equal(asset.headers.get('cache-control'), 'public, max-age=31536000, immutable');
      const etag = asset.headers.get('etag')!;
      await asset.arrayBuffer();
      const again = await fetch(`http://127.0.0.1:${server.api.port}${url}`, { headers: { 'if-none-match': etag } });
      assert.equal(again.status, 304);
    }
    const js = await (await fetch(`http://127.0.0.1:${server.api.port}${assets.find((u) => u.endsWith('.js'))}`)).text();
    assert.doesNotMatch(js, /https?:\/\/(?!www\.w3\.org)[a-z0-9.-]+\.[a-z]{2,}\//i, 'the app fetches nothing from another host');
    assert.equal((await fetch(`http://127.0.0.1:${server.api.port}/ui/assets/missing.js`)).status, 404);
  });

  test('sign-in sets an HttpOnly, SameSite=Strict cookie (Secure only over TLS); a wrong password gets 401 and no cookie', async () => {
    const ok = await signIn(server, ADMINS['mnt-admin']);
    assert.equal(ok.status, 303);
    const setCookie = ok.headers.get('set-cookie')!;
    assert.match(setCookie, /^openmnt_console=[\w-]{40,}; Path=\/; HttpOnly; SameSite=Strict$/, 'no Secure on this plain-HTTP test node');
    assert.equal(ok.signed!.role, 'mnt-admin');
    const wrong = await signIn(server, ADMINS['mnt-admin'], 'not-the-password');
    assert.equal(wrong.status, 401);
    assert.equal(wrong.headers.get('set-cookie'), null);
    assert.equal(wrong.headers.get('www-authenticate'), null, 'no Basic challenge: a browser would pop up its own dialog');
  });

  test('the cookie authenticates /api/v1 and MnT calls; without a session they are 401', async () => {
    const { signed } = await signIn(server, ADMINS['helpdesk-admin']);
    const sessions = await call(server, '/api/v1/sessions', signed);
    assert.equal(sessions.status, 200);
    assert.equal(((await sessions.json()) as { total: number }).total, 3);
    const count = await call(server, '/admin/API/mnt/Session/ActiveCount', signed);
    assert.equal(count.status, 200);
    assert.equal(((await count.json()) as { count: number }).count, 3);
    assert.equal((await call(server, '/api/v1/sessions', { cookie: 'openmnt_console=forged-forged-forged-forged-forged', csrf: '', role: '' })).status, 401);
    assert.equal((await call(server, '/api/v1/sessions', null)).status, 401);
  });

  test('a state change with the cookie but without the CSRF token is 403 (JSON API and MnT CoA on GET alike); with it, the role rules hold', async () => {
    const { signed } = await signIn(server, ADMINS['mnt-admin']);
    const noToken = await call(server, '/api/v1/coa', signed, { method: 'POST', body: { mac: '00:11:22:33:55:01', action: 'reauth' }, csrf: false });
    assert.equal(noToken.status, 403);
    assert.match(((await noToken.json()) as { message: string }).message, /CSRF/);
    const wrongToken = await call(server, '/api/v1/coa', { ...signed!, csrf: 'A'.repeat(43) }, { method: 'POST', body: { mac: '00:11:22:33:55:01', action: 'reauth' } });
    assert.equal(wrongToken.status, 403);
    const mntCoa = await call(server, '/admin/API/mnt/CoA/Reauth/ise/00:11:22:33:55:01/0', signed, { csrf: false });
    assert.equal(mntCoa.status, 403, 'ISE serves CoA on GET: the token is asked for all the same');
    const job = await call(server, '/api/v1/coa/jobs', signed, { method: 'POST', body: { selector: { nasIp: '10.9.0.1' }, action: 'reauth', dryRun: true }, csrf: false });
    assert.equal(job.status, 403);
    const signOut = await call(server, '/ui/sign-out', signed, { method: 'POST', csrf: false });
    assert.equal(signOut.status, 403, 'signing someone out is a state change too');
    // With the token: a dry run passes; a helpdesk admin is refused by role however it asks.
    const dry = await call(server, '/api/v1/coa/jobs', signed, { method: 'POST', body: { selector: { nasIp: '10.9.0.1' }, action: 'reauth', dryRun: true } });
    assert.equal(dry.status, 200);
    assert.equal(((await dry.json()) as { count: number }).count, 2);
    const helpdesk = (await signIn(server, ADMINS['helpdesk-admin'])).signed;
    const refused = await call(server, '/api/v1/coa', helpdesk, { method: 'POST', body: { mac: '00:11:22:33:55:01', action: 'reauth' } });
    assert.equal(refused.status, 403);
    assert.match(((await refused.json()) as { message: string }).message, /helpdesk-admin.*may not issue CoA/);
    const admins = await call(server, '/api/v1/admins', (await signIn(server, ADMINS['system-admin'])).signed);
    assert.equal(admins.status, 403, 'admin accounts are for a Super Admin only');
  });

  test('sign-out ends the session on the server: the old cookie no longer works', async () => {
    const { signed } = await signIn(server, ADMINS['super-admin']);
    assert.equal((await call(server, '/ui/sign-out', signed, { method: 'POST' })).status, 204);
    assert.equal((await call(server, '/api/v1/sessions', signed)).status, 401);
  });

  test('sessions: filter by MAC (any spelling), NAS, user; cursor paging; sort only on a narrowed set; bad parameters are 400', async () => {
    const get = async (q: string) => {
      const res = await fetch(`http://127.0.0.1:${server.api.port}/api/v1/sessions${q}`, { headers: { authorization: basic(ADMINS['helpdesk-admin']) } });
      return { status: res.status, body: (await res.json()) as { total: number; sessions: { mac: string; userName: string; nasIp: string }[]; next: string | null; message?: string } };
    };
    const one = await get('?mac=0011.2233.5502');
    assert.equal(one.body.total, 1);
    assert.equal(one.body.sessions[0]!.userName, 'alice');
    const nas = await get('?nas=10.9.0.1&limit=1');
    assert.equal(nas.body.total, 2);
    assert.equal(nas.body.sessions.length, 1);
    const second = await get(`?nas=10.9.0.1&limit=1&cursor=${nas.body.next}`);
    assert.equal(second.body.sessions.length, 1);
    assert.notEqual(second.body.sessions[0]!.mac, nas.body.sessions[0]!.mac);
    const sorted = await get('?sort=-userName');
    assert.deepEqual(sorted.body.sessions.map((s) => s.userName), ['jsmith', 'bob', 'alice']);
    for (const bad of ['?mac=zz', '?limit=0', '?sort=password', '?cursor=o5', '?colour=red', '?nas=10.9.0.300']) {
      const r = await get(bad);
      assert.equal(r.status, 400, bad);
      assert.ok(r.body.message, bad);
    }
  });

  test('a CoA for an endpoint with no session is 404 with ISE\'s "Session data is not available" words', async () => {
    const { signed } = await signIn(server, ADMINS['mnt-admin']);
    const res = await call(server, '/api/v1/coa', signed, { method: 'POST', body: { mac: '00:11:22:33:55:99', action: 'reauth' } });
    assert.equal(res.status, 404);
    const body = (await res.json()) as { error: string; message: string };
    assert.equal(body.error, 'SESSION_NOT_FOUND');
    assert.match(body.message, /Session data is not available for 00:11:22:33:55:99/);
    for (const bad of [{ mac: 'x', action: 'reauth' }, { mac: '00:11:22:33:55:01', action: 'explode' }, { mac: '00:11:22:33:55:01', action: 'reauth', extra: 1 }]) {
      assert.equal((await call(server, '/api/v1/coa', signed, { method: 'POST', body: bad })).status, 400, JSON.stringify(bad));
    }
  });

  test('the summary: active sessions, authentications passed, top NAS', async () => {
    const res = await fetch(`http://127.0.0.1:${server.api.port}/api/v1/summary`, { headers: { authorization: basic(ADMINS['helpdesk-admin']) } });
    const s = (await res.json()) as { activeSessions: number; authentications: { passed: number }; topNas: { nas: string }[] };
    assert.equal(s.activeSessions, 3);
    assert.ok(s.authentications.passed >= 3);
    assert.ok(s.topNas.length >= 1);
  });

  test('admin accounts over the API: a Super Admin adds and removes; duplicates and weak passwords are refused; a removed admin\'s console session ends', async () => {
    const root = (await signIn(server, ADMINS['super-admin'])).signed;
    const added = await call(server, '/api/v1/admins', root, { method: 'POST', body: { name: 'night-shift', password: 'Night-Shift-2026', role: 'helpdesk-admin' } });
    assert.equal(added.status, 201);
    assert.equal(((await added.json()) as { roleName: string }).roleName, 'Helpdesk Admin');
    assert.equal((await call(server, '/api/v1/admins', root, { method: 'POST', body: { name: 'night-shift', password: 'Night-Shift-2026', role: 'helpdesk-admin' } })).status, 409);
    assert.equal((await call(server, '/api/v1/admins', root, { method: 'POST', body: { name: 'weak', password: 'short', role: 'mnt-admin' } })).status, 400);
    assert.equal((await call(server, '/api/v1/admins', root, { method: 'POST', body: { name: 'odd', password: 'Long-Enough-1', role: 'emperor' } })).status, 400);
    assert.equal((await call(server, '/api/v1/admins', root, { method: 'POST', body: { name: 'x', password: 'Long-Enough-1', role: 'mnt-admin' }, csrf: false })).status, 403);
    const night = (await signIn(server, 'night-shift', 'Night-Shift-2026')).signed;
    assert.equal((await call(server, '/api/v1/sessions', night)).status, 200);
    assert.equal((await call(server, '/api/v1/admins/night-shift', root, { method: 'DELETE' })).status, 200);
    assert.equal((await call(server, '/api/v1/sessions', night)).status, 401, 'its session ended with the account');
    assert.equal((await call(server, '/api/v1/admins/night-shift', root, { method: 'DELETE' })).status, 404);
  });

  test('the sign-in form is under the API\'s lock-out (last: it locks this source out)', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await signIn(server, ADMINS['super-admin'], `wrong-${i}`)).status);
    assert.deepEqual(statuses, [401, 401, 401, 429]);
    const right = await signIn(server, ADMINS['super-admin']);
    assert.equal(right.status, 429, 'locked: even the right password is not checked');
    assert.match(right.body, /too many failed logins/);
  });
});
