import { type ClusterBus, ClusterUnavailableError, StaleEpochError } from "@amqtt/cluster";
import { type ProtocolVersion, ReasonCode, type Will } from "@amqtt/codec";
import type { DisconnectedAction } from "@amqtt/session";
import {
  type BrokerStore,
  type SessionRecord,
  type StoredWill,
  type StoreUsage,
  storedMessageSize,
} from "@amqtt/store";
import type { Admission, LocalSessionRegistry, SessionRegistry } from "../broker/session-registry.js";
import { sessionRecord } from "../core/persistence.js";
import type { BrokerConnection, SessionState } from "../core/session-state.js";
import { randomUUID } from "../lazy-crypto.js";
import type { ClusterCounters } from "./cluster-stats.js";
import { CONTROL_CHANNEL, type ControlMessage, encodeControl, type HandedOverSession } from "./envelopes.js";
import { InheritedSessions } from "./inherited-sessions.js";

/** Take-overs waiting for the old node's hand-over, at most; more CONNECTs are refused (Server Unavailable). */
export const MAX_PENDING_HANDOVERS = 10_000;

/** What the cluster's session registry needs from the node. */
export interface ClusterSessionsHost {
  readonly bus: ClusterBus;
  readonly store: BrokerStore;
  readonly counters: ClusterCounters;
  /** Longest wait for the old owner's hand-over, in ms. */
  readonly handOverTimeoutMs: number;
  /** Take-overs waiting for their hand-over at once, at most. */
  readonly maxPendingHandOvers: number;
  /** Bound of a handed-over offline queue (the node's `max_queued_messages`, 0: none). */
  readonly maxQueued: number;
  warn(message: string, error: unknown): void;
}

/**
 * The session registry of a cluster node: one owner per client id in the
 * whole cluster. A CONNECT claims the session in the engine (a new epoch);
 * when another node owned it, that node is asked to give it up: it closes its
 * connection (DISCONNECT 0x8E Session taken over in 5.0) and hands the session
 * over (subscriptions, in-flight state, offline queue), then the CONNACK goes
 * out with the right Session Present. A take-over request older than this
 * node's own claim is refused ({@link StaleEpochError}): a stalled node
 * cannot take back a session it lost. With a store the nodes share
 * (`BrokerStore.shared`), a session whose owner died or does not answer is
 * read from the store instead, at the reconnect or when this node adopts the
 * dead node. Everything local is the {@link LocalSessionRegistry}'s.
 */
export class ClusterSessionRegistry implements SessionRegistry {
  /** The epoch of this node's claim per client id it owns. */
  private readonly epochs = new Map<string, number>();
  private readonly pending = new Map<
    string,
    { node: string; done: (session: HandedOverSession | undefined) => void }
  >();
  /** CONNECTs being admitted here (see {@link admitsSettled}); at most one per connection. */
  private readonly admitting = new Set<Promise<unknown>>();
  /** Sessions of the store at start, until the node has joined (see {@link restoreDeferred}). */
  private readonly deferred: { record: SessionRecord; queued: StoreUsage; expired: boolean }[] = [];
  private joined = false;
  /** Sessions taken from another node without its hand-over (see {@link InheritedSessions}). */
  readonly inherited = new InheritedSessions();

  constructor(
    private readonly local: LocalSessionRegistry,
    private readonly host: ClusterSessionsHost,
    /** Tell the other nodes the will of a client that connected here (`undefined`: none any more). */
    private readonly announceWill: (clientId: string, will: StoredWill | undefined) => void,
  ) {}

  get sessions(): ReadonlyMap<string, SessionState> {
    return this.local.sessions;
  }

  admit(
    conn: BrokerConnection,
    clientId: string,
    connect: { clean: boolean; protocolVersion: ProtocolVersion; will?: Will | undefined },
  ): Promise<Admission> {
    const admission = this.admitNow(conn, clientId, connect);
    this.admitting.add(admission);
    const done = () => void this.admitting.delete(admission);
    admission.then(done, done);
    return admission;
  }

  /**
   * The CONNECTs being admitted now, settled (`undefined`: none): a dead node's
   * unread messages wait for them, so a session coming from the store is here first.
   */
  admitsSettled(): Promise<void> | undefined {
    if (this.admitting.size === 0) return undefined;
    return Promise.allSettled(this.admitting).then(() => undefined);
  }

  /** `node` is dead: take-overs waiting for its hand-over stop waiting (the store has the session). */
  nodeGone(node: string): void {
    for (const entry of [...this.pending.values()]) if (entry.node === node) entry.done(undefined);
  }

  private async admitNow(
    conn: BrokerConnection,
    clientId: string,
    connect: { clean: boolean; protocolVersion: ProtocolVersion; will?: Will | undefined },
  ): Promise<Admission> {
    const bus = this.host.bus;
    if (bus.status === "down") {
      this.host.counters.connectsRefused++;
      throw new ClusterUnavailableError("the cluster engine is down");
    }
    let claim: Awaited<ReturnType<ClusterBus["claimSession"]>>;
    try {
      claim = await bus.claimSession(clientId);
    } catch (error) {
      this.host.counters.connectsRefused++;
      throw error;
    }
    this.epochs.set(clientId, claim.ownership.epoch);
    this.pruneEpochs();
    const previous = claim.previous;
    let handedOver = false;
    if (previous !== undefined && previous.nodeId !== bus.nodeId) {
      const session = bus.nodes().some((n) => n.nodeId === previous.nodeId)
        ? await this.requestHandOver(previous.nodeId, clientId, claim.ownership.epoch)
        : undefined;
      if (session !== undefined && !connect.clean && conn.session.state === "awaitingAccept") {
        await this.install(session);
        handedOver = true;
        this.host.counters.sessionsTakenOver++;
      }
      // Dead or silent: what its inbox still holds for this session comes here once it is adopted.
      if (session === undefined) this.inherited.add(previous.nodeId, clientId);
    }
    // After the old owner's last write (the hand-over deletes its copy): from here on a
    // shared store refuses that owner's writes with StaleEpochError. (An adoption here
    // may have claimed it again meanwhile: the newest epoch is fenced.)
    await this.fence(clientId, Math.max(claim.ownership.epoch, this.epochs.get(clientId) ?? 0));
    // No hand-over from a dead or silent owner: a store the nodes share still has the
    // session (subscriptions, in-flight state, offline queue), as one broker's would.
    if (
      !handedOver &&
      !connect.clean &&
      this.host.store.shared === true &&
      !this.local.sessions.has(clientId) &&
      conn.session.state === "awaitingAccept"
    )
      await this.loadStored(clientId);
    const admission = this.local.admit(conn, clientId, connect);
    if (connect.will !== undefined) this.announceWill(clientId, storedWill(connect.will));
    return admission;
  }

  detach(conn: BrokerConnection): SessionState | undefined {
    return this.local.detach(conn);
  }

  connectionEnded(state: SessionState, conn: BrokerConnection, action: DisconnectedAction): void {
    if (action.will !== undefined) this.announceWill(state.clientId, undefined);
    this.local.connectionEnded(state, conn, action);
    // A session that ended with its connection is not owned any more.
    if (!this.local.sessions.has(state.clientId)) this.release(state.clientId);
  }

  endOffline(clientId: string): boolean {
    if (!this.local.endOffline(clientId)) return false;
    // An ended session is not owned any more.
    this.release(clientId);
    return true;
  }

  /**
   * A session of the store at start: kept for {@link restoreDeferred}, which runs
   * once the node has joined (the engine decides whose it is).
   */
  restore(record: SessionRecord, queued: StoreUsage): void {
    this.defer({ record, queued, expired: false });
  }

  /** A session that expired in the store: its will goes out from the node that can claim it (once). */
  expiredInStore(record: SessionRecord): void {
    this.defer({ record, queued: { count: 0, bytes: 0 }, expired: true });
  }

  private defer(entry: { record: SessionRecord; queued: StoreUsage; expired: boolean }): void {
    this.deferred.push(entry);
    // Once joined (the periodic store cleanup), at once.
    if (this.joined)
      this.restoreDeferred().catch((error: unknown) =>
        this.host.warn("a stored session's will could not be handled through the cluster", error),
      );
  }

  /**
   * The sessions the store gave at start become this node's only if nobody
   * else live owns them: no owner, this node, or a dead node. A store shared
   * by the nodes (PostgreSQL, Redis) lists every node's sessions; a node's own
   * file may hold a session that moved to another node while it was down.
   */
  async restoreDeferred(): Promise<void> {
    const bus = this.host.bus;
    const deferred = this.deferred.splice(0);
    for (const { record, queued, expired } of deferred) {
      const clientId = record.clientId;
      const alive = new Set(bus.nodes().map((n) => n.nodeId));
      const owner = await bus.sessionOwner(clientId);
      if (owner !== undefined && owner.nodeId !== bus.nodeId && alive.has(owner.nodeId)) continue;
      const claim = await bus.claimSession(clientId);
      const previous = claim.previous;
      if (previous !== undefined && previous.nodeId !== bus.nodeId && alive.has(previous.nodeId)) {
        // Another node claimed it between the two calls: it is theirs.
        await bus.releaseSession(clientId, claim.ownership.epoch);
        continue;
      }
      if (expired) {
        this.local.expiredInStore(record);
        await bus.releaseSession(clientId, claim.ownership.epoch);
      } else {
        this.epochs.set(clientId, claim.ownership.epoch);
        await this.fence(clientId, claim.ownership.epoch);
        this.local.restore(record, queued);
      }
    }
    this.joined = true;
  }

  /**
   * This node adopted the dead node `deadNode`: with a store the nodes share,
   * its persistent sessions become this node's (read from the store: their
   * subscriptions route here again, their queues go on filling), so none waits
   * for a node that is gone. Answers how many came. A session another node
   * claimed meanwhile stays there.
   */
  async adoptSessions(deadNode: string): Promise<number> {
    if (this.host.store.shared !== true) return 0;
    const bus = this.host.bus;
    let adopted = 0;
    for (const clientId of await bus.sessionsOwnedBy(deadNode)) {
      // Wherever its session is restored here, the dead node's unread messages for it follow.
      this.inherited.add(deadNode, clientId);
      if (this.local.sessions.has(clientId)) continue;
      try {
        const claim = await bus.claimSession(clientId);
        if (claim.previous?.nodeId !== deadNode) {
          // Claimed since the list was read: another node's now, or a CONNECT's here.
          if (claim.previous !== undefined && claim.previous.nodeId !== bus.nodeId)
            await bus.releaseSession(clientId, claim.ownership.epoch);
          else this.epochs.set(clientId, claim.ownership.epoch);
          continue;
        }
        this.epochs.set(clientId, claim.ownership.epoch);
        await this.fence(clientId, claim.ownership.epoch);
        if (await this.loadStored(clientId)) adopted++;
        // Owned without a stored session (it ended with its connection): nothing to keep.
        else this.release(clientId);
      } catch (error) {
        this.host.warn(`adopting the session ${clientId} of the dead node ${deadNode} failed`, error);
      }
    }
    return adopted;
  }

  /**
   * Bring the stored session of `clientId` into this node (offline, until its
   * client connects). Answers whether there was one (not expired, not here yet).
   */
  private async loadStored(clientId: string): Promise<boolean> {
    const store = this.host.store;
    const record = await store.loadSession(clientId);
    // An expired one is the store cleanup's (its will included).
    if (record === undefined || (record.expiresAt !== undefined && record.expiresAt <= Date.now()))
      return false;
    const queued = await store.queueUsage(clientId);
    if (this.local.sessions.has(clientId)) return false;
    this.local.restore(record, queued);
    this.host.counters.sessionsFromStore++;
    return true;
  }

  clear(): void {
    this.joined = false;
    this.inherited.clear();
    this.deferred.length = 0;
    this.local.clear();
    this.epochs.clear();
    for (const entry of [...this.pending.values()]) entry.done(undefined);
    this.pending.clear();
  }

  /** A control message of another node about sessions (take-over, hand-over). */
  async control(from: string, message: ControlMessage): Promise<void> {
    if (message.type === "hand-over") {
      this.pending.get(message.requestId)?.done(message.session);
      return;
    }
    if (message.type !== "take-over") return;
    // Asked of another node, and adopted here with that dead node's inbox: the requester
    // read the session from the store meanwhile (it may be this node's own request, and
    // giving the session up would end it here).
    if (message.to !== undefined && message.to !== this.host.bus.nodeId) return;
    let session: HandedOverSession | undefined;
    try {
      session = await this.giveUp(message.clientId, message.epoch);
    } catch (error) {
      if (!(error instanceof StaleEpochError)) throw error;
      this.host.warn("refused a stale take-over", error);
    }
    const reply: ControlMessage = {
      type: "hand-over",
      clientId: message.clientId,
      requestId: message.requestId,
      session,
    };
    await this.host.bus.send(from, CONTROL_CHANNEL, encodeControl(reply));
  }

  /**
   * Fence the session in a store shared by the nodes (`BrokerStore.fence`, when the
   * store has it): a stalled old owner cannot write the session after losing it.
   * A store holding a newer epoch means another node claimed it since: the CONNECT
   * is refused (the StaleEpochError reaches the caller).
   */
  private async fence(clientId: string, epoch: number): Promise<void> {
    const store = this.host.store;
    if (store.fence === undefined) return;
    try {
      await store.fence(clientId, epoch);
    } catch (error) {
      this.epochs.delete(clientId);
      this.host.counters.connectsRefused++;
      throw error;
    }
  }

  /**
   * Another node claimed `clientId` with `epoch`: close the connection here
   * (0x8E), and give the session away. Throws {@link StaleEpochError} when this
   * node's claim is newer than the requester's (the request is stale).
   */
  private async giveUp(clientId: string, epoch: number): Promise<HandedOverSession | undefined> {
    const mine = this.epochs.get(clientId);
    if (mine !== undefined && mine > epoch)
      throw new StaleEpochError(`take-over of ${clientId} at epoch ${epoch}, this node holds epoch ${mine}`);
    this.epochs.delete(clientId);
    const state = this.local.sessions.get(clientId);
    if (state === undefined) return undefined;
    // The connection ends as in a take-over on one broker: its will, the session
    // going offline (or ending, when it does not outlive the connection).
    state.connection?.disconnect(ReasonCode.SESSION_TAKEN_OVER);
    const offline = this.local.sessions.get(clientId);
    if (offline === undefined || offline.snapshot === undefined) return undefined;
    const record = sessionRecord(offline, offline.snapshot, offline.expiryInterval, undefined, true);
    const max = this.host.maxQueued || Number.MAX_SAFE_INTEGER;
    const queued = offline.queued > 0 ? await this.host.store.peekQueue(clientId, max) : [];
    // The session may have been claimed back here while the queue was read.
    if (this.local.sessions.get(clientId) !== offline || this.epochs.has(clientId)) return undefined;
    this.local.handOver(clientId, false);
    // Gone from the store (record and queue) before the new owner writes it (the store may be shared).
    await this.host.store.deleteSession(clientId);
    this.host.counters.sessionsHandedOver++;
    return { record, queued: queued.map(({ seq: _seq, ...q }) => q) };
  }

  /** Ask the old owner for the session; `undefined` when it has none or does not answer in time. */
  private requestHandOver(
    node: string,
    clientId: string,
    epoch: number,
  ): Promise<HandedOverSession | undefined> {
    if (this.pending.size >= this.host.maxPendingHandOvers)
      return Promise.reject(new ClusterUnavailableError("too many take-overs waiting for their hand-over"));
    const requestId = randomUUID();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => done(undefined), this.host.handOverTimeoutMs);
      const done = (session: HandedOverSession | undefined) => {
        clearTimeout(timer);
        this.pending.delete(requestId);
        resolve(session);
      };
      this.pending.set(requestId, { node, done });
      const request: ControlMessage = { type: "take-over", clientId, epoch, requestId, to: node };
      this.host.bus.send(node, CONTROL_CHANNEL, encodeControl(request)).catch((error: unknown) => {
        clearTimeout(timer);
        this.pending.delete(requestId);
        reject(error);
      });
    });
  }

  /** Make a handed-over session this node's: its queue into the store, then the session (subscriptions, in-flight state). */
  private async install(session: HandedOverSession): Promise<void> {
    const clientId = session.record.clientId;
    this.local.handOver(clientId);
    for (const q of session.queued) await this.host.store.enqueue(clientId, q);
    let bytes = 0;
    for (const q of session.queued) bytes += storedMessageSize(q);
    this.local.restore(session.record, { count: session.queued.length, bytes });
  }

  /** Claims of sessions that ended here without a release (expired offline) are forgotten now and then. */
  private pruneEpochs(): void {
    if (this.epochs.size <= 2 * this.local.sessions.size + 1000) return;
    for (const clientId of this.epochs.keys()) if (!this.local.sessions.has(clientId)) this.release(clientId);
  }

  private release(clientId: string): void {
    const epoch = this.epochs.get(clientId);
    if (epoch === undefined) return;
    this.epochs.delete(clientId);
    this.host.bus
      .releaseSession(clientId, epoch)
      .catch((error: unknown) => this.host.warn("releasing a session in the cluster failed", error));
  }
}

/** A will as other nodes keep it (no delay bookkeeping: it is published when the owner dies). */
function storedWill(will: Will): StoredWill {
  const out: StoredWill = { topic: will.topic, payload: will.payload, qos: will.qos, retain: will.retain };
  if (will.properties !== undefined) out.properties = will.properties;
  return out;
}
