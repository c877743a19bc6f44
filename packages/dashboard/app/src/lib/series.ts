// A bounded ring of stats samples, fed by /api/v1/stats/history (first load and each
// poll) and read by the charts as uPlot columns.

/** One sample of `GET /api/v1/stats/history` (rates are per second). */
export interface StatsSample {
  /** Epoch milliseconds. */
  t: number;
  connections: number;
  messagesIn: number;
  messagesOut: number;
  bytesIn: number;
  bytesOut: number;
  dropped: number;
  rss: number;
  heapUsed: number;
  cpuPercent: number;
  eventLoopLagMs: number;
}

/** A numeric field of {@link StatsSample} other than the time. */
export type SampleField = Exclude<keyof StatsSample, "t">;

/** Samples kept by default: ten minutes at the admin's one-second interval (its own ring holds 600). */
export const defaultSeriesCapacity = 600;

/** Thrown for a capacity that is not a positive integer. */
export class SeriesCapacityError extends RangeError {
  override readonly name = "SeriesCapacityError";
  constructor(capacity: number) {
    super(`series capacity must be a positive integer, got ${capacity}`);
  }
}

/**
 * A fixed-capacity ring of samples in time order. Adding past the capacity drops the
 * oldest; a sample at or before the newest one's time is a duplicate (the server
 * resends its whole history on each poll) and is ignored.
 */
export class SeriesRing {
  readonly capacity: number;
  private readonly slots: (StatsSample | undefined)[];
  private start = 0;
  private count = 0;

  constructor(capacity: number = defaultSeriesCapacity) {
    if (!Number.isInteger(capacity) || capacity <= 0) throw new SeriesCapacityError(capacity);
    this.capacity = capacity;
    this.slots = new Array(capacity);
  }

  /** Samples held now. */
  get size(): number {
    return this.count;
  }

  /** The newest sample, if any. */
  get newest(): StatsSample | undefined {
    return this.count === 0 ? undefined : this.slots[(this.start + this.count - 1) % this.capacity];
  }

  /** Adds samples (any order); returns how many were new. */
  merge(samples: readonly StatsSample[]): number {
    const sorted = [...samples].sort((a, b) => a.t - b.t);
    let added = 0;
    for (const s of sorted) if (this.push(s)) added++;
    return added;
  }

  /** Appends one sample unless it is not newer than the newest; returns whether it was added. */
  push(sample: StatsSample): boolean {
    const newest = this.newest;
    if (newest !== undefined && sample.t <= newest.t) return false;
    if (this.count < this.capacity) {
      this.slots[(this.start + this.count) % this.capacity] = sample;
      this.count++;
    } else {
      this.slots[this.start] = sample;
      this.start = (this.start + 1) % this.capacity;
    }
    return true;
  }

  /** The samples, oldest first. */
  toArray(): StatsSample[] {
    const out: StatsSample[] = [];
    for (let i = 0; i < this.count; i++) {
      const s = this.slots[(this.start + i) % this.capacity];
      if (s !== undefined) out.push(s);
    }
    return out;
  }

  /**
   * uPlot's data layout: the time column in epoch seconds, then one column per field.
   * `sinceMs` keeps only samples at or after that time (the chart's window).
   */
  columns(fields: readonly SampleField[], sinceMs = Number.NEGATIVE_INFINITY): [number[], ...number[][]] {
    const samples = this.toArray().filter((s) => s.t >= sinceMs);
    const time = samples.map((s) => s.t / 1000);
    return [time, ...fields.map((f) => samples.map((s) => s[f]))];
  }

  /** Forgets every sample. */
  clear(): void {
    this.start = 0;
    this.count = 0;
    this.slots.fill(undefined);
  }
}
