/**
 * A small Prometheus registry (text exposition format 0.0.4): counters and histograms with labels,
 * gauges read when scraped. Enough for an exporter; no dependency.
 */
type Labels = Record<string, string>;

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function labelText(labels: Labels, extra?: [string, string]): string {
  const pairs = Object.entries(labels);
  if (extra) pairs.push(extra);
  return pairs.length === 0 ? '' : `{${pairs.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}`;
}

function key(labels: Labels, names: readonly string[]): string {
  return JSON.stringify(names.map((n) => labels[n] ?? ''));
}

/** One unlabelled value, or labelled values (none: the series is absent). */
type GaugeValue = number | { labels: Labels; value: number }[];

interface Family {
  render(): Promise<string> | string;
}

/** One labelled series of a histogram: counts per bucket (not cumulative), sum and count. */
export interface HistogramSeries {
  labels: Labels;
  counts: number[];
  sum: number;
  count: number;
}

function renderHistogram(name: string, help: string, buckets: readonly number[], series: Iterable<HistogramSeries>): string {
  let out = `# HELP ${name} ${help}\n# TYPE ${name} histogram\n`;
  for (const s of series) {
    let cumulative = 0;
    buckets.forEach((b, i) => {
      cumulative += s.counts[i]!;
      out += `${name}_bucket${labelText(s.labels, ['le', String(b)])} ${cumulative}\n`;
    });
    out += `${name}_bucket${labelText(s.labels, ['le', '+Inf'])} ${s.count}\n`;
    out += `${name}_sum${labelText(s.labels)} ${s.sum}\n${name}_count${labelText(s.labels)} ${s.count}\n`;
  }
  return out;
}

export const DEFAULT_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class MetricsRegistry {
  readonly #families: Family[] = [];
  readonly #beforeRender: (() => Promise<void>)[] = [];

  /** Runs before each scrape's families are read: e.g. to fetch figures another thread keeps. */
  beforeRender(hook: () => Promise<void>): void {
    this.#beforeRender.push(hook);
  }

  counter(name: string, help: string, labelNames: readonly string[] = []): { inc(labels?: Labels, by?: number): void } {
    const values = new Map<string, { labels: Labels; value: number }>();
    this.#families.push({
      render: () =>
        `# HELP ${name} ${help}\n# TYPE ${name} counter\n` +
        [...values.values()].map((v) => `${name}${labelText(v.labels)} ${v.value}\n`).join(''),
    });
    return {
      inc(labels: Labels = {}, by = 1) {
        const k = key(labels, labelNames);
        const entry = values.get(k);
        if (entry) entry.value += by;
        else values.set(k, { labels: Object.fromEntries(labelNames.map((n) => [n, labels[n] ?? ''])), value: by });
      },
    };
  }

  /** A value read at scrape time; `collect` may return labelled values. */
  gauge(name: string, help: string, collect: () => GaugeValue | Promise<GaugeValue>): void {
    this.#families.push({
      render: async () => {
        const value = await collect();
        const lines = typeof value === 'number' ? [`${name} ${value}`] : value.map((v) => `${name}${labelText(v.labels)} ${v.value}`);
        return `# HELP ${name} ${help}\n# TYPE ${name} gauge\n${lines.map((l) => `${l}\n`).join('')}`;
      },
    });
  }

  /** Counters owned elsewhere (e.g. the RADIUS listeners), exposed as they are when scraped. */
  counterFrom(name: string, help: string, collect: () => { labels: Labels; value: number }[]): void {
    this.#families.push({
      render: () =>
        `# HELP ${name} ${help}\n# TYPE ${name} counter\n` + collect().map((v) => `${name}${labelText(v.labels)} ${v.value}\n`).join(''),
    });
  }

  /** A histogram whose counts are kept elsewhere (per bucket, not cumulative), read when scraped. */
  histogramFrom(name: string, help: string, buckets: readonly number[], collect: () => HistogramSeries[]): void {
    this.#families.push({ render: () => renderHistogram(name, help, buckets, collect()) });
  }

  histogram(name: string, help: string, labelNames: readonly string[] = [], buckets: readonly number[] = DEFAULT_BUCKETS): { observe(labels: Labels, seconds: number): void } {
    const series = new Map<string, HistogramSeries>();
    this.#families.push({ render: () => renderHistogram(name, help, buckets, series.values()) });
    return {
      observe(labels: Labels, seconds: number) {
        const k = key(labels, labelNames);
        let s = series.get(k);
        if (s === undefined) {
          s = { labels: Object.fromEntries(labelNames.map((n) => [n, labels[n] ?? ''])), counts: buckets.map(() => 0), sum: 0, count: 0 };
          series.set(k, s);
        }
        const i = buckets.findIndex((b) => seconds <= b);
        if (i >= 0) s.counts[i]!++;
        s.sum += seconds;
        s.count++;
      },
    };
  }

  async render(): Promise<string> {
    for (const hook of this.#beforeRender) await hook();
    const parts = await Promise.all(this.#families.map((f) => f.render()));
    return parts.join('');
  }
}
