/**
 * OpenMnT in an 802.1X network: eapol_test (the supplicant and the NAS in one, Debian `eapoltest`)
 * sends to OpenMnT, which proxies to FreeRADIUS 3.2 (the site's AAA). The first home server of the
 * pool is down (nothing listens on its port), so every first exchange also shows the failover.
 * What must hold: PEAP-MSCHAPv2 and EAP-TLS succeed end to end (eapol_test checks the MS-MPPE keys
 * it derived against those the Accept carries: re-encrypted by the proxy for its own secret), the
 * AuthStatus record names the method, identity and VLAN; a wrong password is rejected and recorded
 * with its reason; a pool with no live server gives the configured answer, recorded.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { HOME_SERVER_DEFAULTS } from '../../src/proxy/index.js';
import { eapolTest, FREERADIUS_BIN, startFreeRadiusHome, type FreeRadiusHome } from '../helpers/freeradius-home.js';
import { freeUdpPort } from '../helpers/ports.js';
import { radclient } from '../helpers/radclient.js';
import { SECRET, startTestServer, type TestServer } from '../helpers/server.js';
import { needTool } from '../helpers/tools.js';

const skip = needTool('eapol_test', 'eapoltest') || needTool(FREERADIUS_BIN, 'freeradius') || needTool('radclient', 'freeradius-utils');
const TLS_IDENTITY = 'laptop-7.example.test';

describe('802.1X through the proxy to FreeRADIUS', { skip }, () => {
  let dir: string;
  let home: FreeRadiusHome;
  let server: TestServer;
  const files = { peap: '', peapWrong: '', tls: '' };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'openmnt-proxy-'));
    home = await startFreeRadiusHome(join(dir, 'home'), [{ name: 'alice', password: 'Wonder-Land-42', vlan: '120' }, { name: TLS_IDENTITY, vlan: '130' }], TLS_IDENTITY);
    const down = [await freeUdpPort(), await freeUdpPort(), await freeUdpPort()];
    const homeServer = (name: string, port: number, secret: string) => ({
      ...HOME_SERVER_DEFAULTS,
      name,
      address: '127.0.0.1',
      authPort: port,
      accountingPort: port,
      secret,
      responseTimeoutSeconds: 1,
      statusCheck: 'none' as const,
    });
    server = await startTestServer((c) => {
      c.proxy.homeServers = [homeServer('aaa-down', down[0]!, 'down-secret'), homeServer('aaa-1', home.authPort, home.secret), homeServer('dead-1', down[1]!, 'x'), homeServer('dead-2', down[2]!, 'y')];
      c.proxy.pools = [
        { name: 'corp', type: 'fail-over', homeServers: ['aaa-down', 'aaa-1'] },
        { name: 'nowhere', type: 'fail-over', homeServers: ['dead-1', 'dead-2'] },
      ];
      c.proxy.realms = [{ name: 'nowhere.test', format: 'suffix', strip: true, pool: 'nowhere' }];
      c.proxy.defaultPool = 'corp';
    });
    const conf = (name: string, body: string) => {
      const file = join(dir, `${name}.conf`);
      writeFileSync(file, `network={\n  ssid="test"\n  key_mgmt=WPA-EAP\n${body}}\n`);
      return file;
    };
    files.peap = conf('peap', `  eap=PEAP\n  identity="alice"\n  anonymous_identity="anonymous"\n  password="Wonder-Land-42"\n  ca_cert="${home.certs.ca}"\n  phase2="auth=MSCHAPV2"\n`);
    files.peapWrong = conf('peap-wrong', `  eap=PEAP\n  identity="alice"\n  password="not-her-password"\n  ca_cert="${home.certs.ca}"\n  phase2="auth=MSCHAPV2"\n`);
    files.tls = conf('tls', `  eap=TLS\n  identity="${TLS_IDENTITY}"\n  ca_cert="${home.certs.ca}"\n  client_cert="${home.certs.clientCert}"\n  private_key="${home.certs.clientKey}"\n`);
  });
  after(async () => {
    await server?.stop();
    await home?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('PEAP-MSCHAPv2 succeeds through the proxy (first server down: the second answers); AuthStatus names method, outer and inner identity, VLAN', async () => {
    const mac = 'AA-BB-CC-00-00-01';
    const run = await eapolTest(files.peap, server.ports.auth, SECRET, mac);
    assert.ok(run.ok, run.output.slice(-3000));
    // The keys of the WPA session: derived by the supplicant, carried (re-encrypted) in the Accept.
    assert.match(run.output, /MPPE keys OK: 1 {2}mismatch: 0/);
    const [record] = await server.store.authRecordsByMac({ mac: 'AA:BB:CC:00:00:01', since: 0, limit: 5 });
    assert.ok(record, 'an AuthStatus record');
    assert.equal(record.passed, true);
    // The outer identity is what the NAS saw; the inner one shows in the Accept's User-Name.
    assert.equal(record.userName, 'anonymous');
    assert.match(record.otherAttributes ?? '', /InnerIdentity=alice/);
    assert.match(record.otherAttributes ?? '', /HomeServerResponseTimeMs=\d+/);
    assert.equal(record.authenticationMethod, 'dot1x');
    assert.equal(record.authenticationProtocol, 'PEAP');
    assert.equal(record.identityStore, 'aaa-1');
    const session = await server.store.findLatestSession({ mac: 'AA:BB:CC:00:00:01' });
    assert.equal(session?.vlan, '120');
    const { homeServers } = await server.radius.snapshot();
    const down = homeServers.find((h) => h.name === 'aaa-down')!;
    assert.ok(down.timeouts >= 1 && down.state !== 'alive', `the first server was tried and left: ${JSON.stringify(down)}`);
    assert.ok(homeServers.find((h) => h.name === 'aaa-1')!.answered >= 2, 'the second server answered every round');
  });

  test('EAP-TLS with a certificate made by the test succeeds; method EAP-TLS, VLAN 130', async () => {
    const run = await eapolTest(files.tls, server.ports.auth, SECRET, 'AA-BB-CC-00-00-02');
    assert.ok(run.ok, run.output.slice(-3000));
    assert.match(run.output, /MPPE keys OK: 1 {2}mismatch: 0/);
    const [record] = await server.store.authRecordsByMac({ mac: 'AA:BB:CC:00:00:02', since: 0, limit: 5 });
    assert.equal(record?.passed, true);
    assert.equal(record?.authenticationProtocol, 'EAP-TLS');
    assert.equal(record?.userName, TLS_IDENTITY);
    assert.equal((await server.store.findLatestSession({ mac: 'AA:BB:CC:00:00:02' }))?.vlan, '130');
  });

  test('a wrong password: rejected by the home server, recorded as failed with reason 11368', async () => {
    const run = await eapolTest(files.peapWrong, server.ports.auth, SECRET, 'AA-BB-CC-00-00-03');
    assert.equal(run.ok, false);
    const [record] = await server.store.authRecordsByMac({ mac: 'AA:BB:CC:00:00:03', since: 0, limit: 5 });
    assert.equal(record?.passed, false);
    assert.equal(record?.failureReasonCode, 11368);
    assert.equal(await server.store.findLatestSession({ mac: 'AA:BB:CC:00:00:03' }), null);
  });

  test('a pool whose servers are all down: Access-Reject with 11353, recorded (proxy.onNoHomeServer: reject)', async () => {
    const answer = await radclient({
      port: server.ports.auth,
      secret: SECRET,
      kind: 'auth',
      packets: ['User-Name = "bob@nowhere.test", User-Password = "whatever", Calling-Station-Id = "AA-BB-CC-00-00-04"'],
      retries: 1,
      timeoutSeconds: 5,
    });
    assert.match(answer.stdout, /Received Access-Reject/, answer.stdout + answer.stderr);
    const [record] = await server.store.authRecordsByMac({ mac: 'AA:BB:CC:00:00:04', since: 0, limit: 5 });
    assert.equal(record?.passed, false);
    assert.equal(record?.failureReasonCode, 11353);
    assert.equal(record?.authzPolicy, 'proxy:nowhere');
  });
});
