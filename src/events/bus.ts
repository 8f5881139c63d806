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

export class EventBus {
  readonly #store: Store;
  readonly #logger: Logger;
  readonly #sinks = new Set<EventSink>();
  #lastId = 0;
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
