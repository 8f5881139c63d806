/** An MnT API client for the benchmarks: a list streamed to its end, one answer's size, a call under autocannon. */
import { request, Agent } from 'node:https';
import autocannon from 'autocannon';

export const MiB = 2 ** 20;

export interface MntClient {
  agent: Agent;
  /** The Authorization header. */
  auth: string;
}

export function mntClient(user: string, password: string): MntClient {
  return { agent: new Agent({ keepAlive: true, rejectUnauthorized: false }), auth: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` };
}

export interface Streamed {
  bytes: number;
  /** Occurrences of the marker counted in the body (activeSession elements or JSON objects). */
  sessions: number;
  status: number;
  seconds: number;
  growthMiB: number;
}

/** GETs `path` on `port` and reads the body to its end, counting `marker` across chunk boundaries; `rssOf` sampled every 50 ms. */
export async function stream(client: MntClient, port: number, path: string, accept: string, marker: string, rssOf?: () => number): Promise<Streamed> {
  const needle = Buffer.from(marker);
  const before = rssOf?.() ?? 0;
  let peak = before;
  const sampler = rssOf === undefined ? undefined : setInterval(() => (peak = Math.max(peak, rssOf())), 50);
  const t0 = performance.now();
  try {
    const got = await new Promise<Omit<Streamed, 'seconds' | 'growthMiB'>>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path, agent: client.agent, headers: { authorization: client.auth, accept } }, (res) => {
        let bytes = 0;
        let sessions = 0;
        let tail: Buffer = Buffer.alloc(0);
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          // The marker may straddle two chunks: look from the last few bytes of the one before.
          const text = tail.length === 0 ? chunk : Buffer.concat([tail, chunk]);
          for (let at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + needle.length)) sessions++;
          tail = text.subarray(Math.max(0, text.length - needle.length + 1));
        });
        res.on('end', () => resolve({ bytes, sessions, status: res.statusCode ?? 0 }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    });
    return { ...got, seconds: (performance.now() - t0) / 1000, growthMiB: (peak - before) / MiB };
  } finally {
    if (sampler !== undefined) clearInterval(sampler);
  }
}

/** One answer's status and body size. */
export function bodySize(client: MntClient, port: number, path: string, accept: string): Promise<{ status: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: client.agent, headers: { authorization: client.auth, accept } }, (res) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => (bytes += chunk.length));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

export interface Cannon {
  perSecond: number;
  p50: number;
  p99: number;
  ok: number;
  other: number;
  errors: number;
  /** Every response counted, whatever its status (what CPU per request divides by). */
  total: number;
}

/** `connections` keep-alive HTTPS connections for `seconds`, request n going to `path(n)`. */
export async function cannon(client: MntClient, port: number, accept: string, path: (n: number) => string, connections: number, seconds: number): Promise<Cannon> {
  let n = 0;
  const result = await autocannon({
    url: `https://127.0.0.1:${port}`,
    connections,
    duration: seconds,
    headers: { authorization: client.auth, accept },
    requests: [{ setupRequest: (req: { path?: string }) => ({ ...req, path: path(++n) }) }],
  });
  return { perSecond: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, ok: result['2xx'], other: result.non2xx, errors: result.errors, total: result['1xx'] + result['2xx'] + result['3xx'] + result['4xx'] + result['5xx'] };
}

/** The node answers RADIUS before its API listens: wait for the API too. */
export async function apiReady(client: MntClient, port: number): Promise<void> {
  for (let tries = 0; ; tries++) {
    try {
      if ((await bodySize(client, port, '/health', 'application/json')).status === 200) return;
    } catch (error) {
      if (tries > 600) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
