import type { PublisherBackpressure } from "../config/slow-consumer.js";
import type { Clock, TimerHandle } from "./timers.js";

/** Counters a {@link PublisherPause} adds to (the broker's stats). */
export interface PauseCounters {
  publisherPauses: number;
  publisherPausedMs: number;
}

/**
 * The pause of one publishing connection under opt-in backpressure: while it
 * is paused the connection does not read. Each pause ends when the congested
 * subscribers drain (`resume`) or after `maxPauseMs`, whichever comes first,
 * and the pauses of one publisher add up to at most `maxTotalPauseMs` per
 * `pauseWindowMs` (0: per connection); with the budget spent, `pause` refuses
 * and the subscribers' own queue bounds apply. Made on a connection's first pause.
 */
export class PublisherPause {
  private gate: { promise: Promise<void>; open: () => void; timer: TimerHandle; since: number } | undefined;
  private windowStart: number;
  /** Pause time used in the current window (ms). */
  private spent = 0;

  constructor(
    private readonly clock: Clock,
    private readonly options: PublisherBackpressure,
    private readonly counters: PauseCounters,
    /** Stop reading from the carrier (the transport's `pauseReading`). */
    private readonly stopReading: () => void,
    /** Read again, once this pause is over (the transport's `resumeReading`). */
    private readonly startReading: () => void,
  ) {
    this.windowStart = clock.now();
  }

  /** While paused, the promise of the resume; `undefined` when not paused. */
  get promise(): Promise<void> | undefined {
    return this.gate?.promise;
  }

  /** Pause now (true), or not: already paused (true) or the budget is spent (false). */
  pause(): boolean {
    if (this.gate !== undefined) return true;
    const now = this.clock.now();
    const o = this.options;
    if (o.pauseWindowMs > 0 && now - this.windowStart >= o.pauseWindowMs) {
      this.windowStart = now;
      this.spent = 0;
    }
    const left = o.maxTotalPauseMs - this.spent;
    if (left <= 0) return false;
    let open!: () => void;
    const promise = new Promise<void>((resolve) => {
      open = resolve;
    });
    const timer = this.clock.setTimeout(() => this.resume(), Math.min(o.maxPauseMs, left));
    this.gate = { promise, open, timer, since: now };
    this.counters.publisherPauses++;
    this.stopReading();
    return true;
  }

  /** End the pause (if any): the time is charged to the budget and reading starts again. */
  resume(): void {
    const gate = this.gate;
    if (gate === undefined) return;
    this.gate = undefined;
    this.clock.clearTimeout(gate.timer);
    const ms = this.clock.now() - gate.since;
    this.spent += ms;
    this.counters.publisherPausedMs += ms;
    gate.open();
    this.startReading();
  }
}
