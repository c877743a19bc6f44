import type { ClusterBus, ClusterEnvelope } from "@amqtt/cluster";
import { randomUUID } from "../lazy-crypto.js";
import type { Logger } from "../logger.js";
import type { BrokerContext, SessionInfo } from "../plugins/context-types.js";
import {
  ADMIN_CHANNEL,
  type AdminAnswers,
  type AdminMessage,
  type AdminRequest,
  decodeAdmin,
  encodeAdmin,
  MAX_REMOTE_PAGE,
  type RemotePage,
} from "./admin-messages.js";
import {
  type NodeBridgeStatus,
  type NodeStatusSnapshot,
  type SnapshotSources,
  takeSnapshot,
} from "./node-status.js";

/** Timing and bounds of the cluster view. */
export interface ClusterViewOptions {
  /** How often this node publishes its status snapshot to the engine, in ms (default 2,000; the engine keeps it for a lease). */
  statusIntervalMs?: number;
  /** Longest wait for another node's answer, in ms (default 5,000). */
  requestTimeoutMs?: number;
  /** Requests to other nodes waiting for their answer at once, at most (default 1,000). */
  maxPendingRequests?: number;
}

/** Defaults of {@link ClusterViewOptions}. */
export const CLUSTER_VIEW_DEFAULTS = {
  statusIntervalMs: 2000,
  requestTimeoutMs: 5000,
  maxPendingRequests: 1000,
} as const;

/** One live node of the cluster as this node sees it. */
export interface ClusterNodeView {
  nodeId: string;
  /** True for the node answering. */
  self: boolean;
  /** Wall-clock ms when it joined. */
  joinedAt: number;
  /** Wall-clock ms at which its lease expires unless renewed. */
  leaseExpiresAt: number;
  /** Its last status snapshot, `undefined` while the engine holds none (not yet published, or lapsed with a stall). */
  status: NodeStatusSnapshot | undefined;
}

/** Another node did not answer within the request timeout (it may be stalled, or the engine is down). */
export class ClusterRequestTimeoutError extends Error {
  override name = "ClusterRequestTimeoutError";
  constructor(
    readonly nodeId: string,
    readonly timeoutMs: number,
  ) {
    super(`node ${nodeId} did not answer within ${timeoutMs} ms`);
  }
}

/** `maxPendingRequests` requests are waiting for answers already; this one was not sent. */
export class TooManyClusterRequestsError extends Error {
  override name = "TooManyClusterRequestsError";
  constructor(readonly limit: number) {
    super(`${limit} requests to other nodes are waiting already (maxPendingRequests)`);
  }
}

/** Another node answered a request with an error. */
export class RemoteRequestError extends Error {
  override name = "RemoteRequestError";
  constructor(
    readonly nodeId: string,
    message: string,
  ) {
    super(`node ${nodeId}: ${message}`);
  }
}

interface Pending {
  nodeId: string;
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The request as sent: addressed, and ignored once its requester stopped waiting. */
type AddressedRequest = AdminRequest & { to: string; deadline: number };

/**
 * The cluster as an admin surface sees it (`broker.cluster`): every live node
 * with its lease and last status snapshot, and requests to another node's
 * broker (list its clients and sessions, show or disconnect a client), over
 * the bus's `admin` channel. Every node publishes its snapshot to the engine
 * every `statusIntervalMs` (`ClusterBus.publishStatus`: kept for a lease); a
 * request waits `requestTimeoutMs` at most, and is ignored by its receiver
 * past that deadline (a late disconnect never happens).
 */
export class ClusterView {
  private readonly pending = new Map<string, Pending>();
  private timer: NodeJS.Timeout | undefined;
  private bridgeSource: (() => readonly NodeBridgeStatus[]) | undefined;
  private readonly options: Required<ClusterViewOptions>;
  private readonly sources: SnapshotSources;

  constructor(
    private readonly bus: ClusterBus,
    private readonly context: BrokerContext,
    private readonly logger: Logger,
    sources: Omit<SnapshotSources, "bridges" | "context" | "nodeId" | "engine">,
    options: ClusterViewOptions = {},
  ) {
    this.options = { ...CLUSTER_VIEW_DEFAULTS, ...options };
    this.sources = {
      ...sources,
      context,
      get nodeId() {
        return bus.nodeId;
      },
      engine: () => bus.status,
      bridges: () => this.bridgeSource?.() ?? [],
    };
  }

  /** This node's id. */
  get nodeId(): string {
    return this.bus.nodeId;
  }

  /** Timing and bounds in force. */
  get settings(): Readonly<Required<ClusterViewOptions>> {
    return this.options;
  }

  /** Where snapshots read the bridges of this process (`@amqtt/admin` sets it from its `bridges` option). */
  setBridgeSource(source: (() => readonly NodeBridgeStatus[]) | undefined): void {
    this.bridgeSource = source;
  }

  /** Start sending snapshots (the broker calls it once the node joined). */
  start(): void {
    this.stop();
    this.publish();
    this.timer = setInterval(() => this.publish(), this.options.statusIntervalMs);
    this.timer.unref();
  }

  /** Stop sending snapshots; waiting requests fail. */
  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new RemoteRequestError(p.nodeId, "this node is leaving the cluster"));
      this.pending.delete(id);
    }
  }

  /** This node's snapshot now. */
  snapshot(): NodeStatusSnapshot {
    return takeSnapshot(this.sources);
  }

  /**
   * Every live node (this one first), with its lease and the snapshot the
   * engine holds for it (this node's taken now). Rejects with the bus's error
   * when the engine cannot answer.
   */
  async nodes(): Promise<ClusterNodeView[]> {
    const live = this.bus.nodes();
    const others = live.map((n) => n.nodeId).filter((id) => id !== this.bus.nodeId);
    const stored =
      this.bus.nodeStatuses === undefined || others.length === 0
        ? new Map<string, Uint8Array>()
        : await this.bus.nodeStatuses(others);
    const views = live.map((n) => {
      const self = n.nodeId === this.bus.nodeId;
      const body = stored.get(n.nodeId);
      return {
        nodeId: n.nodeId,
        self,
        joinedAt: n.joinedAt,
        leaseExpiresAt: n.leaseExpiresAt,
        status: self ? this.snapshot() : body === undefined ? undefined : this.readSnapshot(n.nodeId, body),
      };
    });
    return views.sort((a, b) => (a.self ? -1 : b.self ? 1 : a.nodeId < b.nodeId ? -1 : 1));
  }

  /** The ids of the live nodes (this one included), from this node's view of the membership. */
  liveNodes(): string[] {
    return this.bus.nodes().map((n) => n.nodeId);
  }

  private readSnapshot(nodeId: string, body: Uint8Array): NodeStatusSnapshot | undefined {
    try {
      const snapshot = JSON.parse(decoder.decode(body)) as NodeStatusSnapshot;
      return snapshot?.nodeId === nodeId ? snapshot : undefined;
    } catch (error) {
      this.logger.warn("a node's status snapshot could not be read", { node: nodeId, error: String(error) });
      return undefined;
    }
  }

  /** The node owning `clientId`'s session, from the cluster's session registry. */
  async owner(clientId: string): Promise<string | undefined> {
    return (await this.bus.sessionOwner(clientId))?.nodeId;
  }

  /**
   * Ask another node (or this one, answered locally) one request. Rejects with
   * {@link ClusterRequestTimeoutError}, {@link TooManyClusterRequestsError},
   * {@link RemoteRequestError}, or the bus's error when the engine did not take it.
   */
  async ask<K extends AdminRequest["kind"]>(
    nodeId: string,
    request: AdminRequest & { kind: K },
  ): Promise<AdminAnswers[K]> {
    if (nodeId === this.bus.nodeId) return this.answer(request) as AdminAnswers[K];
    if (this.pending.size >= this.options.maxPendingRequests)
      throw new TooManyClusterRequestsError(this.options.maxPendingRequests);
    const requestId = randomUUID();
    const timeoutMs = this.options.requestTimeoutMs;
    const addressed: AddressedRequest = { ...request, to: nodeId, deadline: Date.now() + timeoutMs };
    const answer = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(requestId);
        reject(new ClusterRequestTimeoutError(nodeId, timeoutMs));
      }, timeoutMs);
      timer.unref();
      this.pending.set(requestId, { nodeId, resolve, reject, timer });
    });
    try {
      await this.bus.send(
        nodeId,
        ADMIN_CHANNEL,
        encodeAdmin({ type: "request", requestId, request: addressed }),
      );
    } catch (error) {
      const p = this.pending.get(requestId);
      if (p !== undefined) clearTimeout(p.timer);
      this.pending.delete(requestId);
      answer.catch(() => undefined);
      throw error;
    }
    return (await answer) as AdminAnswers[K];
  }

  /** Requests waiting for an answer now. */
  get pendingRequests(): number {
    return this.pending.size;
  }

  /** An envelope of the admin channel (the cluster node hands them over). */
  receive(envelope: ClusterEnvelope): void {
    const message = decodeAdmin(envelope.body);
    if (message.type === "answer") this.settle(message);
    else if (message.type === "request") this.serve(envelope.from, message.requestId, message.request);
  }

  private settle(message: { requestId: string; value?: unknown; error?: string }): void {
    const p = this.pending.get(message.requestId);
    if (p === undefined) return; // timed out already, or moved here from a dead node's inbox
    this.pending.delete(message.requestId);
    clearTimeout(p.timer);
    if (message.error !== undefined) p.reject(new RemoteRequestError(p.nodeId, message.error));
    else p.resolve(message.value);
  }

  private serve(from: string, requestId: string, request: Partial<AddressedRequest> & AdminRequest): void {
    // Addressed to another node (moved here from its inbox after it died), or too late to matter.
    if (request.to !== this.bus.nodeId || !(Date.now() <= (request.deadline ?? 0))) return;
    let reply: AdminMessage;
    try {
      reply = { type: "answer", requestId, value: this.answer(request) };
    } catch (error) {
      reply = { type: "answer", requestId, error: error instanceof Error ? error.message : String(error) };
    }
    this.bus.send(from, ADMIN_CHANNEL, encodeAdmin(reply)).catch((error: unknown) => {
      this.logger.warn("an answer to another node's admin request was not sent", {
        node: from,
        error: String(error),
      });
    });
  }

  private answer(request: AdminRequest): AdminAnswers[AdminRequest["kind"]] {
    const context = this.context;
    switch (request.kind) {
      case "clients": {
        const search = request.search?.toLowerCase();
        return pageOf(
          context
            .sessions()
            .filter(
              (s) =>
                s.online &&
                (request.protocol === undefined || String(s.protocolVersion) === request.protocol) &&
                (request.listener === undefined || s.listener === request.listener) &&
                (search === undefined ||
                  s.clientId.toLowerCase().includes(search) ||
                  (s.username ?? "").toLowerCase().includes(search)),
            ),
          request.page,
        );
      }
      case "sessions":
        return pageOf(
          context
            .sessions()
            .filter((s) => request.state === undefined || s.online === (request.state === "online")),
          request.page,
        );
      case "client": {
        const session = context.session(request.clientId);
        return session === undefined
          ? null
          : { session, subscriptions: context.subscriptions(request.clientId) };
      }
      case "disconnect":
        return context.disconnect(request.clientId, request.reason);
    }
  }

  private publish(): void {
    const publish = this.bus.publishStatus;
    if (publish === undefined) return; // an engine without statuses: other nodes show this one without a snapshot
    const body = encoder.encode(JSON.stringify(this.snapshot()));
    publish.call(this.bus, body).catch((error: unknown) => {
      // While the engine is down every call fails: the outage is logged by the cluster node.
      // A snapshot over the engine's bound is this node's fault: said loudly.
      const tooLarge = error instanceof Error && error.name === "NodeStatusTooLargeError";
      this.logger[tooLarge ? "warn" : "debug"]("this node's status snapshot was not published", {
        error: String(error),
      });
    });
  }
}

/** Sessions in client id order after `page.after`, at most `page.limit` (and {@link MAX_REMOTE_PAGE}). */
function pageOf(sessions: SessionInfo[], page: RemotePage): SessionInfo[] {
  const limit = Math.min(Math.max(1, page.limit), MAX_REMOTE_PAGE);
  const after = page.after;
  return sessions
    .filter((s) => after === undefined || s.clientId > after)
    .sort((a, b) => (a.clientId < b.clientId ? -1 : a.clientId > b.clientId ? 1 : 0))
    .slice(0, limit);
}
