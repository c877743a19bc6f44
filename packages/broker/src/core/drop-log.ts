import type { Logger } from "../logger.js";
import { type Clock, type LongTimer, repeating } from "./timers.js";

/** Clients tracked at once by a {@link DropLog}; drops of further clients are summed into one line. */
export const DROP_LOG_MAX_CLIENTS = 1000;

interface Entry {
  /** Drops since the last line. */
  count: number;
  /** When the last line for this client was written (clock ms). */
  loggedAt: number;
  /** Reason and topic of the latest drop since the last line. */
  reason: string;
  topic: string;
}

/**
 * The broker's log of dropped messages, rate-limited: a client's first drop
 * is logged at once, then at most one line per `intervalMs` per client with the
 * count since the last one. Bounded: at most `maxClients` clients are tracked;
 * drops of others are counted together and logged as one line per interval.
 * A client that stops dropping is forgotten after one quiet interval.
 */
export class DropLog {
  private readonly entries = new Map<string, Entry>();
  /** Drops of clients beyond `maxClients` since the last line, and how many clients. */
  private overflow = { count: 0, clients: new Set<string>(), more: false };
  private timer: LongTimer | undefined;

  constructor(
    private readonly logger: Logger,
    private readonly clock: Clock,
    private readonly intervalMs: number,
    private readonly maxClients = DROP_LOG_MAX_CLIENTS,
  ) {}

  /** Clients with drops being counted (for tests of the bound). */
  get tracked(): number {
    return this.entries.size;
  }

  /** One message dropped for `clientId` (`""`: no client, e.g. the retained store). */
  dropped(clientId: string, topic: string, reason: string): void {
    const entry = this.entries.get(clientId);
    if (entry !== undefined) {
      entry.count++;
      entry.reason = reason;
      entry.topic = topic;
      return;
    }
    if (this.entries.size >= this.maxClients) {
      this.overflow.count++;
      // The set is bounded too: it only names how many clients the sum covers.
      if (this.overflow.clients.size < this.maxClients) this.overflow.clients.add(clientId);
      else if (!this.overflow.clients.has(clientId)) this.overflow.more = true;
      this.arm();
      return;
    }
    this.entries.set(clientId, { count: 0, loggedAt: this.clock.now(), reason, topic });
    this.logger.warn("message dropped", {
      clientId,
      topic,
      reason,
      note: `further drops for this client are logged at most once per ${this.intervalMs / 1000} s`,
    });
    this.arm();
  }

  /**
   * Write the lines that are due (all of them with `force`) and forget quiet
   * clients; the timer stops when nothing is left.
   */
  flush(force = false): void {
    const now = this.clock.now();
    for (const [clientId, e] of this.entries) {
      if (!force && now - e.loggedAt < this.intervalMs) continue;
      if (e.count === 0) {
        this.entries.delete(clientId);
        continue;
      }
      this.logger.warn("messages dropped", {
        clientId,
        dropped: e.count,
        sinceMs: Math.round(now - e.loggedAt),
        lastReason: e.reason,
        lastTopic: e.topic,
      });
      e.count = 0;
      e.loggedAt = now;
    }
    if (this.overflow.count > 0) {
      this.logger.warn("messages dropped for other clients", {
        dropped: this.overflow.count,
        clients: this.overflow.clients.size,
        // More clients than the bound lets the log count.
        moreClients: this.overflow.more,
      });
      this.overflow = { count: 0, clients: new Set(), more: false };
    }
    if (this.entries.size === 0 && this.timer !== undefined) {
      this.timer.cancel();
      this.timer = undefined;
    }
  }

  /** Stop the timer (the broker stops); counts not yet written are written now. */
  close(): void {
    this.flush(true);
    this.entries.clear();
    this.timer?.cancel();
    this.timer = undefined;
  }

  private arm(): void {
    // Half the interval: a due line is written at most half an interval late.
    this.timer ??= repeating(this.clock, () => this.flush(), Math.max(1, this.intervalMs / 2));
  }
}
