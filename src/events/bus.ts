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
  readonly #turnSinks = new Set<EventSink>();
  /** Batches published in this turn of the loop, not yet handed to #turnSinks. */
  #pending: (readonly SessionEvent[])[] = [];
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
    const bounds = await this.#store.eventBounds();
    this.#lastId = Math.max(this.#lastId, bounds.last);
    return this;
  }

  /** The id of the newest event handed over (or in the log at start). */
  get lastId(): number {
    return this.#lastId;
  }

  get subscribers(): number {
    return this.#sinks.size + this.#turnSinks.size;
  }

  get store(): Store {
    return this.#store;
  }

  /**
   * Hands the batch to the sinks subscribed `perTurn` at the end of this turn of the event loop,
   * merged with any others that arrive in it, and to the rest at once. The store's thread may post
   * several commits while this thread is busy; each batch handed to a stream costs every consumer's
   * socket one write, whose fixed cost in the kernel came to more than the rest of an event's
   * delivery. Nothing waits past the current turn.
   */
  publish(events: readonly SessionEvent[]): void {
    if (events.length === 0) return;
    this.#lastId = events[events.length - 1]!.id;
    this.published += events.length;
    this.#deliver(this.#sinks, events);
    if (this.#turnSinks.size === 0) return;
    this.#pending.push(events);
    if (this.#pending.length === 1) setImmediate(() => this.#handOver());
  }

  #handOver(): void {
    const pending = this.#pending;
    this.#pending = [];
    this.#deliver(this.#turnSinks, pending.length === 1 ? pending[0]! : pending.flat());
  }

  #deliver(sinks: ReadonlySet<EventSink>, events: readonly SessionEvent[]): void {
    for (const sink of sinks) {
      try {
        sink.deliver(events);
      } catch (error) {
        // One faulty consumer must not keep the events from the others.
        this.#logger.error({ err: error }, 'a session-event subscriber failed');
      }
    }
  }

  /**
   * `perTurn`: the sink takes what was published in a turn of the event loop as one batch, at its
   * end (consumers on sockets); without it each batch comes at once, before the write that made it
   * is answered (webhooks, whose callers wait on that).
   */
  subscribe(sink: EventSink, options: { perTurn?: boolean } = {}): () => void {
    const sinks = options.perTurn === true ? this.#turnSinks : this.#sinks;
    sinks.add(sink);
    return () => sinks.delete(sink);
  }
}
