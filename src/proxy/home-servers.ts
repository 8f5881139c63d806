/**
 * The home servers a request may be proxied to, each with its liveness as FreeRADIUS keeps it:
 * alive; zombie once it has left a request unanswered and answered nothing else for the response
 * timeout (asked last, after every live one); dead after the zombie period of silence (asked only
 * when nothing else is left). A dead server comes back when it answers Status-Server
 * `answersToAlive` times in a row (RFC 5997) or, without status checks, after the revive interval.
 * Any answer brings a zombie back at once.
 */
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { Logger } from 'pino';
import { OpenMntError } from '../errors.js';
import { Code, encodePacket, verifyResponseAuthenticator } from '../radius/index.js';
import type { HomePoolConfig, HomeServerConfig } from './config.js';

export type HomeState = 'alive' | 'zombie' | 'dead';

export interface HomeServerStats {
  name: string;
  state: HomeState;
  sent: number;
  answered: number;
  timeouts: number;
  badAnswers: number;
  inFlight: number;
}

interface Pending {
  resolve: (answer: Buffer) => void;
  reject: (error: unknown) => void;
  timer: NodeJS.Timeout;
}

/** One socket's identifiers: RADIUS has 256 per source port, so a busy server gets more sockets. */
class IdSpace {
  readonly socket: Socket;
  readonly pending = new Map<number, Pending>();
  #next = 0;

  constructor(socket: Socket) {
    this.socket = socket;
  }

  allocate(): number | null {
    if (this.pending.size >= 256) return null;
    for (;;) {
      const id = this.#next;
      this.#next = (this.#next + 1) & 0xff;
      if (!this.pending.has(id)) return id;
    }
  }
}

export class HomeServer {
  readonly config: HomeServerConfig;
  readonly secret: Buffer;
  #state: HomeState = 'alive';
  #lastAnswerAt: number;
  #zombieSince = 0;
  #deadSince = 0;
  #checkAnswers = 0;
  #checkTimer: NodeJS.Timeout | undefined;
  /** Sockets per leg, each connected to that port of the server (see #newSpace). */
  readonly #spaces: Record<'auth' | 'accounting', IdSpace[]> = { auth: [], accounting: [] };
  readonly #logger: Logger;
  readonly #now: () => number;
  #closed = false;
  readonly stats: Omit<HomeServerStats, 'name' | 'state' | 'inFlight'> = { sent: 0, answered: 0, timeouts: 0, badAnswers: 0 };

  constructor(config: HomeServerConfig, logger: Logger, now: () => number = Date.now) {
    this.config = config;
    this.secret = Buffer.from(config.secret, 'utf8');
    this.#logger = logger.child({ homeServer: config.name });
    this.#now = now;
    this.#lastAnswerAt = now();
  }

  get state(): HomeState {
    if (this.#state === 'dead' && this.config.statusCheck === 'none' && this.#now() - this.#deadSince >= this.config.reviveIntervalSeconds * 1000) {
      this.#become('alive', 'revive interval over');
    }
    if (this.#state === 'zombie' && this.#now() - this.#zombieSince >= this.config.zombiePeriodSeconds * 1000) {
      this.#become('dead', `no answer for the zombie period (${this.config.zombiePeriodSeconds} s)`);
    }
    return this.#state;
  }

  inFlight(): number {
    let n = 0;
    for (const space of this.#spaces.auth) n += space.pending.size;
    for (const space of this.#spaces.accounting) n += space.pending.size;
    return n;
  }

  snapshot(): HomeServerStats {
    return { name: this.config.name, state: this.state, inFlight: this.inFlight(), ...this.stats };
  }

  /**
   * Sends `build(identifier)` to the server's `port` and resolves with its answer (unchecked: the
   * caller verifies it with the request it sent), or rejects with PROXY_NO_HOME_SERVER on timeout.
   */
  exchange(kind: 'auth' | 'accounting', build: (identifier: number) => Buffer): Promise<Buffer> {
    // A socket with a free identifier nearly always exists: no promise to wait for one then.
    const free = this.#spaces[kind].find((s) => s.pending.size < 256);
    return free !== undefined ? this.#send(free, build) : this.#newSpace(kind).then((space) => this.#send(space, build));
  }

  #send(space: IdSpace, build: (identifier: number) => Buffer): Promise<Buffer> {
    const id = space.allocate()!;
    const datagram = build(id);
    this.stats.sent++;
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => {
        space.pending.delete(id);
        this.stats.timeouts++;
        this.#unanswered();
        reject(new OpenMntError('PROXY_NO_HOME_SERVER', `home server ${this.config.name} did not answer within ${this.config.responseTimeoutSeconds} s`));
      }, this.config.responseTimeoutSeconds * 1000);
      space.pending.set(id, { resolve, reject, timer });
      space.socket.send(datagram);
    });
  }

  /** A verified answer came (counted here so that a forged one does not revive a server). */
  answered(): void {
    this.stats.answered++;
    this.#lastAnswerAt = this.#now();
    if (this.#state !== 'alive') this.#become('alive', 'it answered');
  }

  badAnswer(): void {
    this.stats.badAnswers++;
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#checkTimer);
    for (const space of [...this.#spaces.auth, ...this.#spaces.accounting]) {
      for (const p of space.pending.values()) {
        clearTimeout(p.timer);
        p.reject(new OpenMntError('PROXY_NO_HOME_SERVER', 'the proxy is closing'));
      }
      space.socket.close();
    }
    this.#spaces.auth.length = 0;
    this.#spaces.accounting.length = 0;
  }

  /**
   * One more socket for a leg, connected to the server's port for it: the kernel then delivers only
   * that address and port's datagrams to it, and a send needs no address (an unconnected send
   * resolves its address on every call, even a literal one).
   */
  async #newSpace(kind: 'auth' | 'accounting'): Promise<IdSpace> {
    const port = kind === 'auth' ? this.config.authPort : this.config.accountingPort;
    const socket = createSocket(isIPv6(this.config.address) ? 'udp6' : 'udp4');
    await new Promise<void>((resolve) => socket.bind(0, resolve));
    await new Promise<void>((resolve) => socket.connect(port, this.config.address, resolve));
    const space = new IdSpace(socket);
    socket.on('message', (answer) => {
      if (answer.length < 20) return;
      const pending = space.pending.get(answer[1]!);
      if (pending === undefined) return;
      space.pending.delete(answer[1]!);
      clearTimeout(pending.timer);
      pending.resolve(answer);
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      // A connected socket hears the ICMP port-unreachable of a server that is down, once per
      // send: that server is already judged by its unanswered requests (timeouts, zombie, dead).
      if (err.code === 'ECONNREFUSED') return;
      this.#logger.warn({ err }, 'home server socket error');
    });
    this.#spaces[kind].push(space);
    return space;
  }

  #unanswered(): void {
    if (this.#state !== 'alive') return;
    // One lost answer is not a dead server: only when nothing at all came back for a whole timeout.
    if (this.#now() - this.#lastAnswerAt < this.config.responseTimeoutSeconds * 1000) return;
    this.#become('zombie', `no answer for ${this.config.responseTimeoutSeconds} s`);
  }

  #become(state: HomeState, why: string): void {
    if (this.#state === state) return;
    const was = this.#state;
    this.#state = state;
    if (state === 'zombie') this.#zombieSince = this.#now();
    if (state === 'dead') this.#deadSince = this.#now();
    this.#checkAnswers = 0;
    const log = state === 'alive' ? this.#logger.info.bind(this.#logger) : this.#logger.warn.bind(this.#logger);
    log({ was, now: state, why }, `home server ${this.config.name} is ${state}`);
    if (state === 'alive') {
      clearInterval(this.#checkTimer);
      this.#checkTimer = undefined;
    } else if (this.config.statusCheck === 'status-server' && this.#checkTimer === undefined && !this.#closed) {
      this.#checkTimer = setInterval(() => void this.#check(), this.config.checkIntervalSeconds * 1000);
      this.#checkTimer.unref();
    }
  }

  /** RFC 5997: Status-Server with Message-Authenticator; any verified answer counts. */
  async #check(): Promise<void> {
    const authenticator = randomBytes(16);
    try {
      const answer = await this.exchange('auth', (identifier) =>
        encodePacket({ code: Code.StatusServer, identifier, authenticator, attributes: [] }, { secret: this.secret, messageAuthenticator: true }),
      );
      if (!verifyResponseAuthenticator(answer, authenticator, this.secret)) {
        this.badAnswer();
        return;
      }
      if (++this.#checkAnswers >= this.config.answersToAlive) this.answered();
    } catch {
      this.#checkAnswers = 0;
    }
  }
}

/** A pool's servers in the order a request should try them. */
export function candidates(pool: HomePoolConfig, servers: Map<string, HomeServer>): HomeServer[] {
  const members = pool.homeServers.map((n) => servers.get(n)!).filter((s) => s !== undefined);
  const rank = (s: HomeServer) => (s.state === 'alive' ? 0 : s.state === 'zombie' ? 1 : 2);
  const ordered = members.map((s, i) => ({ s, i, r: rank(s) }));
  ordered.sort((a, b) => a.r - b.r || (pool.type === 'load-balance' && a.r === 0 ? a.s.inFlight() - b.s.inFlight() : 0) || a.i - b.i);
  return ordered.map((o) => o.s);
}
