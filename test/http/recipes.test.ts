/**
 * The reference documents' own shell recipes (curl, grep -oP, grep -B5, paste, xq) run unchanged
 * against a running `openmnt serve` that radclient has filled, the way an operator's scripts run
 * against ISE today. Each recipe must extract the right values.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { needTool } from '../helpers/tools.js';
import { radclient } from '../helpers/radclient.js';
import { run, type RunResult } from '../helpers/run.js';
import { startNodeProcess, type NodeProcess } from '../helpers/node-process.js';

const skip =
  needTool('radclient', 'freeradius-utils') || needTool('curl', 'curl') || needTool('xq-python', 'yq');

const SECRET = 'testing123';
const ADMIN = { name: 'ops', password: 'Recipe-Pass-1' };

/** Three endpoints on two switches, as a site would have them. */
const ENDPOINTS = [
  { mac: 'C8:5B:76:C6:59:62', user: 'jsmith', nas: '127.0.0.10', ip: '10.50.10.100', sid: '00000101', port: 'GigabitEthernet1/0/1' },
  { mac: '98:BB:1E:1F:A7:13', user: 'alice', nas: '127.0.0.10', ip: '10.50.10.101', sid: '00000102', port: 'GigabitEthernet1/0/2' },
  { mac: '28:92:00:89:EF:77', user: 'evanusmodestus', nas: '127.0.0.20', ip: '10.50.10.45', sid: '00000201', port: 'GigabitEthernet2/0/7' },
];

function auditId(sid: string): string {
  return `0A3201020000${sid}ABCDEF`;
}

/** Runs a bash recipe with the environment the cookbook's `dsource` would set. */
function bash(script: string, env: Record<string, string>): Promise<RunResult> {
  return run('bash', ['-c', script], { env: { ...process.env, ...env } });
}

describe('reference recipes against a running node', { skip }, () => {
  let dir: string;
  let node: NodeProcess;
  let env: Record<string, string>;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'openmnt-recipes-'));
    // Debian's yq package installs its XML front end as `xq-python`; the recipes call `xq`.
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    symlinkSync('/usr/bin/xq-python', join(bin, 'xq'));
    const config = join(dir, 'openmnt.yaml');
    writeFileSync(
      config,
      [
        'node: { name: ise-01 }',
        'api:',
        '  host: 127.0.0.1',
        '  port: 0',
        `  adminsFile: ${join(dir, 'admins.json')}`,
        `  tls: { dir: ${join(dir, 'tls')} }`,
        'radius:',
        '  clients:',
        `    - { name: lab-switches, address: 127.0.0.0/8, secret: ${SECRET} }`,
        `store: { path: ${join(dir, 'openmnt.db')}, synchronous: normal }`,
        '',
      ].join('\n'),
    );
    const add = spawnSync(process.execPath, ['bin/openmnt.js', 'admin', 'add', ADMIN.name, '--role', 'mnt-admin', '--config', config], {
      input: `${ADMIN.password}\n`,
      encoding: 'utf8',
    });
    assert.equal(add.status, 0, add.stderr);
    node = await startNodeProcess({}, ['--config', config], { api: true });
    env = {
      PATH: `${bin}:${process.env.PATH}`,
      ISE_PAN_FQDN: `127.0.0.1:${node.api!.port}`,
      ISE_MNT_IP: `127.0.0.1:${node.api!.port}`,
      ISE_API_USER: ADMIN.name,
      ISE_API_PASS: ADMIN.password,
    };
    for (const e of ENDPOINTS) {
      const mac = e.mac.replace(/:/g, '-');
      const common =
        `User-Name = "${e.user}", Calling-Station-Id = "${mac}", NAS-IP-Address = ${e.nas}, ` +
        `NAS-Port-Id = "${e.port}", NAS-Port-Type = Ethernet, Cisco-AVPair = "audit-session-id=${auditId(e.sid)}"`;
      const start = await radclient({
        port: node.ports.accounting,
        secret: SECRET,
        kind: 'acct',
        packets: [`Acct-Status-Type = Start, Acct-Session-Id = "${e.sid}", Framed-IP-Address = ${e.ip}, ${common}`],
      });
      assert.equal(start.status, 0, start.stderr + start.stdout);
    }
  });

  after(async () => {
    await node?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('mnt_session_count (quick reference helper) prints the count', async () => {
    const r = await bash(
      `mnt_session_count() {
  curl -sk -u "\${ISE_API_USER}:\${ISE_API_PASS}" \\
    "https://\${ISE_PAN_FQDN}/admin/API/mnt/Session/ActiveCount" \\
    | grep -oP '(?<=<count>)\\d+'
}
mnt_session_count`,
      env,
    );
    assert.equal(r.stdout.trim(), '3', r.stderr);
  });

  test('cookbook: NAS IP of a MAC through grep -oP on Session/MACAddress', async () => {
    const r = await bash(
      `ISE_MNT="\${ISE_MNT_IP:-$ISE_PAN_IP}"
ISE_AUTH="\${ISE_API_USER}:\${ISE_API_PASS}"
BASE_URL="https://\${ISE_MNT}/admin/API/mnt"
MAC="C8:5B:76:C6:59:62"
NAS_IP=$(curl -sk -u "\${ISE_AUTH}" \\
"\${BASE_URL}/Session/MACAddress/\${MAC}" \\
-H "Accept: application/xml" | \\
grep -oP '(?<=<nas_ip_address>)[^<]+')
echo "$NAS_IP"`,
      env,
    );
    assert.equal(r.stdout.trim(), '127.0.0.10', r.stderr);
  });

  test('cookbook: MAC and NAS IP of an endpoint IP through Session/EndPointIPAddress', async () => {
    const r = await bash(
      `ISE_AUTH="\${ISE_API_USER}:\${ISE_API_PASS}"
BASE_URL="https://\${ISE_MNT_IP}/admin/API/mnt"
ENDPOINT_IP="10.50.10.45"
SESSION=$(curl -sk -u "\${ISE_AUTH}" \\
"\${BASE_URL}/Session/EndPointIPAddress/\${ENDPOINT_IP}" \\
-H "Accept: application/xml")
MAC=$(echo "$SESSION" | grep -oP '(?<=<calling_station_id>)[^<]+')
NAS_IP=$(echo "$SESSION" | grep -oP '(?<=<nas_ip_address>)[^<]+')
echo "$MAC $NAS_IP"`,
      env,
    );
    assert.equal(r.stdout.trim(), '28:92:00:89:EF:77 127.0.0.20', r.stderr);
  });

  test('cookbook: ActiveList filtered by NAS with grep -B5 lists exactly that NAS\'s MACs', async () => {
    const r = await bash(
      `ISE_AUTH="\${ISE_API_USER}:\${ISE_API_PASS}"
BASE_URL="https://\${ISE_MNT_IP}/admin/API/mnt"
NAS_IP="127.0.0.10"
curl -sk -u "\${ISE_AUTH}" \\
"\${BASE_URL}/Session/ActiveList" \\
-H "Accept: application/xml" | \\
grep -B5 "<nas_ip_address>\${NAS_IP}</nas_ip_address>" | \\
grep -oP '(?<=<calling_station_id>)[^<]+' | \\
while read MAC; do
echo "Reauth: \${MAC}"
done`,
      env,
    );
    assert.deepEqual(r.stdout.trim().split('\n').sort(), ['Reauth: 98:BB:1E:1F:A7:13', 'Reauth: C8:5B:76:C6:59:62'], r.stderr);
  });

  test('cookbook: reauth-by-user reads MAC and NAS IP with paste (in ISE\'s element order)', async () => {
    const r = await bash(
      `ISE_AUTH="\${ISE_API_USER}:\${ISE_API_PASS}"
BASE_URL="https://\${ISE_MNT_IP}/admin/API/mnt"
USERNAME="jsmith"
curl -sk -u "\${ISE_AUTH}" \\
"\${BASE_URL}/Session/UserName/\${USERNAME}" \\
-H "Accept: application/xml" | \\
grep -oP '(?<=<calling_station_id>)[^<]+|(?<=<nas_ip_address>)[^<]+' | \\
paste - - | while read MAC NAS_IP; do
echo "\${MAC} \${NAS_IP}"
done`,
      env,
    );
    // ISE writes nas_ip_address before calling_station_id, so the recipe's MAC variable holds the
    // NAS IP and the other way round; the CoA path it then builds is recognised by form.
    assert.equal(r.stdout.trim(), '127.0.0.10 C8:5B:76:C6:59:62', r.stderr);
  });

  test('quick reference: mnt_session_by_mac read with xq (the root is sessionParameters, the PSN is acs_server)', async () => {
    const r = await bash(
      `mnt_session_by_mac() {
  local MAC="$1"
  curl -sk -u "\${ISE_API_USER}:\${ISE_API_PASS}" \\
    "https://\${ISE_PAN_FQDN}/admin/API/mnt/Session/MACAddress/\${MAC}"
}
SESSION=$(mnt_session_by_mac 98:bb:1e:1f:a7:13)
echo "$SESSION" | xq -r '.sessionParameters.acs_server, .sessionParameters.nas_ip_address, .sessionParameters.framed_ip_address, .sessionParameters.user_name'`,
      env,
    );
    assert.deepEqual(r.stdout.trim().split('\n'), ['ise-01', '127.0.0.10', '10.50.10.101', 'alice'], r.stderr);
  });

  test('quick reference: "Simplified CoA" finds the port id for its CoA URL in the session', async () => {
    const r = await bash(
      `MAC="28:92:00:89:EF:77"
SESSION=$(curl -sk -u "\${ISE_API_USER}:\${ISE_API_PASS}" \\
  "https://\${ISE_PAN_FQDN}/admin/API/mnt/Session/MACAddress/\${MAC}")
NAS_IP=$(echo "$SESSION" | xq -r '.sessionParameters.nas_ip_address')
DEST_IP=$(echo "$SESSION" | xq -r '.sessionParameters.framed_ip_address')
PORT_ID=$(echo "$SESSION" | xq -r '.sessionParameters.nas_port_id')
echo "CoA/Disconnect/ise-01/\${MAC}/\${NAS_IP}/\${DEST_IP}/\${PORT_ID}"`,
      env,
    );
    assert.equal(r.stdout.trim(), 'CoA/Disconnect/ise-01/28:92:00:89:EF:77/127.0.0.20/10.50.10.45/GigabitEthernet2/0/7', r.stderr);
  });

  test('quick reference: Version and FailureReasons parse with xq', async () => {
    const r = await bash(
      `curl -sk -u "\${ISE_API_USER}:\${ISE_API_PASS}" "https://\${ISE_PAN_FQDN}/admin/API/mnt/Version" | xq -r '.product.type_of_node'
curl -sk -u "\${ISE_API_USER}:\${ISE_API_PASS}" "https://\${ISE_PAN_FQDN}/admin/API/mnt/FailureReasons" | grep -c '<failureReason '`,
      env,
    );
    const [typeOfNode, reasons] = r.stdout.trim().split('\n');
    assert.equal(typeOfNode, '1', r.stderr);
    assert.ok(Number(reasons) >= 10, `failure reasons: ${reasons}`);
  });

  test('wrong password gets 401 and no data', async () => {
    const r = await bash(
      `curl -sk -o /dev/null -w '%{http_code}' -u "\${ISE_API_USER}:wrong-password" "https://\${ISE_PAN_FQDN}/admin/API/mnt/Session/ActiveCount"`,
      env,
    );
    assert.equal(r.stdout, '401');
  });
});
