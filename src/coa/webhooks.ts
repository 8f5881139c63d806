/**
 * Audit events to webhook receivers, signed the Standard Webhooks way so receivers can use their
 * existing libraries: headers `webhook-id`, `webhook-timestamp` (Unix seconds) and
 * `webhook-signature` = `v1,` + base64 HMAC-SHA256 over `id.timestamp.body`, the key being the
 * base64 after `whsec_`. Only a 2xx is a delivery; 410 disables the receiver; anything else is
 * retried with exponential backoff and jitter, and recorded as failed after the last try.
 * Delivery runs beside the CoA path: `publish` only queues, so a slow or dead receiver never
 * delays a CoA.
 *
 * Several nodes on one database (an `outbox`): a message is kept in the database before its
 * first attempt and leaves it once delivered or given up; each attempt is leased to one node, and
 * a retry is made by whichever node finds it due first. So a message published by one node is
 * delivered once by the cluster, and still delivered when its node dies: its lease runs out and
 * another node attempts it, with the same `webhook-id` (a message whose attempt was under way at
 * the crash may thus arrive twice; receivers recognise it by that id, as Standard Webhooks says).
 * When the outbox cannot be written, the node delivers the message from memory as with one node.
 */
import { createHash, createHmac, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { WebhookConfig } from '../config.js';
import type { OutboxMessage, WebhookOutbox } from '../store/index.js';

export interface WebhookDelivery {
  id: string;
  url: string;
  type: string;
  state: 'pending' | 'delivered' | 'failed' | 'disabled';
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
}

export interface WebhookOptions {
  receivers: readonly WebhookConfig[];
  maxAttempts: number;
  logger: Logger;
  /** First retry delay; each next one doubles (with jitter). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  timeoutMs?: number;
  /** Deliveries waiting at once; beyond it the oldest pending event is dropped and counted. */
  maxQueue?: number;
  /** Several nodes: messages go through the shared outbox (see above). */
  outbox?: OutboxOptions;
}

export interface OutboxOptions {
  outbox: WebhookOutbox;
  /** This run of this node. */
  owner: string;
  /** What publishes (`coa`, `session`): with the URL and secret, it names a receiver across nodes. */
  channel: string;
  /** How often due messages are looked for (tests shorten it). */
  pollMs?: number;
}

/** The outbox as a node hands it to each of its publishers (which name their channel). */
export type SharedOutbox = Omit<OutboxOptions, 'channel'>;

/**
 * A receiver as the outbox names it: its channel, URL and secret (hashed: the secret stays in
 * the nodes' configuration). Nodes configured alike take each other's messages; a node whose
 * receiver differs leaves them to the nodes that have it.
 */
export function receiverKey(channel: string, receiver: WebhookConfig): string {
  return createHash('sha256').update(`${channel}\0${receiver.url}\0${receiver.secret}`).digest('hex').slice(0, 32);
}

/** Attempts under way at once from the outbox, per dispatcher. */
const OUTBOX_IN_FLIGHT = 64;

export function signWebhook(secret: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

export class WebhookDispatcher {
  readonly #o: Required<Omit<WebhookOptions, 'logger' | 'receivers' | 'outbox'>> & Pick<WebhookOptions, 'logger' | 'receivers' | 'outbox'>;
  readonly #disabled = new Set<string>();
  readonly #inFlight = new Set<Promise<void>>();
  /** Recent deliveries, newest last, for inspection and tests. */
  readonly deliveries: WebhookDelivery[] = [];
  readonly stats = { delivered: 0, failed: 0, dropped: 0, retried: 0 };
  #closed = false;
  readonly #sleepers = new Set<() => void>();

  /** Outbox: receivers by key; messages not yet handed to the outbox; the poll. */
  readonly #byKey = new Map<string, WebhookConfig>();
  #toKeep: { receiver: WebhookConfig; delivery: WebhookDelivery; body: string }[] = [];
  #pollTimer: NodeJS.Timeout | null = null;
  #polling = false;
  #attempts = 0;

  constructor(options: WebhookOptions) {
    this.#o = { baseDelayMs: 1000, maxDelayMs: 60_000, timeoutMs: 10_000, maxQueue: 10_000, ...options };
    const outbox = options.outbox;
    if (outbox !== undefined && options.receivers.length > 0) {
      for (const r of options.receivers) this.#byKey.set(receiverKey(outbox.channel, r), r);
      this.#pollTimer = setInterval(() => void this.#poll(), outbox.pollMs ?? 500);
      this.#pollTimer.unref();
    }
  }

  /** An attempt's lease: longer than the attempt may take, so no other node starts it meanwhile. */
  get #leaseMs(): number {
    return this.#o.timeoutMs + 5000;
  }

  /** Queues an event for every receiver and returns at once. */
  publish(type: string, data: unknown): void {
    if (this.#closed) return;
    for (const receiver of this.#o.receivers) {
      if (this.#disabled.has(receiver.url)) continue;
      if (this.#o.outbox !== undefined) {
        const delivery = this.#record({ id: `msg_${randomUUID()}`, url: receiver.url, type, state: 'pending', attempts: 0, lastStatus: null, lastError: null });
        const body = JSON.stringify({ type, timestamp: new Date().toISOString(), data });
        this.#toKeep.push({ receiver, delivery, body });
        // The messages of one turn go to the outbox in one statement.
        if (this.#toKeep.length === 1) this.#track(new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.#keep()));
        continue;
      }
      if (this.#inFlight.size >= this.#o.maxQueue) {
        this.stats.dropped++;
        this.#o.logger.warn({ url: receiver.url, type }, 'webhook queue full: event dropped');
        continue;
      }
      const delivery = this.#record({ id: `msg_${randomUUID()}`, url: receiver.url, type, state: 'pending', attempts: 0, lastStatus: null, lastError: null });
      const body = JSON.stringify({ type, timestamp: new Date().toISOString(), data });
      this.#track(this.#deliver(receiver, delivery, body));
    }
  }

  #record(delivery: WebhookDelivery): WebhookDelivery {
    this.deliveries.push(delivery);
    if (this.deliveries.length > 1000) this.deliveries.shift();
    return delivery;
  }

  #track(work: Promise<void>): void {
    const run = work.finally(() => this.#inFlight.delete(run));
    this.#inFlight.add(run);
  }

  /** Hands the queued messages to the outbox, then makes their first attempts (leased to this node). */
  async #keep(): Promise<void> {
    const o = this.#o.outbox!;
    const batch = this.#toKeep;
    this.#toKeep = [];
    if (batch.length === 0) return;
    let ids: number[];
    try {
      ids = await o.outbox.add(
        o.owner,
        this.#leaseMs,
        batch.map((m) => ({ messageId: m.delivery.id, receiver: receiverKey(o.channel, m.receiver), url: m.receiver.url, type: m.delivery.type, body: m.body })),
      );
    } catch (err) {
      // Not kept: this node delivers them from memory rather than lose them.
      this.#o.logger.error({ err, messages: batch.length }, 'webhook messages could not be kept in the outbox: delivered from this node');
      for (const m of batch) this.#track(this.#deliver(m.receiver, m.delivery, m.body));
      return;
    }
    batch.forEach((m, i) => this.#track(this.#attempt(m.receiver, m.delivery, m.body, ids[i]!)));
  }

  /** Takes due messages of this dispatcher's receivers from the outbox (retries, and those of nodes gone). */
  async #poll(): Promise<void> {
    const o = this.#o.outbox!;
    if (this.#polling || this.#closed) return;
    this.#polling = true;
    try {
      const room = OUTBOX_IN_FLIGHT - this.#attempts;
      const keys = [...this.#byKey].filter(([, r]) => !this.#disabled.has(r.url)).map(([k]) => k);
      const taken: OutboxMessage[] = await o.outbox.claim(o.owner, keys, room, this.#leaseMs);
      for (const m of taken) {
        const receiver = this.#byKey.get(m.receiver)!;
        const delivery = this.#record({ id: m.messageId, url: m.url, type: m.type, state: 'pending', attempts: m.attempts - 1, lastStatus: null, lastError: null });
        this.#track(this.#attempt(receiver, delivery, m.body, m.id));
      }
    } catch (err) {
      this.#o.logger.error({ err }, 'webhook outbox could not be read');
    } finally {
      this.#polling = false;
    }
  }

  /** One attempt of an outbox message, leased to this node; the outbox learns what came of it. */
  async #attempt(receiver: WebhookConfig, delivery: WebhookDelivery, body: string, id: number): Promise<void> {
    const o = this.#o.outbox!;
    this.#attempts++;
    try {
      const outcome = await this.#post(receiver, delivery, body);
      if (outcome === 'retry' && delivery.attempts < this.#o.maxAttempts) {
        this.stats.retried++;
        const backoff = Math.min(this.#o.maxDelayMs, this.#o.baseDelayMs * 2 ** (delivery.attempts - 1));
        await o.outbox.retryLater(o.owner, id, backoff / 2 + Math.random() * (backoff / 2));
        return;
      }
      if (outcome === 'retry') this.#failed(receiver, delivery);
      await o.outbox.remove(o.owner, id);
    } catch (err) {
      // The outbox keeps the message; its lease runs out and it is attempted again.
      this.#o.logger.error({ err, id: delivery.id }, 'webhook outbox could not be updated');
    } finally {
      this.#attempts--;
    }
  }

  /** One POST. `done`: delivered or the receiver is gone; `retry`: try again. */
  async #post(receiver: WebhookConfig, delivery: WebhookDelivery, body: string): Promise<'done' | 'retry'> {
    delivery.attempts++;
    const timestamp = Math.floor(Date.now() / 1000);
    try {
      const res = await fetch(receiver.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'webhook-id': delivery.id,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': signWebhook(receiver.secret, delivery.id, timestamp, body),
        },
        body,
        signal: AbortSignal.timeout(this.#o.timeoutMs),
      });
      await res.arrayBuffer().catch(() => undefined);
      delivery.lastStatus = res.status;
      delivery.lastError = null;
      if (res.status >= 200 && res.status < 300) {
        delivery.state = 'delivered';
        this.stats.delivered++;
        return 'done';
      }
      if (res.status === 410) {
        // The receiver says it is gone for good: stop sending it anything.
        this.#disabled.add(receiver.url);
        delivery.state = 'disabled';
        this.#o.logger.warn({ url: receiver.url }, 'webhook receiver answered 410 Gone: disabled');
        return 'done';
      }
    } catch (error) {
      delivery.lastStatus = null;
      delivery.lastError = (error as Error).message;
    }
    return 'retry';
  }

  #failed(receiver: WebhookConfig, delivery: WebhookDelivery): void {
    delivery.state = 'failed';
    this.stats.failed++;
    this.#o.logger.error({ url: receiver.url, id: delivery.id, attempts: delivery.attempts, status: delivery.lastStatus, error: delivery.lastError }, 'webhook delivery failed');
  }

  async #deliver(receiver: WebhookConfig, delivery: WebhookDelivery, body: string): Promise<void> {
    while (!this.#closed) {
      if ((await this.#post(receiver, delivery, body)) === 'done') return;
      if (delivery.attempts >= this.#o.maxAttempts) {
        this.#failed(receiver, delivery);
        return;
      }
      this.stats.retried++;
      const backoff = Math.min(this.#o.maxDelayMs, this.#o.baseDelayMs * 2 ** (delivery.attempts - 1));
      await this.#sleep(backoff / 2 + Math.random() * (backoff / 2));
    }
  }

  /** A backoff wait that `close` can cut short. */
  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.#sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.#sleepers.add(wake);
    });
  }

  /** Waits for deliveries under way (tests, shutdown); with an outbox, for its messages of these receivers too. */
  async drain(): Promise<void> {
    for (;;) {
      while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
      const o = this.#o.outbox;
      if (o === undefined || this.#closed || this.#byKey.size === 0 || (await o.outbox.count([...this.#byKey.keys()])) === 0) return;
      await this.#poll();
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#pollTimer !== null) clearInterval(this.#pollTimer);
    this.#pollTimer = null;
    for (const wake of [...this.#sleepers]) wake();
    await Promise.race([this.drain(), new Promise((r) => setTimeout(r, 2000).unref())]);
  }
}
