/**
 * The main thread's side of session events: the store's writing thread posts each committed batch
 * (see store/sqlite/events.ts), the bus hands it to every subscriber (SSE streams, pxGrid
 * subscriptions, webhook receivers). Handing over never blocks: each subscriber queues what its
 * consumer has not taken yet and deals with its own backpressure (see sse.ts, pxgrid/pubsub.ts), so a
 * slow consumer costs the thread that answers RADIUS no more than a push onto its queue.
 */
import type { Logger } from 'pino';
import type { SessionEvent, Store } from '../store/index.js';

export interface EventSink {
  /** Called with each committed batch, in commit order; must return at once. */
  deliver(events: readonly SessionEvent[]): void;
}

/**
 * Fan-outs at most this often, in milliseconds. Each fan-out is one socket write per consumer, and
 * a write costs about the same whatever it carries: at 1,000 commits a second of one event each,
 * 50 consumers took 50,000 writes a second and the main thread fell seconds behind while the
 * ingest itself idled. Events that come sooner than this after the last fan-out wait for the
 * next one, so none waits longer than this; the first after a quiet spell goes out at once.
 */
export const FAN_OUT_INTERVAL_MS = 10;
/** ...unless this many are waiting: then at once (large commits already come in large batches). */
const FAN_OUT_MAX_WAITING = 1024;

export class EventBus {
  readonly #store: Store;
  readonly #logger: Logger;
  readonly #sinks = new Set<EventSink>();
  #lastId = 0;
  /** Batches waiting for the next fan-out, and how many events they hold. */
  #waiting: (readonly SessionEvent[])[] = [];
  #waitingEvents = 0;
  #lastFanOutAt = -Infinity;
  #timer: NodeJS.Timeout | null = null;
  /** Events handed over since start. */
  published = 0;

  constructor(store: Store, logger: Logger) {
    this.#store = store;
    this.#logger = logger;
  }

  /** Listens to the store; the newest id the log holds is where a new live subscriber starts. */
  async start(): Promise<this> {
    this.#store.onEvents((events) => this.publish(events));
    this.#store.setEventDemand?.(this.#sinks.size);
    const bounds = await this.#store.eventBounds();
    this.#lastId = Math.max(this.#lastId, bounds.last);
    return this;
  }

  /**
   * The id of the newest committed event (or in the log at start): handed over, or, while nobody
   * listened, only committed (Store.setEventDemand).
   */
  get lastId(): number {
    return Math.max(this.#lastId, this.#store.lastCommittedEventId?.() ?? 0);
  }

  get subscribers(): number {
    return this.#sinks.size;
  }

  get store(): Store {
    return this.#store;
  }

  publish(events: readonly SessionEvent[]): void {
    if (events.length === 0) return;
    this.#lastId = events[events.length - 1]!.id;
    this.published += events.length;
    if (this.#sinks.size === 0) return;
    this.#waiting.push(events);
    this.#waitingEvents += events.length;
    if (this.#timer !== null && this.#waitingEvents < FAN_OUT_MAX_WAITING) return;
    const wait = this.#lastFanOutAt + FAN_OUT_INTERVAL_MS - performance.now();
    if (wait <= 0 || this.#waitingEvents >= FAN_OUT_MAX_WAITING) {
      this.flush();
      return;
    }
    this.#timer = setTimeout(() => this.flush(), wait);
    this.#timer.unref();
  }

  /** Hands what waits to every subscriber now (tests, and the timer of publish). */
  flush(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#waitingEvents === 0) return;
    const events = this.#waiting.length === 1 ? this.#waiting[0]! : this.#waiting.flat();
    this.#waiting = [];
    this.#waitingEvents = 0;
    this.#lastFanOutAt = performance.now();
    for (const sink of this.#sinks) {
      try {
        sink.deliver(events);
      } catch (error) {
        // One faulty consumer must not keep the events from the others.
        this.#logger.error({ err: error }, 'a session-event subscriber failed');
      }
    }
  }

  /** Read `lastId` after this, never before: events committed while nobody listened are skipped. */
  subscribe(sink: EventSink): () => void {
    this.#sinks.add(sink);
    this.#store.setEventDemand?.(this.#sinks.size);
    return () => {
      this.#sinks.delete(sink);
      this.#store.setEventDemand?.(this.#sinks.size);
    };
  }
}
