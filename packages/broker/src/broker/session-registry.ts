import { type ProtocolVersion, ReasonCode, type Will } from "@amqtt/codec";
import type { SubscriptionTree } from "@amqtt/message";
import type { SenderSnapshot } from "@amqtt/qos";
import type { DisconnectedAction, SessionSnapshot } from "@amqtt/session";
import type { BrokerStore, SessionRecord, StoredWill, StoreUsage } from "@amqtt/store";
import type { ResolvedBrokerConfig } from "../config/resolve.js";
import { clientInfoAway } from "../core/client-info.js";
import type { SubscriptionEntry } from "../core/delivery-target.js";
import { messageOf } from "../core/messages.js";
import { snapshotOf } from "../core/persistence.js";
import type { Router } from "../core/router.js";
import {
  type BrokerConnection,
  type LocalDelivery,
  NEVER_EXPIRES,
  SessionState,
} from "../core/session-state.js";
import type { Clock } from "../core/timers.js";
import type { ClientInfo } from "../plugins/types.js";
import type { SessionSaver } from "./session-saver.js";

/** The session a CONNECT was admitted to. */
export interface Admission {
  readonly state: SessionState;
  /** CONNACK's Session Present: an existing session was resumed. */
  readonly sessionPresent: boolean;
  /** The protocol state to resume from (with `sessionPresent`). */
  readonly restore: SessionSnapshot | undefined;
}

/**
 * Owns the sessions by client id: admission (take-over, clean start, resume),
 * the end of a connection (wills, expiry timers), the end of a session, and
 * sessions restored from the store. The in-process registry is
 * {@link LocalSessionRegistry}; a clustered one decides take-over and restore
 * across brokers behind the same interface (which is why `admit` may answer
 * later).
 */
export interface SessionRegistry {
  /** Sessions of this broker by client id (online, and offline persistent ones). */
  readonly sessions: ReadonlyMap<string, SessionState>;
  /**
   * Attach an accepted connection to the session of `clientId`: a connected
   * one is taken over (DISCONNECT 0x8E in 5.0), Clean Start or another protocol
   * level ends the old session, else it resumes.
   */
  admit(
    conn: BrokerConnection,
    clientId: string,
    connect: { clean: boolean; protocolVersion: ProtocolVersion },
  ): Admission | Promise<Admission>;
  /** The connection ended: its session goes offline; `undefined` when it never was admitted, or was replaced. */
  detach(conn: BrokerConnection): SessionState | undefined;
  /** After `detach`: the will (now or after its delay), then the session ends or waits for its expiry. */
  connectionEnded(state: SessionState, conn: BrokerConnection, action: DisconnectedAction): void;
  /** Bring back a session of the store (at start). */
  restore(record: SessionRecord, queued: StoreUsage): void;
  /** A stored session expired while no broker owned it: its will goes out. */
  expiredInStore(record: SessionRecord): void;
  /** End the offline session of `clientId` now (subscriptions, queue, stored record); false when there is none or it is online. */
  endOffline(clientId: string): boolean;
  /** Forget every session in memory (the broker stops; the store keeps what must survive). */
  clear(): void;
}

/** What the in-process registry needs from the broker. */
export interface LocalSessionRegistryHost {
  readonly store: BrokerStore;
  readonly clock: Clock;
  readonly config: ResolvedBrokerConfig;
  readonly tree: SubscriptionTree<SubscriptionEntry>;
  readonly router: Router;
  readonly saver: SessionSaver;
  readonly local: LocalDelivery;
  warn(message: string, error: unknown): void;
}

/** The sessions of one broker process. */
export class LocalSessionRegistry implements SessionRegistry {
  private readonly byId = new Map<string, SessionState>();
  /** The session whose connection `admit` is taking over right now (its end is not saved: the new one is). */
  private takingOver: SessionState | undefined;

  constructor(private readonly host: LocalSessionRegistryHost) {}

  get sessions(): ReadonlyMap<string, SessionState> {
    return this.byId;
  }

  admit(
    conn: BrokerConnection,
    clientId: string,
    connect: { clean: boolean; protocolVersion: ProtocolVersion },
  ): Admission {
    let state = this.byId.get(clientId);
    const previous = state?.connection;
    if (previous !== undefined && previous !== conn) {
      // Take-over: the existing connection is closed, with 0x8E in 5.0 [MQTT-3.1.4-3].
      this.takingOver = state;
      try {
        previous.disconnect(ReasonCode.SESSION_TAKEN_OVER);
      } finally {
        this.takingOver = undefined;
      }
      state = this.byId.get(clientId);
    }
    // A session made by `addSubscription` has no protocol state yet: any level resumes it.
    if (state?.madeForClient === true && state.snapshot !== undefined)
      state.snapshot = { ...state.snapshot, protocolVersion: connect.protocolVersion };
    if (
      state !== undefined &&
      (connect.clean || state.snapshot?.protocolVersion !== connect.protocolVersion)
    ) {
      // Clean Start (or another protocol level) ends the old session now.
      this.end(state);
      state = undefined;
    }
    const sessionPresent = state !== undefined;
    if (state === undefined) {
      state = new SessionState(clientId, conn.info, this.host.local);
      this.byId.set(clientId, state);
    }
    // Reconnecting before the Will Delay Interval passed cancels the will (5.0 section 3.1.3.2.2).
    state.clearTimers();
    state.madeForClient = false;
    state.connection = conn;
    state.info = conn.info;
    state.protocolVersion = connect.protocolVersion;
    conn.attach(state);
    const restore = sessionPresent ? state.snapshot : undefined;
    state.snapshot = undefined;
    return { state, sessionPresent, restore };
  }

  detach(conn: BrokerConnection): SessionState | undefined {
    const state = conn.state;
    if (state === undefined || state.connection !== conn) return undefined;
    state.connection = undefined;
    return state;
  }

  connectionEnded(state: SessionState, conn: BrokerConnection, action: DisconnectedAction): void {
    const clock = this.host.clock;
    let expiry = action.sessionExpiryInterval;
    const cap = this.host.config.sessionExpiryInterval;
    if (cap !== undefined) expiry = Math.min(expiry, cap);
    // The will: after its delay, or at once; a broker shutdown does not publish it.
    if (action.publishWill && action.will !== undefined && !conn.stopping) {
      const will = action.will;
      const publish = () => this.publishWill(conn.info, will);
      const delay = will.properties?.willDelayInterval ?? 0;
      if (delay > 0 && expiry > 0) {
        const ms = Math.min(delay, expiry) * 1000;
        state.delayWill(clock, will, Date.now() + ms, ms, publish);
      } else publish();
    }
    if (expiry === 0) {
      this.end(state, state.sharedLog === undefined ? undefined : conn.session.snapshot().sender);
      return;
    }
    state.snapshot = conn.session.snapshot();
    state.expiryInterval = expiry;
    // Taken over: the session goes on at once on the new connection, which saves it
    // (or ends it, on a clean start); an offline record and an expiry timer would be undone next line.
    if (this.takingOver === state) return;
    this.host.saver.saveOffline(state, expiry);
    if (expiry !== NEVER_EXPIRES) state.expireIn(clock, expiry * 1000, () => this.end(state));
  }

  /**
   * The session is over: its subscriptions and queue go; a delayed will goes out
   * now; unacknowledged messages from shared subscriptions go to other members
   * (`sender`: its QoS state, when it ends while connected).
   */
  private end(state: SessionState, sender: SenderSnapshot | undefined = state.snapshot?.sender): void {
    state.publishPendingWill();
    state.clearTimers();
    for (const filter of state.filters.keys()) this.host.tree.remove(filter, state.clientId);
    state.filters.clear();
    const log = state.sharedLog;
    state.sharedLog = undefined;
    if (log !== undefined && sender !== undefined)
      this.host.router.redeliverShared(state.clientId, log.unacknowledged(sender));
    state.queued = 0;
    state.queuedBytes = 0;
    if (this.byId.get(state.clientId) === state) {
      this.byId.delete(state.clientId);
      // Deleting the session deletes its queue too; a session never written has nothing to delete.
      if (state.stored)
        this.host.store
          .deleteSession(state.clientId)
          .catch((error) => this.host.warn("deleting a session failed", error));
    }
  }

  restore(record: SessionRecord, queued: StoreUsage): void {
    const clock = this.host.clock;
    const wall = Date.now();
    const info = clientInfoAway(record.clientId, record.username, record.protocolVersion, "");
    const state = new SessionState(record.clientId, info, this.host.local);
    state.snapshot = snapshotOf(record);
    state.expiryInterval = record.sessionExpiryInterval;
    state.queued = queued.count;
    state.queuedBytes = queued.bytes;
    state.stored = true;
    for (const s of record.subscriptions) {
      const entry: SubscriptionEntry = {
        qos: s.qos,
        noLocal: s.noLocal,
        retainAsPublished: s.retainAsPublished,
        retainHandling: s.retainHandling,
        subscriptionIdentifier: s.subscriptionIdentifier,
        target: state,
      };
      this.host.tree.add(s.topicFilter, record.clientId, entry);
      state.filters.set(s.topicFilter, entry);
    }
    this.byId.set(record.clientId, state);
    // A record without a deadline was saved live, before a crash: its expiry starts now.
    const expiresAt =
      record.expiresAt ??
      (record.sessionExpiryInterval === NEVER_EXPIRES
        ? undefined
        : wall + record.sessionExpiryInterval * 1000);
    if (expiresAt !== undefined) state.expireIn(clock, expiresAt - wall, () => this.end(state));
    const will = record.will;
    if (will?.publishAt !== undefined)
      state.delayWill(clock, will, will.publishAt, will.publishAt - wall, () =>
        this.publishWill(undefined, will),
      );
  }

  endOffline(clientId: string): boolean {
    const state = this.byId.get(clientId);
    if (state === undefined || state.online) return false;
    // Stored sessions always get their delete, even one made in memory only (`stored` may lag a save in flight).
    state.stored = true;
    this.end(state);
    return true;
  }

  expiredInStore(record: SessionRecord): void {
    if (this.byId.has(record.clientId)) return; // its own expiry timer ends it
    if (record.will !== undefined) this.publishWill(undefined, record.will);
  }

  /**
   * The session moved to another node of a cluster (its client connected
   * there): it leaves this broker without its end (no will, no redelivery of
   * shared messages: the new owner has them). Answers what left. `deleteStored`
   * false: the caller deletes the stored session itself (and awaits it).
   */
  handOver(clientId: string, deleteStored = true): SessionState | undefined {
    const state = this.byId.get(clientId);
    if (state === undefined || state.connection !== undefined) return undefined;
    state.clearTimers();
    for (const filter of state.filters.keys()) this.host.tree.remove(filter, state.clientId);
    this.byId.delete(clientId);
    if (state.stored && deleteStored)
      this.host.store
        .deleteSession(clientId)
        .catch((error) => this.host.warn("deleting a handed-over session failed", error));
    return state;
  }

  clear(): void {
    for (const state of this.byId.values()) {
      state.clearTimers();
      for (const filter of state.filters.keys()) this.host.tree.remove(filter, state.clientId);
    }
    this.byId.clear();
  }

  /** Publish a will: its properties minus the Will Delay Interval become the message's. */
  publishWill(client: ClientInfo | undefined, will: Will | StoredWill): void {
    const { willDelayInterval: _delay, ...properties } = will.properties ?? {};
    const message = messageOf({
      topic: will.topic,
      payload: will.payload,
      qos: will.qos,
      retain: will.retain,
    });
    if (Object.keys(properties).length > 0) message.properties = properties;
    this.host.router.accept(client, message);
  }
}
