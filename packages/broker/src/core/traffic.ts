import type { LatencySnapshot } from "../plugins/context-types.js";

/** Bucket bounds of the latency histograms, in seconds: 10 µs to 10 s. */
export const LATENCY_BOUNDS_SECONDS: readonly number[] = [
  0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
  0.5, 1, 2.5, 5, 10,
];

/** The routing latency histogram times one routed message in this many (a power of two). */
export const ROUTING_SAMPLE_EVERY = 64;

/** Distinct drop reasons counted apart; the broker has a handful, so this only guards against a runaway. */
export const MAX_DROP_REASONS = 32;

/**
 * A fixed-bucket latency histogram: one array of counts made once, so an
 * observation allocates nothing (it is on the routing hot path).
 */
export class LatencyHistogram {
  private readonly counts: Float64Array;
  private sum = 0;
  private count = 0;

  constructor(private readonly bounds: readonly number[] = LATENCY_BOUNDS_SECONDS) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  /** Record one observation of `seconds`. */
  observe(seconds: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && seconds > bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += seconds;
    this.count++;
  }

  /** A copy of the counts. */
  snapshot(): LatencySnapshot {
    return { bounds: this.bounds, counts: Array.from(this.counts), sum: this.sum, count: this.count };
  }
}

/**
 * Traffic counters beyond `BrokerStats`: PUBLISH packets and payload bytes by
 * QoS, drops by reason, refused CONNECTs, and the routing and store-flush
 * latencies. Plain numbers and preallocated arrays: counting allocates nothing.
 */
export class TrafficCounters {
  readonly publishReceivedByQos: [number, number, number] = [0, 0, 0];
  readonly payloadBytesReceivedByQos: [number, number, number] = [0, 0, 0];
  readonly publishSentByQos: [number, number, number] = [0, 0, 0];
  readonly payloadBytesSentByQos: [number, number, number] = [0, 0, 0];
  /** By reason; the reasons are a handful of fixed names, so the map stays small. */
  readonly droppedByReason = new Map<string, number>();
  authFailures = 0;
  readonly routing = new LatencyHistogram();
  readonly storeFlush = new LatencyHistogram();

  /** A PUBLISH received with `payloadBytes` at `qos`. */
  received(qos: 0 | 1 | 2, payloadBytes: number): void {
    this.publishReceivedByQos[qos]++;
    this.payloadBytesReceivedByQos[qos] += payloadBytes;
  }

  /** A PUBLISH sent with `payloadBytes` at `qos`. */
  sent(qos: 0 | 1 | 2, payloadBytes: number): void {
    this.publishSentByQos[qos]++;
    this.payloadBytesSentByQos[qos] += payloadBytes;
  }

  /**
   * A message dropped. `reason` is cut at its first `:` (the name, not the
   * explanation) and made a label-friendly slug (`offline_queue_full_refused`).
   * At most {@link MAX_DROP_REASONS} distinct reasons are kept; later ones count as `other`.
   */
  dropped(reason: string): void {
    const colon = reason.indexOf(":");
    let name = (colon < 0 ? reason : reason.slice(0, colon))
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "_")
      .replace(/^_|_$/g, "");
    if (!this.droppedByReason.has(name) && this.droppedByReason.size >= MAX_DROP_REASONS) name = "other";
    this.droppedByReason.set(name, (this.droppedByReason.get(name) ?? 0) + 1);
  }
}
