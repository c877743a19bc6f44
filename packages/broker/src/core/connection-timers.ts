import type { TimerKind } from "@amqtt/session";
import { Outbound } from "./outbound.js";
import type { TimerWheel, WheelEntry } from "./timer-wheel.js";
import type { Clock, TimerHandle } from "./timers.js";

/**
 * The timers one connection's session machine asks for. The seconds-long ones
 * (the CONNECT deadline, the keep alive) sit on the broker's wheel; the rare
 * fine-grained ones (QoS retry on 3.1.1, ping response) are clock timers made
 * on first use. A fired timer goes back to the machine through `timerFired`, which
 * checks the deadline again: the wheel's coarseness does not matter.
 *
 * Design: the middle layer of a client connection (`ClientConnection` extends
 * this, which extends {@link Outbound}), not an object of its own (issue 19:
 * an object per part costs its header and back-pointers on every idle
 * connection). The deadlines are its own; the connection supplies the wheel,
 * the clock, `closed` and `timerFired`.
 */
export abstract class ConnectionTimers extends Outbound implements WheelEntry {
  /** Deadlines on the wheel (monotonic ms, 0: not armed). */
  private connectDue = 0;
  private keepAliveDue = 0;
  private fine: Map<TimerKind, TimerHandle> | undefined = undefined;

  /** The broker's wheel the long deadlines sit on. */
  protected abstract get wheel(): TimerWheel;
  /** The broker's clock. */
  protected abstract get clock(): Clock;
  /** True once the connection is over: nothing fires any more. */
  abstract get closed(): boolean;
  /** A timer of the machine fired at `t`. */
  abstract timerFired(kind: TimerKind, t: number): void;

  /** Arm `kind` to fire in `ms` (replacing an armed one). */
  protected setTimer(kind: TimerKind, ms: number): void {
    if (kind === "connect" || kind === "keepAlive") {
      const due = this.clock.now() + ms;
      if (kind === "connect") this.connectDue = due;
      else this.keepAliveDue = due;
      // The earlier of the two (the other one, when armed, may be earlier still).
      const other = kind === "connect" ? this.keepAliveDue : this.connectDue;
      this.wheel.schedule(this, other === 0 ? due : Math.min(other, due));
      return;
    }
    this.clearTimer(kind);
    this.fine ??= new Map();
    const fine = this.fine;
    const timer = this.clock.setTimeout(() => {
      fine.delete(kind);
      if (!this.closed) this.timerFired(kind, this.clock.now());
    }, ms);
    fine.set(kind, timer);
  }

  /** Disarm `kind`. */
  protected clearTimer(kind: TimerKind): void {
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
    if (this.closed) return;
    if (this.connectDue !== 0 && this.connectDue <= t) {
      this.connectDue = 0;
      this.timerFired("connect", t);
    }
    if (!this.closed && this.keepAliveDue !== 0 && this.keepAliveDue <= t) {
      this.keepAliveDue = 0;
      this.timerFired("keepAlive", t);
    }
    if (this.closed || this.wheel.has(this)) return;
    // A deadline not yet due (it shared the slot, or rounding): back on the wheel.
    const next = Math.min(this.connectDue || Infinity, this.keepAliveDue || Infinity);
    if (next !== Infinity) this.wheel.schedule(this, next);
  }

  /** Disarm everything (the connection is over). */
  protected clearAllTimers(): void {
    this.connectDue = 0;
    this.keepAliveDue = 0;
    this.wheel.cancel(this);
    if (this.fine !== undefined) for (const timer of this.fine.values()) this.clock.clearTimeout(timer);
    this.fine = undefined;
  }
}
