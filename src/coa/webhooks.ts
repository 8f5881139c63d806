/**
 * Audit events to webhook receivers, signed the Standard Webhooks way so receivers can use their
 * existing libraries: headers `webhook-id`, `webhook-timestamp` (Unix seconds) and
 * `webhook-signature` = `v1,` + base64 HMAC-SHA256 over `id.timestamp.body`, the key being the
 * base64 after `whsec_`. Only a 2xx is a delivery; 410 disables the receiver; anything else is
 * retried with exponential backoff and jitter, and recorded as failed after the last try.
 * Delivery runs beside the CoA path: `publish` only queues, so a slow or dead receiver never
 * delays a CoA.
 */
import { createHmac, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { WebhookConfig } from '../config.js';

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
}

export function signWebhook(secret: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

export class WebhookDispatcher {
  readonly #o: Required<Omit<WebhookOptions, 'logger' | 'receivers'>> & Pick<WebhookOptions, 'logger' | 'receivers'>;
  readonly #disabled = new Set<string>();
  readonly #inFlight = new Set<Promise<void>>();
  /** Recent deliveries, newest last, for inspection and tests. */
  readonly deliveries: WebhookDelivery[] = [];
  readonly stats = { delivered: 0, failed: 0, dropped: 0, retried: 0 };
  #closed = false;
  readonly #sleepers = new Set<() => void>();

  constructor(options: WebhookOptions) {
    this.#o = { baseDelayMs: 1000, maxDelayMs: 60_000, timeoutMs: 10_000, maxQueue: 10_000, ...options };
  }

  /** Queues an event for every receiver and returns at once. */
  publish(type: string, data: unknown): void {
    if (this.#closed) return;
    for (const receiver of this.#o.receivers) {
      if (this.#disabled.has(receiver.url)) continue;
      if (this.#inFlight.size >= this.#o.maxQueue) {
        this.stats.dropped++;
        this.#o.logger.warn({ url: receiver.url, type }, 'webhook queue full: event dropped');
        continue;
      }
      const delivery: WebhookDelivery = { id: `msg_${randomUUID()}`, url: receiver.url, type, state: 'pending', attempts: 0, lastStatus: null, lastError: null };
      this.deliveries.push(delivery);
      if (this.deliveries.length > 1000) this.deliveries.shift();
      const body = JSON.stringify({ type, timestamp: new Date().toISOString(), data });
      const run = this.#deliver(receiver, delivery, body).finally(() => this.#inFlight.delete(run));
      this.#inFlight.add(run);
    }
  }

  async #deliver(receiver: WebhookConfig, delivery: WebhookDelivery, body: string): Promise<void> {
    while (!this.#closed) {
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
          return;
        }
        if (res.status === 410) {
          // The receiver says it is gone for good: stop sending it anything.
          this.#disabled.add(receiver.url);
          delivery.state = 'disabled';
          this.#o.logger.warn({ url: receiver.url }, 'webhook receiver answered 410 Gone: disabled');
          return;
        }
      } catch (error) {
        delivery.lastStatus = null;
        delivery.lastError = (error as Error).message;
      }
      if (delivery.attempts >= this.#o.maxAttempts) {
        delivery.state = 'failed';
        this.stats.failed++;
        this.#o.logger.error({ url: receiver.url, id: delivery.id, attempts: delivery.attempts, status: delivery.lastStatus, error: delivery.lastError }, 'webhook delivery failed');
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

  /** Waits for deliveries under way (tests, shutdown). */
  async drain(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const wake of [...this.#sleepers]) wake();
    await Promise.race([this.drain(), new Promise((r) => setTimeout(r, 2000).unref())]);
  }
}
