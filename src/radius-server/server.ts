/**
 * The RADIUS listeners: authentication and accounting over UDP. This is where datagrams meet the
 * codec, the NAS client table and the duplicate cache; what a request means is the handlers'
 * business. Every datagram that is not answered is counted by reason and logged at most once a
 * minute per source and reason, so a misconfigured switch cannot flood the log.
 */
import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { Logger } from 'pino';
import { OpenMntError, bindProblem, isOpenMntError } from '../errors.js';
import {
  Code,
  decodePacket,
  encodeResponse,
  responseBasis,
  verifyMessageAuthenticator,
  verifyRequestAuthenticator,
  type AttributeInput,
  type RadiusPacket,
} from '../radius/index.js';
import type { NasClient, NasClientTable } from './clients.js';
import { DuplicateCache } from './duplicates.js';

export interface RequestContext {
  client: NasClient;
  source: { address: string; port: number };
  receivedAt: number;
  packet: RadiusPacket;
  /** The datagram as received (the proxy relays it). */
  datagram: Buffer;
}

export type AccessReply =
  | {
      code: typeof Code.AccessAccept | typeof Code.AccessReject | typeof Code.AccessChallenge;
      attributes: AttributeInput[];
    }
  /** An answer already built and signed for the NAS (a home server's, relayed by the proxy). */
  | { datagram: Buffer };

export interface RadiusHandlers {
  /** Resolves once the request is durably recorded; only then is the Accounting-Response sent.
   * A rejection sends nothing, so the NAS retransmits and nothing is lost. */
  accounting(request: RequestContext): Promise<unknown>;
  access(request: RequestContext): Promise<AccessReply>;
}

export const DROP_REASONS = [
  'unknown-client',
  'malformed',
  'unexpected-code',
  'bad-authenticator',
  'bad-message-authenticator',
  'missing-message-authenticator',
  'duplicate-in-progress',
  'handler-failed',
  /** Proxied, and no home server answered (with `proxy.onNoHomeServer: drop`): the NAS retries. */
  'no-home-server',
] as const;
export type DropReason = (typeof DROP_REASONS)[number];

export interface ListenerStats {
  received: number;
  answered: number;
  duplicatesAnswered: number;
  dropped: Record<DropReason, number>;
}

/** Per NAS (client table entry): what it sent and what became of it. */
export interface NasStats {
  received: number;
  answered: number;
  /** Retransmissions answered from the duplicate cache (RFC 5080), not processed again. */
  duplicatesAnswered: number;
  dropped: Partial<Record<DropReason, number>>;
}

export interface RadiusServerOptions {
  auth: { host: string; port: number };
  accounting: { host: string; port: number };
  clients: NasClientTable;
  handlers: RadiusHandlers;
  logger: Logger;
  duplicateWindowMs: number;
  receiveBufferBytes: number;
  now?: () => number;
}

type Kind = 'auth' | 'accounting';

const LOG_EVERY_MS = 60_000;

export class RadiusServer {
  readonly #options: RadiusServerOptions;
  readonly #now: () => number;
  readonly #sockets = new Map<Kind, Socket>();
  readonly #duplicates: DuplicateCache;
  readonly #stats: Record<Kind, ListenerStats> = { auth: emptyStats(), accounting: emptyStats() };
  readonly #lastLogged = new Map<string, number>();
  readonly #inFlight = new Set<Promise<unknown>>();
  #sweeper: NodeJS.Timeout | undefined;
  #draining = false;
  /** By client name; a source that is no client is counted in the listener totals only. */
  readonly #perNas = new Map<string, NasStats>();

  constructor(options: RadiusServerOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#duplicates = new DuplicateCache(options.duplicateWindowMs);
  }

  /** Binds both listeners; resolves with the ports actually bound (useful with port 0). */
  async start(): Promise<{ auth: number; accounting: number }> {
    const auth = await this.#bind('auth', this.#options.auth);
    const accounting = await this.#bind('accounting', this.#options.accounting);
    this.#sweeper = setInterval(() => {
      this.#duplicates.sweep(this.#now());
      const cutoff = this.#now() - LOG_EVERY_MS;
      for (const [key, at] of this.#lastLogged) if (at < cutoff) this.#lastLogged.delete(key);
    }, 1000);
    this.#sweeper.unref();
    return { auth, accounting };
  }

  stats(): Record<Kind, ListenerStats> {
    return structuredClone(this.#stats);
  }

  nasStats(): Map<string, NasStats> {
    return structuredClone(this.#perNas);
  }

  #nas(name: string): NasStats {
    let stats = this.#perNas.get(name);
    if (stats === undefined) {
      stats = { received: 0, answered: 0, duplicatesAnswered: 0, dropped: {} };
      this.#perNas.set(name, stats);
    }
    return stats;
  }

  /**
   * Stops taking new requests, answers those already being handled (their answers still need the
   * sockets), then closes the sockets. A request that arrives meanwhile is left unanswered, so its
   * NAS retransmits it or fails over; nothing acknowledged is lost.
   */
  async close(): Promise<void> {
    this.#draining = true;
    if (this.#sweeper) clearInterval(this.#sweeper);
    await Promise.allSettled([...this.#inFlight]);
    await Promise.all([...this.#sockets.values()].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    this.#sockets.clear();
  }

  async #bind(kind: Kind, where: { host: string; port: number }): Promise<number> {
    const socket = createSocket({
      type: isIPv6(where.host) ? 'udp6' : 'udp4',
      recvBufferSize: this.#options.receiveBufferBytes,
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', (error: NodeJS.ErrnoException) => {
        socket.close();
        reject(new OpenMntError('START_FAILED', `cannot listen for RADIUS ${kind === 'auth' ? 'authentication' : 'accounting'} on UDP ${where.host}:${where.port}: ${bindProblem(error)}`, { cause: error }));
      });
      socket.bind(where.port, where.host, () => {
        socket.removeAllListeners('error');
        resolve();
      });
    });
    socket.on('error', (error) => this.#options.logger.error({ err: error, listener: kind }, 'RADIUS socket error'));
    socket.on('message', (datagram, rinfo) => this.#receive(kind, socket, datagram, rinfo.address, rinfo.port));
    // The kernel caps SO_RCVBUF at net.core.rmem_max (and reports double what it grants).
    const granted = socket.getRecvBufferSize();
    if (granted < this.#options.receiveBufferBytes) {
      this.#options.logger.warn(
        { listener: kind, requested: this.#options.receiveBufferBytes, granted },
        'UDP receive buffer smaller than configured; raise net.core.rmem_max',
      );
    }
    this.#sockets.set(kind, socket);
    const bound = socket.address().port;
    this.#options.logger.info({ listener: kind, host: where.host, port: bound }, 'RADIUS listener ready');
    return bound;
  }

  #drop(kind: Kind, reason: DropReason, address: string, detail?: string, nas?: NasStats): void {
    this.#stats[kind].dropped[reason]++;
    if (nas !== undefined) nas.dropped[reason] = (nas.dropped[reason] ?? 0) + 1;
    const key = `${reason}|${address}`;
    const now = this.#now();
    const last = this.#lastLogged.get(key);
    if (last !== undefined && now - last < LOG_EVERY_MS) return;
    this.#lastLogged.set(key, now);
    this.#options.logger.warn(
      { listener: kind, reason, source: address, detail, dropped: this.#stats[kind].dropped[reason] },
      'RADIUS packet dropped (further drops of this kind from this source are counted, logged again in a minute)',
    );
  }

  #receive(kind: Kind, socket: Socket, datagram: Buffer, address: string, port: number): void {
    const stats = this.#stats[kind];
    stats.received++;
    if (this.#draining) return;
    const receivedAt = this.#now();
    const client = this.#options.clients.find(address);
    if (client === undefined) return this.#drop(kind, 'unknown-client', address);
    const nas = this.#nas(client.name);
    nas.received++;

    let packet: RadiusPacket;
    try {
      packet = decodePacket(datagram);
    } catch (error) {
      if (isOpenMntError(error)) return this.#drop(kind, 'malformed', address, `${error.code}: ${error.message}`, nas);
      throw error;
    }

    const expected = kind === 'auth' ? Code.AccessRequest : Code.AccountingRequest;
    if (packet.code !== expected && packet.code !== Code.StatusServer) {
      return this.#drop(kind, 'unexpected-code', address, `code ${packet.code}`, nas);
    }
    // RFC 2866 §3: an Accounting-Request whose Request Authenticator does not verify is silently discarded.
    if (packet.code === Code.AccountingRequest && !verifyRequestAuthenticator(datagram, client.secret)) {
      return this.#drop(kind, 'bad-authenticator', address, undefined, nas);
    }
    const messageAuthenticator = verifyMessageAuthenticator(datagram, client.secret);
    // RFC 3579 §3.2: a packet whose Message-Authenticator does not verify is silently discarded.
    if (messageAuthenticator === false) return this.#drop(kind, 'bad-message-authenticator', address, undefined, nas);
    // RFC 5997 §3: Status-Server must carry Message-Authenticator; BlastRADIUS: the client may demand it.
    if (
      messageAuthenticator === undefined &&
      (packet.code === Code.StatusServer || (packet.code === Code.AccessRequest && client.requireMessageAuthenticator))
    ) {
      return this.#drop(kind, 'missing-message-authenticator', address, undefined, nas);
    }

    const key = `${kind}|${address}|${port}|${packet.identifier}`;
    const verdict = this.#duplicates.check(key, packet.authenticator, receivedAt);
    if (verdict.kind === 'in-progress') return this.#drop(kind, 'duplicate-in-progress', address, undefined, nas);
    if (verdict.kind === 'answered') {
      stats.duplicatesAnswered++;
      nas.duplicatesAnswered++;
      socket.send(verdict.reply, port, address);
      return;
    }

    const request: RequestContext = { client, source: { address, port }, receivedAt, packet, datagram };
    // The callbacks keep the authenticator, not the packet: see #answer.
    const authenticator = packet.authenticator;
    const work = this.#answer(kind, request).then(
      (reply) => {
        this.#duplicates.answered(key, authenticator, reply);
        stats.answered++;
        nas.answered++;
        socket.send(reply, port, address);
      },
      (error: unknown) => {
        this.#duplicates.forget(key, authenticator);
        const reason = isOpenMntError(error) && error.code === 'PROXY_NO_HOME_SERVER' ? 'no-home-server' : 'handler-failed';
        this.#drop(kind, reason, address, error instanceof Error ? error.message : String(error), nas);
      },
    );
    this.#inFlight.add(work);
    void work.finally(() => this.#inFlight.delete(work));
  }

  async #answer(kind: Kind, request: RequestContext): Promise<Buffer> {
    const { packet, client } = request;
    if (packet.code === Code.StatusServer) {
      // RFC 5997 §3: answer on the authentication port with Access-Accept, on accounting with Accounting-Response.
      const code = kind === 'auth' ? Code.AccessAccept : Code.AccountingResponse;
      return encodeResponse(packet, code, [], client.secret, { messageAuthenticator: true });
    }
    if (kind === 'accounting') return answerAfterCommit(this.#options.handlers, request);
    const reply = await this.#options.handlers.access(request);
    if ('datagram' in reply) return reply.datagram;
    // Every Access-* reply carries Message-Authenticator (RFC 3579 §3.2, and the BlastRADIUS fix).
    return encodeResponse(packet, reply.code, reply.attributes, client.secret, { messageAuthenticator: true });
  }
}

/**
 * Thousands of accounting requests wait for their commit at once; while they wait, only what the
 * answer needs stays reachable (not the decoded packet), which keeps the young generation's
 * survivors, and so the garbage collector's work, small.
 */
function answerAfterCommit(handlers: RadiusHandlers, request: RequestContext): Promise<Buffer> {
  const basis = responseBasis(request.packet);
  const secret = request.client.secret;
  return handlers.accounting(request).then(() => encodeResponse(basis, Code.AccountingResponse, [], secret));
}

function emptyStats(): ListenerStats {
  return {
    received: 0,
    answered: 0,
    duplicatesAnswered: 0,
    dropped: Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<DropReason, number>,
  };
}

