import type { TimerWheel, WheelEntry } from "./timer-wheel.js";
import type { Clock } from "./timers.js";

/**
 * `ack_timeout` for one connection: while the client has unacknowledged
 * outgoing QoS 1/2 messages, it must complete one flow (PUBACK, PUBCOMP) within
 * `timeoutMs` of the previous one (or of the first message it was given), else
 * `expired` runs. On the broker's wheel; an acknowledgement only notes the time
 * (no timer work on the hot path), the wheel re-checks when the deadline comes.
 */
export class AckDeadline implements WheelEntry {
  /** When the client last made progress, or started owing an acknowledgement (clock ms). */
  private since = 0;
  private owing = false;

  constructor(
    private readonly wheel: TimerWheel,
    private readonly clock: Clock,
    private readonly timeoutMs: number,
    private readonly expired: () => void,
  ) {}

  /** The unacknowledged count went from 0 to 1: the client owes an acknowledgement from now. */
  started(): void {
    if (this.owing) return;
    this.owing = true;
    this.since = this.clock.now();
    if (!this.wheel.has(this)) this.wheel.schedule(this, this.since + this.timeoutMs);
  }

  /** A flow completed; `outstanding` are still unacknowledged. */
  progressed(outstanding: number): void {
    this.since = this.clock.now();
    if (outstanding === 0) this.owing = false;
  }

  /** @internal The wheel reached this entry's slot. */
  wheelFired(t: number): void {
    if (!this.owing) return;
    const due = this.since + this.timeoutMs;
    if (due <= t) {
      this.owing = false;
      this.expired();
    } else this.wheel.schedule(this, due);
  }

  /** Off the wheel (the connection is over). */
  cancel(): void {
    this.owing = false;
    this.wheel.cancel(this);
  }
}
