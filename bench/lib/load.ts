/**
 * A cheap RADIUS load generator, shared by every benchmark.
 *
 * The generator shares two cores with the server it measures, so it does as little as it can while
 * the clock runs: every datagram is encoded before the start, and the hot path is one `send` per
 * request and one array lookup per reply.
 *
 * Each datagram owns a fixed slot (socket, identifier): slot k = i mod (sockets × 256), socket
 * ⌊k / 256⌋, identifier k mod 256. An Accounting-Request's authenticator covers the identifier,
 * so this is what lets datagrams be encoded ahead of time; datagram i leaves only once the datagram
 * that held its slot before (i − sockets × 256) was answered or given up. At most `window`
 * requests are outstanding. An unanswered datagram is sent again, byte for byte, after
 * `timeoutMs` (the server's duplicate cache must answer it, not process it twice); after
 * `retries` retransmissions it counts as lost.
 */
import { createSocket, type Socket } from 'node:dgram';
import { encodePacket, verifyResponseAuthenticator, type AttributeInput } from '../../src/radius/index.js';

export interface LoadOptions {
  port: number;
  /** Shared secret, to tell a late answer to a retransmitted request from the answer to its slot's next one. */
  secret: string;
  datagrams: readonly Buffer[];
  /** UDP sockets (source ports); 256 identifiers each. */
  sockets: number;
  /** Outstanding requests at most (capped at sockets × 256). */
  window: number;
  timeoutMs: number;
  retries: number;
  /** Stop after this long whatever happens; what is unanswered then counts as lost. */
  deadlineMs: number;
  /** Called about every `progressEveryMs` with the requests answered so far. */
  progress?: (answered: number, seconds: number) => void;
  progressEveryMs?: number;
}

export interface LoadResult {
  sent: number;
  answered: number;
  /** Requests never answered after all retransmissions (or still unanswered at the deadline). */
  lost: number;
  retransmissions: number;
  seconds: number;
  perSecond: number;
  deadlineHit: boolean;
  /** Replies that matched no outstanding request (late answers to retransmissions). */
  strays: number;
  /** Reply code → count. */
  replyCodes: Map<number, number>;
  /** Reply code of each datagram (0 = unanswered). */
  codeOf: Uint8Array;
  /** From first transmission to the answer. */
  latencyMs: { p50: number; p99: number; max: number };
}

/** The identifier datagram i must carry. */
export const identifierOf = (i: number) => i % 256;

/** Encodes `count` requests, datagram i with identifier i mod 256 (its slot's identifier). */
export function encodeAll(
  count: number,
  code: number,
  secret: string,
  make: (i: number) => AttributeInput[],
  options: { messageAuthenticator?: boolean; label?: string } = {},
): Buffer[] {
  const started = performance.now();
  const out: Buffer[] = new Array<Buffer>(count);
  for (let i = 0; i < count; i++) {
    // Copy out of Node's shared 8 KiB pool so the datagrams do not pin pool slabs in odd ways.
    out[i] = encodePacket({ code, identifier: identifierOf(i), attributes: make(i) }, { secret, messageAuthenticator: options.messageAuthenticator ?? false });
  }
  if (options.label !== undefined) {
    console.log(`${options.label}: encoded ${fmt(count)} datagrams in ${((performance.now() - started) / 1000).toFixed(1)} s (before the clock starts)`);
  }
  return out;
}

export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const slots = o.sockets * 256;
  const window = Math.min(o.window, slots);
  const sockets: Socket[] = [];
  for (let s = 0; s < o.sockets; s++) {
    const socket = createSocket({ type: 'udp4', recvBufferSize: 4 * 1024 * 1024, sendBufferSize: 4 * 1024 * 1024 });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, '127.0.0.1', () => {
        socket.off('error', reject);
        resolve();
      });
    });
    sockets.push(socket);
  }
  const n = o.datagrams.length;
  const datagrams = o.datagrams;
  const port = o.port;
  /** Index of the datagram occupying each slot, or -1. */
  const occupant = new Int32Array(slots).fill(-1);
  const firstSentAt = new Float64Array(n);
  const lastSentAt = new Float64Array(n);
  const latency = new Float32Array(n);
  const tries = new Uint8Array(n);
  const codeOf = new Uint8Array(n);
  const codeCounts = new Float64Array(256);
  /** Slots whose previous occupant was retransmitted or given up: a late reply may still come. */
  const dirty = new Uint8Array(slots);
  const secret = Buffer.from(o.secret, 'utf8');
  let strays = 0;
  let next = 0;
  let outstanding = 0;
  let answered = 0;
  let given = 0; // lost after retries
  let retransmissions = 0;
  const start = performance.now();
  let lastProgress = start;

  return new Promise<LoadResult>((resolve) => {
    let done = false;
    const transmit = (i: number, now: number) => {
      lastSentAt[i] = now;
      tries[i]!++;
      sockets[Math.floor((i % slots) / 256)]!.send(datagrams[i]!, port, '127.0.0.1');
    };
    const pump = () => {
      if (done) return;
      const now = performance.now();
      while (next < n && outstanding < window) {
        const slot = next % slots;
        if (occupant[slot] !== -1) break;
        occupant[slot] = next;
        outstanding++;
        firstSentAt[next] = now;
        transmit(next, now);
        next++;
      }
      if (answered + given === n) finish(false);
    };
    sockets.forEach((socket, s) => {
      const base = s * 256;
      socket.on('message', (msg) => {
        if (msg.length < 20) return;
        const slot = base + msg[1]!;
        const i = occupant[slot]!;
        if (i < 0) return void strays++; // a late answer to a request already answered
        if (dirty[slot]) {
          if (!verifyResponseAuthenticator(msg, datagrams[i]!.subarray(4, 20), secret)) return void strays++;
          dirty[slot] = 0;
        }
        if (tries[i]! > 1) dirty[slot] = 1;
        occupant[slot] = -1;
        outstanding--;
        answered++;
        codeOf[i] = msg[0]!;
        codeCounts[msg[0]!]!++;
        latency[i] = performance.now() - firstSentAt[i]!;
        pump();
      });
    });
    const timer = setInterval(
      () => {
        const now = performance.now();
        for (let slot = 0; slot < slots; slot++) {
          const i = occupant[slot]!;
          if (i < 0 || now - lastSentAt[i]! < o.timeoutMs) continue;
          if (tries[i]! > o.retries) {
            given++;
            dirty[slot] = 1;
            occupant[slot] = -1;
            outstanding--;
          } else {
            retransmissions++;
            transmit(i, now);
          }
        }
        if (o.progress && now - lastProgress >= (o.progressEveryMs ?? 10_000)) {
          lastProgress = now;
          o.progress(answered, (now - start) / 1000);
        }
        pump();
        if (!done && now - start > o.deadlineMs) finish(true);
      },
      Math.max(20, Math.min(250, o.timeoutMs / 4)),
    );
    function finish(deadlineHit: boolean) {
      if (done) return;
      done = true;
      const seconds = (performance.now() - start) / 1000;
      clearInterval(timer);
      for (const s of sockets) s.close();
      const replyCodes = new Map<number, number>();
      codeCounts.forEach((c, code) => {
        if (c > 0) replyCodes.set(code, c);
      });
      resolve({
        sent: n,
        answered,
        lost: n - answered,
        retransmissions,
        seconds,
        perSecond: answered / seconds,
        deadlineHit,
        replyCodes,
        codeOf,
        strays,
        latencyMs: percentiles(latency, answered),
      });
    }
    pump();
  });
}

function percentiles(latency: Float32Array, answered: number): LoadResult['latencyMs'] {
  const values = latency.filter((v) => v > 0).sort();
  if (values.length === 0 || answered === 0) return { p50: 0, p99: 0, max: 0 };
  const at = (q: number) => values[Math.min(values.length - 1, Math.floor(q * values.length))]!;
  return { p50: at(0.5), p99: at(0.99), max: values[values.length - 1]! };
}

export const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
export const ms = (n: number) => (n < 10 ? n.toFixed(2) : n.toFixed(1));

export function describe(r: LoadResult): string {
  return (
    `${r.lost} lost, ${fmt(r.retransmissions)} retransmitted (${fmt(r.answered)} of ${fmt(r.sent)} answered in ${r.seconds.toFixed(1)} s; ` +
    `latency p50 ${ms(r.latencyMs.p50)} ms, p99 ${ms(r.latencyMs.p99)} ms, max ${ms(r.latencyMs.max)} ms${r.deadlineHit ? '; DEADLINE HIT' : ''})`
  );
}
