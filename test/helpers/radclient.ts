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
