/**
 * Accounting round trips at a steady rate, each timed from its send to its answer: what a NAS
 * sees of the server while something else happens. Unlike `runLoad` (as many as the server
 * takes), requests leave on a clock, `rate` per second, whether earlier ones were answered or
 * not; none is retransmitted, so a slow answer shows as slow, and one missing for a whole cycle of
 * slots (sockets × 256 ÷ rate seconds) or still missing `drainMs` after the last send counts as
 * lost.
 *
 * It runs on a worker thread of its own (paced-worker.ts) so that the benchmark's other work (HTTP
 * clients reading megabytes) does not delay its sends or the timestamps of its answers.
 */
import { createSocket, type Socket } from 'node:dgram';
import { Worker } from 'node:worker_threads';
import { verifyResponseAuthenticator } from '../../src/radius/index.js';
import type { PacedProbe } from './paced-worker.js';

export interface PacedOptions {
  port: number;
  secret: string;
  /** Encoded with identifier i mod 256 (see encodeAll), sent in order. */
  datagrams: readonly Buffer[];
  rate: number;
  sockets: number;
  drainMs: number;
}

export interface PacedResult {
  sent: number;
  answered: number;
  lost: number;
  seconds: number;
  /** Lost requests count as slower than any answer (Infinity). */
  latencyMs: { p50: number; p99: number; max: number };
}

export async function runPaced(o: PacedOptions): Promise<PacedResult> {
  const slots = o.sockets * 256;
  const sockets: Socket[] = [];
  for (let s = 0; s < o.sockets; s++) {
    const socket = createSocket({ type: 'udp4', recvBufferSize: 1 << 20 });
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    sockets.push(socket);
  }
  const n = o.datagrams.length;
  const sentAt = new Float64Array(n);
  const latency = new Float64Array(n).fill(Number.POSITIVE_INFINITY);
  const occupant = new Int32Array(slots).fill(-1);
  const secret = Buffer.from(o.secret, 'utf8');
  let answered = 0;
  sockets.forEach((socket, s) => {
    socket.on('message', (reply: Buffer) => {
      const now = performance.now();
      const slot = s * 256 + reply[1]!;
      const i = occupant[slot]!;
      if (i < 0 || !verifyResponseAuthenticator(reply, o.datagrams[i]!.subarray(4, 20), secret)) return;
      latency[i] = now - sentAt[i]!;
      occupant[slot] = -1;
      answered++;
    });
  });

  const start = performance.now();
  let next = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const due = Math.min(n, Math.floor(((performance.now() - start) * o.rate) / 1000));
      while (next < due) {
        const slot = next % slots;
        // The slot's previous request is given up (it stays Infinity): its answer could no
        // longer be told from this one's.
        occupant[slot] = next;
        sentAt[next] = performance.now();
        sockets[slot >> 8]!.send(o.datagrams[next]!, o.port, '127.0.0.1');
        next++;
      }
      if (next < n) setTimeout(tick, 1);
      else resolve();
    };
    tick();
  });
  const seconds = (performance.now() - start) / 1000;
  await new Promise<void>((resolve) => {
    const until = performance.now() + o.drainMs;
    const wait = () => (answered === n || performance.now() >= until ? resolve() : setTimeout(wait, 10));
    wait();
  });
  for (const socket of sockets) socket.close();

  const sorted = Array.from(latency).sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(n - 1, Math.floor(q * (n - 1)))]!;
  return { sent: n, answered, lost: n - answered, seconds, latencyMs: { p50: at(0.5), p99: at(0.99), max: sorted[n - 1]! } };
}

/**
 * A paced probe on a thread of its own (paced-worker.ts), resolved once its datagrams are encoded.
 * `go` runs it once (after `beforeGo`, when given) and ends the thread.
 */
export async function pacedProbe(options: PacedProbe): Promise<{ go(beforeGo?: () => Promise<void>): Promise<PacedResult> }> {
  const worker = new Worker(new URL('./paced-worker.js', import.meta.url), { workerData: options });
  await new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return {
    async go(beforeGo = async () => undefined) {
      try {
        await beforeGo();
        const result = new Promise<PacedResult>((resolve, reject) => {
          worker.once('message', resolve);
          worker.once('error', reject);
        });
        worker.postMessage('go');
        return await result;
      } finally {
        await worker.terminate();
      }
    },
  };
}
