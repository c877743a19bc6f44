import type { Clock, TimerHandle } from "./clock.js";

/**
 * Notices a connection on which nothing has been received for a whole keep alive.
 *
 * The session sends PINGREQ only when the client has sent nothing for the keep
 * alive, so a client that keeps publishing into a black-holed network would never
 * ask and never find out. The client may send PINGREQ at any time (MQTT 3.1.1 and
 * 5.0, section 3.1.2.10); this watch says when to, and the session's PINGRESP
 * deadline then closes a dead connection. One timer per keep alive, none per packet.
 */
export class SilenceWatch {
  private lastReceived = 0;
  private intervalMs = 0;
  private handle: TimerHandle | undefined;
  private readonly check = (): void => this.fire();

  constructor(
    private readonly clock: Clock,
    /** Called when `intervalMs` passed with nothing received; the watch carries on. */
    private readonly onSilent: () => void,
  ) {}

  /** Watch with this interval in ms (0 or less: off). Counts from `now`. */
  start(intervalMs: number, now: number): void {
    this.stop();
    this.intervalMs = intervalMs;
    this.lastReceived = now;
    if (intervalMs > 0) this.handle = this.clock.setTimeout(this.check, intervalMs);
  }

  /** Bytes arrived. */
  received(now: number): void {
    this.lastReceived = now;
  }

  /** Stop watching (the connection ended). */
  stop(): void {
    if (this.handle !== undefined) this.clock.clearTimeout(this.handle);
    this.handle = undefined;
  }

  private fire(): void {
    this.handle = undefined;
    const quiet = this.clock.now() - this.lastReceived;
    if (quiet >= this.intervalMs) {
      this.handle = this.clock.setTimeout(this.check, this.intervalMs);
      this.onSilent();
    } else {
      this.handle = this.clock.setTimeout(this.check, this.intervalMs - quiet);
    }
  }
}
