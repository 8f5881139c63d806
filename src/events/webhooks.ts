/**
 * Session events to webhook receivers (`events.webhooks`), each receiver with the event types and
 * the NAS, identity group or MAC it wants. Delivery is the CoA audit webhooks' own machinery
 * (coa/webhooks.ts): Standard Webhooks signatures, retries with exponential backoff and jitter,
 * 410 disables the receiver, a bounded queue. One dispatcher per receiver, so a receiver that is
 * down fills only its own queue. The body is `{"type": "session.<type>", "timestamp", "data"}`
 * with `data` the event as the stream shows it; its `id` orders events, since retries may deliver
 * them out of order. A node hands on the events of its own writes only, so with several nodes on
 * one database each event is published once, and the shared outbox delivers it once.
 */
import type { Logger } from 'pino';
import { WebhookDispatcher, type SharedOutbox, type WebhookDelivery } from '../coa/webhooks.js';
import type { SessionWebhookConfig } from '../config.js';
import type { SessionEvent, SessionEventType } from '../store/index.js';
import type { EventBus, EventSink } from './bus.js';
import { matches, type EventFilter } from './filter.js';
import { eventView } from './view.js';

export interface SessionWebhookOptions {
  receivers: readonly SessionWebhookConfig[];
  maxAttempts: number;
  logger: Logger;
  /** First retry delay (tests shorten it). */
  baseDelayMs?: number;
  /** Several nodes: each event a node wrote goes through the shared outbox, delivered once by the cluster. */
  outbox?: SharedOutbox;
}

export class SessionWebhooks implements EventSink {
  readonly #receivers: { filter: EventFilter; dispatcher: WebhookDispatcher }[];
  #unsubscribe: () => void = () => undefined;

  constructor(options: SessionWebhookOptions) {
    this.#receivers = options.receivers.map((r) => ({
      filter: { types: r.types as SessionEventType[], nas: r.nas, group: r.group, mac: r.mac },
      dispatcher: new WebhookDispatcher({
        receivers: [{ url: r.url, secret: r.secret }],
        maxAttempts: options.maxAttempts,
        logger: options.logger,
        ...(options.baseDelayMs === undefined ? {} : { baseDelayMs: options.baseDelayMs }),
        ...(options.outbox === undefined ? {} : { outbox: { ...options.outbox, channel: 'session' } }),
      }),
    }));
  }

  /** Listens to the bus, when there is a receiver to hand events to: with none, nothing listens
   * for this, and the store's writing thread need not hand its events over (Store.setEventDemand). */
  attach(bus: EventBus): this {
    if (this.#receivers.length > 0) this.#unsubscribe = bus.subscribe(this);
    return this;
  }

  deliver(events: readonly SessionEvent[]): void {
    for (const { filter, dispatcher } of this.#receivers) {
      for (const e of events) if (matches(filter, e)) dispatcher.publish(`session.${e.type}`, eventView(e));
    }
  }

  /** Recent deliveries of every receiver (inspection and tests). */
  deliveries(): WebhookDelivery[] {
    return this.#receivers.flatMap((r) => r.dispatcher.deliveries);
  }

  stats(): { delivered: number; failed: number; dropped: number; retried: number } {
    const total = { delivered: 0, failed: 0, dropped: 0, retried: 0 };
    for (const { dispatcher } of this.#receivers) for (const k of Object.keys(total) as (keyof typeof total)[]) total[k] += dispatcher.stats[k];
    return total;
  }

  async drain(): Promise<void> {
    await Promise.all(this.#receivers.map((r) => r.dispatcher.drain()));
  }

  async close(): Promise<void> {
    this.#unsubscribe();
    await Promise.all(this.#receivers.map((r) => r.dispatcher.close()));
  }
}
