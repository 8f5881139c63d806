/** Calls of a node's HTTPS API (its self-signed certificate accepted), for tests of several nodes. */
import { request } from 'node:https';
import type { NodeProcess } from './node-process.js';

export interface ApiAnswer {
  status: number;
  body: string;
}

/** One call as `admin` (Basic authentication); `json` is sent as the body. */
export function callNode(node: NodeProcess, method: string, path: string, credentials: { name: string; password: string }, json?: unknown): Promise<ApiAnswer> {
  return new Promise((resolve, reject) => {
    const body = json === undefined ? undefined : JSON.stringify(json);
    const req = request(
      `${new URL(node.api!.url).origin}${path}`,
      {
        method,
        rejectUnauthorized: false,
        headers: {
          authorization: `Basic ${Buffer.from(`${credentials.name}:${credentials.password}`).toString('base64')}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Asks `check` again (every `everyMs`) until it answers true; fails after `deadlineMs`, naming `what`. */
export async function waitFor(what: string, check: () => Promise<boolean> | boolean, deadlineMs = 120_000, everyMs = 100): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`gave up waiting (${deadlineMs / 1000} s): ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
