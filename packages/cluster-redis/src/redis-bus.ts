import { randomUUID } from "node:crypto";
import {
  CLUSTER_DEFAULTS,
  type ClusterBus,
  type ClusterEvents,
  type ClusterNode,
  type ClusterOptions,
  ClusterOptionsError,
  type ClusterRoute,
  ClusterUnavailableError,
  type EngineStatus,
  InboxFullError,
  MAX_NODE_STATUS_BYTES,
  type NamedLease,
  NodeStatusTooLargeError,
  type ResolvedClusterOptions,
  type RouteMatch,
  RouteTable,
  resolveClusterOptions,
  routeFromKey,
  routeKey,
  type SessionClaim,
  type SessionOwnership,
} from "@amqtt/cluster";
import {
  connectedClient,
  createRedisClient,
  describeTarget,
  isConnectionFailure,
  type RedisClient,
  type RedisTarget,
  unavailable,
} from "./connection.js";
import { Deadlines, withTimeout } from "./deadlines.js";
import { InboxReader } from "./inbox-reader.js";
import { ClusterKeys, INBOX_GROUP } from "./keys.js";
import { MembershipView, parseSnapshot } from "./membership.js";
import { RouteConfirmations } from "./route-sync.js";
import { defineScripts, runScript } from "./scripts.js";

/** Options of {@link RedisClusterBus}: the contract's options, where the engine is, and a key prefix. */
export interface RedisClusterBusOptions extends ClusterOptions, RedisTarget {
  /** Prefix of every key and channel (default `amqtt:`), so several clusters share one engine. */
  readonly keyPrefix?: string;
  /** How long one blocking read of the inbox waits (default 1,000 ms; stop() waits at most this). */
  readonly blockMs?: number;
  /**
   * Most engine calls of this node in flight at once (default 10,000); beyond it a
   * call fails at once with `ClusterUnavailableError` instead of queueing without
   * bound behind a stalled engine.
   */
  readonly maxPendingCalls?: number;
}

/** The default of {@link RedisClusterBusOptions.maxPendingCalls}. */
export const DEFAULT_MAX_PENDING_CALLS = 10_000;

/** The default key prefix. */
export const DEFAULT_KEY_PREFIX = "amqtt:";

type State = "new" | "running" | "expelled" | "stopped";

const SEP = "\u0000";

/** Most nodes whose route changes this node has seen before it knew them live, awaiting a reload to confirm. */
const MAX_UNCONFIRMED_NODES = 1_000;

/**
 * Calls the node's handler; an exception of the handler is rethrown outside the
 * bus (an uncaught error, as from any event handler) instead of being taken for
 * an engine failure.
 */
function raise(call: () => void): void {
  try {
    call();
  } catch (error) {
    queueMicrotask(() => {
      throw error;
    });
  }
}

/**
 * The cluster contract on Redis 7 / Valkey, a single server or a Redis Cluster
 * (see the package README for the key layout). Leases are kept on the engine's
 * clock (`TIME` in the scripts); every command is bounded by `requestTimeoutMs`
 * and fails with `ClusterUnavailableError`; three connections per node: commands,
 * pub/sub (route and membership changes), and the blocking inbox reader.
 */
export class RedisClusterBus implements ClusterBus {
  readonly nodeId: string;
  private readonly options: ResolvedClusterOptions;
  private readonly keys: ClusterKeys;
  private readonly blockMs: number;
  private state: State = "new";
  private engine: EngineStatus = "up";
  private events: ClusterEvents | undefined;
  private client: RedisClient | undefined;
  private subscriber: RedisClient | undefined;
  private reader: InboxReader | undefined;
  private joinedAt = "";
  private readonly view: MembershipView;
  private readonly routes = new RouteTable();
  /** Route changes received while the table is being (re)loaded, applied after the last reload ends. */
  private buffered: string[] | undefined;
  /** Reloads in progress (a joining node's load may overlap a full reload). */
  private reloads = 0;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private heartbeatRunning = false;
  /** Counts starts; a timed-out start's late steps see a newer count and stop. */
  private attempts = 0;
  /** A heartbeat was asked for while one ran (a membership change): run again right after. */
  private heartbeatAgain = false;
  private graceUntil = 0;
  private readonly idPrefix = randomUUID();
  private sent = 0;
  private readonly deadlines: Deadlines;
  private readonly maxPendingCalls: number;
  /** The route-version barrier: this node's route additions wait for every live node's confirmation. */
  private readonly confirmations: RouteConfirmations;
  /** Highest route sequence per node seen while that node was not live here: confirmed after its routes load. */
  private readonly unconfirmed = new Map<string, number>();

  constructor(private readonly settings: RedisClusterBusOptions) {
    this.options = resolveClusterOptions(settings);
    this.deadlines = new Deadlines(this.options.requestTimeoutMs);
    this.maxPendingCalls = settings.maxPendingCalls ?? DEFAULT_MAX_PENDING_CALLS;
    if (!Number.isInteger(this.maxPendingCalls) || this.maxPendingCalls <= 0)
      throw new ClusterOptionsError(
        `maxPendingCalls must be a positive integer (got ${this.maxPendingCalls})`,
      );
    this.nodeId = this.options.nodeId;
    this.keys = new ClusterKeys(settings.keyPrefix ?? DEFAULT_KEY_PREFIX);
    this.blockMs = settings.blockMs ?? 1_000;
    this.view = new MembershipView(this.nodeId);
    this.confirmations = new RouteConfirmations(this.options.requestTimeoutMs);
  }

  /** The resolved options (defaults filled in). */
  get resolvedOptions(): ResolvedClusterOptions {
    return this.options;
  }

  /** Where the engine is, without credentials. */
  get target(): string {
    return describeTarget(this.settings);
  }

  get status(): EngineStatus {
    return this.state === "expelled" ? "down" : this.engine;
  }

  async start(events: ClusterEvents): Promise<void> {
    if (this.state !== "new" && this.state !== "stopped")
      throw new ClusterUnavailableError(`node ${this.nodeId} is already started`);
    const connectMs = Math.max(this.options.requestTimeoutMs, 1_000);
    const connections = await Promise.allSettled([
      connectedClient(() => {
        const c = createRedisClient(this.settings, this.options.requestTimeoutMs);
        defineScripts(c);
        return c;
      }, connectMs),
      connectedClient(() => createRedisClient(this.settings, this.options.requestTimeoutMs), connectMs),
      connectedClient(
        () => createRedisClient(this.settings, this.blockMs + this.options.requestTimeoutMs),
        connectMs,
      ),
    ]);
    const failure = connections.find((c) => c.status === "rejected");
    if (failure !== undefined) {
      for (const c of connections) if (c.status === "fulfilled") c.value.disconnect();
      throw unavailable("start (connecting)", (failure as PromiseRejectedResult).reason);
    }
    const [client, subscriber, reader] = connections.map(
      (c) => (c as PromiseFulfilledResult<RedisClient>).value,
    ) as [RedisClient, RedisClient, RedisClient];
    this.client = client;
    this.subscriber = subscriber;
    try {
      // The whole join is bounded: an engine that stalls half way must not hang start().
      await withTimeout(
        this.join(client, subscriber, events, ++this.attempts),
        6 * this.options.requestTimeoutMs,
        "start",
      );
    } catch (error) {
      this.attempts++;
      this.state = "stopped";
      this.events = undefined;
      this.clearHeartbeat();
      for (const c of [client, subscriber, reader]) c.disconnect();
      throw error instanceof ClusterUnavailableError ? error : unavailable("start", error);
    }
    this.heartbeatTimer = setInterval(() => void this.heartbeat(false), this.options.renewIntervalMs);
    this.reader = new InboxReader({
      reader,
      client,
      stream: this.keys.inbox(this.nodeId),
      consumer: this.nodeId,
      maxUnacked: this.options.maxUnackedEnvelopes,
      blockMs: this.blockMs,
      deliver: (envelope, ack) => {
        const events = this.events;
        if (events !== undefined) raise(() => events.envelope(envelope, ack));
      },
      failed: (error) => this.failed(error),
    });
    this.reader.start();
  }

  /** Prepares the inbox, joins, and loads the membership and routes. */
  private async join(
    client: RedisClient,
    subscriber: RedisClient,
    events: ClusterEvents,
    attempt: number,
  ): Promise<void> {
    const inbox = this.keys.inbox(this.nodeId);
    await client.xgroup("CREATE", inbox, INBOX_GROUP, "0", "MKSTREAM").catch((error: unknown) => {
      if (!(error instanceof Error && error.message.startsWith("BUSYGROUP"))) throw error;
    });
    await client.set(this.keys.inboxLimit(this.nodeId), this.options.maxInboxEnvelopes);
    // A fresh run: routes of an earlier run of this node id are void.
    await client.del(this.keys.routes(this.nodeId));
    const acks = this.keys.routeAcks(this.nodeId);
    subscriber.on("messageBuffer", (channel: Buffer, message: Buffer) => {
      if (channel.toString() === acks) this.onConfirmation(message.toString());
      else this.onEvent(message.toString());
    });
    await subscriber.subscribe(this.keys.events, acks);
    this.joinedAt = String(
      await runScript(
        client,
        "join",
        [this.keys.members, this.keys.joined],
        [this.nodeId, this.options.leaseMs],
      ),
    );
    // A start that timed out meanwhile must not come to life afterwards.
    if (attempt !== this.attempts) throw new Error("the start timed out");
    this.events = events;
    this.state = "running";
    this.engine = "up";
    await this.heartbeat(true);
    await this.reloadRoutes();
    await client.publish(this.keys.events, `m${SEP}${this.nodeId}`);
  }

  async stop(): Promise<void> {
    const wasRunning = this.state === "running";
    this.state = "stopped";
    this.clearHeartbeat();
    this.events = undefined;
    const client = this.client;
    const failures: unknown[] = [];
    await this.reader?.stop().catch((error: unknown) => failures.push(error));
    this.reader = undefined;
    if (wasRunning && client !== undefined) {
      try {
        // Two commands: the keys sit in different Redis Cluster slots.
        await client.del(this.keys.routes(this.nodeId));
        await client.del(this.keys.status(this.nodeId));
        await runScript(client, "leave", [this.keys.members, this.keys.joined], [this.nodeId, this.joinedAt]);
        await client.publish(this.keys.events, `m${SEP}${this.nodeId}`);
      } catch (error) {
        failures.push(error);
      }
    }
    this.confirmations.close();
    this.closeConnections();
    this.deadlines.close();
    if (failures.length > 0)
      throw unavailable("stop (the node could not leave; its lease will lapse)", failures[0]);
  }

  /**
   * For fault tests: stop as a crashed process would (no leave, no ack flushed,
   * connections dropped); the lease lapses on its own.
   */
  crash(): void {
    this.state = "stopped";
    this.clearHeartbeat();
    this.events = undefined;
    this.reader?.abandon();
    this.reader = undefined;
    this.confirmations.close();
    this.closeConnections();
  }

  nodes(): readonly ClusterNode[] {
    return this.state === "running" ? this.view.nodes() : [];
  }

  async claimSession(clientId: string): Promise<SessionClaim> {
    const client = this.ready();
    return this.call("claimSession", async () => {
      const [previous, epoch] = (await runScript(
        client,
        "claim",
        [this.keys.owner(clientId)],
        [this.nodeId],
      )) as [string, number];
      const moves: Promise<unknown>[] = [client.sadd(this.keys.owned(this.nodeId), clientId)];
      if (previous !== "" && previous !== this.nodeId)
        moves.push(client.srem(this.keys.owned(previous), clientId));
      await Promise.all(moves);
      return {
        ownership: { nodeId: this.nodeId, epoch: Number(epoch) },
        previous: previous === "" ? undefined : { nodeId: previous, epoch: Number(epoch) - 1 },
      };
    });
  }

  async sessionOwner(clientId: string): Promise<SessionOwnership | undefined> {
    const client = this.ready();
    return this.call("sessionOwner", async () => {
      const [nodeId, epoch] = await client.hmget(this.keys.owner(clientId), "node", "epoch");
      return nodeId === null || nodeId === undefined ? undefined : { nodeId, epoch: Number(epoch) };
    });
  }

  async releaseSession(clientId: string, epoch: number): Promise<boolean> {
    const client = this.ready();
    return this.call("releaseSession", async () => {
      const owner = String(await runScript(client, "release", [this.keys.owner(clientId)], [epoch]));
      if (owner === "") return false;
      await client.srem(this.keys.owned(owner), clientId);
      return true;
    });
  }

  async acquireLease(name: string, ttlMs: number, info?: string): Promise<NamedLease> {
    const client = this.ready();
    return this.call("acquireLease", async () => {
      const [nodeId, epoch, expiresAt, attached] = (await runScript(
        client,
        "lease",
        [this.keys.lease(name)],
        [this.nodeId, Math.max(1, Math.ceil(ttlMs)), info ?? ""],
      )) as [string, number, number, string];
      return {
        name,
        nodeId,
        epoch: Number(epoch),
        expiresAt: Number(expiresAt),
        info: attached === "" ? undefined : attached,
      };
    });
  }

  async releaseLease(name: string, epoch: number): Promise<boolean> {
    const client = this.ready();
    return this.call("releaseLease", async () => {
      const freed = await runScript(client, "unlease", [this.keys.lease(name)], [this.nodeId, epoch]);
      return Number(freed) === 1;
    });
  }

  async adoptNode(nodeId: string): Promise<boolean> {
    const client = this.ready();
    if (nodeId === this.nodeId) return false;
    return this.call("adoptNode", async () => {
      const won = Number(await runScript(client, "adopt", [this.keys.members, this.keys.joined], [nodeId]));
      if (won !== 1) return false;
      await client.del(this.keys.routes(nodeId));
      return true;
    });
  }

  async sessionsOwnedBy(nodeId: string): Promise<readonly string[]> {
    const client = this.ready();
    return this.call("sessionsOwnedBy", async () => {
      const candidates = await client.smembers(this.keys.owned(nodeId));
      // The set is updated after the claim script (another slot): check each owner.
      const owners = await Promise.all(candidates.map((id) => client.hget(this.keys.owner(id), "node")));
      const stale = candidates.filter((_, i) => owners[i] !== nodeId);
      if (stale.length > 0) await client.srem(this.keys.owned(nodeId), ...stale);
      return candidates.filter((_, i) => owners[i] === nodeId);
    });
  }

  async adoptInbox(nodeId: string): Promise<number> {
    const client = this.ready();
    if (nodeId === this.nodeId) return 0;
    return this.call("adoptInbox", async () => {
      const source = this.keys.inbox(nodeId);
      const target = [this.keys.inbox(this.nodeId), this.keys.inboxLimit(this.nodeId)];
      let moved = 0;
      for (;;) {
        const page = (await client.xrangeBuffer(source, "-", "+", "COUNT", 500)) as [Buffer, Buffer[]][];
        if (page.length === 0) break;
        for (const [, values] of page) {
          const fields = new Map<string, Buffer>();
          for (let i = 0; i + 1 < values.length; i += 2)
            fields.set((values[i] as Buffer).toString(), values[i + 1] as Buffer);
          // Unchecked against this inbox's bound: the dead node's inbox was bounded already.
          await runScript(client, "send", target, [
            CLUSTER_DEFAULTS.maxInboxEnvelopes,
            fields.get("f") ?? "",
            fields.get("i") ?? "",
            fields.get("c") ?? "",
            fields.get("b") ?? Buffer.alloc(0),
            "0",
          ]);
        }
        await client.xdel(source, ...page.map(([id]) => id));
        moved += page.length;
      }
      await client.del(source, this.keys.inboxLimit(nodeId));
      return moved;
    });
  }

  async addRoute(route: ClusterRoute): Promise<void> {
    const client = this.ready();
    // Validates the filter (typed InvalidTopicFilterError) before anything reaches the engine.
    new RouteTable().add(this.nodeId, route);
    const key = routeKey(route);
    const seq = this.confirmations.next();
    await this.call("addRoute", () => this.changeRoute(client, "+", key, seq));
    // The engine holds it; now the barrier: every live node's replica has it (or the bound passes).
    const others = this.view.nodes().flatMap((n) => (n.nodeId === this.nodeId ? [] : [n.nodeId]));
    await this.confirmations.wait(seq, others);
  }

  async removeRoute(route: ClusterRoute): Promise<void> {
    const client = this.ready();
    const key = routeKey(route);
    await this.call("removeRoute", () => this.changeRoute(client, "-", key, this.confirmations.next()));
  }

  /**
   * One script: the set changes and the notification leaves from the set's shard.
   * Published on every call, even when the set had the route already: a notification
   * lost in an outage is repaired by the caller's retry.
   */
  private changeRoute(client: RedisClient, op: "+" | "-", key: string, seq: number): Promise<unknown> {
    return runScript(
      client,
      "route",
      [this.keys.routes(this.nodeId)],
      [op, key, this.keys.events, `${op}${SEP}${this.nodeId}${SEP}${seq}${SEP}${key}`],
    );
  }

  match(topic: string): RouteMatch {
    return this.routes.match(topic, this.nodeId);
  }

  async publishStatus(body: Uint8Array): Promise<void> {
    if (body.length > MAX_NODE_STATUS_BYTES)
      throw new NodeStatusTooLargeError(body.length, MAX_NODE_STATUS_BYTES);
    const client = this.ready();
    const value = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    // As long as the lease: a node that stops publishing (or dies) loses it within one lease.
    await this.call("publishStatus", () =>
      client.set(this.keys.status(this.nodeId), value, "PX", this.options.leaseMs),
    );
  }

  async nodeStatuses(nodeIds: readonly string[]): Promise<ReadonlyMap<string, Uint8Array>> {
    const client = this.ready();
    // One GET per node, pipelined by ioredis: the keys sit in different Redis Cluster slots (no MGET).
    const values = await this.call("nodeStatuses", () =>
      Promise.all(nodeIds.map((id) => client.getBuffer(this.keys.status(id)))),
    );
    const out = new Map<string, Uint8Array>();
    values.forEach((value, i) => {
      if (value !== null) out.set(nodeIds[i]!, new Uint8Array(value));
    });
    return out;
  }

  async send(nodeId: string, channel: string, body: Uint8Array): Promise<void> {
    const client = this.ready();
    const id = `${this.idPrefix}-${++this.sent}`;
    const reply = await this.call(
      "send",
      () =>
        runScript(
          client,
          "send",
          [this.keys.inbox(nodeId), this.keys.inboxLimit(nodeId)],
          [
            CLUSTER_DEFAULTS.maxInboxEnvelopes,
            this.nodeId,
            id,
            channel,
            Buffer.from(body.buffer, body.byteOffset, body.byteLength),
            "1",
          ],
        ) as Promise<[number, string | number]>,
    );
    if (Number(reply[0]) === 0) throw new InboxFullError(nodeId, Number(reply[1]));
  }

  // ---- internals ----

  private ready(): RedisClient {
    if (this.state !== "running" || this.client === undefined)
      throw new ClusterUnavailableError(
        this.state === "expelled"
          ? `node ${this.nodeId} lost its lease; stop() and start() it again`
          : `node ${this.nodeId} is not started`,
      );
    return this.client;
  }

  private async call<T>(operation: string, run: () => Promise<T>): Promise<T> {
    if (this.deadlines.inFlight >= this.maxPendingCalls)
      throw new ClusterUnavailableError(
        `${operation}: ${this.maxPendingCalls} engine calls in flight already (maxPendingCalls)`,
      );
    try {
      return await this.deadlines.bound(
        run(),
        () => new Error(`no answer within ${this.options.requestTimeoutMs} ms`),
      );
    } catch (error) {
      if (error instanceof InboxFullError) throw error;
      this.failed(error);
      throw unavailable(operation, error);
    }
  }

  /** An engine call failed: a connection failure or timeout turns the status down. */
  private failed(error: unknown): void {
    if (isConnectionFailure(error)) this.setEngine("down");
  }

  private setEngine(status: EngineStatus): void {
    if (status === this.engine) return;
    this.engine = status;
    if (status === "up") this.graceUntil = Date.now() + this.options.leaseMs;
    const events = this.events;
    if (events !== undefined && this.state === "running") queueMicrotask(() => events.engineStatus(status));
  }

  private clearHeartbeat(): void {
    if (this.heartbeatTimer !== undefined) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
  }

  private closeConnections(): void {
    this.client?.disconnect();
    this.subscriber?.disconnect();
    this.client = undefined;
    this.subscriber = undefined;
  }

  /** Renews the lease and reads the membership; raises what changed. */
  private async heartbeat(initial: boolean): Promise<void> {
    const client = this.client;
    if (client === undefined || this.state !== "running") return;
    if (this.heartbeatRunning) {
      this.heartbeatAgain = true;
      return;
    }
    this.heartbeatRunning = true;
    try {
      const [renewed, now, members, joined] = (await this.deadlines.bound(
        runScript(
          client,
          "heartbeat",
          [this.keys.members, this.keys.joined],
          [this.nodeId, this.options.leaseMs, this.joinedAt],
        ),
        () => new Error(`no heartbeat answer within ${this.options.requestTimeoutMs} ms`),
      )) as [number, number, unknown, unknown];
      if (this.state !== "running") return;
      const wasDown = this.engine === "down";
      // Up only once the pub/sub connection is back as well: route changes and their
      // confirmations travel on it, so before that a new route here could not be confirmed.
      const pubSubReady = this.subscriber === undefined || this.subscriber.status === "ready";
      this.setEngine(pubSubReady ? "up" : "down");
      if (Number(renewed) !== 1) {
        this.expel();
        return;
      }
      const grace = Date.now() < this.graceUntil;
      const changes = this.view.apply(parseSnapshot(now, members, joined), initial, grace);
      for (const nodeId of changes.down) {
        this.routes.removeNode(nodeId);
        this.confirmations.forget(nodeId);
        this.unconfirmed.delete(nodeId);
      }
      const events = this.events;
      if (events !== undefined) {
        // Downs first: a node that restarted under its id is its old run's death, then the new run.
        for (const nodeId of changes.down) raise(() => events.nodeDown(nodeId));
        for (const node of changes.up) raise(() => events.nodeUp(node));
      }
      if (!pubSubReady) return;
      // After an outage every replica may have missed changes; a node that joined brings routes
      // whose notifications this node ignored while it did not know the node yet.
      if (wasDown) await this.reloadRoutes();
      else if (changes.up.length > 0) await this.reloadRoutes(changes.up.map((n) => n.nodeId));
    } catch (error) {
      if (initial) throw error;
      this.failed(error);
    } finally {
      this.heartbeatRunning = false;
      if (this.heartbeatAgain) {
        this.heartbeatAgain = false;
        void this.heartbeat(false);
      }
    }
  }

  /** This run lost its lease (another node adopted it, or the engine forgot it). */
  private expel(): void {
    this.state = "expelled";
    this.clearHeartbeat();
    this.reader?.abandon();
    this.reader = undefined;
    const events = this.events;
    queueMicrotask(() => events?.nodeDown(this.nodeId));
  }

  /**
   * Loads the routes of `only` (default: every live node, and drops those of the
   * others) into the replica; changes arriving meanwhile are applied after.
   */
  private async reloadRoutes(only?: readonly string[]): Promise<void> {
    const client = this.client;
    if (client === undefined) return;
    this.buffered ??= [];
    this.reloads++;
    try {
      const others = only ?? this.view.nodes().flatMap((n) => (n.nodeId === this.nodeId ? [] : [n.nodeId]));
      const sets = await this.deadlines.bound(
        Promise.all(others.map((nodeId) => client.smembers(this.keys.routes(nodeId)))),
        () => new Error(`no answer to the route reload within ${this.options.requestTimeoutMs} ms`),
      );
      if (only === undefined) {
        const live = new Set(others);
        for (const nodeId of this.routes.nodesWithRoutes())
          if (!live.has(nodeId)) this.routes.removeNode(nodeId);
      }
      others.forEach((nodeId, i) => {
        this.routes.replaceNode(nodeId, (sets[i] ?? []).map(routeFromKey));
        // Its changes seen before it was live here are in the set just read: confirm them.
        const seq = this.unconfirmed.get(nodeId);
        if (seq !== undefined) {
          this.unconfirmed.delete(nodeId);
          this.confirmTo(nodeId, seq);
        }
      });
    } finally {
      if (--this.reloads === 0) {
        const pending = this.buffered ?? [];
        this.buffered = undefined;
        for (const message of pending) this.onEvent(message);
      }
    }
  }

  /** A pub/sub message: `m\0node` (membership changed), `+\0node\0seq\0route` / `-\0node\0seq\0route`. */
  private onEvent(message: string): void {
    if (this.state !== "running") return;
    if (this.buffered !== undefined) {
      this.buffered.push(message);
      return;
    }
    const kind = message[0];
    const rest = message.slice(2);
    if (kind === "m") {
      if (rest !== this.nodeId) void this.heartbeat(false);
      return;
    }
    const at = rest.indexOf(SEP);
    const nodeId = rest.slice(0, at);
    const seqEnd = rest.indexOf(SEP, at + 1);
    const seq = Number(rest.slice(at + 1, seqEnd));
    if (nodeId === this.nodeId) return;
    if (!this.view.isAlive(nodeId)) {
      // Not (yet) live here: its routes are loaded when it is seen up, and confirmed then.
      if (this.unconfirmed.has(nodeId) || this.unconfirmed.size < MAX_UNCONFIRMED_NODES)
        this.unconfirmed.set(nodeId, Math.max(seq, this.unconfirmed.get(nodeId) ?? 0));
      void this.heartbeat(false);
      return;
    }
    const route = routeFromKey(rest.slice(seqEnd + 1));
    if (kind === "+") this.routes.add(nodeId, route);
    else if (kind === "-") this.routes.remove(nodeId, route);
    this.confirmTo(nodeId, seq);
  }

  /** Tells `nodeId` that this node's replica holds its route changes up to `seq`. */
  private confirmTo(nodeId: string, seq: number): void {
    const client = this.client;
    if (client === undefined || !Number.isFinite(seq)) return;
    // Unconfirmed, the other node's SUBACK waits for its bound (and counts it): no retry here.
    client
      .publish(this.keys.routeAcks(nodeId), `${this.nodeId}${SEP}${seq}`)
      .catch((error: unknown) => this.failed(error));
  }

  /** A confirmation on this node's ack channel: `node\0seq`. */
  private onConfirmation(message: string): void {
    const at = message.indexOf(SEP);
    const seq = Number(message.slice(at + 1));
    if (at > 0 && Number.isFinite(seq)) this.confirmations.confirm(message.slice(0, at), seq);
  }
}
