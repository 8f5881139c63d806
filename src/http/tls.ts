/**
 * The HTTPS identity of the MnT API: the operator's certificate and key when configured, otherwise
 * a self-signed pair made on first start and reused afterwards, so clients that pin it keep working.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import selfsigned from 'selfsigned';
import { OpenMntError } from '../errors.js';

export interface TlsCredentials {
  key: string;
  cert: string;
  /** True when this call made the self-signed pair. */
  generated: boolean;
  /** SHA-256 of the certificate, colon hex, to compare with what a client sees. */
  fingerprint: string;
}

export async function loadTlsCredentials(
  tls: { certFile: string; keyFile: string; dir: string },
  hostnames: string[],
): Promise<TlsCredentials> {
  if (tls.certFile !== '') return checked(read(tls.certFile, 'api.tls.certFile'), read(tls.keyFile, 'api.tls.keyFile'), false);
  const certPath = join(tls.dir, 'cert.pem');
  const keyPath = join(tls.dir, 'key.pem');
  if (existsSync(certPath) && existsSync(keyPath)) return checked(read(certPath, 'api.tls.dir'), read(keyPath, 'api.tls.dir'), false);
  const names = [...new Set(['localhost', ...hostnames])];
  const pems = selfsigned.generate([{ name: 'commonName', value: names.find((n) => n !== 'localhost') ?? 'localhost' }, { name: 'organizationName', value: 'OpenMnT' }], {
    keySize: 2048,
    days: 825,
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [...names.map((value) => ({ type: 2, value })), { type: 7, ip: '127.0.0.1' }, { type: 7, ip: '::1' }],
      },
    ],
  });
  // The directory holds the private key: private like the data directory it usually sits in.
  mkdirSync(tls.dir, { recursive: true, mode: 0o700 });
  writeFileSync(keyPath, pems.private, { mode: 0o600 });
  chmodSync(keyPath, 0o600);
  writeFileSync(certPath, pems.cert);
  return checked(pems.cert, pems.private, true);
}

/**
 * What the HTTPS port adds when client certificates identify pxGrid consumers: it asks every client
 * for one but admits those without (scripts, browsers and password consumers share the port); a
 * certificate counts only when it chains to `caFile` (`socket.authorized`), see pxgrid/service.ts.
 */
export function clientCertificateOptions(caFile: string): { ca?: string; requestCert?: boolean; rejectUnauthorized?: boolean } {
  if (caFile === '') return {};
  const ca = read(caFile, 'pxgrid.clientCaFile');
  try {
    new X509Certificate(ca);
  } catch (cause) {
    throw new OpenMntError('CONFIG_INVALID', `pxgrid.clientCaFile: ${caFile} holds no PEM certificate: ${(cause as Error).message}`);
  }
  return { ca, requestCert: true, rejectUnauthorized: false };
}

function read(file: string, setting: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (cause) {
    throw new OpenMntError('CONFIG_INVALID', `${setting}: cannot read ${file}: ${(cause as Error).message}`);
  }
}

function checked(cert: string, key: string, generated: boolean): TlsCredentials {
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
    if (!x509.checkPrivateKey(createPrivateKey(key))) throw new Error('the key does not belong to the certificate');
  } catch (cause) {
    throw new OpenMntError('CONFIG_INVALID', `TLS certificate and key are not usable: ${(cause as Error).message}`);
  }
  return { key, cert, generated, fingerprint: x509.fingerprint256 };
}
