/** Drives FreeRADIUS's radclient, the real RADIUS client of the tests. */
import { spawn } from 'node:child_process';

export interface RadclientResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export interface RadclientOptions {
  port: number;
  secret: string;
  kind: 'auth' | 'acct' | 'status';
  /** One packet per entry, each as radclient reads it: `Attr = value` separated by commas or lines. */
  packets: string[];
  retries?: number;
  timeoutSeconds?: number;
  extra?: string[];
}

export function radclient(o: RadclientOptions): Promise<RadclientResult> {
  return new Promise((resolve, reject) => {
    const args = [
      '-x',
      '-r',
      String(o.retries ?? 1),
      '-t',
      String(o.timeoutSeconds ?? 2),
      ...(o.extra ?? []),
      `127.0.0.1:${o.port}`,
      o.kind,
      o.secret,
    ];
    const child = spawn('radclient', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
    child.stdin.end(o.packets.join('\n\n') + '\n');
  });
}
