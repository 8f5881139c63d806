/**
 * The built `openmnt` binary's client commands against a running OpenMnT that radclient filled,
 * over HTTPS with its self-signed certificate, with a simulated NAS answering the CoA.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { NasSimulator } from '../helpers/nas-simulator.js';
import { radclient } from '../helpers/radclient.js';
import { startNodeProcess, type NodeProcess } from '../helpers/node-process.js';
import { openmnt } from '../helpers/run.js';
import { needTool } from '../helpers/tools.js';

const skip = needTool('radclient', 'freeradius-utils');
const PASSWORD = 'Cli-Pass-2026';
const NAS_SECRET = 'cli-nas-secret';

/** The binary with its standard input closed at once (or fed `input`), as in a pipeline. */
const cli = (args: string[], env: Record<string, string>, input = '') => openmnt(args, env, input);

describe('openmnt client commands against OpenMnT', { skip }, () => {
  let dir: string;
  let node: NodeProcess;
  let nas: NasSimulator;
  let env: Record<string, string>;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'openmnt-cli-'));
    nas = await new NasSimulator(NAS_SECRET).start(0, '127.0.0.50');
    const config = join(dir, 'openmnt.yaml');
    writeFileSync(
      config,
      [
        'node: { name: ise-cli }',
        `api: { host: 127.0.0.1, port: 0, adminsFile: ${join(dir, 'admins.json')}, tls: { dir: ${join(dir, 'tls')} } }`,
        'radius:',
        '  clients:',
        '    - { name: radclient, address: 127.0.0.1, secret: testing123 }',
        `    - { name: access-1, address: 127.0.0.50, secret: ${NAS_SECRET}, coaPort: ${nas.port} }`,
        `store: { path: ${join(dir, 'openmnt.db')}, synchronous: normal }`,
        '',
      ].join('\n'),
    );
    const add = spawnSync(process.execPath, ['bin/openmnt.js', 'admin', 'add', 'ops', '--role', 'mnt-admin', '--config', config], { input: `${PASSWORD}\n`, encoding: 'utf8' });
    assert.equal(add.status, 0, add.stderr);
    const desk = spawnSync(process.execPath, ['bin/openmnt.js', 'admin', 'add', 'desk', '--role', 'helpdesk-admin', '--config', config], { input: `${PASSWORD}\n`, encoding: 'utf8' });
    assert.equal(desk.status, 0, desk.stderr);
    node = await startNodeProcess({}, ['--config', config], { api: true });
    env = { ISE_MNT_IP: `127.0.0.1:${node.api!.port}`, ISE_API_USER: 'ops', ISE_API_PASS: PASSWORD };
    const r = await radclient({
      port: node.ports.accounting,
      secret: 'testing123',
      kind: 'acct',
      packets: ['jsmith', 'alice', 'bob'].map(
        (user, i) =>
          `Acct-Status-Type = Start, Acct-Session-Id = "0000000${i}", User-Name = "${user}", Calling-Station-Id = "00-11-22-33-44-0${i}", ` +
          `NAS-IP-Address = 127.0.0.50, Framed-IP-Address = 10.60.0.${i + 1}, Cisco-AVPair = "audit-session-id=0A3C00320000000${i}00000000"`,
      ),
    });
    assert.equal(r.status, 0, r.stderr);
  });
  after(async () => {
    await node.stop();
    await nas.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a self-signed certificate is refused without --insecure, with a hint', async () => {
    const r = await cli(['count'], env);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /--insecure/);
  });

  test('count, version, sessions with filters and formats', async () => {
    assert.deepEqual(await cli(['count', '--insecure'], env), { status: 0, stdout: '3\n', stderr: '' });
    const version = JSON.parse((await cli(['version', '--insecure', '--format', 'json'], env)).stdout) as Record<string, string>[];
    assert.equal(version[0]!.type_of_node, '1');
    const all = JSON.parse((await cli(['sessions', '--insecure', '--format', 'json'], env)).stdout) as Record<string, string>[];
    assert.deepEqual(all.map((s) => s.user_name).sort(), ['alice', 'bob', 'jsmith']);
    const byUser = await cli(['sessions', '--insecure', '--user', 'alice', '--format', 'csv'], env);
    assert.equal(byUser.stdout.split('\n')[0], 'calling_station_id,user_name,nas_ip_address,framed_ip_address,audit_session_id,acct_session_id,server,framed_ipv6_address');
    assert.match(byUser.stdout.split('\n')[1]!, /^00:11:22:33:44:01,alice,127\.0\.0\.50,10\.60\.0\.2,/);
    const table = await cli(['sessions', '--insecure', '--mac', '001122334400'], env);
    assert.match(table.stdout, /^CALLING_STATION_ID\s+USER_NAME\s+NAS_IP_ADDRESS/);
    assert.match(table.stdout, /00:11:22:33:44:00\s+jsmith\s+127\.0\.0\.50/);
    const xml = await cli(['sessions', '--insecure', '--nas', '127.0.0.50', '--page', '1', '--size', '2', '--format', 'xml'], env);
    assert.match(xml.stdout, /<activeList count="2">/);
  });

  test('session by MAC, IP, user, endpoint IP and session id; not found exits 4', async () => {
    for (const args of [['--mac', '00-11-22-33-44-02'], ['--user', 'bob'], ['--endpoint-ip', '10.60.0.3'], ['--session-id', '0A3C00320000000200000000']]) {
      const r = await cli(['session', '--insecure', '--format', 'json', ...args], env);
      assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
      const record = (JSON.parse(r.stdout) as Record<string, string>[])[0]!;
      assert.equal(record.calling_station_id, '00:11:22:33:44:02', args.join(' '));
    }
    const missing = await cli(['session', '--insecure', '--mac', 'AA:BB:CC:DD:EE:FF'], env);
    assert.equal(missing.status, 4);
    assert.match(missing.stderr, /Session data is not available for AA:BB:CC:DD:EE:FF/);
  });

  test('coa by MAC and by user; the NAS answer decides the exit code; disconnect needs --yes', async () => {
    nas.behaviour = { kind: 'ack' };
    const byMac = await cli(['coa', '--insecure', '--mac', '00:11:22:33:44:00', '--type', 'rerun', '--format', 'json'], env);
    assert.equal(byMac.status, 0, byMac.stderr);
    const row = (JSON.parse(byMac.stdout) as Record<string, string>[])[0]!;
    assert.equal(row.results, 'true');
    assert.equal(row.outcome, 'ack');
    assert.equal(nas.received.at(-1)!.packet.code, 43);
    nas.behaviour = { kind: 'nak', errorCause: 503 };
    const byUser = await cli(['coa', '--insecure', '--user', 'alice', '--format', 'json'], env);
    assert.equal(byUser.status, 1);
    assert.equal((JSON.parse(byUser.stdout) as Record<string, string>[])[0]!.errorCause, '503');
    const unconfirmed = await cli(['coa', '--insecure', '--mac', '00:11:22:33:44:00', '--action', 'disconnect'], env);
    assert.equal(unconfirmed.status, 2);
    assert.match(unconfirmed.stderr, /--yes/);
    nas.behaviour = { kind: 'ack' };
    const bounced = await cli(['coa', '--insecure', '--ip', '10.60.0.1', '--action', 'bounce', '--yes'], env);
    assert.equal(bounced.status, 0, bounced.stderr);
  });

  test('exit codes: 3 for refused credentials or role, 2 for usage', async () => {
    assert.equal((await cli(['count', '--insecure'], { ...env, ISE_API_PASS: 'wrong-password' })).status, 3);
    assert.equal((await cli(['coa', '--insecure', '--mac', '00:11:22:33:44:00'], { ...env, ISE_API_USER: 'desk' })).status, 3);
    assert.equal((await cli(['count', '--insecure'], { ISE_API_USER: 'ops', ISE_API_PASS: PASSWORD })).status, 2);
    assert.equal((await cli(['session', '--insecure', '--mac', 'zz'], env)).status, 2);
    assert.equal((await cli(['sessions', '--insecure', '--format', 'yaml'], env)).status, 2);
    // An option of another command is refused, not silently ignored.
    const foreign = await cli(['count', '--insecure', '--verify', '--rate', '5'], env);
    assert.deepEqual([foreign.status, foreign.stdout], [2, '']);
    assert.match(foreign.stderr, /^openmnt count does not take --verify \(it takes no options of its own/);
    const bulkOnly = await cli(['coa', '--insecure', '--mac', '00:11:22:33:44:00', '--rate', '5'], env);
    assert.equal(bulkOnly.status, 2);
    assert.match(bulkOnly.stderr, /^openmnt coa does not take --rate \(it takes --mac, --ip, --user, --action, --type, --yes, --verify, --verify-timeout/);
    assert.match((await cli(['coa', 'bulk', '--insecure', '--nas', '127.0.0.50', '--verify'], env)).stderr, /^openmnt coa bulk does not take --verify/);
    const stdin = await cli(['count', '--insecure', '--password-stdin'], { ISE_MNT_IP: env.ISE_MNT_IP!, ISE_API_USER: 'ops' }, `${PASSWORD}\n`);
    assert.equal(stdin.stdout, '3\n', stdin.stderr);
  });

  test('auth-status, acct-status, failure-reasons, audit, and delete (asks first)', async () => {
    const mab = await radclient({
      port: node.ports.auth,
      secret: 'testing123',
      kind: 'auth',
      packets: ['User-Name = "001122334400", User-Password = "001122334400", Service-Type = Call-Check, Calling-Station-Id = "00-11-22-33-44-00", NAS-IP-Address = 127.0.0.50'],
    });
    // An unknown MAC is rejected by the default policy (radclient exits 1 on a reject).
    assert.match(mab.stdout + mab.stderr, /Access-Reject/);
    const auth = JSON.parse((await cli(['auth-status', '--insecure', '--mac', '00:11:22:33:44:00', '--format', 'json'], env)).stdout) as Record<string, string>[];
    assert.equal(auth.length, 1);
    assert.equal(auth[0]!.passed, 'false');
    assert.match(auth[0]!.failure_reason!, /^\d+ /);
    const acct = JSON.parse((await cli(['acct-status', '--insecure', '--mac', '00:11:22:33:44:00', '--format', 'json'], env)).stdout) as Record<string, string>[];
    assert.equal(acct[0]!.audit_session_id, '0A3C00320000000000000000');
    const reasons = (await cli(['failure-reasons', '--insecure', '--format', 'csv'], env)).stdout.trim().split('\n');
    assert.equal(reasons[0], 'id,code,cause,resolution');
    assert.ok(reasons.length > 10);
    const audit = JSON.parse((await cli(['audit', '--insecure', '--mac', '00:11:22:33:44:01', '--format', 'json'], env)).stdout) as Record<string, string>[];
    assert.equal(audit[0]!.outcome, 'nak');
    assert.equal(audit[0]!.admin, 'ops');
    assert.equal((await cli(['delete', '--insecure', '--mac', '00:11:22:33:44:02'], env)).status, 2, 'no terminal, no --yes: refused');
    const deleted = await cli(['delete', '--insecure', '--mac', '00:11:22:33:44:02', '--yes', '--format', 'json'], env);
    assert.equal(deleted.status, 0, deleted.stderr);
    assert.equal((JSON.parse(deleted.stdout) as Record<string, string>[])[0]!.status, 'SUCCESSFUL');
    assert.equal((await cli(['count', '--insecure'], env)).stdout, '2\n');
  });

  test('the README shows exactly what openmnt --help and openmnt admin --help print', async () => {
    const { readFileSync } = await import('node:fs');
    const readme = readFileSync('README.md', 'utf8');
    const help = await cli(['--help'], {});
    const admin = await cli(['admin', '--help'], {});
    assert.equal(help.status, 0);
    assert.ok(readme.includes(`\`\`\`text\n${help.stdout}\`\`\``), 'README block = openmnt --help');
    assert.ok(readme.includes(`\`\`\`text\n${admin.stdout}\`\`\``), 'README block = openmnt admin --help');
  });

  test('openmnt admin add: a delegated admin with its groups, refused without them', async () => {
    const config = join(dir, 'delegated.yaml');
    writeFileSync(config, `api: { adminsFile: ${join(dir, 'delegated-admins.json')}, passwordHashCost: 14 }\n`);
    const run = (args: string[]) => spawnSync(process.execPath, ['bin/openmnt.js', 'admin', ...args, '--config', config], { input: `${PASSWORD}\n`, encoding: 'utf8' });
    const missing = run(['add', 'lab-owner', '--role', 'delegated-admin']);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /needs --groups/);
    const stray = run(['add', 'ops2', '--groups', 'Lab']);
    assert.equal(stray.status, 2);
    const added = run(['add', 'lab-owner', '--role', 'delegated-admin', '--groups', 'Lab, Printers']);
    assert.equal(added.status, 0, added.stderr);
    assert.match(added.stdout, /Delegated Admin of Lab, Printers/);
    const list = run(['list']);
    assert.match(list.stdout, /lab-owner\s+Delegated Admin \(Lab, Printers\)/);
  });

  test('--help lists every client command', async () => {
    const r = await cli(['--help'], {});
    for (const c of ['version', 'count', 'sessions', 'session', 'auth-status', 'acct-status', 'failure-reasons', 'delete', 'audit', 'coa', 'Exit codes']) {
      assert.ok(r.stdout.includes(`openmnt ${c}`) || r.stdout.includes(c), c);
    }
  });

  test('coa bulk: dry run lists, a job runs with a line per endpoint and a summary, a MAC file works', async () => {
    nas.behaviour = { kind: 'ack' };
    const dry = await cli(['coa', 'bulk', '--insecure', '--nas', '127.0.0.50', '--dry-run', '--format', 'json'], env);
    assert.equal(dry.status, 0, dry.stderr);
    const listed = (JSON.parse(dry.stdout) as { mac: string }[]).map((e) => e.mac).sort();
    assert.deepEqual(listed, ['00:11:22:33:44:00', '00:11:22:33:44:01']);
    assert.equal((await cli(['coa', 'bulk', '--insecure', '--nas', '127.0.0.50'], env)).status, 2, 'no terminal and no --yes: refused');
    const run = await cli(['coa', 'bulk', '--insecure', '--nas', '127.0.0.50', '--action', 'reauth', '--type', 'last', '--concurrency', '1', '--yes', '--format', 'json'], env);
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), [{ ack: '2', nak: '0', timeout: '0', unreachable: '0', refused: '0', cancelled: '0', seconds: (JSON.parse(run.stdout) as { seconds: string }[])[0]!.seconds }]);
    assert.equal(run.stderr.split('\n').filter((l) => / 00:11:22:33:44:0[01] ack$/.test(l)).length, 2, run.stderr);
    const fromStdin = await cli(['coa', 'bulk', '--insecure', '--stdin', '--dry-run', '--format', 'csv'], env, '00-11-22-33-44-01\n\n');
    assert.equal(fromStdin.stdout, 'mac,nasIp\n00:11:22:33:44:01,127.0.0.50\n', fromStdin.stderr);
    nas.behaviour = { kind: 'nak', errorCause: 502 };
    const file = join(dir, 'macs.txt');
    writeFileSync(file, '# endpoints to bounce\n00-11-22-33-44-01\n00:11:22:33:44:01\n');
    const fromFile = await cli(['coa', 'bulk', '--insecure', '--file', file, '--action', 'bounce', '--yes', '--format', 'csv'], env);
    assert.equal(fromFile.status, 1, 'a NAK makes the run fail');
    assert.match(fromFile.stdout, /^ack,nak,timeout,unreachable,refused,cancelled,seconds\n0,1,0,0,0,0,/);
    nas.behaviour = { kind: 'ack' };
  });

  test('a profile names the target; a profile file with a password must be private', async () => {
    const { chmodSync } = await import('node:fs');
    const file = join(dir, 'profiles.yaml');
    writeFileSync(file, `lab:\n  host: 127.0.0.1:${node.api!.port}\n  user: ops\n  password: ${PASSWORD}\n  insecure: true\n`, { mode: 0o644 });
    chmodSync(file, 0o644);
    const open = await cli(['count', '--profile', 'lab'], { OPENMNT_PROFILES: file });
    assert.equal(open.status, 2);
    assert.match(open.stderr, /chmod 600/);
    chmodSync(file, 0o600);
    assert.deepEqual(await cli(['count', '--profile', 'lab'], { OPENMNT_PROFILES: file }), { status: 0, stdout: '2\n', stderr: '' });
    assert.equal((await cli(['count', '--profile', 'nope'], { OPENMNT_PROFILES: file })).status, 2);
  });

  test('coa --verify: the endpoint coming back is shown', async () => {
    nas.behaviour = { kind: 'ack' };
    const sent = nas.received.length;
    const pending = cli(['coa', '--insecure', '--mac', '00:11:22:33:44:00', '--verify', '--verify-timeout', '60', '--format', 'json'], env);
    // The endpoint comes back only after the NAS has the CoA (waiting for the event, not a guessed time).
    await nas.waitForRequests(sent + 1);
    const interim = await radclient({
      port: node.ports.accounting,
      secret: 'testing123',
      kind: 'acct',
      packets: ['Acct-Status-Type = Interim-Update, Acct-Session-Id = "00000000", User-Name = "jsmith", Calling-Station-Id = "00-11-22-33-44-00", NAS-IP-Address = 127.0.0.50, Acct-Session-Time = 30'],
    });
    assert.equal(interim.status, 0, interim.stderr);
    const r = await pending;
    assert.equal(r.status, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as Record<string, string>[])[0]!.verified, 'true');
  });

  test('on a terminal: a confirmation prompt and a progress bar with rate and ETA', async () => {
    const quote = (a: string) => `'${a.replace(/'/g, "'\\''")}'`;
    const command = [process.execPath, 'bin/openmnt.js', 'coa', 'bulk', '--insecure', '--nas', '127.0.0.50'].map(quote).join(' ');
    const r = await new Promise<{ status: number | null; out: string }>((resolve, reject) => {
      const child = spawn('script', ['-qec', command, '/dev/null'], { env: { PATH: process.env.PATH ?? '', TERM: 'dumb', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('[y/N]') && !child.stdin.writableEnded) child.stdin.end('y\n');
      });
      child.on('error', reject);
      child.on('close', (status) => resolve({ status, out }));
    });
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /reauth 2 endpoint\(s\)\? \[y\/N\]/);
    assert.match(r.out, /\[#+\] 2\/2 [\d.]+\/s ETA 0s/);
    assert.match(r.out, /ACK\s+NAK/);
  });
});
