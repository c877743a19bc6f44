import {
  type ClusterBus,
  type ClusterEvents,
  type ClusterNode,
  type ClusterOptions,
  type ClusterRoute,
  ClusterUnavailableError,
  type EngineStatus,
  MAX_NODE_STATUS_BYTES,
  type NamedLease,
  NodeStatusTooLargeError,
  type RouteMatch,
  type SessionClaim,
  type SessionOwnership,
} from "./contract.js";
import type { InboxEntry, MemoryClusterEngine, MemoryNodeLink } from "./memory-engine.js";
import { type ResolvedClusterOptions, resolveClusterOptions } from "./options.js";

type State = "new" | "running" | "expelled" | "stopped";

/**
 * One node of an in-process cluster on a {@link MemoryClusterEngine}: for tests,
 * and for several brokers in one process. Events are raised asynchronously
 * (never from inside the call that caused them). Envelopes are delivered in
 * order, at most `maxUnackedEnvelopes` unacknowledged at a time (reading pauses
 * beyond); a new bus of the same node id gets the unacknowledged ones again.
 */
export class MemoryClusterBus implements ClusterBus {
  readonly nodeId: string;
  private readonly options: ResolvedClusterOptions;
  private events: ClusterEvents | undefined;
  private state: State = "new";
  private engineUp: boolean;
  /** Per start: acks of an earlier run (or of a crashed reader) are ignored. */
  private run = 0;
  private unacked = 0;
  private pumpScheduled = false;
  private sent = 0;
  // The global Web Crypto, not `node:crypto`: importing this module (every broker
  // does) then loads no crypto code until a bus is made.
  private readonly idPrefix = globalThis.crypto.randomUUID();
  private readonly link: MemoryNodeLink;

  constructor(
    private readonly engine: MemoryClusterEngine,
    options: ClusterOptions,
  ) {
    this.options = resolveClusterOptions(options);
    this.nodeId = this.options.nodeId;
    this.engineUp = engine.available;
    this.link = {
      nodeId: this.nodeId,
      maxInboxEnvelopes: this.options.maxInboxEnvelopes,
      nodeUp: (node) => this.raise((e) => e.nodeUp(node)),
      nodeDown: (nodeId) => {
        if (nodeId === this.nodeId) this.state = "expelled";
        this.raise((e) => e.nodeDown(nodeId));
      },
      engineStatus: (status) => {
        this.engineUp = status === "up";
        this.raise((e) => e.engineStatus(status));
      },
      inboxReady: () => this.schedulePump(),
    };
  }

  /** The resolved options (defaults filled in). */
  get resolvedOptions(): ResolvedClusterOptions {
    return this.options;
  }

  get status(): EngineStatus {
    return this.engineUp && this.state !== "expelled" ? "up" : "down";
  }

  async start(events: ClusterEvents): Promise<void> {
    if (this.state !== "new" && this.state !== "stopped")
      throw new ClusterUnavailableError(`node ${this.nodeId} is already started`);
    this.engine.join(this.link, Date.now());
    this.events = events;
    this.state = "running";
    this.engineUp = true;
    this.run++;
    this.unacked = 0;
    this.schedulePump();
  }

  async stop(): Promise<void> {
    if (this.state === "running") this.engine.leave(this.nodeId);
    else this.engine.detach(this.nodeId);
    this.state = "stopped";
    this.events = undefined;
    this.run++;
  }

  nodes(): readonly ClusterNode[] {
    return this.state === "running" ? this.engine.memberList() : [];
  }

  async claimSession(clientId: string): Promise<SessionClaim> {
    this.ready();
    return this.engine.claim(this.nodeId, clientId);
  }

  async sessionOwner(clientId: string): Promise<SessionOwnership | undefined> {
    this.ready();
    return this.engine.owner(clientId);
  }

  async releaseSession(clientId: string, epoch: number): Promise<boolean> {
    this.ready();
    return this.engine.releaseSession(clientId, epoch);
  }

  async acquireLease(name: string, ttlMs: number, info?: string): Promise<NamedLease> {
    this.ready();
    return this.engine.acquireLease(this.nodeId, name, ttlMs, info);
  }

  async releaseLease(name: string, epoch: number): Promise<boolean> {
    this.ready();
    return this.engine.releaseLease(this.nodeId, name, epoch);
  }

  async adoptNode(nodeId: string): Promise<boolean> {
    this.ready();
    return this.engine.adopt(this.nodeId, nodeId);
  }

  async sessionsOwnedBy(nodeId: string): Promise<readonly string[]> {
    this.ready();
    return this.engine.ownedBy(nodeId);
  }

  async adoptInbox(nodeId: string): Promise<number> {
    this.ready();
    return this.engine.moveInbox(nodeId, this.nodeId);
  }

  async addRoute(route: ClusterRoute): Promise<void> {
    this.ready();
    this.engine.addRoute(this.nodeId, route);
  }

  async removeRoute(route: ClusterRoute): Promise<void> {
    this.ready();
    this.engine.removeRoute(this.nodeId, route);
  }

  match(topic: string): RouteMatch {
    return this.engine.routes.match(topic, this.nodeId);
  }

  async publishStatus(body: Uint8Array): Promise<void> {
    this.ready();
    if (body.length > MAX_NODE_STATUS_BYTES)
      throw new NodeStatusTooLargeError(body.length, MAX_NODE_STATUS_BYTES);
    this.engine.setStatus(this.nodeId, body.slice());
  }

  async nodeStatuses(nodeIds: readonly string[]): Promise<ReadonlyMap<string, Uint8Array>> {
    this.ready();
    return this.engine.statusesOf(nodeIds);
  }

  async send(nodeId: string, channel: string, body: Uint8Array): Promise<void> {
    this.ready();
    const id = `${this.idPrefix}-${++this.sent}`;
    // The engine keeps its own copy: the caller may reuse its buffer.
    await this.engine.send(nodeId, { from: this.nodeId, channel, id, body: body.slice() });
  }

  /** Throws unless running and the engine answers. */
  private ready(): void {
    if (this.state !== "running")
      throw new ClusterUnavailableError(
        this.state === "expelled"
          ? `node ${this.nodeId} lost its lease; stop() and start() it again`
          : `node ${this.nodeId} is not started`,
      );
    this.engine.check();
  }

  private raise(call: (events: ClusterEvents) => void): void {
    const events = this.events;
    if (events === undefined) return;
    queueMicrotask(() => {
      if (this.events === events) call(events);
    });
  }

  private schedulePump(): void {
    if (this.pumpScheduled || this.state !== "running") return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  /** Hands undelivered envelopes to the node, in order, while under the unacknowledged bound. */
  private pump(): void {
    const events = this.events;
    if (events === undefined || this.state !== "running" || !this.engine.available) return;
    const inbox = this.engine.inbox(this.nodeId);
    if (inbox.held) return;
    const run = this.run;
    while (this.unacked < this.options.maxUnackedEnvelopes) {
      const entry = inbox.take();
      if (entry === undefined) return;
      this.unacked++;
      events.envelope(entry.envelope, this.acker(entry, run));
      if (this.run !== run || this.state !== "running" || inbox.held || !this.engine.available) return;
    }
  }

  private acker(entry: InboxEntry, run: number): () => void {
    let done = false;
    return () => {
      if (done || run !== this.run) return;
      done = true;
      this.unacked--;
      this.engine.ack(this.nodeId, entry);
      this.schedulePump();
    };
  }
}
