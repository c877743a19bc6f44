import { defaultSlowConsumer, type PublisherBackpressure } from "../config/slow-consumer.js";
import { AckDeadline } from "./ack-deadline.js";
import { type PauseCounters, PublisherPause } from "./publisher-pause.js";
import type { TimerWheel } from "./timer-wheel.js";
import type { Clock } from "./timers.js";

/**
 * The bounds of a pause for a subscriber's output backlog when publisher
 * backpressure is not configured: those of `publisher_backpressure`'s defaults.
 */
const OUTPUT_PAUSE: PublisherBackpressure = {
  highWater: defaultSlowConsumer.highWater,
  lowWater: defaultSlowConsumer.lowWater,
  maxPauseMs: defaultSlowConsumer.maxPauseMs,
  maxTotalPauseMs: defaultSlowConsumer.maxTotalPauseMs,
  pauseWindowMs: defaultSlowConsumer.pauseWindowMs,
};

/** A subscriber that acknowledged within this many ms is draining (it counts for read fairness); else stalled. */
const DRAINING_MS = 1000;

/** What a {@link DeliveryLoad} reads from the broker. */
export interface DeliveryLoadHost {
  /** Opt-in publisher backpressure; `undefined`: a subscriber never pauses a publisher. */
  readonly backpressure: PublisherBackpressure | undefined;
  /** `ack_timeout` in ms; 0: never. */
  readonly ackTimeoutMs: number;
  readonly counters: PauseCounters;
  /** `maxInFlight`: messages beyond it wait in the subscriber's queue. */
  readonly sessionOptions: { readonly maxInFlight?: number };
  /** Moves when a subscriber that keeps acknowledging queues a message (read fairness, `SlicedInput`). */
  readonly contention: { queued: number };
  readonly clock: Clock;
  readonly wheel: TimerWheel;
}

/** What a {@link DeliveryLoad} does to its connection. */
export interface LoadedConnection {
  /** Stop reading from the client (it is paused as a publisher). */
  pauseReading(): void;
  /** Read from the client again. */
  resumeReading(): void;
  /** The client acknowledged nothing for `ack_timeout`. */
  ackTimedOut(): void;
}

/**
 * One connection's load, both ways: as a subscriber, its unacknowledged
 * outgoing QoS 1/2 messages (in flight or waiting in its bounded queue), the
 * publishers it paused (opt-in backpressure) and its `ack_timeout`; as a
 * publisher, its own pause. Counts come from the session machine's actions.
 */
export class DeliveryLoad {
  /** Outgoing QoS 1/2 messages taken by the session and not yet acknowledged or dropped. */
  private outstanding = 0;
  /** A wait for the unacknowledged count to fall to a level (the offline-queue drain). */
  private ackWait: { atMost: number; resolve: () => void } | undefined;
  /** Publishers paused because this subscriber is congested. */
  private waiters: Set<DeliveryLoad> | undefined;
  /** This client as a paused publisher, made on its first pause. */
  private pause: PublisherPause | undefined;
  /** `ack_timeout`, made on the first unacknowledged message when configured. */
  private deadline: AckDeadline | undefined;
  /** When this subscriber last completed a flow (clock ms): recently means it is draining, not stalled. */
  private lastAck = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly host: DeliveryLoadHost,
    private readonly conn: LoadedConnection,
  ) {}

  /** Outgoing QoS 1/2 messages not yet acknowledged (in flight or waiting for the window). */
  get unacknowledged(): number {
    return this.outstanding;
  }

  /** The session took a QoS 1/2 message (in flight or queued). */
  accepted(): void {
    if (
      this.outstanding >= (this.host.sessionOptions.maxInFlight ?? 65_535) &&
      this.host.clock.now() - this.lastAck < DRAINING_MS
    ) {
      // A subscriber that keeps up had to queue: read its acknowledgements before more input.
      this.host.contention.queued++;
    }
    if (this.outstanding++ === 0 && this.host.ackTimeoutMs > 0) {
      this.deadline ??= new AckDeadline(this.host.wheel, this.host.clock, this.host.ackTimeoutMs, () =>
        this.conn.ackTimedOut(),
      );
      this.deadline.started();
    }
  }

  /** A QoS 1/2 flow completed (PUBACK, PUBCOMP): the client made progress. */
  acked(): void {
    this.outstanding--;
    this.lastAck = this.host.clock.now();
    this.deadline?.progressed(this.outstanding);
    this.less();
  }

  /** A taken message was dropped from the queue (`drop-oldest`). */
  dropped(): void {
    this.outstanding--;
    if (this.outstanding === 0) this.deadline?.progressed(0);
    this.less();
  }

  /**
   * True when publisher backpressure is on (`publisher_backpressure`, off by
   * default) and this subscriber holds its high-water mark of unacknowledged messages.
   */
  get congested(): boolean {
    const bp = this.host.backpressure;
    return bp !== undefined && this.outstanding >= bp.highWater;
  }

  /**
   * Pause this publisher for `subscriber` (see `PublisherPause` for the
   * bounds); false when backpressure is off or the pause budget is spent.
   */
  pauseFor(subscriber: DeliveryLoad): boolean {
    const bp = this.host.backpressure;
    if (bp === undefined) return false;
    return this.pauseUntilDrained(subscriber, bp);
  }

  /**
   * Pause this publisher until `subscriber`'s output backlog drains (on by
   * default, with `publisher_backpressure`'s bounds, or its defaults when it is off).
   */
  pauseForOutput(subscriber: DeliveryLoad): boolean {
    return this.pauseUntilDrained(subscriber, this.host.backpressure ?? OUTPUT_PAUSE);
  }

  /** The subscriber's output went back under its transport's high-water mark: wake the publishers paused for it. */
  outputDrained(): void {
    this.releaseWaiters();
  }

  private pauseUntilDrained(subscriber: DeliveryLoad, bounds: PublisherBackpressure): boolean {
    if (subscriber === this) return false;
    this.pause ??= new PublisherPause(
      this.host.clock,
      bounds,
      this.host.counters,
      () => this.conn.pauseReading(),
      () => this.conn.resumeReading(),
    );
    if (!this.pause.pause()) return false;
    subscriber.waiters ??= new Set();
    subscriber.waiters.add(this);
    return true;
  }

  /** While paused, the promise of the resume; `undefined` when not paused. */
  get pausedUntil(): Promise<void> | undefined {
    return this.pause?.promise;
  }

  /** End this publisher's pause, if any. */
  resume(): void {
    this.pause?.resume();
  }

  /**
   * Resolves once at most `atMost` outgoing QoS 1/2 messages are unacknowledged
   * (or `end` is called). One wait at a time (the offline-queue drain).
   */
  atMost(atMost: number): Promise<void> {
    if (this.outstanding <= atMost) return Promise.resolve();
    this.endAckWait();
    return new Promise((resolve) => {
      this.ackWait = { atMost, resolve };
    });
  }

  /** The connection is over: release everything waiting on it, stop its timers. */
  end(): void {
    this.releaseWaiters();
    this.endAckWait();
    this.resume();
    this.deadline?.cancel();
  }

  /** The unacknowledged count went down: wake the paused publishers and the drain that wait for it. */
  private less(): void {
    const bp = this.host.backpressure;
    if (this.waiters !== undefined && bp !== undefined && this.outstanding <= bp.lowWater)
      this.releaseWaiters();
    if (this.ackWait !== undefined && this.outstanding <= this.ackWait.atMost) this.endAckWait();
  }

  private endAckWait(): void {
    const wait = this.ackWait;
    this.ackWait = undefined;
    wait?.resolve();
  }

  private releaseWaiters(): void {
    const waiters = this.waiters;
    if (waiters === undefined) return;
    this.waiters = undefined;
    for (const waiter of waiters) waiter.resume();
  }
}
