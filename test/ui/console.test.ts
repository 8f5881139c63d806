/**
 * The console in real Chromium (headless, driven by playwright-core), against a node that
 * radclient filled and simulated NAS devices answering CoA over real UDP. One browser for the
 * file; each admin signs in in a context of its own. The run saves a screenshot of every page to
 * docs/screenshots/ (the README shows them).
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { NasSimulator } from '../helpers/nas-simulator.js';
import { addAdmins, ADMINS, fill, PASSWORD } from '../helpers/mnt.js';
import { radclient } from '../helpers/radclient.js';
import { SECRET as RADCLIENT_SECRET, startTestServer, type TestServer } from '../helpers/server.js';
import { needTool } from '../helpers/tools.js';

const CHROMIUM = '/usr/bin/chromium';
const skip = needTool('radclient', 'freeradius-utils') || needTool(CHROMIUM, 'chromium');
const NAS_SECRET = 'console-coa-secret';
// No test here waits for a timeout; a short schedule only keeps a lost datagram from stalling one.
const FAST = { initialTimeoutMs: 1000, maxTimeoutMs: 2000, maxAttempts: 3, maxTotalMs: 6000 };
const SHOTS = fileURLToPath(new URL('../../../docs/screenshots/', import.meta.url));

const ACKING = { mac: '00:11:22:33:66:01', user: 'jsmith', nas: '127.0.0.11', ip: '10.30.0.1', sid: 'u0000001', audit: '0A1E00010000000100000001' };
const NAKING = { mac: '00:11:22:33:66:02', user: 'alice', nas: '127.0.0.12', ip: '10.30.0.2', sid: 'u0000002', audit: '0A1E00020000000200000002' };
const LEAVING = { mac: '00:11:22:33:66:03', user: 'bob', nas: '127.0.0.11', ip: '10.30.0.3', sid: 'u0000003', audit: '0A1E00030000000300000003' };
const GONE = { mac: '00:11:22:33:66:04', user: 'carol', nas: '127.0.0.11', ip: '10.30.0.4', sid: 'u0000004', audit: '0A1E00040000000400000004' };

describe('the web console in Chromium', { skip }, () => {
  let server: TestServer;
  let acking: NasSimulator;
  let naking: NasSimulator;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  let base = '';

  before(async () => {
    acking = await new NasSimulator(NAS_SECRET, { kind: 'ack' }).start(0, '127.0.0.11');
    naking = await new NasSimulator(NAS_SECRET, { kind: 'nak', errorCause: 503 }).start(0, '127.0.0.12');
    server = await startTestServer((c) => {
      c.auth.unknownEndpoint = 'PermitAccess';
      c.coa = { ...c.coa, ...FAST };
      c.api.lockout = { slowAfter: 10, maxFailures: 3, windowSeconds: 300, lockSeconds: 900 };
      c.radius.clients = [
        { name: 'radclient', address: '127.0.0.1', secret: RADCLIENT_SECRET, vendor: 'cisco', coaPort: 3799, requireMessageAuthenticator: false, deviceGroups: [] },
        { name: 'access-sw-1', address: '127.0.0.11', secret: NAS_SECRET, vendor: 'cisco', coaPort: acking.port, requireMessageAuthenticator: false, deviceGroups: [] },
        { name: 'access-sw-2', address: '127.0.0.12', secret: NAS_SECRET, vendor: 'cisco', coaPort: naking.port, requireMessageAuthenticator: false, deviceGroups: [] },
      ];
    });
    await addAdmins(server);
    await fill(server, [ACKING, NAKING, LEAVING, GONE]);
    // GONE leaves before anyone looks: its endpoint is offline.
    await stop(GONE);
    // A password login that fails, from the first endpoint: Live Logs shows it in red.
    const failed = await radclient({
      port: server.ports.auth,
      secret: RADCLIENT_SECRET,
      kind: 'auth',
      packets: [`User-Name = "mallory", User-Password = "guess", Calling-Station-Id = "${ACKING.mac.replace(/:/g, '-')}", NAS-IP-Address = ${ACKING.nas}`],
    });
    assert.match(failed.stdout, /Access-Reject/);
    base = `http://127.0.0.1:${server.api.port}`;
    mkdirSync(SHOTS, { recursive: true });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-background-networking', '--disable-dev-shm-usage'] });
  });
  after(async () => {
    for (const c of contexts) await c.close();
    await browser?.close();
    await server?.stop();
    await acking?.close();
    await naking?.close();
  });

  async function stop(e: typeof GONE): Promise<void> {
    const r = await radclient({
      port: server.ports.accounting,
      secret: RADCLIENT_SECRET,
      kind: 'acct',
      packets: [`Acct-Status-Type = Stop, Acct-Session-Id = "${e.sid}", User-Name = "${e.user}", Calling-Station-Id = "${e.mac.replace(/:/g, '-')}", NAS-IP-Address = ${e.nas}, Acct-Session-Time = 60, Acct-Terminate-Cause = User-Request`],
    });
    assert.equal(r.status, 0, r.stderr);
  }

  async function signedIn(name: string): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1920, height: 1000 } });
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(`${base}/`);
    await page.getByLabel('Username').fill(name);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    return page;
  }

  function row(page: Page, mac: string) {
    return page.locator(`table.sessions tr[data-mac="${mac}"]`);
  }

  async function shot(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: `${SHOTS}${name}.png`, fullPage: false });
  }

  let admin: Page;

  test('sign-in: / leads to the form; a wrong password is told; the right one opens the dashboard', async () => {
    const context = await browser.newContext({ viewport: { width: 1920, height: 1000 } });
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(`${base}/`);
    assert.equal(new URL(page.url()).pathname, '/ui/');
    await page.getByLabel('Username').fill(ADMINS['mnt-admin']);
    await page.getByLabel('Password').fill('wrong password');
    await shot(page, 'sign-in');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'wrong' }).waitFor();
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    await page.getByTestId('active-sessions').filter({ hasText: '3' }).waitFor();
    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === 'openmnt_console')!;
    assert.equal(session.httpOnly, true);
    assert.equal(session.sameSite, 'Strict');
    admin = page;
    await shot(page, 'dashboard');
  });

  test('sessions radclient filled appear in Live Sessions, online ones with Perform CoA, the offline one without', async () => {
    await admin.goto(`${base}/ui/#/sessions`);
    for (const e of [ACKING, NAKING, LEAVING]) await row(admin, e.mac).getByRole('button', { name: 'Perform CoA' }).waitFor();
    await admin.getByTestId('total').filter({ hasText: /^3$/ }).waitFor();
    assert.equal(await row(admin, GONE.mac).count(), 0, 'the list shows active sessions');
    assert.match(await row(admin, ACKING.mac).innerText(), /jsmith[\s\S]*10\.30\.0\.1[\s\S]*127\.0\.0\.11/);
    await shot(admin, 'sessions');
    // Filtering to one MAC (typed in another spelling) leaves its row alone.
    await admin.getByLabel('Endpoint MAC', { exact: true }).fill('0011.2233.6602');
    await admin.getByRole('button', { name: 'Filter' }).click();
    await admin.getByTestId('total').filter({ hasText: /^1$/ }).waitFor();
    await row(admin, NAKING.mac).waitFor();
    await admin.getByLabel('Endpoint MAC', { exact: true }).fill('');
    await admin.getByRole('button', { name: 'Filter' }).click();
    await admin.getByTestId('total').filter({ hasText: /^3$/ }).waitFor();
  });

  test('their authentications appear in Live Logs, passed in green, failed in red with the reason, with a detail view', async () => {
    await admin.goto(`${base}/ui/#/logs`);
    await admin.getByLabel('Endpoint MAC or user name').fill(ACKING.mac);
    await admin.getByRole('button', { name: 'Show' }).click();
    const failedLine = admin.locator('table.logs tbody tr', { hasText: 'mallory' });
    await failedLine.getByText('Fail', { exact: true }).waitFor();
    assert.match((await failedLine.getAttribute('class')) ?? '', /row-fail/);
    assert.match(await failedLine.innerText(), /\b\d{5} \w+/, 'the ISE failure reason, number and words');
    const line = admin.locator('table.logs tbody tr', { hasText: 'Pass' }).first();
    await line.waitFor();
    assert.match(await line.innerText(), /00:11:22:33:66:01/);
    assert.match((await line.getAttribute('class')) ?? '', /row-pass/);
    await line.getByRole('button', { name: /Details of the authentication/ }).click();
    await admin.getByRole('dialog').getByText('Passed').waitFor();
    await shot(admin, 'logs');
  });

  test('Perform CoA on a session whose NAS ACKs: the ACK toast with the round trip, and a new audit row', async () => {
    await admin.goto(`${base}/ui/#/sessions`);
    const sent = acking.received.length;
    await row(admin, ACKING.mac).getByRole('button', { name: 'Perform CoA' }).click();
    await admin.getByRole('menuitem', { name: 'Reauthenticate', exact: true }).click();
    const toast = admin.getByRole('status').filter({ hasText: `Reauthenticate ${ACKING.mac}: ACK from NAS 127.0.0.11 in` });
    await toast.waitFor();
    assert.match(await toast.innerText(), /in [\d.]+ ms/);
    // One CoA-Request (on a busy machine its retransmission may arrive too: byte for byte the same).
    const requests = acking.received.slice(sent);
    assert.ok(requests.length >= 1, 'the CoA-Request reached the NAS');
    assert.equal(new Set(requests.map((r) => r.raw.toString('hex'))).size, 1, 'one request, retransmitted at most');
    assert.equal(requests[0]!.authentic, true);
    await admin.goto(`${base}/ui/#/audit`);
    const audit = admin.locator('table.audit tbody tr', { hasText: ACKING.mac });
    await audit.first().waitFor();
    assert.match(await audit.first().innerText(), /mnt-admin[\s\S]*api[\s\S]*reauth \/ default[\s\S]*ACK/);
    await shot(admin, 'audit');
  });

  test('a NAKing NAS: the toast gives the Error-Cause in words', async () => {
    await admin.goto(`${base}/ui/#/sessions`);
    await row(admin, NAKING.mac).getByRole('button', { name: 'Perform CoA' }).click();
    await admin.getByRole('menuitem', { name: 'Port bounce' }).click();
    const alert = admin.getByRole('alert').filter({ hasText: `Port bounce ${NAKING.mac}: NAK from NAS 127.0.0.12: Error-Cause 503` });
    await alert.waitFor();
    assert.match(await alert.innerText(), /Error-Cause 503 the NAS has no session matching the request/, 'the number and its meaning');
  });

  test('the CoA menu works from the keyboard', async () => {
    const button = row(admin, ACKING.mac).getByRole('button', { name: 'Perform CoA' });
    await button.focus();
    await admin.keyboard.press('Enter');
    await admin.getByRole('menu').waitFor();
    // The menu moves the focus to its first item once it has drawn; keys pressed before that would
    // go to the button behind it.
    await admin.waitForFunction("document.activeElement?.textContent === 'Reauthenticate'");
    await admin.keyboard.press('ArrowDown');
    await admin.keyboard.press('ArrowDown');
    await admin.keyboard.press('ArrowDown');
    await admin.keyboard.press('Enter');
    await admin.getByRole('status').filter({ hasText: `Disconnect ${ACKING.mac}: ACK` }).waitFor();
    await row(admin, ACKING.mac).getByText('disconnect requested').waitFor();
  });

  test('an endpoint that left since the list loaded: a stale click is refused by the server with a clear error', async () => {
    await admin.goto(`${base}/ui/#/sessions`);
    await row(admin, LEAVING.mac).getByRole('button', { name: 'Perform CoA' }).waitFor();
    // Freeze the list as it is, then the endpoint leaves.
    await admin.getByLabel('Live updates').uncheck();
    await stop(LEAVING);
    const sent = acking.received.length;
    await row(admin, LEAVING.mac).getByRole('button', { name: 'Perform CoA' }).click();
    await admin.getByRole('menuitem', { name: 'Reauthenticate', exact: true }).click();
    const alert = admin.getByRole('alert').filter({ hasText: `Reauthenticate ${LEAVING.mac} refused: session data is not available` });
    await alert.waitFor();
    assert.match(await alert.innerText(), /Session data is not available for 00:11:22:33:66:03\./);
    assert.equal(acking.received.length, sent, 'nothing was sent to the NAS');
    // Live again: the row is gone from the active list.
    await admin.getByLabel('Live updates').check();
    await admin.getByTestId('total').filter({ hasText: /^2$/ }).waitFor();
    assert.equal(await row(admin, LEAVING.mac).count(), 0);
  });

  test('the endpoint page of an offline endpoint shows its history but no CoA action', async () => {
    await admin.goto(`${base}/ui/#/endpoint/${GONE.mac}`);
    await admin.getByText('Offline', { exact: true }).waitFor();
    await row(admin, GONE.mac).waitFor();
    assert.equal(await admin.getByRole('button', { name: 'Perform CoA' }).count(), 0);
    await admin.goto(`${base}/ui/#/endpoint/${ACKING.mac}`);
    await admin.getByText('Online', { exact: true }).waitFor();
    await admin.locator('table.audit tbody tr').first().waitFor();
    await shot(admin, 'endpoint');
  });

  test('bulk CoA: dry run with the count, confirm, progress to the end, results', async () => {
    await admin.goto(`${base}/ui/#/bulk`);
    await admin.getByLabel('Value').fill('127.0.0.11');
    await admin.getByRole('button', { name: 'Dry run' }).click();
    await admin.getByTestId('dry-run-count').filter({ hasText: /^1 online endpoint selected/ }).waitFor();
    await admin.getByRole('button', { name: /Run on 1 endpoints/ }).click();
    await admin.getByRole('alertdialog', { name: 'Confirm bulk CoA' }).getByRole('button', { name: 'Confirm' }).click();
    await admin.getByRole('heading', { name: /Job \w+: done/ }).waitFor();
    await admin.getByRole('table', { name: 'Job results' }).getByText('ACK').waitFor();
    await shot(admin, 'bulk');
  });

  test('admin accounts: the Super Admin sees them; the MnT Admin has no such page', async () => {
    assert.equal(await admin.getByRole('link', { name: 'Admin accounts' }).count(), 0, 'not in an MnT Admin\'s menu');
    const root = await signedIn(ADMINS['super-admin']);
    await root.getByRole('link', { name: 'Admin accounts' }).click();
    await root.getByRole('table', { name: 'Admin accounts' }).getByRole('cell', { name: ADMINS['helpdesk-admin'], exact: true }).waitFor();
    await shot(root, 'admins');
  });

  test('a helpdesk admin sees sessions but no CoA action anywhere', async () => {
    const helpdesk = await signedIn(ADMINS['helpdesk-admin']);
    await helpdesk.goto(`${base}/ui/#/sessions`);
    await row(helpdesk, NAKING.mac).waitFor();
    assert.equal(await helpdesk.getByRole('button', { name: 'Perform CoA' }).count(), 0);
    await helpdesk.goto(`${base}/ui/#/endpoint/${NAKING.mac}`);
    await helpdesk.getByText('Online', { exact: true }).waitFor();
    assert.equal(await helpdesk.getByRole('button', { name: 'Perform CoA' }).count(), 0);
    // And the server refuses what the page hides, with the page's own token.
    const status = await helpdesk.evaluate(async (mac) => {
      const me = (await (await fetch('/ui/session')).json()) as { csrfToken: string };
      const r = await fetch('/api/v1/coa', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': me.csrfToken }, body: JSON.stringify({ mac, action: 'reauth' }) });
      return r.status;
    }, NAKING.mac);
    assert.equal(status, 403);
  });

  test('a state-changing request from the page without the CSRF token is refused with 403', async () => {
    const sent = naking.received.length;
    const status = await admin.evaluate(async (mac) => {
      const r = await fetch('/api/v1/coa', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ mac, action: 'reauth' }) });
      return r.status;
    }, NAKING.mac);
    assert.equal(status, 403);
    assert.equal(naking.received.length, sent, 'nothing reached the NAS');
  });

  test('sign-out, then the sign-in form locks the source out after repeated failures (last: it locks 127.0.0.1)', async () => {
    await admin.getByRole('button', { name: 'Sign out' }).click();
    await admin.getByRole('button', { name: 'Sign in' }).waitFor();
    // Each attempt waits for the node's answer to it, so no two overlap and none is missed.
    // What the page sent and logged, for the message when an answer never comes (a rare failure
    // seen once under CI load: the first attempt after sign-out got no answer; see issue 13).
    const seen: string[] = [];
    admin.on('request', (r) => seen.push(`request ${r.method()} ${new URL(r.url()).pathname}`));
    admin.on('requestfailed', (r) => seen.push(`failed ${r.method()} ${new URL(r.url()).pathname}: ${r.failure()?.errorText ?? ''}`));
    admin.on('console', (m) => seen.push(`console ${m.type()}: ${m.text()}`));
    admin.on('pageerror', (e) => seen.push(`page error: ${e.message}`));
    admin.on('framenavigated', (f) => seen.push(`navigated ${f.url()}`));
    // The page's own record of what it did, for the message when an answer never comes: each
    // click, key, submit and fetch call, as the page saw them.
    await admin.evaluate(`(() => {
      const log = (window.__signInTrace = []);
      const at = () => Math.round(performance.now());
      for (const type of ['click', 'keydown', 'submit']) document.addEventListener(type, (e) => log.push(at() + ' ' + type + ' on ' + (e.target && e.target.tagName)), true);
      const original = window.fetch;
      window.fetch = (...args) => {
        log.push(at() + ' fetch ' + String(args[0]));
        const answer = original(...args);
        answer.then((r) => log.push(at() + ' fetched ' + String(args[0]) + ' ' + r.status), (e) => log.push(at() + ' fetch failed ' + String(args[0]) + ' ' + e));
        return answer;
      };
    })()`);
    const attempt = async (password: string) => {
      await admin.getByLabel('Username').fill(ADMINS['super-admin']);
      await admin.getByLabel('Password').fill(password);
      const answer = admin.waitForResponse((r) => new URL(r.url()).pathname === '/ui/sign-in');
      // Enter in the password field, as a keyboard user submits: a mouse click right after the
      // whole page was swapped for the form was, about once in twenty runs, never delivered to the
      // page at all (no click, submit or fetch in the page's own trace below), where keys go to
      // the focused field whatever was laid out.
      await admin.getByLabel('Password').press('Enter');
      try {
        return (await answer).status();
      } catch (error) {
        type Field = { name: string; value: string; checkValidity(): boolean };
        const fields = await admin.locator('input').evaluateAll((inputs: Field[]) => inputs.map((i) => `${i.name}=${i.value === '' ? '(empty)' : '(filled)'} valid=${i.checkValidity()}`));
        // What the page itself knows: its forms and button, and the fetches it made (resource
        // timing lists a request even if the browser never reported it to the test).
        const page: unknown = await admin.evaluate(`({
          forms: document.forms.length,
          button: document.querySelector('button[type=submit]')?.outerHTML ?? '(none)',
          alert: document.querySelector('[role=alert]')?.textContent ?? '',
          fetched: performance.getEntriesByType('resource').slice(-8).map((r) => r.name.replace(location.origin, '') + ' ' + Math.round(r.startTime) + '-' + Math.round(r.responseEnd) + ' ms'),
          now: Math.round(performance.now()),
          trace: window.__signInTrace,
        })`);
        throw new Error(
          `no answer to the sign-in (${(error as Error).message}); fields: ${fields.join(', ')}; page: ${JSON.stringify(page)}; the page's last events:\n${seen.slice(-30).join('\n')}`,
        );
      }
    };
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push(await attempt(`guess-${i}`));
    statuses.push(await attempt(PASSWORD));
    assert.deepEqual(statuses, [401, 401, 401, 429], 'the right password is refused once the source is locked');
    await admin.getByRole('alert').filter({ hasText: /too many failed logins/ }).waitFor();
  });
});
