/**
 * pxGrid's pubsub service: STOMP 1.2 over WebSocket at `/pxgrid/ise/pubsub`, one topic,
 * `/topic/com.cisco.ise.session`. Each committed batch of session events is one MESSAGE
 * `{"sequence": N, "sessions": [...]}`; N counts messages from 0 at every start of the node, which
 * consumers take as "the publisher restarted, download again" (and a jump in N as "messages were
 * missed, ask getSessions for what changed since the newest timestamp seen").
 *
 * What real consumers do, and what is accepted:
 * - Cisco's Java sample: CONNECT (`accept-version:1.2`, `host`), then SUBSCRIBE; it may also send
 *   SUBSCRIBE before CONNECT when reconnecting. Answered with CONNECTED, RECEIPT when asked.
 * - Cisco's Go sample: no CONNECT at all, one SUBSCRIBE (`destination`, `id:0`) in a binary
 *   WebSocket message, then WebSocket pings. A frame before CONNECT is therefore taken as an
 *   implicit CONNECT (version 1.2, no STOMP heart-beats), and replies go in binary messages to a
 *   client that writes binary ones.
 * - Heart-beats as negotiated in CONNECT/CONNECTED; a client silent for twice its interval is closed.
 * - Anything else (a broken frame, an unknown topic, SEND from a consumer) gets an ERROR frame with
 *   a `message` header, and the connection is closed, as the spec asks: never an exception.
 *
 * Backpressure: a consumer whose socket holds more than `maxBufferedBytes` unsent skips messages
 * until it drains; the jump in `sequence` tells it of the gap.
 *
 * The service listens to the event bus only while a consumer is subscribed to the topic: with none,
 * the store's writing thread does not hand its committed events over at all (Store.setEventDemand).
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Config } from '../../config.js';
import type { EventBus, EventSink } from '../../events/bus.js';
import { ByteSink } from '../../text-sink.js';
import { isOpenMntError } from '../../errors.js';
import type { SessionEvent } from '../../store/index.js';
import { statusOf } from '../errors.js';
import type { MetricsRegistry } from '../metrics.js';
import type { PxGridAccount } from './accounts.js';
import type { PxGridService } from './service.js';
import { PUBSUB_PATH, SESSION_TOPIC } from './service.js';
import { writePxgridSession } from './session-object.js';
import { parseFrames, serverFrame, StompSyntaxError, type StompFrame } from './stomp.js';

/** One STOMP message at most this large (a SUBSCRIBE is a few hundred bytes). */
const MAX_FRAME = 64 * 1024;
/** Unsent bytes a consumer may hold before it skips messages. */
const MAX_BUFFERED_BYTES = 8 * 2 ** 20;
const SUPPORTED_VERSIONS = ['1.2', '1.1', '1.0'];

export interface PubsubOptions {
  service: PxGridService;
  bus: EventBus;
  config: Config;
  metrics: MetricsRegistry;
  logger: Logger;
}

export class PxGridPubsub implements EventSink {
  readonly #o: PubsubOptions;
  readonly #wss: WebSocketServer;
  readonly #sessions = new Set<StompSession>();
  readonly #counters: { frameErrors: { inc(labels?: Record<string, string>): void }; skipped: { inc(labels?: Record<string, string>, by?: number): void } };
  /** The next message's `sequence`: 0 after every start. */
  #sequence = 0;
  /** Set while a consumer is subscribed to the topic (see #listen). */
  #unsubscribe: (() => void) | null = null;

  constructor(options: PubsubOptions) {
    this.#o = options;
    this.#wss = new WebSocketServer({
      noServer: true,
      maxPayload: MAX_FRAME,
      // STOMP clients offer v12.stomp (and older); one that offers none (the Go sample) gets none.
      handleProtocols: (offered) => ['v12.stomp', 'v11.stomp', 'v10.stomp'].find((p) => offered.has(p)) ?? false,
    });
    const { metrics } = options;
    this.#counters = {
      frameErrors: metrics.counter('openmnt_pxgrid_stomp_errors_total', 'STOMP ERROR frames sent to pxGrid consumers, by reason.', ['reason']),
      skipped: metrics.counter('openmnt_pxgrid_messages_skipped_total', 'pxGrid topic messages not sent to a consumer whose socket was full (it sees a jump in sequence).'),
    };
    metrics.gauge('openmnt_pxgrid_subscribers', 'pxGrid consumers subscribed to the session topic.', () => this.subscribers);
  }

  /** Listens to the bus while some consumer is subscribed to the topic, and only then. */
  #listen(): void {
    const wanted = this.subscribers > 0;
    if (wanted && this.#unsubscribe === null) this.#unsubscribe = this.#o.bus.subscribe(this);
    else if (!wanted && this.#unsubscribe !== null) {
      this.#unsubscribe();
      this.#unsubscribe = null;
    }
  }

  /** An HTTP upgrade for the pubsub path: credentials checked first (401/403 before any WebSocket). */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const refuse = (status: number, text: string, headers: Record<string, string> = {}) => {
      const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n${extra}\r\n`);
      socket.destroy();
    };
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path !== PUBSUB_PATH) return refuse(404, 'Not Found');
    socket.on('error', () => socket.destroy());
    this.#o.service
      .authenticate(req, 'provider')
      .then((account) => {
        if (account.state !== 'ENABLED') return refuse(403, 'Forbidden');
        if (socket.destroyed) return;
        this.#wss.handleUpgrade(req, socket, head, (ws) => this.#open(ws, account));
      })
      .catch((error: unknown) => {
        const status = isOpenMntError(error) ? statusOf(error) : 500;
        if (status === 401) return refuse(401, 'Unauthorized', { 'WWW-Authenticate': 'Basic realm="OpenMnT pxGrid", charset="UTF-8"' });
        if (status === 429) return refuse(429, 'Too Many Requests');
        refuse(500, 'Internal Server Error');
      });
  }

  #open(ws: WebSocket, account: PxGridAccount): void {
    const session = new StompSession(ws, account, this.#o.config.pxgrid.heartBeatMs, this.#o.logger, (reason) => this.#counters.frameErrors.inc({ reason }), () => this.#listen());
    this.#sessions.add(session);
    ws.on('close', () => {
      session.close();
      this.#sessions.delete(session);
      this.#listen();
    });
  }

  deliver(events: readonly SessionEvent[]): void {
    const sequence = this.#sequence++;
    let body: Buffer | null = null;
    // The frame depends only on the subscription id (message-id is the sequence), so consumers that
    // subscribed with the same id (the Go sample always uses 0) share one buffer.
    const frames = new Map<string, Buffer>();
    for (const s of this.#sessions) {
      if (!s.subscribed) continue;
      if (s.bufferedAmount > MAX_BUFFERED_BYTES) {
        this.#counters.skipped.inc();
        continue;
      }
      body ??= messageBody(sequence, events);
      for (const id of s.subscriptionIds) {
        let frame = frames.get(id);
        if (frame === undefined) {
          frame = messageFrame(id, sequence, body);
          frames.set(id, frame);
        }
        s.sendFrame(frame);
      }
    }
  }

  /** Consumers subscribed to the session topic (the gauge; tests and the benchmark wait on it). */
  get subscribers(): number {
    return [...this.#sessions].filter((s) => s.subscribed).length;
  }

  close(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    for (const s of this.#sessions) s.terminate();
    this.#wss.close();
  }
}

/** Reused for every message: a body is written and taken in one synchronous call. */
const bodySink = new ByteSink();

/** `{"sequence":N,"sessions":[...]}` as JSON.stringify writes it, encoded session by session. */
function messageBody(sequence: number, events: readonly SessionEvent[]): Buffer {
  bodySink.text(`{"sequence":${sequence},"sessions":[`);
  for (let i = 0; i < events.length; i++) {
    if (i > 0) bodySink.text(',');
    writePxgridSession(bodySink, events[i]!.session);
  }
  bodySink.text(']}');
  return bodySink.take();
}

/** A topic MESSAGE for one subscription id; `message-id` is the message's sequence, unique per connection. */
function messageFrame(subscription: string, sequence: number, body: Buffer): Buffer {
  const id = subscription.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/:/g, '\\c');
  const head = `MESSAGE\ndestination:${SESSION_TOPIC.replace(/:/g, '\\c')}\nsubscription:${id}\nmessage-id:${sequence}\ncontent-type:application/json\ncontent-length:${body.length}\n\n`;
  return Buffer.concat([Buffer.from(head, 'utf8'), body, Buffer.from([0])]);
}

/** One consumer's STOMP session over its WebSocket. */
class StompSession {
  readonly #ws: WebSocket;
  readonly #account: PxGridAccount;
  readonly #heartBeatMs: number;
  readonly #logger: Logger;
  readonly #onError: (reason: string) => void;
  /** Told when the session's subscriptions to the topic change (or it closes). */
  readonly #onSubscriptions: () => void;
  /** A CONNECT (or STOMP) frame was taken; a second one is an error. */
  #connectSeen = false;
  /** Subscription ids on the session topic (a client may subscribe more than once). */
  readonly #subscriptions = new Set<string>();
  #binary = false;
  #lastReceived = Date.now();
  #lastSent = Date.now();
  #timers: NodeJS.Timeout[] = [];
  #closed = false;

  constructor(ws: WebSocket, account: PxGridAccount, heartBeatMs: number, logger: Logger, onError: (reason: string) => void, onSubscriptions: () => void) {
    this.#ws = ws;
    this.#account = account;
    this.#heartBeatMs = heartBeatMs;
    this.#logger = logger;
    this.#onError = onError;
    this.#onSubscriptions = onSubscriptions;
    ws.on('message', (data: Buffer, isBinary: boolean) => this.#received(data, isBinary));
    ws.on('ping', () => (this.#lastReceived = Date.now()));
    // A payload past maxPayload or a protocol violation: ws closes the socket itself; nothing to throw.
    ws.on('error', () => undefined);
  }

  get subscribed(): boolean {
    return this.#subscriptions.size > 0 && !this.#closed;
  }

  get bufferedAmount(): number {
    return this.#ws.bufferedAmount;
  }

  #received(data: Buffer, isBinary: boolean): void {
    this.#lastReceived = Date.now();
    if (this.#closed) return;
    if (isBinary) this.#binary = true;
    for (const frame of parseFrames(data)) {
      if (frame instanceof StompSyntaxError) return this.#error('bad-frame', frame.message);
      if (!this.#handle(frame)) return;
    }
  }

  /** false when the session ended. */
  #handle(frame: StompFrame): boolean {
    switch (frame.command) {
      case 'CONNECT':
      case 'STOMP':
        return this.#connect(frame);
      case 'SUBSCRIBE': {
        const destination = frame.headers.get('destination');
        const id = frame.headers.get('id');
        if (destination !== SESSION_TOPIC) {
          this.#error('unknown-topic', `no topic '${destination ?? ''}' here: this node publishes ${SESSION_TOPIC}`);
          return false;
        }
        if (id === undefined) {
          this.#error('bad-frame', 'SUBSCRIBE needs an id header');
          return false;
        }
        this.#subscriptions.add(id);
        this.#onSubscriptions();
        this.#receipt(frame);
        return true;
      }
      case 'UNSUBSCRIBE':
        this.#subscriptions.delete(frame.headers.get('id') ?? '');
        this.#onSubscriptions();
        this.#receipt(frame);
        return true;
      case 'ACK':
      case 'NACK':
        // Subscriptions are ack:auto; an acknowledgement changes nothing.
        return true;
      case 'DISCONNECT':
        this.#receipt(frame);
        this.#ws.close(1000);
        this.close();
        return false;
      default:
        this.#error('not-allowed', `${frame.command} is not accepted from a pxGrid consumer: it may only subscribe to ${SESSION_TOPIC}`);
        return false;
    }
  }

  #connect(frame: StompFrame): boolean {
    if (this.#connectSeen) {
      this.#error('bad-frame', 'already connected');
      return false;
    }
    const offered = (frame.headers.get('accept-version') ?? '1.0').split(',').map((v) => v.trim());
    const version = SUPPORTED_VERSIONS.find((v) => offered.includes(v));
    if (version === undefined) {
      this.#error('bad-version', `no common STOMP version: this node speaks ${SUPPORTED_VERSIONS.join(', ')}`, { version: SUPPORTED_VERSIONS.join(',') });
      return false;
    }
    const [cx, cy] = (frame.headers.get('heart-beat') ?? '0,0').split(',').map((n) => Number(n.trim()));
    if (!Number.isInteger(cx) || !Number.isInteger(cy) || cx! < 0 || cy! < 0) {
      this.#error('bad-frame', 'heart-beat must be two whole numbers of milliseconds, "cx,cy"');
      return false;
    }
    this.#connectSeen = true;
    const own = this.#heartBeatMs;
    this.#send(serverFrame('CONNECTED', { version, 'heart-beat': `${own},${own}`, server: 'OpenMnT', session: this.#account.nodeName }));
    // Spec § Heart-beating: we send every max(sx, cy), expect every max(cx, sy), both only when non-zero.
    const sendEvery = own > 0 && cy! > 0 ? Math.max(own, cy!) : 0;
    const expectEvery = own > 0 && cx! > 0 ? Math.max(own, cx!) : 0;
    if (sendEvery > 0) {
      this.#timers.push(
        setInterval(() => {
          if (Date.now() - this.#lastSent >= sendEvery) this.#sendRaw(Buffer.from('\n'));
        }, Math.max(50, sendEvery / 2)),
      );
    }
    if (expectEvery > 0) {
      this.#timers.push(
        setInterval(() => {
          // Twice the interval: a margin for timing inaccuracy, as the spec suggests.
          if (Date.now() - this.#lastReceived > 2 * expectEvery) {
            this.#logger.info({ nodeName: this.#account.nodeName }, 'pxGrid consumer sent no heart-beat: closing');
            this.terminate();
          }
        }, Math.max(50, expectEvery / 2)),
      );
    }
    for (const t of this.#timers) t.unref();
    return true;
  }

  #receipt(frame: StompFrame): void {
    const receipt = frame.headers.get('receipt');
    if (receipt !== undefined) this.#send(serverFrame('RECEIPT', { 'receipt-id': receipt }));
  }

  /** ERROR (spec § ERROR): a `message` header and a body; then the connection is closed. */
  #error(reason: string, message: string, headers: Record<string, string> = {}): void {
    this.#onError(reason);
    this.#send(serverFrame('ERROR', { message, 'content-type': 'text/plain', ...headers }, message));
    this.close();
    this.#ws.close(1002);
  }

  get subscriptionIds(): ReadonlySet<string> {
    return this.#subscriptions;
  }

  sendFrame(frame: Buffer): void {
    this.#sendRaw(frame);
  }

  #send(frame: Buffer): void {
    this.#sendRaw(frame);
  }

  #sendRaw(data: Buffer): void {
    if (this.#ws.readyState !== this.#ws.OPEN) return;
    this.#lastSent = Date.now();
    this.#ws.send(data, { binary: this.#binary });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const t of this.#timers) clearInterval(t);
    this.#timers = [];
    this.#onSubscriptions();
  }

  terminate(): void {
    this.close();
    this.#ws.terminate();
  }
}
