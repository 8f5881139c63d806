/**
 * Remote syslog: every authentication and accounting record, as ISE's remote logging sends it, to
 * each configured collector over UDP, TCP or TLS. Sending never holds up RADIUS: messages wait in
 * a bounded queue per collector while a stream connects, the oldest dropped (and counted) past it;
 * a lost stream is reconnected with a growing pause.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { connect as tcpConnect, type Socket } from 'node:net';
import { hostname } from 'node:os';
import { connect as tlsConnect } from 'node:tls';
import type { Logger } from 'pino';
import type { NewAccountingRecord, NewAuthRecord } from '../store/index.js';
import { accountingMessage, authenticationMessage, frames, type IseMessage, type SyslogHeader } from './format.js';

export interface SyslogTarget {
  host: string;
  port: number;
  transport: 'udp' | 'tcp' | 'tls';
  header: SyslogHeader;
  facility: number;
  maxLength: number;
  /** TLS: PEM of the collector's CA (empty: the system's); whether the certificate is checked. */
  caFile: string;
  rejectUnauthorized: boolean;
}

const QUEUE_LIMIT = 10_000;
const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 30_000;

interface Collector {
  target: SyslogTarget;
  send(frame: string): void;
  close(): void;
  dropped(): number;
}

export class SyslogForwarder {
  readonly #collectors: Collector[];
  readonly #hostname: string;
  readonly #logger: Logger;
  #messageId = 0;
  #sequence = 0;

  constructor(targets: readonly SyslogTarget[], logger: Logger, host = hostname()) {
    this.#hostname = host.split('.')[0] || 'openmnt';
    this.#logger = logger;
    this.#collectors = targets.map((t) => (t.transport === 'udp' ? udpCollector(t) : streamCollector(t, logger)));
  }

  get size(): number {
    return this.#collectors.length;
  }

  authentication(record: NewAuthRecord): void {
    this.#publish(authenticationMessage(record));
  }

  accounting(record: NewAccountingRecord): void {
    this.#publish(accountingMessage(record));
  }

  /** Messages dropped per collector because its queue was full. */
  dropped(): { target: string; dropped: number }[] {
    return this.#collectors.map((c) => ({ target: `${c.target.transport}://${c.target.host}:${c.target.port}`, dropped: c.dropped() }));
  }

  /** Never throws: it runs right before a RADIUS answer is sent, which a logging fault must not stop. */
  #publish(message: IseMessage): void {
    const messageId = ++this.#messageId;
    const sequence = ++this.#sequence;
    const now = Date.now();
    for (const c of this.#collectors) {
      const t = c.target;
      try {
        for (const frame of frames(message, { header: t.header, facility: t.facility, hostname: this.#hostname, messageId, sequence, maxLength: t.maxLength, now })) c.send(frame);
      } catch (error) {
        this.#logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'syslog message not sent');
      }
    }
  }

  close(): void {
    for (const c of this.#collectors) c.close();
  }
}

function udpCollector(target: SyslogTarget): Collector {
  const socket: UdpSocket = createSocket(target.host.includes(':') ? 'udp6' : 'udp4');
  // A collector that is down answers ICMP; that is no reason to stop, nor to log every datagram.
  socket.on('error', () => undefined);
  socket.unref();
  let closed = false;
  return {
    target,
    send: (frame) => {
      if (!closed) socket.send(frame, target.port, target.host);
    },
    close: () => {
      if (closed) return;
      closed = true;
      socket.close();
    },
    dropped: () => 0,
  };
}

/** TCP and TLS: one line per message (RFC 6587 non-transparent framing, as ISE sends over TCP). */
function streamCollector(target: SyslogTarget, logger: Logger): Collector {
  const queue: string[] = [];
  let dropped = 0;
  let socket: Socket | null = null;
  let connected = false;
  let closed = false;
  let retryMs = RETRY_MIN_MS;
  let timer: NodeJS.Timeout | null = null;
  const where = `${target.transport}://${target.host}:${target.port}`;

  const flush = () => {
    while (connected && socket !== null && queue.length > 0) {
      if (!socket.write(`${queue.shift()!}\n`)) return;
    }
  };
  const connect = () => {
    timer = null;
    if (closed) return;
    const s =
      target.transport === 'tls'
        ? tlsConnect({ host: target.host, port: target.port, rejectUnauthorized: target.rejectUnauthorized, ...(target.caFile === '' ? {} : { ca: readFileSync(target.caFile) }) })
        : tcpConnect({ host: target.host, port: target.port });
    socket = s;
    s.setKeepAlive(true);
    s.unref();
    s.once(target.transport === 'tls' ? 'secureConnect' : 'connect', () => {
      connected = true;
      retryMs = RETRY_MIN_MS;
      flush();
    });
    s.on('drain', flush);
    s.on('error', (error) => logger.warn({ collector: where, err: error.message }, 'syslog collector unreachable; retrying'));
    s.on('close', () => {
      connected = false;
      socket = null;
      if (closed) return;
      timer = setTimeout(connect, retryMs);
      timer.unref();
      retryMs = Math.min(RETRY_MAX_MS, retryMs * 2);
    });
  };
  connect();
  return {
    target,
    send(frame) {
      if (closed) return;
      if (queue.length >= QUEUE_LIMIT) {
        queue.shift();
        dropped++;
      }
      queue.push(frame);
      flush();
    },
    close() {
      closed = true;
      if (timer !== null) clearTimeout(timer);
      // What is queued goes out before the end, when the collector is there to take it.
      flush();
      socket?.end();
    },
    dropped: () => dropped,
  };
}
