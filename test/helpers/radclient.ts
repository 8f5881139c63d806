/** Drives FreeRADIUS's radclient, the real RADIUS client of the tests. */
import { run, type RunResult } from './run.js';

export interface RadclientOptions {
  port: number;
  secret: string;
  kind: 'auth' | 'acct' | 'status' | 'coa' | 'disconnect';
  /** One packet per entry, each as radclient reads it: `Attr = value` separated by commas or lines. */
  packets: string[];
  retries?: number;
  timeoutSeconds?: number;
  extra?: string[];
}

export function radclient(o: RadclientOptions): Promise<RunResult> {
  const args = ['-x', '-r', String(o.retries ?? 1), '-t', String(o.timeoutSeconds ?? 2), ...(o.extra ?? []), `127.0.0.1:${o.port}`, o.kind, o.secret];
  return run('radclient', args, { input: o.packets.join('\n\n') + '\n' });
}

/** A MAB Access-Request as a switch sends it (User-Name = User-Password = the MAC, Call-Check), with `extra` attributes. */
export function mab(port: number, secret: string, mac: string, extra = ''): Promise<RunResult> {
  return radclient({
    port,
    secret,
    kind: 'auth',
    packets: [`User-Name = "${mac}", User-Password = "${mac}", Calling-Station-Id = "${mac}", Service-Type = Call-Check${extra === '' ? '' : `, ${extra}`}`],
  });
}
