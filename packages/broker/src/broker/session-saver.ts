import type { BrokerStore } from "@amqtt/store";
import type { ResolvedBrokerConfig } from "../config/resolve.js";
import { sessionRecord } from "../core/persistence.js";
import type { BrokerConnection, SessionState } from "../core/session-state.js";
import { atTurnEnd, type TurnEndTask } from "../core/turn-end.js";

/** What saving sessions needs from the broker. */
export interface SessionSaverHost {
  readonly store: BrokerStore;
  readonly config: ResolvedBrokerConfig;
  warn(message: string, error: unknown): void;
}

/** Writes sessions to the store: live ones (persistent stores only) and ones whose connection ended. */
export class SessionSaver implements TurnEndTask {
  /** The saves asked for in this synchronous run, by connection (see {@link saveAtTurnEnd}). */
  private turnSaves: Map<BrokerConnection, Promise<boolean>> | undefined;

  constructor(private readonly host: SessionSaverHost) {}

  /**
   * Save `conn`'s live session once the current synchronous run is done: one
   * snapshot for every change the run made to it (the PUBRECs of one input, the
   * deliveries of a batch of cluster envelopes), not one per change. Resolves to
   * whether it was saved ({@link saveLive} answered `undefined`: not stored).
   *
   * Design: the run's map is cleared at the end of the run (`atTurnEnd`, whose
   * reaction is queued before any of the run's saves), so a request made after a
   * snapshot was taken always gets a new save.
   */
  saveAtTurnEnd(conn: BrokerConnection): Promise<boolean> {
    let saves = this.turnSaves;
    if (saves === undefined) {
      saves = new Map<BrokerConnection, Promise<boolean>>();
      this.turnSaves = saves;
      atTurnEnd(this);
    }
    let saved = saves.get(conn);
    if (saved === undefined) {
      saved = Promise.resolve().then(() => {
        const save = this.saveLive(conn.state, conn);
        return save === undefined ? false : save.then(() => true);
      });
      saves.set(conn, saved);
    }
    return saved;
  }

  /**
   * A persistent store keeps connected sessions too (subscriptions, in-flight
   * state as of now), so a crash does not forget them: saved on connect, on
   * every subscription change and after each batch of the offline queue. The
   * record has no `expiresAt` (the session is live); a restore after a crash
   * starts its expiry from then. The memory store skips this: it would not
   * outlive the process anyway.
   */
  saveLive(state: SessionState | undefined, conn: BrokerConnection): Promise<void> | undefined {
    const store = this.host.store;
    if (state === undefined || !store.persistent || conn.closed || conn.session.state !== "connected")
      return undefined;
    // A session that ends with its connection is not written at all; decided before
    // building a snapshot (once per SUBSCRIBE, it made 100,000 subscriptions quadratic).
    const own = conn.session.currentSessionExpiryInterval;
    const cap = this.host.config.sessionExpiryInterval;
    const expiry = cap === undefined ? own : Math.min(own, cap);
    if (expiry === 0) return undefined;
    const snapshot = conn.session.snapshot();
    state.stored = true;
    return store
      .saveSession(sessionRecord(state, snapshot, expiry, undefined, true))
      .catch((error) => this.host.warn("saving a session failed", error));
  }

  /** @internal The run is over: its saves have their snapshots coming (see {@link saveAtTurnEnd}). */
  turnEnded(): void {
    this.turnSaves = undefined;
  }

  /** Save a session that outlives its connection for `expiry` seconds (with its snapshot and delayed will). */
  saveOffline(state: SessionState, expiry: number): void {
    if (state.snapshot === undefined) return;
    state.stored = true;
    this.host.store
      .saveSession(sessionRecord(state, state.snapshot, expiry, state.delayedWill))
      .catch((error) => this.host.warn("saving a session failed", error));
  }
}
