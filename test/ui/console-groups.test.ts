/**
 * The console's group, device and live pages in real Chromium (headless, playwright-core) against
 * a node that radclient filled and a simulated NAS that ACKs CoA over real UDP: Groups → Endpoints
 * with an online and an offline endpoint, a stale click refused by the server, a delegated admin
 * kept to its group without CoA, live updates arriving through the session event stream, the
 * network devices page, and Live Logs across every endpoint. Screenshots go to docs/screenshots/.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { NasSimulator } from '../helpers/nas-simulator.js';
import { addAdmins, ADMINS, fill, PASSWORD, type Endpoint } from '../helpers/mnt.js';
import { radclient } from '../helpers/radclient.js';
import { SECRET as RADCLIENT_SECRET, startTestServer, type TestServer } from '../helpers/server.js';
import { needTool } from '../helpers/tools.js';

const CHROMIUM = '/usr/bin/chromium';
const skip = needTool('radclient', 'freeradius-utils') || needTool(CHROMIUM, 'chromium');
const NAS_SECRET = 'groups-coa-secret';
const FAST = { initialTimeoutMs: 1000, maxTimeoutMs: 2000, maxAttempts: 3, maxTotalMs: 6000 };
const SHOTS = fileURLToPath(new URL('../../../docs/screenshots/', import.meta.url));

const NAS = '127.0.0.11';
const LAB_ON: Endpoint = { mac: '00:11:22:33:88:01', user: 'dave', nas: NAS, ip: '10.50.0.1', sid: 'w0000001', audit: '0A3200010000000100000001' };
const LAB_OFF: Endpoint = { mac: '00:11:22:33:88:02', user: 'erin', nas: NAS, ip: '10.50.0.2', sid: 'w0000002', audit: '0A3200020000000200000002' };
const LAB_LEAVING: Endpoint = { mac: '00:11:22:33:88:03', user: 'frank', nas: NAS, ip: '10.50.0.3', sid: 'w0000003', audit: '0A3200030000000300000003' };
const STAFF_ON: Endpoint = { mac: '00:11:22:33:88:04', user: 'grace', nas: NAS, ip: '10.50.0.4', sid: 'w0000004', audit: '0A3200040000000400000004' };
const LATE: Endpoint = { mac: '00:11:22:33:88:06', user: 'ivan', nas: '127.0.0.1', ip: '10.50.0.6', sid: 'w0000006', audit: '0A3200060000000600000006' };
const NEW: Endpoint = { mac: '00:11:22:33:88:05', user: 'heidi', nas: NAS, ip: '10.50.0.5', sid: 'w0000005', audit: '0A3200050000000500000005' };

describe('the console\'s groups, devices and live updates in Chromium', { skip }, () => {
  let server: TestServer;
  let nas: NasSimulator;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  let base = '';

  before(async () => {
    nas = await new NasSimulator(NAS_SECRET, { kind: 'ack' }).start(0, NAS);
    server = await startTestServer((c) => {
      c.auth.unknownEndpoint = 'PermitAccess';
      c.auth.groups = [{ name: 'Lab' }, { name: 'Staff' }];
      c.auth.endpoints = [
        { mac: LAB_ON.mac, group: 'Lab' },
        { mac: LAB_OFF.mac, group: 'Lab' },
        { mac: LAB_LEAVING.mac, group: 'Lab' },
        { mac: STAFF_ON.mac, group: 'Staff' },
      ];
      c.coa = { ...c.coa, ...FAST };
      c.radius.clients = [
        { name: 'radclient', address: '127.0.0.1', secret: RADCLIENT_SECRET, vendor: 'cisco', coaPort: 3799, requireMessageAuthenticator: false, deviceGroups: [] },
        { name: 'access-sw-1', address: NAS, secret: NAS_SECRET, vendor: 'cisco', coaPort: nas.port, requireMessageAuthenticator: false, deviceGroups: ['Location#All Locations#Lab'] },
      ];
    });
    await addAdmins(server);
    await fill(server, [LAB_ON, LAB_OFF, LAB_LEAVING, STAFF_ON]);
    await accounting('Stop', LAB_OFF);
    const failed = await radclient({
      port: server.ports.auth,
      secret: RADCLIENT_SECRET,
      kind: 'auth',
      packets: [`User-Name = "mallory", User-Password = "guess", Calling-Station-Id = "00-11-22-33-88-09", NAS-IP-Address = ${NAS}`],
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
    await nas?.close();
  });

  async function accounting(type: 'Start' | 'Stop' | 'Interim-Update', e: Endpoint, extra = ''): Promise<void> {
    const r = await radclient({
      port: server.ports.accounting,
      secret: RADCLIENT_SECRET,
      kind: 'acct',
      packets: [
        `Acct-Status-Type = ${type}, Acct-Session-Id = "${e.sid}", User-Name = "${e.user}", Calling-Station-Id = "${e.mac.replace(/:/g, '-')}", NAS-IP-Address = ${e.nas}, ` +
          `Cisco-AVPair = "audit-session-id=${e.audit}"${type === 'Stop' ? ', Acct-Session-Time = 60, Acct-Terminate-Cause = User-Request' : ''}${extra}`,
      ],
    });
    assert.equal(r.status, 0, r.stderr);
  }

  async function signedIn(name: string): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1920, height: 1000 }, acceptDownloads: true });
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(`${base}/`);
    await page.getByLabel('Username').fill(name);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    return page;
  }

  const groupRow = (page: Page, mac: string) => page.locator(`table.group-endpoints tr[data-mac="${mac}"]`);
  const sessionRow = (page: Page, mac: string) => page.locator(`table.sessions tr[data-mac="${mac}"]`);
  const shot = (page: Page, name: string) => page.screenshot({ path: `${SHOTS}${name}.png`, fullPage: false });

  let ops: Page;

  test('Groups → Endpoints: the online endpoint with its evidence and Perform CoA (ACK toast), the offline one with its Stop and no action', async () => {
    ops = await signedIn(ADMINS['mnt-admin']);
    await ops.getByRole('link', { name: 'Groups' }).click();
    await ops.getByRole('navigation', { name: 'Identity groups' }).getByRole('link', { name: 'Staff' }).waitFor();
    await ops.getByRole('navigation', { name: 'Identity groups' }).getByRole('link', { name: 'Lab' }).click();
    await ops.getByRole('tab', { name: 'Endpoints' }).waitFor();
    const on = groupRow(ops, LAB_ON.mac);
    await on.getByRole('button', { name: 'Perform CoA' }).waitFor();
    assert.match(await on.innerText(), /Online[\s\S]*passed · NAS 127\.0\.0\.11[\s\S]*Start[\s\S]*dave 10\.50\.0\.1 on \S+ Gi1\/0\/01/);
    const off = groupRow(ops, LAB_OFF.mac);
    await off.getByText('Offline', { exact: true }).waitFor();
    assert.match(await off.innerText(), /passed[\s\S]*Stop \(User-Request\)/, 'its evidence: the last authentication and the Stop');
    assert.equal(await off.getByRole('button', { name: 'Perform CoA' }).count(), 0);
    assert.equal(await groupRow(ops, STAFF_ON.mac).count(), 0, 'another group\'s endpoint is not listed');
    assert.equal(await ops.getByTestId('group-online').innerText(), '2');
    assert.equal(await ops.getByTestId('group-members').innerText(), '3');
    await shot(ops, 'groups');
    const sent = nas.received.length;
    await on.getByRole('button', { name: 'Perform CoA' }).click();
    await ops.getByRole('menuitem', { name: 'Reauthenticate', exact: true }).click();
    await ops.getByRole('status').filter({ hasText: `Reauthenticate ${LAB_ON.mac}: ACK from NAS ${NAS} in` }).waitFor();
    assert.ok(nas.received.length > sent, 'the CoA-Request reached the NAS');
  });

  test('an endpoint that went offline since the list loaded: the stale click is refused by the server ("Session data is not available"), and after refresh the action is gone', async () => {
    const leaving = groupRow(ops, LAB_LEAVING.mac);
    await leaving.getByRole('button', { name: 'Perform CoA' }).waitFor();
    await ops.getByLabel('Live updates').uncheck();
    await ops.getByTestId('live-state').filter({ hasText: 'Paused' }).waitFor();
    await accounting('Stop', LAB_LEAVING);
    const sent = nas.received.length;
    await leaving.getByRole('button', { name: 'Perform CoA' }).click();
    await ops.getByRole('menuitem', { name: 'Reauthenticate', exact: true }).click();
    const alert = ops.getByRole('alert').filter({ hasText: `Reauthenticate ${LAB_LEAVING.mac} refused: session data is not available` });
    await alert.waitFor();
    assert.match(await alert.innerText(), new RegExp(`Session data is not available for ${LAB_LEAVING.mac}\\.`));
    assert.equal(nas.received.length, sent, 'nothing was sent to the NAS');
    await ops.getByLabel('Live updates').check();
    await leaving.getByText('Offline', { exact: true }).waitFor();
    assert.equal(await leaving.getByRole('button', { name: 'Perform CoA' }).count(), 0);
    assert.match(await leaving.innerText(), /Stop \(User-Request\)/);
  });

  test('a delegated admin sees only its group and never a CoA action; the server refuses the rest', async () => {
    const delegated = await signedIn(ADMINS['delegated-admin']);
    const nav = delegated.getByRole('navigation', { name: 'Main' });
    assert.deepEqual(await nav.getByRole('link').allInnerTexts(), ['Groups'], 'no page that lists sessions or endpoints of other groups');
    await delegated.getByRole('heading', { name: 'Groups › Lab' }).waitFor();
    await groupRow(delegated, LAB_ON.mac).getByText('Online', { exact: true }).waitFor();
    assert.deepEqual(await delegated.getByRole('navigation', { name: 'Identity groups' }).getByRole('link').allInnerTexts(), ['Lab']);
    assert.equal(await delegated.getByRole('button', { name: 'Perform CoA' }).count(), 0);
    assert.equal(await groupRow(delegated, STAFF_ON.mac).count(), 0);
    assert.equal(await delegated.getByRole('link', { name: LAB_ON.mac }).count(), 0, 'no endpoint page to open (it reads sessions)');
    await shot(delegated, 'groups-delegated');
    await delegated.goto(`${base}/ui/#/groups/Staff`);
    await delegated.getByRole('alert').filter({ hasText: 'may manage endpoints of Lab only' }).waitFor();
    assert.equal(await groupRow(delegated, STAFF_ON.mac).count(), 0);
    await delegated.goto(`${base}/ui/#/sessions`);
    await delegated.getByRole('heading', { name: /^Groups/ }).waitFor();
    assert.equal(await delegated.locator('table.sessions').count(), 0);
    const statuses = await delegated.evaluate(async (mac) => {
      const me = (await (await fetch('/ui/session')).json()) as { csrfToken: string; groups: string[] };
      const get = async (path: string) => (await fetch(path)).status;
      const coa = await fetch('/api/v1/coa', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': me.csrfToken }, body: JSON.stringify({ mac, action: 'reauth' }) });
      return { groups: me.groups, sessions: await get('/api/v1/sessions'), events: await get('/api/v1/events'), staff: await get('/api/v1/groups/Staff/endpoints'), coa: coa.status };
    }, LAB_ON.mac);
    assert.deepEqual(statuses, { groups: ['Lab'], sessions: 403, events: 403, staff: 403, coa: 403 });
  });

  test('live updates come through the session event stream: a radclient Start makes a row appear, an Interim-Update changes a row in place, without a reload', async () => {
    const requests: string[] = [];
    ops.on('request', (r) => requests.push(new URL(r.url()).pathname));
    await ops.goto(`${base}/ui/#/sessions`);
    await ops.getByTestId('live-state').filter({ hasText: 'Live: event stream' }).waitFor();
    await sessionRow(ops, LAB_ON.mac).waitFor();
    assert.ok(requests.includes('/api/v1/events'), 'the page opened the event stream');
    await ops.evaluate(() => ((globalThis as unknown as { stillHere: boolean }).stillHere = true));
    await accounting('Start', NEW, `, Framed-IP-Address = ${NEW.ip}`);
    await sessionRow(ops, NEW.mac).waitFor();
    assert.match(await sessionRow(ops, NEW.mac).innerText(), /heidi[\s\S]*10\.50\.0\.5/);
    // An update of a row on screen is drawn from the event alone: no read of the list.
    const reads = requests.filter((p) => p === '/api/v1/sessions').length;
    await accounting('Interim-Update', LAB_ON, ', Framed-IP-Address = 10.50.0.99, Acct-Session-Time = 120');
    await sessionRow(ops, LAB_ON.mac).getByText('10.50.0.99').waitFor();
    assert.equal(requests.filter((p) => p === '/api/v1/sessions').length, reads, 'the row changed without a request');
    assert.equal(await ops.evaluate(() => (globalThis as unknown as { stillHere?: boolean }).stillHere), true, 'the page was not reloaded');
    assert.equal(await ops.getByTestId('live-state').innerText(), 'Live: event stream', 'never fell back to polling');
    // The dashboard too: the active count follows a Stop through the stream (its own read is once a minute).
    await ops.goto(`${base}/ui/#/dashboard`);
    await ops.getByTestId('live-state').filter({ hasText: 'Live: event stream' }).waitFor();
    const active = Number(await ops.getByTestId('active-sessions').innerText());
    await accounting('Stop', NEW);
    await ops.getByTestId('active-sessions').filter({ hasText: new RegExp(`^${active - 1}$`) }).waitFor();
    await ops.getByRole('img', { name: /^Active sessions, last 24 hours: now active \d+/ }).waitFor();
    await ops.getByRole('img', { name: /^Authentications per minute, last 24 hours/ }).waitFor();
  });

  test('while the event stream is down the page polls (a Start still appears), and goes back to the stream once it answers again', async () => {
    const page = await (await browser.newContext({ viewport: { width: 1920, height: 1000 } })).newPage();
    contexts.push(page.context());
    // The same session as ops (its cookie), on a page whose event stream cannot connect.
    await page.context().addCookies(await ops.context().cookies());
    let refused = 0;
    await page.route('**/api/v1/events*', (route) => {
      refused++;
      return route.abort('connectionrefused');
    });
    await page.goto(`${base}/ui/#/sessions`);
    await page.getByTestId('live-state').filter({ hasText: 'Live: polling (event stream down)' }).waitFor();
    assert.ok(refused >= 1);
    await accounting('Start', LATE, `, Framed-IP-Address = ${LATE.ip}`);
    await sessionRow(page, LATE.mac).waitFor();
    await page.unroute('**/api/v1/events*');
    await page.getByTestId('live-state').filter({ hasText: 'Live: event stream' }).waitFor();
    await accounting('Stop', LATE);
    await sessionRow(page, LATE.mac).waitFor({ state: 'detached' });
  });

  test('network devices: the NAS table with vendor, CoA port and active sessions, no secret; a System Admin adds one', async () => {
    const sys = await signedIn(ADMINS['system-admin']);
    await sys.getByRole('link', { name: 'Network devices' }).click();
    const sw = sys.locator('table.devices tr[data-device="access-sw-1"]');
    // Its active sessions (LAB_ON and STAFF_ON), counted after the list is drawn.
    await sw.locator('td').nth(6).filter({ hasText: /^2$/ }).waitFor();
    assert.match(await sw.innerText(), new RegExp(`access-sw-1\\s+${NAS.replace(/\./g, '\\.')}\\s+cisco\\s+${nas.port}\\s+verified when present\\s+Location#All Locations#Lab\\s+2\\b`));
    assert.equal((await sys.content()).includes(NAS_SECRET), false, 'the shared secret never reaches the page');
    await sys.getByLabel('Name', { exact: true }).fill('lab-sw-9');
    await sys.getByLabel('Address (IP or CIDR)').fill('10.9.9.9');
    await sys.getByLabel('Shared secret').fill('lab-sw-9-secret');
    await sys.getByLabel('CoA port').fill('1700');
    await sys.getByLabel('Description').fill('Lab switch 9');
    await sys.getByRole('button', { name: 'Add device' }).click();
    await sys.getByRole('status').filter({ hasText: 'Network device lab-sw-9 added' }).waitFor();
    const added = sys.locator('table.devices tr[data-device="lab-sw-9"]');
    await added.waitFor();
    assert.match(await added.innerText(), /10\.9\.9\.9\s+cisco\s+1700[\s\S]*Lab switch 9/);
    assert.equal(server.policy.get('devices', 'lab-sw-9') !== undefined, true, 'in the runtime policy');
    await shot(sys, 'devices');
    // An MnT Admin reads the table but has no form to change it.
    await ops.goto(`${base}/ui/#/devices`);
    await ops.locator('table.devices tr[data-device="lab-sw-9"]').waitFor();
    assert.equal(await ops.getByRole('button', { name: 'Add device' }).count(), 0);
  });

  test('Live Logs without a MAC: every endpoint\'s authentications, the result filter, CSV export', async () => {
    await ops.goto(`${base}/ui/#/logs`);
    const lines = ops.locator('table.logs tbody tr');
    for (const mac of [LAB_ON.mac, STAFF_ON.mac]) await lines.filter({ hasText: mac }).first().waitFor();
    await lines.filter({ hasText: 'mallory' }).getByText('Fail', { exact: true }).waitFor();
    await shot(ops, 'logs-all');
    await ops.getByLabel('Result').selectOption('false');
    await ops.getByRole('button', { name: 'Show' }).click();
    // Only the failed one is left (the list read without the filter had five).
    await ops.waitForFunction(() => {
      const doc = (globalThis as unknown as { document: { querySelectorAll(s: string): ArrayLike<{ textContent: string }> } }).document;
      const rows = doc.querySelectorAll('table.logs tbody tr');
      return rows.length === 1 && rows[0]!.textContent.includes('mallory');
    });
    const download = ops.waitForEvent('download');
    await ops.getByRole('button', { name: 'Export CSV' }).click();
    const file = await (await download).path();
    const text = readFileSync(file!, 'utf8');
    const [header, ...rows] = text.trim().split('\r\n');
    assert.match(header!, /^at,passed,failureReason,userName,mac,nasIp/);
    assert.equal(rows.length, 1);
    assert.match(rows[0]!, /,false,\d{5} [^,]+,mallory,00:11:22:33:88:09,127\.0\.0\.11,/);
  });
});
