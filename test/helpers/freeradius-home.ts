/**
 * FreeRADIUS 3.2 (Debian `freeradius`) as the site's AAA behind the proxy: EAP-PEAP with
 * MSCHAPv2 and EAP-TLS over certificates this helper makes with openssl (a CA, the server's, a
 * client's), a users file with a VLAN per identity, on ports of its own on 127.0.0.1.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { radiusdMain } from '../../bench/lib/freeradius.js';
import { freeUdpPort } from './ports.js';

export const FREERADIUS_BIN = '/usr/sbin/freeradius';

export interface HomeUser {
  name: string;
  password?: string;
  vlan: string;
}

export interface FreeRadiusHome {
  dir: string;
  authPort: number;
  accountingPort: number;
  secret: string;
  certs: { ca: string; clientCert: string; clientKey: string };
  stop(): Promise<void>;
}

function openssl(dir: string, args: string[]): void {
  const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${r.stderr}`);
}

/** A CA, a server certificate and a client certificate (CN = `clientName`), valid for two days. */
export function makeCertificates(dir: string, clientName: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'server.ext'), 'extendedKeyUsage=serverAuth\n');
  writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  openssl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=OpenMnT test CA']);
  for (const [who, cn] of [['server', 'radius.test'], ['client', clientName]] as const) {
    openssl(dir, ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${who}.key`, '-out', `${who}.csr`, '-subj', `/CN=${cn}`]);
    openssl(dir, ['x509', '-req', '-in', `${who}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${who}.pem`, '-days', '2', '-extfile', `${who}.ext`]);
  }
}

function config(dir: string, authPort: number, accountingPort: number, secret: string): string {
  return `${radiusdMain({ dir, maxRequests: 16_384, logAuth: true })}
client proxy {
  ipaddr = 127.0.0.1
  secret = ${secret}
}
modules {
  always ok {
    rcode = ok
  }
  files {
    filename = ${dir}/users
  }
  mschap {
  }
  pap {
  }
  eap {
    default_eap_type = peap
    timer_expire = 60
    ignore_unknown_eap_types = no
    max_sessions = 4096
    tls-config tls-common {
      private_key_file = ${dir}/certs/server.key
      certificate_file = ${dir}/certs/server.pem
      ca_file = ${dir}/certs/ca.pem
      cipher_list = "DEFAULT"
      tls_min_version = "1.2"
      tls_max_version = "1.2"
      ecdh_curve = ""
    }
    tls {
      tls = tls-common
    }
    peap {
      tls = tls-common
      default_eap_type = mschapv2
      virtual_server = "inner-tunnel"
    }
    mschapv2 {
    }
  }
}
server default {
  listen {
    type = auth
    ipaddr = 127.0.0.1
    port = ${authPort}
  }
  listen {
    type = acct
    ipaddr = 127.0.0.1
    port = ${accountingPort}
  }
  authorize {
    eap {
      ok = return
    }
    files
    pap
  }
  authenticate {
    Auth-Type PAP {
      pap
    }
    eap
  }
  post-auth {
    update reply {
      &Tunnel-Type := &session-state:Tunnel-Type
      &Tunnel-Medium-Type := &session-state:Tunnel-Medium-Type
      &Tunnel-Private-Group-Id := &session-state:Tunnel-Private-Group-Id
      &User-Name := &session-state:User-Name
    }
    Post-Auth-Type REJECT {
      eap
    }
  }
  accounting {
    ok
  }
}
server inner-tunnel {
  authorize {
    eap {
      ok = return
    }
    files
    mschap
  }
  authenticate {
    Auth-Type MS-CHAP {
      mschap
    }
    eap
  }
  post-auth {
    # The inner identity's authorization (its VLAN) goes out in the outer Accept.
    update outer.session-state {
      &Tunnel-Type := &reply:Tunnel-Type
      &Tunnel-Medium-Type := &reply:Tunnel-Medium-Type
      &Tunnel-Private-Group-Id := &reply:Tunnel-Private-Group-Id
      &User-Name := &request:User-Name
    }
    Post-Auth-Type REJECT {
      ok
    }
  }
}
`;
}

/** Starts FreeRADIUS with `users`; resolves once it is ready to process requests. */
export async function startFreeRadiusHome(dir: string, users: HomeUser[], tlsClientName: string, secret = 'home-secret-1'): Promise<FreeRadiusHome> {
  for (const sub of ['log', 'run', 'radacct', 'certs']) mkdirSync(join(dir, sub), { recursive: true });
  makeCertificates(join(dir, 'certs'), tlsClientName);
  const authPort = await freeUdpPort();
  const accountingPort = await freeUdpPort();
  writeFileSync(join(dir, 'dictionary'), '$INCLUDE /usr/share/freeradius/dictionary\n');
  writeFileSync(
    join(dir, 'users'),
    users
      .map((u) => `${u.name}${u.password === undefined ? '' : ` Cleartext-Password := "${u.password}"`}\n  Tunnel-Type = VLAN, Tunnel-Medium-Type = IEEE-802, Tunnel-Private-Group-Id = "${u.vlan}"\n`)
      .join(''),
  );
  writeFileSync(join(dir, 'radiusd.conf'), config(dir, authPort, accountingPort, secret));
  const check = spawnSync(FREERADIUS_BIN, ['-C', '-d', dir], { encoding: 'utf8' });
  if (check.status !== 0) throw new Error(`freeradius refused the test configuration:\n${check.stdout}${check.stderr}`);
  const child: ChildProcess = spawn(FREERADIUS_BIN, ['-f', '-d', dir, '-l', 'stdout'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer) => {
      output += d.toString();
      if (output.includes('Ready to process requests')) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`freeradius exited (${code}) before it was ready:\n${output}`)));
  });
  return {
    dir,
    authPort,
    accountingPort,
    secret,
    certs: { ca: join(dir, 'certs', 'ca.pem'), clientCert: join(dir, 'certs', 'client.pem'), clientKey: join(dir, 'certs', 'client.key') },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** eapol_test against `port` (the proxy); its whole output, and whether it printed SUCCESS. */
export function eapolTest(confFile: string, port: number, secret: string, callingStationId: string): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve) => {
    // -N 31:s: sets Calling-Station-Id; -r 0: one authentication; -t: the whole run's timeout.
    const child = spawn('eapol_test', ['-c', confFile, '-a', '127.0.0.1', '-p', String(port), '-s', secret, '-N', `31:s:${callingStationId}`, '-t', '20'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('close', () => resolve({ ok: /^SUCCESS$/m.test(output), output }));
  });
}
