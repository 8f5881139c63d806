/**
 * The dashboard's history: once a minute, the active-session count and the authentications passed
 * and failed since the previous sample go to the store's activity table (see
 * store/sqlite/console.ts for why a table of samples). The counters are the node's totals since it
 * started; a sample holds the difference, so a restart (counters back to zero) starts afresh
 * instead of subtracting across it.
 */
import type { Logger } from 'pino';
import type { Store } from '../store/index.js';

export interface ActivityTotals {
  passed: number;
  failed: number;
}

export interface ActivitySamplerOptions {
  store: Store;
  /** Authentications decided since the node started. */
  totals: () => Promise<ActivityTotals>;
  logger: Logger;
  /** One minute; tests take samples by calling `sample()`. */
  intervalMs?: number;
}

export class ActivitySampler {
  readonly #o: ActivitySamplerOptions;
  #last: ActivityTotals = { passed: 0, failed: 0 };
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> = Promise.resolve();

  constructor(options: ActivitySamplerOptions) {
    this.#o = options;
  }

  /** The first sample now (the chart has a point from the start), then one each interval. */
  start(): this {
    void this.sample();
    this.#timer = setInterval(() => void this.sample(), this.#o.intervalMs ?? 60_000);
    this.#timer.unref();
    return this;
  }

  /** Takes one sample; a failure is logged (the next minute tries again), never thrown. */
  sample(at = Date.now()): Promise<void> {
    this.#running = this.#running.then(async () => {
      try {
        const [active, totals] = await Promise.all([this.#o.store.countActive(), this.#o.totals()]);
        const passed = Math.max(0, totals.passed - this.#last.passed);
        const failed = Math.max(0, totals.failed - this.#last.failed);
        await this.#o.store.recordActivity({ at, active, passed, failed });
        this.#last = totals;
      } catch (error) {
        this.#o.logger.warn({ err: error }, 'the activity sample for the dashboard was not recorded');
      }
    });
    return this.#running;
  }

  async close(): Promise<void> {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    await this.#running;
  }
}
