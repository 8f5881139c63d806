/**
 * pxGrid consumers identified by a client certificate (pxgrid.clientCaFile): the node asks every
 * HTTPS client for a certificate, a consumer whose certificate chains to the CA and who sends its
 * node name with an empty password gets a certificate account (PENDING until an admin approves),
 * bound to that certificate. Another certificate of the same CA cannot speak for it, a certificate
 * of another CA counts for nothing, and clients without a certificate still connect.
 * Certificates are made by openssl.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { clientCertificateOptions } from '../../src/http/tls.js';
import { ADMINS, addAdmins, basic } from '../helpers/mnt.js';
import { pxBasic } from '../helpers/pxgrid-client.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { needTool } from '../helpers/tools.js';

const skip = needTool('openssl', 'openssl');
const SAFETY = { timeout: 120_000 };

interface Pair {
  cert: string;
  key: string;
  fingerprint: string;
}

function openssl(dir: string, args: string[]): string {
  const run = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${run.stderr}`);
  return run.stdout;
}

/** A CA, self-signed. */
function makeCa(dir: string, name: string): void {
  openssl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2', '-subj', `/CN=${name}`]);
}

/** A client certificate of `ca` with common name `cn`. */
function makeClient(dir: string, ca: string, file: string, cn: string): Pair {
  openssl(dir, ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${file}.key`, '-out', `${file}.csr`, '-subj', `/CN=${cn}/O=Security Operations`]);
  writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage = clientAuth\n');
  openssl(dir, ['x509', '-req', '-in', `${file}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${file}.pem`, '-days', '2', '-extfile', 'client.ext']);
  const fingerprint = openssl(dir, ['x509', '-in', `${file}.pem`, '-noout', '-fingerprint', '-sha256']).trim().split('=')[1]!;
  return { cert: readFileSync(join(dir, `${file}.pem`), 'utf8'), key: readFileSync(join(dir, `${file}.key`), 'utf8'), fingerprint };
}

interface Answer {
  status: number;
  json: Record<string, unknown> | null;
}

/** A POST over HTTPS, with a client certificate when `pair` is given. */
function post(port: number, path: string, body: unknown, authorization: string | undefined, pair?: Pair): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (authorization !== undefined) headers.authorization = authorization;
    const req = request(
      { host: '127.0.0.1', port, path, method: 'POST', headers, rejectUnauthorized: false, agent: false, ...(pair === undefined ? {} : { cert: pair.cert, key: pair.key }) },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: Record<string, unknown> | null = null;
          try {
            json = text === '' ? null : (JSON.parse(text) as Record<string, unknown>);
          } catch {
            json = null;
          }
          resolve({ status: res.statusCode ?? 0, json });
        });
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

describe('pxGrid client certificates', { ...SAFETY, skip }, () => {
  let dir: string;
  let server: TestServer;
  let port: number;
  let consumer: Pair;
  let sameCaOther: Pair;
  let otherCa: Pair;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'openmnt-pxcert-'));
    makeCa(dir, 'consumers-ca');
    makeCa(dir, 'other-ca');
    consumer = makeClient(dir, 'consumers-ca', 'fmc', 'fmc-cert');
    sameCaOther = makeClient(dir, 'consumers-ca', 'intruder', 'intruder');
    otherCa = makeClient(dir, 'other-ca', 'stranger', 'fmc-cert');
    server = await startTestServer((c) => {
      c.api.tls.enabled = true;
      c.pxgrid.clientCaFile = join(dir, 'consumers-ca.pem');
    });
    await addAdmins(server);
    port = server.api.port;
  });
  after(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const admin = (path: string, method = 'GET') =>
    new Promise<Answer>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path, method, headers: { authorization: basic(ADMINS['super-admin']) }, rejectUnauthorized: false, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null') as Record<string, unknown> | null }));
      });
      req.on('error', reject);
      req.end();
    });

  test('a certificate account: made PENDING by AccountActivate, bound to the certificate, usable once approved', async () => {
    const auth = pxBasic('fmc-cert', '');
    const activate = await post(port, '/pxgrid/control/AccountActivate', { description: 'FMC by certificate' }, auth, consumer);
    assert.equal(activate.status, 200);
    assert.equal(activate.json!.accountState, 'PENDING');
    assert.equal((await post(port, '/pxgrid/control/ServiceLookup', { name: 'com.cisco.ise.session' }, auth, consumer)).status, 403);

    // What the admin compares before approving: the subject and openssl's fingerprint.
    const listed = await admin('/api/v1/pxgrid/accounts');
    const account = (listed.json!.accounts as { nodeName: string; state: string; certificate?: { subject: string; fingerprint: string } }[]).find((a) => a.nodeName === 'fmc-cert');
    assert.ok(account, 'the certificate account is listed');
    assert.equal(account.certificate?.fingerprint, consumer.fingerprint);
    assert.match(account.certificate!.subject, /CN=fmc-cert/);
    assert.equal((await admin('/api/v1/pxgrid/accounts/fmc-cert/approve', 'POST')).status, 200);

    assert.equal((await post(port, '/pxgrid/control/AccountActivate', {}, auth, consumer)).json!.accountState, 'ENABLED');
    // No Authorization header at all: the certificate's common name is the node name.
    assert.equal((await post(port, '/pxgrid/control/AccountActivate', {}, undefined, consumer)).json!.accountState, 'ENABLED');
    const lookup = await post(port, '/pxgrid/control/ServiceLookup', { name: 'com.cisco.ise.session' }, auth, consumer);
    assert.equal(lookup.status, 200);
    const secret = await post(port, '/pxgrid/control/AccessSecret', { peerNodeName: 'openmnt-test' }, auth, consumer);
    assert.equal(secret.status, 200);
    // The session service: by certificate, and by the access secret without one.
    const byCert = await post(port, '/pxgrid/ise/session/getSessions', {}, auth, consumer);
    assert.equal(byCert.status, 200);
    assert.deepEqual(byCert.json, { sessions: [] });
    const bySecret = await post(port, '/pxgrid/ise/session/getSessions', {}, pxBasic('fmc-cert', secret.json!.secret as string));
    assert.equal(bySecret.status, 200);
  });

  test('refused: another certificate of the same CA for that name, a certificate of another CA, no certificate and no password', async () => {
    const auth = pxBasic('fmc-cert', '');
    assert.equal((await post(port, '/pxgrid/control/AccountActivate', {}, auth, sameCaOther)).status, 401);
    assert.equal((await post(port, '/pxgrid/ise/session/getSessions', {}, auth, sameCaOther)).status, 401);
    // Not of the configured CA: the connection is admitted, the certificate counts for nothing.
    assert.equal((await post(port, '/pxgrid/control/AccountActivate', {}, auth, otherCa)).status, 401);
    assert.equal((await post(port, '/pxgrid/control/AccountActivate', {}, undefined, otherCa)).status, 401);
    assert.equal((await post(port, '/pxgrid/control/AccountActivate', {}, auth)).status, 401);
    // A provider call never makes an account: a new name by certificate is refused there.
    assert.equal((await post(port, '/pxgrid/ise/session/getSessions', {}, pxBasic('intruder', ''), sameCaOther)).status, 401);
    const names = ((await admin('/api/v1/pxgrid/accounts')).json!.accounts as { nodeName: string }[]).map((a) => a.nodeName);
    assert.deepEqual(names, ['fmc-cert']);
  });

  test('password accounts still work on the same port, and a certificate cannot take a password account', async () => {
    const created = await post(port, '/pxgrid/control/AccountCreate', { nodeName: 'siem-pw' }, undefined);
    assert.equal(created.status, 200);
    const state = await post(port, '/pxgrid/control/AccountActivate', {}, pxBasic('siem-pw', created.json!.password as string));
    assert.equal(state.json!.accountState, 'PENDING');
    assert.equal((await post(port, '/pxgrid/control/AccountActivate', {}, pxBasic('siem-pw', ''), consumer)).status, 401);
  });
});

describe('pxgrid.clientCaFile in the configuration', () => {
  test('needs TLS, and a file that holds a certificate', () => {
    const dir = mkdtempSync(join(tmpdir(), 'openmnt-pxcert-config-'));
    try {
      const file = join(dir, 'openmnt.yaml');
      writeFileSync(file, `api:\n  tls:\n    enabled: false\npxgrid:\n  clientCaFile: ${join(dir, 'ca.pem')}\n`);
      assert.throws(() => loadConfig({ file, env: {} }), /pxgrid\.clientCaFile.*api\.tls\.enabled/s);
      writeFileSync(join(dir, 'ca.pem'), 'not a certificate\n');
      const refused = (error: Error & { code?: string }, pattern: RegExp) => error.code === 'CONFIG_INVALID' && pattern.test(error.message);
      assert.throws(() => clientCertificateOptions(join(dir, 'ca.pem')), (e: Error) => refused(e, /holds no PEM certificate/));
      assert.throws(() => clientCertificateOptions(join(dir, 'absent.pem')), (e: Error) => refused(e, /pxgrid\.clientCaFile: cannot read/));
      assert.deepEqual(clientCertificateOptions(''), {});
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
