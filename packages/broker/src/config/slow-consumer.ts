import type { z } from "zod";
import type { ConfigIssue } from "./errors.js";
import { lazySchema } from "./zod.js";

// How the broker treats a subscriber that reads or acknowledges slower than its
// publishers write: its own bounded queue with an overflow policy, an optional
// acknowledgement deadline, and publisher backpressure only when asked for.

/** `publisher_backpressure` as written (built on first use). */
export const publisherBackpressureSchema = lazySchema((z) =>
  z.strictObject({
    enabled: z.boolean().optional(),
    high_water: z.int().min(1).optional(),
    low_water: z.int().min(0).optional(),
    max_pause_ms: z.int().min(1).max(60_000).optional(),
    max_total_pause_ms: z.int().min(0).optional(),
    pause_window_ms: z.int().min(0).optional(),
  }),
);

/** The slow-consumer keys of the broker configuration (merged into its schema; built on first use). */
export const slowConsumerKeys = lazySchema((z) => ({
  online_queue_overflow: z.enum(["drop-new", "drop-oldest"]).optional(),
  ack_timeout: z.number().min(0).optional(),
  drop_log_interval: z.number().min(1).max(3600).optional(),
  publisher_backpressure: publisherBackpressureSchema().nullable().optional(),
}));

/**
 * Opt-in publisher backpressure: a QoS 1/2 copy to a subscriber holding
 * `highWater` or more unacknowledged messages stops reading from the publishing
 * connection until the subscriber is down to `lowWater`, for at most
 * `maxPauseMs` at a time and `maxTotalPauseMs` in total per publisher within
 * each `pauseWindowMs` (0: over the connection's lifetime).
 */
export interface PublisherBackpressure {
  highWater: number;
  lowWater: number;
  maxPauseMs: number;
  maxTotalPauseMs: number;
  pauseWindowMs: number;
}

/** How the broker treats slow subscribers, resolved. */
export interface SlowConsumerPolicy {
  /**
   * What happens to a QoS 1/2 copy for a connected subscriber whose queue
   * (messages waiting behind its in-flight window) is full: `drop-new` (the
   * default, as Mosquitto) drops the new copy, `drop-oldest` (as EMQX) the
   * oldest waiting one. Only that subscriber loses it; the publisher is not slowed.
   */
  onlineQueueOverflow: "drop-new" | "drop-oldest";
  /** Disconnect a subscriber that acknowledges nothing for this many ms while it has unacknowledged messages; 0: never. */
  ackTimeoutMs: number;
  /** At most one drop log line per client per this many ms, with the count since the last one. */
  dropLogIntervalMs: number;
  /** Publisher backpressure, `undefined` when off (the default). */
  publisherBackpressure: PublisherBackpressure | undefined;
}

/** Defaults of the slow-consumer keys; see the package README for why each value. */
export const defaultSlowConsumer = {
  onlineQueueOverflow: "drop-new",
  ackTimeout: 0,
  dropLogInterval: 10,
  highWater: 500,
  lowWater: 250,
  maxPauseMs: 1000,
  maxTotalPauseMs: 5000,
  pauseWindowMs: 60_000,
} as const;

type SlowConsumerKeys = ReturnType<typeof slowConsumerKeys>;
type Raw = { [K in keyof SlowConsumerKeys]?: z.output<SlowConsumerKeys[K]> };

/**
 * Resolve the slow-consumer keys; a low water mark at or above the high one
 * is an issue, and a high water mark the queue can never reach is a warning.
 */
export function resolveSlowConsumer(
  raw: Raw,
  queueBound: number,
  issues: ConfigIssue[],
  warnings: string[],
): SlowConsumerPolicy {
  const d = defaultSlowConsumer;
  const bp = raw.publisher_backpressure ?? undefined;
  let publisherBackpressure: PublisherBackpressure | undefined;
  if (bp?.enabled === true) {
    const highWater = bp.high_water ?? d.highWater;
    const lowWater = bp.low_water ?? Math.min(d.lowWater, Math.floor(highWater / 2));
    if (lowWater >= highWater)
      issues.push({
        path: "publisher_backpressure.low_water",
        message: `must be below high_water (${highWater}), got ${lowWater}`,
      });
    if (queueBound > 0 && highWater > queueBound)
      warnings.push(
        `publisher_backpressure.high_water (${highWater}) is above what a subscriber can hold (max_inflight_messages + max_queued_messages = ${queueBound}): its messages are dropped before a publisher is paused`,
      );
    publisherBackpressure = {
      highWater,
      lowWater,
      maxPauseMs: bp.max_pause_ms ?? d.maxPauseMs,
      maxTotalPauseMs: bp.max_total_pause_ms ?? d.maxTotalPauseMs,
      pauseWindowMs: bp.pause_window_ms ?? d.pauseWindowMs,
    };
  }
  return {
    onlineQueueOverflow: raw.online_queue_overflow ?? d.onlineQueueOverflow,
    ackTimeoutMs: (raw.ack_timeout ?? d.ackTimeout) * 1000,
    dropLogIntervalMs: (raw.drop_log_interval ?? d.dropLogInterval) * 1000,
    publisherBackpressure,
  };
}
