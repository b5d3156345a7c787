// MetricsRegistry: a tiny Prometheus registry (counters, gauges, histograms) rendering the text exposition format.

type LabelValues = readonly string[];

interface Metric {
  readonly name: string;
  readonly help: string;
  readonly type: "counter" | "gauge" | "histogram";
  render(out: string[]): void;
}

/** Keyed children per label-value tuple; the unlabelled metric is the child with no values. */
abstract class Family<Child> implements Metric {
  abstract readonly type: "counter" | "gauge" | "histogram";
  protected readonly children = new Map<string, { values: LabelValues; child: Child }>();

  constructor(readonly name: string, readonly help: string, readonly labelNames: readonly string[]) {}

  protected child(values: LabelValues): Child {
    if (values.length !== this.labelNames.length) {
      throw new Error(`${this.name}: expected labels ${this.labelNames.join(",")}, got ${values.length} values`);
    }
    const key = values.join("\xff");
    let entry = this.children.get(key);
    if (!entry) this.children.set(key, (entry = { values: [...values], child: this.create() }));
    return entry.child;
  }

  protected labelText(values: LabelValues, extra?: string): string {
    const parts = this.labelNames.map((n, i) => `${n}="${escapeLabel(values[i]!)}"`);
    if (extra) parts.push(extra);
    return parts.length ? `{${parts.join(",")}}` : "";
  }

  protected abstract create(): Child;
  abstract render(out: string[]): void;
}

export class CounterChild {
  value = 0;
  inc(by = 1): void {
    this.value += by;
  }
}

export class Counter extends Family<CounterChild> {
  readonly type = "counter";
  protected create(): CounterChild {
    return new CounterChild();
  }
  /** The child for these label values (cache it on hot paths). */
  labels(...values: string[]): CounterChild {
    return this.child(values);
  }
  inc(by = 1): void {
    this.child([]).inc(by);
  }
  get(...values: string[]): number {
    return this.child(values).value;
  }
  render(out: string[]): void {
    for (const { values, child } of this.children.values()) out.push(`${this.name}${this.labelText(values)} ${formatNumber(child.value)}`);
  }
}

export class GaugeChild {
  value = 0;
  set(v: number): void {
    this.value = v;
  }
  inc(by = 1): void {
    this.value += by;
  }
  dec(by = 1): void {
    this.value -= by;
  }
}

/** A gauge set by its owner, or (unlabelled) read from `collect` at scrape time. */
export class Gauge extends Family<GaugeChild> {
  readonly type = "gauge";
  constructor(name: string, help: string, labelNames: readonly string[], private readonly collect?: () => number) {
    super(name, help, labelNames);
  }
  protected create(): GaugeChild {
    return new GaugeChild();
  }
  labels(...values: string[]): GaugeChild {
    return this.child(values);
  }
  set(v: number): void {
    this.child([]).set(v);
  }
  get(...values: string[]): number {
    return this.collect && values.length === 0 ? this.collect() : this.child(values).value;
  }
  render(out: string[]): void {
    if (this.collect) {
      out.push(`${this.name} ${formatNumber(this.collect())}`);
      return;
    }
    for (const { values, child } of this.children.values()) out.push(`${this.name}${this.labelText(values)} ${formatNumber(child.value)}`);
  }
}

export class HistogramChild {
  readonly counts: number[];
  sum = 0;
  count = 0;
  constructor(private readonly buckets: readonly number[]) {
    this.counts = new Array<number>(buckets.length).fill(0);
  }
  observe(v: number): void {
    this.sum += v;
    this.count++;
    for (let i = 0; i < this.buckets.length; i++) if (v <= this.buckets[i]!) this.counts[i]!++;
  }
}

/** Cumulative buckets (each `le` counts all observations ≤ it) plus the implicit +Inf, as Prometheus expects. */
export class Histogram extends Family<HistogramChild> {
  readonly type = "histogram";
  constructor(name: string, help: string, labelNames: readonly string[], readonly buckets: readonly number[]) {
    super(name, help, labelNames);
  }
  protected create(): HistogramChild {
    return new HistogramChild(this.buckets);
  }
  labels(...values: string[]): HistogramChild {
    return this.child(values);
  }
  observe(v: number): void {
    this.child([]).observe(v);
  }
  /** Observation count of the child with these label values. */
  count(...values: string[]): number {
    return this.child(values).count;
  }
  render(out: string[]): void {
    for (const { values, child } of this.children.values()) {
      for (let i = 0; i < this.buckets.length; i++) {
        out.push(`${this.name}_bucket${this.labelText(values, `le="${formatNumber(this.buckets[i]!)}"`)} ${child.counts[i]}`);
      }
      out.push(`${this.name}_bucket${this.labelText(values, `le="+Inf"`)} ${child.count}`);
      out.push(`${this.name}_sum${this.labelText(values)} ${formatNumber(child.sum)}`);
      out.push(`${this.name}_count${this.labelText(values)} ${child.count}`);
    }
  }
}

/** Owns metric declarations (each name once) and renders them all for a scrape. */
export class MetricsRegistry {
  private readonly metrics = new Map<string, Metric>();

  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.register(new Counter(name, help, labelNames));
  }

  gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge {
    return this.register(new Gauge(name, help, labelNames));
  }

  /** An unlabelled gauge whose value is read at scrape time. */
  collectedGauge(name: string, help: string, collect: () => number): Gauge {
    return this.register(new Gauge(name, help, [], collect));
  }

  histogram(name: string, help: string, buckets: readonly number[], labelNames: readonly string[] = []): Histogram {
    return this.register(new Histogram(name, help, labelNames, buckets));
  }

  /** Prometheus text exposition format 0.0.4. */
  render(): string {
    const out: string[] = [];
    for (const m of this.metrics.values()) {
      out.push(`# HELP ${m.name} ${m.help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}`);
      out.push(`# TYPE ${m.name} ${m.type}`);
      m.render(out);
    }
    return out.join("\n") + "\n";
  }

  private register<M extends Metric>(metric: M): M {
    if (this.metrics.has(metric.name)) throw new Error(`metric ${metric.name} declared twice`);
    this.metrics.set(metric.name, metric);
    return metric;
  }
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function formatNumber(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}
