/**
 * Sends CoA-Request and Disconnect-Request datagrams and waits for the NAS's answer. RFC 5176 and
 * RFC 5080 rules live here: one identifier per outstanding request per source socket (so a pool
 * of sockets for more than 256 at once), the identical packet retransmitted with doubling
 * timeouts, and a reply accepted only from the NAS, for that identifier, with a Response
 * Authenticator (and any Message-Authenticator) that verifies. Anything else is ignored and
 * counted, and the request keeps waiting.
 */
import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import {
  Code,
  decodePacket,
  encodePacket,
  errorCauseText,
  getNumber,
  verifyMessageAuthenticator,
  verifyResponseAuthenticator,
  type AttributeInput,
  type RadiusPacket,
} from '../radius/index.js';
import { OpenMntError } from '../errors.js';

export interface RetransmitPolicy {
  initialTimeoutMs: number;
  maxTimeoutMs: number;
  maxAttempts: number;
  maxTotalMs: number;
}

export interface CoaSendRequest {
  code: typeof Code.CoARequest | typeof Code.DisconnectRequest;
  attributes: readonly AttributeInput[];
  nas: { address: string; port: number; secret: Buffer };
}

export interface CoaReply {
  outcome: 'ack' | 'nak' | 'timeout';
  /** The reply's code (41/42/44/45) or null on timeout. */
  code: number | null;
  errorCause: number | null;
  errorCauseText: string | null;
  attempts: number;
  rttMs: number | null;
  reply: RadiusPacket | null;
}

interface Pending {
  socket: PooledSocket;
  identifier: number;
  datagram: Buffer;
  authenticator: Buffer;
  nas: CoaSendRequest['nas'];
  requestCode: number;
  attempts: number;
  /** When this send happens on the nominal schedule, from the first send (ms). */
  nominalMs: number;
  firstSentAt: number;
  timer: NodeJS.Timeout | null;
  resolve: (reply: CoaReply) => void;
}

interface PooledSocket {
  socket: Socket;
  family: 4 | 6;
  /** Outstanding requests by identifier. */
  pending: Map<number, Pending>;
  nextIdentifier: number;
}

export interface SenderStats {
  sent: number;
  retransmitted: number;
  acked: number;
  naked: number;
  timedOut: number;
  /** Replies that did not verify or matched no request: ignored. */
  ignored: number;
}

/** Holds an identifier between its reservation and the request it carries. */
const RESERVED = {} as Pending;

export class CoaSender {
  readonly #policy: RetransmitPolicy;
  readonly #socketsPerFamily: number;
  readonly #pools: Record<4 | 6, PooledSocket[]> = { 4: [], 6: [] };
  readonly #waiting: (() => void)[] = [];
  readonly #opening: Record<4 | 6, Promise<void> | null> = { 4: null, 6: null };
  readonly stats: SenderStats = { sent: 0, retransmitted: 0, acked: 0, naked: 0, timedOut: 0, ignored: 0 };
  #closed = false;

  /** Told of every datagram as it goes out (1 for the first send of a request, 2 for its first resend, …). */
  readonly #onTransmit: ((attempt: number) => void) | undefined;

  constructor(options: { policy: RetransmitPolicy; sockets: number; onTransmit?: (attempt: number) => void }) {
    this.#policy = options.policy;
    this.#socketsPerFamily = options.sockets;
    this.#onTransmit = options.onTransmit;
  }

  /** Sends and resolves with what the NAS answered, or a timeout after the retransmit budget. */
  async send(request: CoaSendRequest): Promise<CoaReply> {
    if (this.#closed) throw new OpenMntError('COA_CANCELLED', 'the CoA sender is closed');
    const family = isIPv6(request.nas.address) ? 6 : 4;
    const { socket, identifier } = await this.#slot(family);
    const datagram = encodePacket(
      { code: request.code, identifier, attributes: request.attributes },
      { secret: request.nas.secret, messageAuthenticator: true },
    );
    return new Promise<CoaReply>((resolve) => {
      const pending: Pending = {
        socket,
        identifier,
        datagram,
        authenticator: Buffer.from(datagram.subarray(4, 20)),
        nas: request.nas,
        requestCode: request.code,
        attempts: 0,
        nominalMs: 0,
        firstSentAt: performance.now(),
        timer: null,
        resolve,
      };
      socket.pending.set(identifier, pending);
      this.#transmit(pending);
    });
  }

  #transmit(p: Pending): void {
    p.attempts++;
    if (p.attempts === 1) this.stats.sent++;
    else this.stats.retransmitted++;
    p.socket.socket.send(p.datagram, p.nas.port, p.nas.address);
    this.#onTransmit?.(p.attempts);
    // RFC 5080 §2.2.1: the timeout doubles after each try up to a maximum; retransmission ends
    // after maxAttempts sends or when the next send would fall at or past maxTotalMs. Decided on
    // the nominal schedule (2, 6, 14, 30 s with the defaults), so the count never depends on timer
    // jitter: with the defaults that is 4 sends and a 30 s wait in all.
    const timeout = Math.min(this.#policy.initialTimeoutMs * 2 ** (p.attempts - 1), this.#policy.maxTimeoutMs);
    const nextAt = p.nominalMs + timeout;
    const last = p.attempts >= this.#policy.maxAttempts || nextAt >= this.#policy.maxTotalMs;
    const wait = last ? Math.min(timeout, this.#policy.maxTotalMs - p.nominalMs) : timeout;
    p.nominalMs = nextAt;
    p.timer = setTimeout(() => {
      if (last) {
        this.stats.timedOut++;
        this.#finish(p, { outcome: 'timeout', code: null, errorCause: null, errorCauseText: null, attempts: p.attempts, rttMs: null, reply: null });
      } else {
        this.#transmit(p);
      }
    }, Math.max(0, wait));
  }

  #finish(p: Pending, reply: CoaReply): void {
    if (p.timer) clearTimeout(p.timer);
    p.socket.pending.delete(p.identifier);
    p.resolve(reply);
    this.#waiting.shift()?.();
  }

  #onMessage(pool: PooledSocket, datagram: Buffer, from: { address: string; port: number }): void {
    const identifier = datagram.length >= 20 ? datagram[1]! : -1;
    const p = pool.pending.get(identifier);
    if (p === undefined || p === RESERVED || !sameAddress(from.address, p.nas.address) || from.port !== p.nas.port) {
      this.stats.ignored++;
      return;
    }
    const expected: readonly number[] = p.requestCode === Code.CoARequest ? [Code.CoAACK, Code.CoANAK] : [Code.DisconnectACK, Code.DisconnectNAK];
    let packet: RadiusPacket;
    try {
      // RFC 5176 §3.5: the Response Authenticator is MD5 over the reply with the request's
      // authenticator in place, and the shared secret.
      if (!expected.includes(datagram[0]!) || !verifyResponseAuthenticator(datagram, p.authenticator, p.nas.secret)) throw new Error('bad authenticator');
      if (verifyMessageAuthenticator(datagram, p.nas.secret, p.authenticator, p.requestCode) === false) throw new Error('bad Message-Authenticator');
      packet = decodePacket(datagram);
    } catch {
      this.stats.ignored++;
      return;
    }
    const ack = packet.code === Code.CoAACK || packet.code === Code.DisconnectACK;
    if (ack) this.stats.acked++;
    else this.stats.naked++;
    const cause = getNumber(packet, 'Error-Cause') ?? null;
    this.#finish(p, {
      outcome: ack ? 'ack' : 'nak',
      code: packet.code,
      errorCause: cause,
      errorCauseText: cause === null ? null : errorCauseText(cause),
      attempts: p.attempts,
      rttMs: performance.now() - p.firstSentAt,
      reply: packet,
    });
  }

  /**
   * Reserves a free identifier on some socket of the family (synchronously, so concurrent sends
   * never share one); opens another socket up to the pool size, and waits when all 256 × sockets
   * are outstanding.
   */
  async #slot(family: 4 | 6): Promise<{ socket: PooledSocket; identifier: number }> {
    for (;;) {
      for (const pool of this.#pools[family]) {
        if (pool.pending.size < 256) {
          const identifier = this.#freeIdentifier(pool);
          pool.pending.set(identifier, RESERVED);
          return { socket: pool, identifier };
        }
      }
      if (this.#pools[family].length + (this.#opening[family] ? 1 : 0) < this.#socketsPerFamily && !this.#opening[family]) {
        this.#opening[family] = this.#open(family).then((pool) => {
          this.#pools[family].push(pool);
          this.#opening[family] = null;
        });
      }
      if (this.#opening[family]) await this.#opening[family];
      else await new Promise<void>((resolve) => this.#waiting.push(resolve));
    }
  }

  #freeIdentifier(pool: PooledSocket): number {
    while (pool.pending.has(pool.nextIdentifier)) pool.nextIdentifier = (pool.nextIdentifier + 1) & 255;
    const id = pool.nextIdentifier;
    pool.nextIdentifier = (id + 1) & 255;
    return id;
  }

  #open(family: 4 | 6): Promise<PooledSocket> {
    const socket = createSocket(family === 4 ? 'udp4' : 'udp6');
    const pool: PooledSocket = { socket, family, pending: new Map(), nextIdentifier: 0 };
    socket.on('message', (msg, rinfo) => this.#onMessage(pool, msg, rinfo));
    socket.on('error', () => undefined);
    return new Promise((resolve) =>
      socket.bind(0, () => {
        // Up to 256 replies may arrive together on one socket during a bulk run.
        socket.setRecvBufferSize(1024 * 1024);
        resolve(pool);
      }),
    );
  }

  /** Stops: outstanding requests end as timeouts, sockets close. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const pools of Object.values(this.#pools)) {
      for (const pool of pools) {
        for (const p of [...pool.pending.values()].filter((v) => v !== RESERVED)) {
          this.#finish(p, { outcome: 'timeout', code: null, errorCause: null, errorCauseText: null, attempts: p.attempts, rttMs: null, reply: null });
        }
        await new Promise<void>((resolve) => pool.socket.close(() => resolve()));
      }
    }
  }
}

function sameAddress(a: string, b: string): boolean {
  const strip = (s: string) => (s.startsWith('::ffff:') ? s.slice(7) : s);
  return strip(a) === strip(b);
}
