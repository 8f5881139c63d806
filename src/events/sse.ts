/**
 * One Server-Sent Events stream of session events, resumable: the consumer's cursor is the id of
 * the last event it got (`Last-Event-ID`, sent again by every EventSource on reconnect). The stream
 * is in one of two modes:
 *
 * - `log`: catching up from the store's bounded event log, a page at a time, each page written
 *   only once the socket took the previous one. A cursor older than the log is told of the gap
 *   (`event: gap`) and continues from the oldest event kept.
 * - `live`: events handed over by the bus are written as they come. While the socket is congested
 *   they queue; past `maxQueued` the queue is dropped and the stream falls back to `log` mode from
 *   its cursor, so a slow consumer costs memory up to a bound and loses nothing the log still holds.
 *
 * Live events that arrive while catching up are kept (bounded too) and sent after the log's last
 * page, skipping any the log already gave: an event is committed before it is posted, so it is in
 * one or the other (or both).
 */
import type { ServerResponse } from 'node:http';
import type { SessionEvent } from '../store/index.js';
import type { EventBus, EventSink } from './bus.js';
import { matches, type EventFilter } from './filter.js';
import { sseBatch, sseMessage } from './view.js';

/** Events per page read from the log. */
const LOG_PAGE = 500;

export interface SseOptions {
  bus: EventBus;
  res: ServerResponse;
  filter: EventFilter;
  /** The last event the consumer has; null: only what happens from now on. */
  cursor: number | null;
  maxQueued: number;
  keepAliveMs: number;
  /** Told when the stream is cut from the live feed (backpressure) or closes. */
  onCut?: () => void;
}

export class SseStream implements EventSink {
  readonly #o: SseOptions;
  #cursor: number;
  #mode: 'log' | 'live' = 'live';
  /**
   * Live batches not yet written (live mode: waiting for drain; log mode: arrived while catching
   * up), kept as the bus handed them so that a stream taking every event writes each one's shared
   * bytes (sseBatch) instead of building text of its own.
   */
  #queue: (readonly SessionEvent[])[] = [];
  /** Events in #queue. */
  #queued = 0;
  /** Set in log mode when live events overflowed the queue: the log must be read once more. */
  #overflowed = false;
  #closed = false;
  #unsubscribe: () => void = () => undefined;
  #keepAlive: NodeJS.Timeout | null = null;
  /** Resolves when the stream ends (the consumer left or the node closes). */
  readonly done: Promise<void>;
  #finish: () => void = () => undefined;

  /** No criterion given: every event goes out, so a live batch can be sent as the shared bytes. */
  readonly #takesAll: boolean;

  constructor(options: SseOptions) {
    this.#o = options;
    const f = options.filter;
    this.#takesAll = (f.types === undefined || f.types.length === 0) && f.nas === undefined && f.group === undefined && f.mac === undefined;
    // A live-only stream takes the bus's newest id once subscribed (start): read before, an event
    // committed in between could be neither behind that cursor nor handed to this stream.
    this.#cursor = options.cursor ?? 0;
    this.done = new Promise((resolve) => (this.#finish = resolve));
  }

  start(): void {
    const { res, bus } = this.#o;
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Accel-Buffering': 'no',
    });
    // How long an EventSource waits before reconnecting (with Last-Event-ID) after a cut.
    res.write('retry: 2000\n\n');
    res.on('close', () => this.close());
    res.on('drain', () => this.#drained());
    this.#unsubscribe = bus.subscribe(this);
    if (this.#o.cursor === null) this.#cursor = bus.lastId;
    this.#keepAlive = setInterval(() => {
      if (!res.writableNeedDrain) res.write(': keep-alive\n\n');
    }, this.#o.keepAliveMs);
    this.#keepAlive.unref();
    if (this.#o.cursor !== null) this.#catchUp();
  }

  deliver(events: readonly SessionEvent[]): void {
    if (this.#closed) return;
    if (this.#mode === 'log') {
      if (this.#overflowed) return;
      this.#enqueue(events);
      if (this.#queued > this.#o.maxQueued) {
        this.#clearQueue();
        this.#overflowed = true;
      }
      return;
    }
    if (this.#o.res.writableNeedDrain || this.#queued > 0) {
      this.#enqueue(events);
      if (this.#queued > this.#o.maxQueued) {
        // Cut from the live feed: what it missed is in the log, read from its cursor once it drains.
        this.#clearQueue();
        this.#o.onCut?.();
        this.#catchUp();
      }
      return;
    }
    this.#writeBatch(events);
  }

  #enqueue(events: readonly SessionEvent[]): void {
    if (events.length === 0) return;
    this.#queue.push(events);
    this.#queued += events.length;
  }

  #clearQueue(): void {
    this.#queue = [];
    this.#queued = 0;
  }

  /** Takes the queued batches (to write them, or to drop them). */
  #takeQueue(): (readonly SessionEvent[])[] {
    const queued = this.#queue;
    this.#clearQueue();
    return queued;
  }

  /**
   * One batch as the bus handed it: its shared bytes when this stream takes all of it, else the
   * events past the cursor that match. Several writes in one tick leave in one system call: the
   * HTTP response corks its socket until the next tick.
   */
  #writeBatch(events: readonly SessionEvent[]): void {
    if (this.#takesAll && events.length > 0 && events[0]!.id > this.#cursor) {
      this.#cursor = events[events.length - 1]!.id;
      this.#o.res.write(sseBatch(events));
      return;
    }
    this.#writeEvents(events);
  }

  #writeEvents(events: readonly SessionEvent[]): void {
    let chunk = '';
    for (const e of events) {
      if (e.id <= this.#cursor) continue;
      this.#cursor = e.id;
      if (matches(this.#o.filter, e)) chunk += sseMessage(e);
    }
    if (chunk !== '') this.#o.res.write(chunk);
  }

  #drained(): void {
    if (this.#mode !== 'live' || this.#queued === 0) return;
    for (const batch of this.#takeQueue()) this.#writeBatch(batch);
  }

  /** Log mode until the log has nothing newer than the cursor; then the kept live events, and live. */
  #catchUp(): void {
    this.#mode = 'log';
    this.#overflowed = false;
    const { bus, res } = this.#o;
    const run = async () => {
      const bounds = await bus.store.eventBounds();
      if (bounds.first > 0 && this.#cursor < bounds.first - 1) {
        const gap = { from: this.#cursor + 1, to: bounds.first - 1, resumeAt: bounds.first };
        res.write(`event: gap\ndata: ${JSON.stringify(gap)}\n\n`);
        this.#cursor = bounds.first - 1;
      }
      for (;;) {
        if (this.#closed) return;
        if (res.writableNeedDrain) await new Promise((resolve) => res.once('drain', resolve));
        if (this.#closed) return;
        const page = await bus.store.readEvents(this.#cursor, LOG_PAGE);
        if (page.length > 0) {
          this.#writeEvents(page);
          continue;
        }
        if (this.#overflowed) {
          // Live events were dropped while reading: they are committed, so the log has them now.
          this.#overflowed = false;
          this.#clearQueue();
          continue;
        }
        this.#mode = 'live';
        for (const batch of this.#takeQueue()) this.#writeBatch(batch);
        return;
      }
    };
    run().catch(() => {
      // The store could not be read: end the stream; the consumer reconnects with its cursor.
      res.destroy();
    });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#unsubscribe();
    if (this.#keepAlive !== null) clearInterval(this.#keepAlive);
    this.#clearQueue();
    if (!this.#o.res.writableEnded) this.#o.res.end();
    this.#finish();
  }
}
