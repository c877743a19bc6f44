import type { SessionAction } from "./actions.js";

/**
 * Keep-alive bookkeeping of one connection. Instead of re-arming a timer for
 * every packet (an action per packet on the hot path), it records the last
 * activity and, when the timer fires, either acts or re-arms for the remainder.
 *
 * Design: the bottom layer of a session machine (`Connection` extends it), not
 * an object of its own: a broker holds thousands of idle machines, and an
 * object per part costs its header and a back-pointer in each (issue 19). Its
 * four fields are its own; the machine calls the protected methods.
 */
export abstract class KeepAlive {
  private lastReceived = 0;
  private lastSent = 0;
  private intervalMs = 0;
  private pingDeadlineArmed = false;

  /** Keep alive in milliseconds (0: off). */
  protected get keepAliveMs(): number {
    return this.intervalMs;
  }

  /** The keep alive in force, in seconds (0: off, and until the CONNECT/CONNACK exchange started it). */
  get keepAliveSeconds(): number {
    return this.intervalMs / 1000;
  }

  /** Whether a PINGREQ is waiting for its PINGRESP. */
  protected get awaitingPong(): boolean {
    return this.pingDeadlineArmed;
  }

  /** Start with `seconds` (0 disables); arms the check timer for `role`. */
  protected startKeepAlive(
    seconds: number,
    role: "client" | "server",
    now: number,
    actions: SessionAction[],
  ): void {
    this.intervalMs = seconds * 1000;
    this.lastReceived = now;
    this.lastSent = now;
    if (this.intervalMs === 0) return;
    actions.push({
      kind: "setTimer",
      timer: "keepAlive",
      ms: role === "server" ? this.serverLimit : this.intervalMs,
    });
  }

  /** Something arrived from the peer. */
  protected keepAliveReceived(now: number): void {
    this.lastReceived = now;
  }

  /** Something was written to the peer. */
  protected keepAliveSent(now: number): void {
    this.lastSent = now;
  }

  /** 1.5 times the keep alive ([MQTT-3.1.2-24] in 3.1.1, [MQTT-3.1.2-22] in 5.0). */
  private get serverLimit(): number {
    return Math.ceil(this.intervalMs * 1.5);
  }

  /**
   * Server: the keep-alive timer fired. True when the client was silent for 1.5x
   * the keep alive (the caller closes); else the timer is re-armed.
   */
  protected keepAliveExpired(now: number, actions: SessionAction[]): boolean {
    if (this.intervalMs === 0) return false;
    const due = this.lastReceived + this.serverLimit;
    if (now >= due) return true;
    actions.push({ kind: "setTimer", timer: "keepAlive", ms: due - now });
    return false;
  }

  /**
   * Client: the keep-alive timer fired. True when nothing was sent for the keep
   * alive, so a PINGREQ is due ([MQTT-3.1.2-23] in 3.1.1, [MQTT-3.1.2-20] in 5.0);
   * else the timer is re-armed for the remainder.
   */
  protected pingDue(now: number, actions: SessionAction[]): boolean {
    if (this.intervalMs === 0) return false;
    const due = this.lastSent + this.intervalMs;
    if (now >= due) {
      actions.push({ kind: "setTimer", timer: "keepAlive", ms: this.intervalMs });
      return true;
    }
    actions.push({ kind: "setTimer", timer: "keepAlive", ms: due - now });
    return false;
  }

  /** Client: a PINGREQ went out; arm the PINGRESP deadline unless one is armed. */
  protected pingSent(timeoutMs: number, actions: SessionAction[]): void {
    if (this.pingDeadlineArmed) return;
    this.pingDeadlineArmed = true;
    actions.push({ kind: "setTimer", timer: "pingResponse", ms: timeoutMs });
  }

  /** Client: a PINGRESP arrived. */
  protected pongReceived(actions: SessionAction[]): void {
    if (!this.pingDeadlineArmed) return;
    this.pingDeadlineArmed = false;
    actions.push({ kind: "clearTimer", timer: "pingResponse" });
  }
}
