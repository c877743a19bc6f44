import type { TimerKind } from "@amqtt/session";
import type { TimerWheel, WheelEntry } from "./timer-wheel.js";
import type { Clock, TimerHandle } from "./timers.js";

/**
 * The timers one connection's session machine asks for. The seconds-long ones
 * (the CONNECT deadline, the keep alive) sit on the broker's wheel; the rare
 * fine-grained ones (QoS retry on 3.1.1, ping response) are clock timers made
 * on first use. A fired timer goes back to the machine through `timerFired`, which
 * checks the deadline again: the wheel's coarseness does not matter.
 */
/** What a {@link ConnectionTimers} reports to: its connection (an object, not two closures per connection). */
export interface TimerOwner {
  /** True once the connection is over: nothing fires any more. */
  readonly closed: boolean;
  /** A timer of the machine fired at `t`. */
  timerFired(kind: TimerKind, t: number): void;
}

export class ConnectionTimers implements WheelEntry {
  /** Deadlines on the wheel (monotonic ms, 0: not armed). */
  private connectDue = 0;
  private keepAliveDue = 0;
  private fine: Map<TimerKind, TimerHandle> | undefined;

  constructor(
    private readonly wheel: TimerWheel,
    private readonly clock: Clock,
    private readonly owner: TimerOwner,
  ) {}

  /** Arm `kind` to fire in `ms` (replacing an armed one). */
  set(kind: TimerKind, ms: number): void {
    this.clear(kind);
    if (kind === "connect" || kind === "keepAlive") {
      const due = this.clock.now() + ms;
      if (kind === "connect") this.connectDue = due;
      else this.keepAliveDue = due;
      this.wheel.schedule(this, Math.min(this.connectDue || due, this.keepAliveDue || due));
      return;
    }
    this.fine ??= new Map();
    const fine = this.fine;
    const timer = this.clock.setTimeout(() => {
      fine.delete(kind);
      if (!this.owner.closed) this.owner.timerFired(kind, this.clock.now());
    }, ms);
    fine.set(kind, timer);
  }

  /** Disarm `kind`. */
  clear(kind: TimerKind): void {
    if (kind === "connect" || kind === "keepAlive") {
      if (kind === "connect") this.connectDue = 0;
      else this.keepAliveDue = 0;
      const next =
        this.connectDue === 0
          ? this.keepAliveDue
          : this.keepAliveDue === 0
            ? this.connectDue
            : Math.min(this.connectDue, this.keepAliveDue);
      if (next === 0) this.wheel.cancel(this);
      else this.wheel.schedule(this, next);
      return;
    }
    const timer = this.fine?.get(kind);
    if (timer !== undefined) {
      this.clock.clearTimeout(timer);
      this.fine?.delete(kind);
    }
  }

  /** @internal The wheel reached this connection's slot: fire the deadlines that passed. */
  wheelFired(t: number): void {
    if (this.owner.closed) return;
    if (this.connectDue !== 0 && this.connectDue <= t) {
      this.connectDue = 0;
      this.owner.timerFired("connect", t);
    }
    if (!this.owner.closed && this.keepAliveDue !== 0 && this.keepAliveDue <= t) {
      this.keepAliveDue = 0;
      this.owner.timerFired("keepAlive", t);
    }
    if (this.owner.closed || this.wheel.has(this)) return;
    // A deadline not yet due (it shared the slot, or rounding): back on the wheel.
    const next = Math.min(this.connectDue || Infinity, this.keepAliveDue || Infinity);
    if (next !== Infinity) this.wheel.schedule(this, next);
  }

  /** Disarm everything (the connection is over). */
  clearAll(): void {
    this.connectDue = 0;
    this.keepAliveDue = 0;
    this.wheel.cancel(this);
    if (this.fine !== undefined) for (const timer of this.fine.values()) this.clock.clearTimeout(timer);
    this.fine = undefined;
  }
}
