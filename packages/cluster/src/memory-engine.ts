import {
  type ClusterEnvelope,
  type ClusterNode,
  type ClusterRoute,
  ClusterUnavailableError,
  type EngineStatus,
  InboxFullError,
  type NamedLease,
  type SessionClaim,
  type SessionOwnership,
} from "./contract.js";
import { CLUSTER_DEFAULTS } from "./options.js";
import { RouteTable } from "./route-table.js";

/** What the engine tells a running {@link MemoryClusterBus} (internal to this package). */
export interface MemoryNodeLink {
  readonly nodeId: string;
  readonly maxInboxEnvelopes: number;
  nodeUp(node: ClusterNode): void;
  nodeDown(nodeId: string): void;
  engineStatus(status: EngineStatus): void;
  /** The inbox has envelopes to deliver (or was released). */
  inboxReady(): void;
}

/** One stored envelope, numbered in its inbox's order. */
export interface InboxEntry {
  readonly seq: number;
  readonly envelope: ClusterEnvelope;
}

/**
 * A node's inbox in the engine: a queue of envelopes not delivered yet, and the
 * delivered ones waiting for their ack (by number), so delivering and acking are
 * O(1) however many are out.
 */
export class MemoryInbox {
  private queue: InboxEntry[] = [];
  private head = 0;
  private readonly out = new Map<number, InboxEntry>();
  private seq = 0;
  held = false;

  /** Envelopes held: not delivered plus delivered and not acknowledged. */
  get size(): number {
    return this.queue.length - this.head + this.out.size;
  }

  push(envelope: ClusterEnvelope): void {
    this.queue.push({ seq: ++this.seq, envelope });
  }

  /** The next envelope not delivered yet, now counted as out; `undefined` when none. */
  take(): InboxEntry | undefined {
    if (this.head >= this.queue.length) return undefined;
    const entry = this.queue[this.head] as InboxEntry;
    this.queue[this.head++] = undefined as unknown as InboxEntry;
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    this.out.set(entry.seq, entry);
    return entry;
  }

  /** The envelope is processed: gone for good. */
  ack(entry: InboxEntry): void {
    this.out.delete(entry.seq);
  }

  /** A new reader: every envelope out is to be delivered again, in the original order. */
  redeliver(): void {
    if (this.out.size === 0) return;
    const again = [...this.out.values()].sort((x, y) => x.seq - y.seq);
    this.out.clear();
    this.queue = [...again, ...this.queue.slice(this.head)];
    this.head = 0;
  }

  /** Empties the inbox, answering every envelope in order (for adoption). */
  drain(): ClusterEnvelope[] {
    this.redeliver();
    const all = this.queue.slice(this.head).map((e) => e.envelope);
    this.queue = [];
    this.head = 0;
    return all;
  }
}

/**
 * The shared state of one in-process cluster: membership, session owners with
 * epochs, routes and the nodes' inboxes. Create one, then one
 * `MemoryClusterBus` per node on it. Leases do not run out by themselves here
 * (all nodes live in one process): {@link expire} makes one lapse.
 *
 * Fault injection for tests: {@link setAvailable} (every call fails with
 * {@link ClusterUnavailableError}, buses raise `engineStatus`), {@link expire}
 * (lease lost), {@link duplicateNext} (an envelope stored twice, same id),
 * {@link hold} / {@link release} (a node's inbox stops and resumes delivering),
 * {@link holdSends} / {@link releaseSends} (writes to a node's inbox wait: a
 * stalled engine), {@link delayNextSend} (one write lands after later ones: a
 * retried or redirected command).
 */
export class MemoryClusterEngine {
  private up = true;
  private readonly links = new Map<string, MemoryNodeLink>();
  private readonly members = new Map<string, ClusterNode>();
  /** Nodes that joined and were not adopted since (members, and the dead waiting for an adopter). */
  private readonly joined = new Set<string>();
  private readonly owners = new Map<string, { nodeId: string | undefined; epoch: number }>();
  private readonly owned = new Map<string, Set<string>>();
  private readonly inboxes = new Map<string, MemoryInbox>();
  private readonly duplicates = new Map<string, number>();
  /** Named leases by name; a released one keeps its epoch with no holder. */
  private readonly leases = new Map<
    string,
    { nodeId: string | undefined; epoch: number; expiresAt: number; info: string | undefined }
  >();
  /** Sends waiting for {@link releaseSends}, per receiving node, in the order they were made. */
  private readonly heldSends = new Map<string, (() => void)[]>();
  /** Per receiving node, the gates its next sends wait for (see {@link delayNextSend}). */
  private readonly delayed = new Map<string, Promise<void>[]>();
  /** Each member's last published status (gone with its membership). */
  private readonly statuses = new Map<string, Uint8Array>();
  /** Every node's routes. */
  readonly routes = new RouteTable();

  /** Whether the engine answers now. */
  get available(): boolean {
    return this.up;
  }

  /** Make the engine unreachable (`false`: every call fails) or reachable again; buses raise `engineStatus`. */
  setAvailable(available: boolean): void {
    if (available === this.up) return;
    this.up = available;
    const status: EngineStatus = available ? "up" : "down";
    for (const link of [...this.links.values()]) link.engineStatus(status);
    if (available) for (const link of [...this.links.values()]) link.inboxReady();
  }

  /** The node's lease lapses now, as after a crash or a stall: every other node sees `nodeDown`, the node itself too. */
  expire(nodeId: string): void {
    if (!this.members.delete(nodeId)) return;
    this.statuses.delete(nodeId);
    this.routes.removeNode(nodeId);
    const expired = this.links.get(nodeId);
    this.links.delete(nodeId);
    expired?.nodeDown(nodeId);
    for (const link of [...this.links.values()]) link.nodeDown(nodeId);
  }

  /** The next `count` envelopes sent to `nodeId` are stored twice (same id): the engine's at-least-once. */
  duplicateNext(nodeId: string, count = 1): void {
    this.duplicates.set(nodeId, (this.duplicates.get(nodeId) ?? 0) + count);
  }

  /** `nodeId`'s inbox stops delivering (a stalled reader); sends still land in it. */
  hold(nodeId: string): void {
    this.inbox(nodeId).held = true;
  }

  /** `nodeId`'s inbox delivers again. */
  release(nodeId: string): void {
    this.inbox(nodeId).held = false;
    this.links.get(nodeId)?.inboxReady();
  }

  /**
   * Sends to `nodeId` wait from now on, neither stored nor answered (an engine
   * that stalls on writes), until {@link releaseSends}.
   */
  holdSends(nodeId: string): void {
    if (!this.heldSends.has(nodeId)) this.heldSends.set(nodeId, []);
  }

  /** Sends to `nodeId` are stored again; the held ones first, in the order they were made. */
  releaseSends(nodeId: string): void {
    const held = this.heldSends.get(nodeId);
    this.heldSends.delete(nodeId);
    for (const store of held ?? []) store();
  }

  /**
   * The next send to `nodeId` waits until the returned function is called;
   * sends made meanwhile are stored before it (as a real engine may answer a
   * retried or redirected command after later ones).
   */
  delayNextSend(nodeId: string): () => void {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const gates = this.delayed.get(nodeId) ?? [];
    gates.push(gate);
    this.delayed.set(nodeId, gates);
    return release;
  }

  /** Sends still held by {@link holdSends} for `nodeId`. */
  heldSendCount(nodeId: string): number {
    return this.heldSends.get(nodeId)?.length ?? 0;
  }

  /** Envelopes stored for `nodeId` and not acknowledged (delivered or not). */
  inboxLength(nodeId: string): number {
    return this.inboxes.get(nodeId)?.size ?? 0;
  }

  // ---- what MemoryClusterBus calls (each call checks availability first) ----

  /** @internal */
  check(): void {
    if (!this.up) throw new ClusterUnavailableError("the in-memory cluster engine is unavailable");
  }

  /** @internal */
  join(link: MemoryNodeLink, now: number): ClusterNode {
    this.check();
    if (this.links.has(link.nodeId))
      throw new ClusterUnavailableError(`node ${link.nodeId} is already running on this engine`);
    const node: ClusterNode = { nodeId: link.nodeId, joinedAt: now, leaseExpiresAt: Number.MAX_SAFE_INTEGER };
    this.members.set(link.nodeId, node);
    this.joined.add(link.nodeId);
    this.links.set(link.nodeId, link);
    // A fresh start: routes of an earlier run of this node are gone, its inbox is read again from the start.
    this.routes.removeNode(link.nodeId);
    this.inbox(link.nodeId).redeliver();
    for (const other of this.links.values()) if (other !== link) other.nodeUp(node);
    return node;
  }

  /** @internal */
  leave(nodeId: string): void {
    this.check();
    this.links.delete(nodeId);
    this.statuses.delete(nodeId);
    if (!this.members.delete(nodeId)) return;
    this.routes.removeNode(nodeId);
    for (const link of [...this.links.values()]) link.nodeDown(nodeId);
  }

  /** @internal */
  detach(nodeId: string): void {
    this.links.delete(nodeId);
  }

  /** @internal */
  setStatus(nodeId: string, body: Uint8Array): void {
    this.check();
    if (this.members.has(nodeId)) this.statuses.set(nodeId, body);
  }

  /** @internal */
  statusesOf(nodeIds: readonly string[]): Map<string, Uint8Array> {
    this.check();
    const out = new Map<string, Uint8Array>();
    for (const id of nodeIds) {
      const body = this.statuses.get(id);
      if (body !== undefined && this.members.has(id)) out.set(id, body.slice());
    }
    return out;
  }

  /** @internal */
  isMember(nodeId: string): boolean {
    return this.members.has(nodeId);
  }

  /** @internal */
  memberList(): ClusterNode[] {
    return [...this.members.values()];
  }

  /** @internal */
  claim(nodeId: string, clientId: string): SessionClaim {
    this.check();
    const owner = this.owners.get(clientId) ?? { nodeId: undefined, epoch: 0 };
    const previous: SessionOwnership | undefined =
      owner.nodeId === undefined ? undefined : { nodeId: owner.nodeId, epoch: owner.epoch };
    if (owner.nodeId !== undefined) this.owned.get(owner.nodeId)?.delete(clientId);
    owner.nodeId = nodeId;
    owner.epoch++;
    this.owners.set(clientId, owner);
    let set = this.owned.get(nodeId);
    if (set === undefined) {
      set = new Set();
      this.owned.set(nodeId, set);
    }
    set.add(clientId);
    return { ownership: { nodeId, epoch: owner.epoch }, previous };
  }

  /** @internal */
  owner(clientId: string): SessionOwnership | undefined {
    this.check();
    const owner = this.owners.get(clientId);
    return owner?.nodeId === undefined ? undefined : { nodeId: owner.nodeId, epoch: owner.epoch };
  }

  /** @internal */
  acquireLease(nodeId: string, name: string, ttlMs: number, info: string | undefined): NamedLease {
    this.check();
    const now = Date.now();
    const lease = this.leases.get(name) ?? { nodeId: undefined, epoch: 0, expiresAt: 0, info: undefined };
    const live = lease.nodeId !== undefined && lease.expiresAt >= now;
    if (!live || lease.nodeId === nodeId) {
      if (!live) lease.epoch++;
      lease.nodeId = nodeId;
      lease.expiresAt = now + ttlMs;
      lease.info = info;
      this.leases.set(name, lease);
    }
    return {
      name,
      nodeId: lease.nodeId as string,
      epoch: lease.epoch,
      expiresAt: lease.expiresAt,
      info: lease.info,
    };
  }

  /** @internal */
  releaseLease(nodeId: string, name: string, epoch: number): boolean {
    this.check();
    const lease = this.leases.get(name);
    if (
      lease === undefined ||
      lease.nodeId !== nodeId ||
      lease.epoch !== epoch ||
      lease.expiresAt < Date.now()
    )
      return false;
    lease.nodeId = undefined;
    return true;
  }

  /** Fault injection: the named lease lapses now (its holder stalled past it). */
  expireLease(name: string): void {
    const lease = this.leases.get(name);
    if (lease !== undefined) lease.expiresAt = Date.now() - 1;
  }

  /** @internal */
  releaseSession(clientId: string, epoch: number): boolean {
    this.check();
    const owner = this.owners.get(clientId);
    if (owner?.nodeId === undefined || owner.epoch !== epoch) return false;
    this.owned.get(owner.nodeId)?.delete(clientId);
    // The epoch stays: the next claim continues from it (monotonic per client id).
    owner.nodeId = undefined;
    return true;
  }

  /** @internal */
  adopt(adopter: string, nodeId: string): boolean {
    this.check();
    if (nodeId === adopter || this.members.has(nodeId) || !this.joined.has(nodeId)) return false;
    this.joined.delete(nodeId);
    return true;
  }

  /** @internal */
  ownedBy(nodeId: string): string[] {
    this.check();
    return [...(this.owned.get(nodeId) ?? [])];
  }

  /** @internal */
  addRoute(nodeId: string, route: ClusterRoute): void {
    this.check();
    this.routes.add(nodeId, route);
  }

  /** @internal */
  removeRoute(nodeId: string, route: ClusterRoute): void {
    this.check();
    this.routes.remove(nodeId, route);
  }

  /**
   * Store `envelope` in `to`'s inbox; a promise when a fault injection makes
   * the write wait (it settles once stored, or with the store's error).
   * @internal
   */
  send(to: string, envelope: ClusterEnvelope): void | Promise<void> {
    this.check();
    const gate = this.delayed.get(to)?.shift();
    if (gate !== undefined) return gate.then(() => this.store(to, envelope));
    const held = this.heldSends.get(to);
    if (held !== undefined)
      return new Promise<void>((resolve, reject) => {
        held.push(() => {
          try {
            this.store(to, envelope);
            resolve();
          } catch (error) {
            reject(error);
          }
        });
      });
    this.store(to, envelope);
  }

  private store(to: string, envelope: ClusterEnvelope): void {
    this.check();
    const inbox = this.inbox(to);
    const limit = this.links.get(to)?.maxInboxEnvelopes ?? CLUSTER_DEFAULTS.maxInboxEnvelopes;
    if (inbox.size >= limit) throw new InboxFullError(to, limit);
    inbox.push(envelope);
    const dup = this.duplicates.get(to) ?? 0;
    if (dup > 0) {
      this.duplicates.set(to, dup - 1);
      if (inbox.size < limit) inbox.push(envelope);
    }
    this.links.get(to)?.inboxReady();
  }

  /** @internal */
  moveInbox(from: string, to: string): number {
    this.check();
    const source = this.inboxes.get(from);
    if (source === undefined || from === to) return 0;
    const moved = source.drain();
    const target = this.inbox(to);
    for (const envelope of moved) target.push(envelope);
    if (moved.length > 0) this.links.get(to)?.inboxReady();
    return moved.length;
  }

  /** @internal */
  inbox(nodeId: string): MemoryInbox {
    let inbox = this.inboxes.get(nodeId);
    if (inbox === undefined) {
      inbox = new MemoryInbox();
      this.inboxes.set(nodeId, inbox);
    }
    return inbox;
  }

  /** @internal */
  ack(nodeId: string, entry: InboxEntry): void {
    this.inboxes.get(nodeId)?.ack(entry);
  }
}
