import { topicMatches } from "@amqtt/message";
import type * as Store from "@amqtt/store";
import {
  fromTaggedJson,
  resolveStoreLimits,
  StaleEpochError,
  StoreClosedError,
  toTaggedJson,
} from "@amqtt/store";
import { type ClusterNodeAddress, createClient, type RedisClient, targetOf } from "./connection.js";
import { EnqueueBatch } from "./enqueue-batch.js";
import { decodeQueueEntry, decodeRetained, type EncodedEntry, encodeEntry } from "./entry.js";
import { StoreBusyError, StoreConnectionError } from "./errors.js";
import { type ClientKeys, KeySpace, SESSION_BUCKETS } from "./keys.js";
import { type RetainedRange, retainedRange } from "./retained-range.js";
import { SCRIPTS, type ScriptName } from "./scripts.js";

/** Options of {@link RedisStore}. */
export interface RedisStoreOptions {
  /**
   * One Redis server: `redis://[user:password@]host:port[/db]`, `rediss://` for
   * TLS. Default `redis://127.0.0.1:6379`. Ignored when `clusterNodes` is given.
   */
  url?: string;
  /** Redis Cluster mode: some of the cluster's nodes (`redis://host:port` or `{ host, port }`); the rest are discovered. */
  clusterNodes?: readonly ClusterNodeAddress[];
  /** A file whose first line is the password; it wins over a password in the URL. */
  passwordFile?: string;
  /** Put before every key, so several brokers can share one Redis. No `{` or `}`. Default `"amqtt:"`. */
  keyPrefix?: string;
  /** Bounds; each one left out takes its `DEFAULT_STORE_LIMITS` value. They hold in Redis (inside the scripts). */
  limits?: Partial<Store.StoreLimits>;
  /** A command that has no answer after this many ms rejects with `StoreConnectionError`. Default 5000. */
  commandTimeoutMs?: number;
  /** Limit on connecting at `open()`, in ms. Default 10,000. */
  connectTimeoutMs?: number;
  /** Bound on the calls waiting for Redis; past it a call rejects with `StoreBusyError`. Default 100,000. */
  maxPendingOperations?: number;
  /** Sessions this instance keeps a fencing epoch for, at most; past it `fence()` rejects with `StoreBusyError`. Default 1,000,000. */
  maxFencedSessions?: number;
  /**
   * After the writes a `flush()` covers, send `WAIT replicas timeoutMs` to every
   * master written to; `flush()` rejects with `StoreConnectionError` when fewer
   * replicas confirmed. Off by default (see the README on durability).
   */
  wait?: { replicas: number; timeoutMs: number };
}

type State = "new" | "open" | "closed";
type Arg = string | Buffer | number;
// ioredis has evalBuffer (binary replies) at run time on both clients; its typings leave it out.
type Evaluate = (script: string, keys: number, ...args: Arg[]) => Promise<unknown>;
type Evaluator = { eval: Evaluate; evalBuffer: Evaluate };

const STALE_EPOCH = "STALE_EPOCH ";

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1)
    throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
}

const limitArg = (n: number): string => (n === Number.POSITIVE_INFINITY ? "-1" : String(n));

/**
 * A {@link Store.BrokerStore} in Redis 7 (or Valkey), one server or a Redis
 * Cluster, through ioredis. Every change is one Lua script (atomic, one round
 * trip) and the bounds are checked inside it, so several broker processes on
 * one Redis keep them. Calls issued in one event-loop turn go out as one
 * pipeline per server (ioredis auto-pipelining), and consecutive enqueues for
 * one client as one script call. A call resolves when Redis
 * answered; `flush()` resolves once every earlier write was answered (and, with
 * `wait`, replicated). How durable an answered write is depends on Redis'
 * persistence settings (README). With {@link RedisStore.fence}, writes to a
 * session claimed by a newer epoch are refused with a `StaleEpochError`.
 */
export class RedisStore implements Store.BrokerStore {
  readonly persistent = true;
  /** Every broker node on the same server sees the same sessions and queues. */
  readonly shared = true;
  readonly limits: Store.StoreLimits;
  /** The server or cluster nodes, without the password, for logs. */
  readonly target: string;
  private readonly options: RedisStoreOptions;
  private readonly keys: KeySpace;
  private readonly maxPending: number;
  private readonly maxFenced: number;
  private state: State = "new";
  private client: RedisClient | undefined;
  private pending = 0;
  private readonly pendingWrites = new Set<Promise<void>>();
  private writeFailure: Error | undefined;
  // The epoch this instance fenced each session at; one entry per session it claimed.
  private readonly fences = new Map<string, number>();
  private readonly enqueues = new EnqueueBatch(
    (id, keys, entries) => this.sendEnqueues(id, keys, entries),
    1000,
  );

  /** @throws RangeError for invalid limits, options or key prefix. */
  constructor(options: RedisStoreOptions = {}) {
    this.options = options;
    this.limits = resolveStoreLimits(options.limits);
    this.keys = new KeySpace(options.keyPrefix ?? "amqtt:");
    this.maxPending = positiveInteger("maxPendingOperations", options.maxPendingOperations, 100_000);
    this.maxFenced = positiveInteger("maxFencedSessions", options.maxFencedSessions, 1_000_000);
    positiveInteger("commandTimeoutMs", options.commandTimeoutMs, 1);
    positiveInteger("connectTimeoutMs", options.connectTimeoutMs, 1);
    if (options.wait !== undefined) {
      positiveInteger("wait.replicas", options.wait.replicas, 1);
      positiveInteger("wait.timeoutMs", options.wait.timeoutMs, 1);
    }
    this.target = targetOf(options);
  }

  /** Calls waiting for Redis now (at most `maxPendingOperations`). */
  get pendingOperations(): number {
    return this.pending;
  }

  /** The key prefix in use. */
  get keyPrefix(): string {
    return this.keys.prefix;
  }

  /**
   * Connect and check that Redis answers.
   * @throws StoreConnectionError when it cannot be reached in time, RedisUrlError for a bad URL.
   */
  async open(): Promise<void> {
    if (this.state === "closed") throw new StoreClosedError("open after close");
    if (this.state === "open") return;
    const client = await createClient({
      url: this.options.url,
      clusterNodes: this.options.clusterNodes,
      passwordFile: this.options.passwordFile,
      commandTimeoutMs: this.options.commandTimeoutMs ?? 5000,
      connectTimeoutMs: this.options.connectTimeoutMs ?? 10_000,
    });
    // ioredis reports connection trouble here too; the calls reject on their own.
    client.on("error", () => {});
    const connectTimeoutMs = this.options.connectTimeoutMs ?? 10_000;
    let timer: NodeJS.Timeout | undefined;
    // One bound on the whole start (a cluster's slot discovery included), not only per socket.
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer within ${connectTimeoutMs} ms`)),
        connectTimeoutMs,
      );
    });
    try {
      await Promise.race([client.connect().then(() => client.ping()), timeout]);
    } catch (error) {
      client.disconnect();
      throw new StoreConnectionError(`cannot reach Redis at ${this.target}`, { cause: error });
    } finally {
      clearTimeout(timer);
    }
    this.client = client;
    this.state = "open";
  }

  /** Wait for the pending writes, then disconnect. Rejects when one of them failed; calling again resolves. */
  async close(): Promise<void> {
    const client = this.client;
    if (this.state !== "open" || client === undefined) {
      this.state = "closed";
      return;
    }
    this.enqueues.send();
    this.state = "closed";
    try {
      await this.settleWrites("close");
    } finally {
      await client.quit().catch(() => client.disconnect());
    }
  }

  async flush(): Promise<void> {
    this.use("flush");
    await this.settleWrites("flush");
    const wait = this.options.wait;
    if (wait !== undefined) await this.waitForReplicas(wait.replicas, wait.timeoutMs);
  }

  // --- fencing ---

  /**
   * Fence the session of `clientId` at `epoch` (see `BrokerStore.fence`): later
   * writes of this instance to it carry `epoch` and fail with a
   * `StaleEpochError` once another instance fenced a higher one.
   * @throws StaleEpochError when Redis already holds a higher epoch.
   */
  async fence(clientId: string, epoch: number): Promise<void> {
    if (!Number.isSafeInteger(epoch) || epoch < 0)
      throw new RangeError(`epoch must be a non-negative integer, got ${epoch}`);
    if (!this.fences.has(clientId) && this.fences.size >= this.maxFenced)
      throw new StoreBusyError(
        `${this.fences.size} sessions are fenced by this instance (maxFencedSessions)`,
      );
    const k = this.keys.clientKeys(clientId);
    // Taken at once: the writes called after this one carry it, even before it resolves.
    this.fences.set(clientId, Math.max(epoch, this.fences.get(clientId) ?? 0));
    await this.write("fence", clientId, this.call("amqttFence", [k.epoch, epoch]));
  }

  /**
   * Forget the epoch of `clientId` in this instance (the node gave the session
   * up): its later writes to the session carry no epoch. Redis keeps the epoch.
   */
  unfence(clientId: string): void {
    this.fences.delete(clientId);
  }

  /** Sessions this instance holds an epoch for (at most `maxFencedSessions`). */
  get fencedSessions(): number {
    return this.fences.size;
  }

  /** The epoch Redis holds for the session of `clientId` (0 when never fenced). */
  async epochOf(clientId: string): Promise<number> {
    const value = await this.read("epochOf", this.use("epochOf").get(this.keys.clientKeys(clientId).epoch));
    return value === null ? 0 : Number(value);
  }

  private epochArg(clientId: string): string {
    const epoch = this.fences.get(clientId);
    return epoch === undefined ? "" : String(epoch);
  }

  // --- sessions ---

  async saveSession(record: Store.SessionRecord): Promise<void> {
    const k = this.keys.clientKeys(record.clientId);
    const args = [
      k.session,
      k.sessions,
      k.sessionExpiry,
      k.epoch,
      record.clientId,
      toTaggedJson(record),
      record.expiresAt === undefined ? "" : String(record.expiresAt),
      this.epochArg(record.clientId),
    ];
    await this.write("saveSession", record.clientId, this.call("amqttSaveSession", args));
  }

  async loadSession(clientId: string): Promise<Store.SessionRecord | undefined> {
    const text = await this.read(
      "loadSession",
      this.use("loadSession").get(this.keys.clientKeys(clientId).session),
    );
    return text === null ? undefined : fromTaggedJson<Store.SessionRecord>(text);
  }

  async deleteSession(clientId: string): Promise<void> {
    const k = this.keys.clientKeys(clientId);
    const args = [
      k.session,
      k.sessions,
      k.sessionExpiry,
      k.epoch,
      k.queue,
      k.queueBytes,
      k.queueExpiry,
      clientId,
      this.epochArg(clientId),
    ];
    const done = this.write("deleteSession", clientId, this.call("amqttDeleteSession", args));
    this.fences.delete(clientId);
    await done;
  }

  async listSessions(): Promise<Store.SessionRecord[]> {
    this.use("listSessions");
    const calls: Promise<unknown>[] = [];
    for (let b = 0; b < SESSION_BUCKETS; b++) {
      calls.push(this.call("amqttListSessions", [`${this.keys.bucketBase(b)}sessions`]));
    }
    const buckets = (await this.read("listSessions", Promise.all(calls))) as string[][];
    return buckets.flat().map((text) => fromTaggedJson<Store.SessionRecord>(text));
  }

  async deleteExpiredSessions(now: number): Promise<Store.SessionRecord[]> {
    this.use("deleteExpiredSessions");
    const calls: Promise<unknown>[] = [];
    for (let b = 0; b < SESSION_BUCKETS; b++) {
      calls.push(this.call("amqttDeleteExpiredSessions", [`${this.keys.bucketBase(b)}sexp`, now]));
    }
    const buckets = (await this.write("deleteExpiredSessions", undefined, Promise.all(calls))) as string[][];
    const records = buckets.flat().map((text) => fromTaggedJson<Store.SessionRecord>(text));
    for (const record of records) this.fences.delete(record.clientId);
    return records;
  }

  // --- offline queues ---

  async enqueue(clientId: string, message: Store.QueuedRecord): Promise<Store.EnqueueResult> {
    this.use("enqueue", false);
    return this.enqueues.add(
      clientId,
      this.keys.clientKeys(clientId),
      encodeEntry(message, message.enqueuedAt),
    );
  }

  /** One script call for a batch of one client's entries (see EnqueueBatch). */
  private sendEnqueues(clientId: string, k: ClientKeys, entries: EncodedEntry[]): Promise<number[]> {
    const { maxQueuedMessages, maxQueuedBytes, queueOverflow } = this.limits;
    const args: Arg[] = [
      k.queue,
      k.queueBytes,
      k.queueExpiry,
      k.seq,
      clientId,
      limitArg(maxQueuedMessages),
      limitArg(maxQueuedBytes),
      queueOverflow === "refuse-new" ? "r" : "d",
    ];
    for (const entry of entries) args.push(entry.size, entry.expiry, entry.body);
    return this.write("enqueue", undefined, this.call("amqttEnqueue", args), entries.length) as Promise<
      number[]
    >;
  }

  async peekQueue(clientId: string, max: number): Promise<Store.QueueEntry[]> {
    const client = this.use("peekQueue");
    if (max <= 0) return [];
    const members = await this.read(
      "peekQueue",
      client.zrangeBuffer(this.keys.clientKeys(clientId).queue, 0, String(max - 1)),
    );
    return members.map(decodeQueueEntry);
  }

  async ackQueue(clientId: string, throughSeq: number): Promise<number> {
    const k = this.keys.clientKeys(clientId);
    const args = [
      k.queue,
      k.queueBytes,
      k.queueExpiry,
      k.epoch,
      clientId,
      throughSeq,
      this.epochArg(clientId),
    ];
    return (await this.write("ackQueue", clientId, this.call("amqttAckQueue", args))) as number;
  }

  async queueUsage(clientId: string): Promise<Store.StoreUsage> {
    const k = this.keys.clientKeys(clientId);
    return this.usage("queueUsage", "amqttQueueUsage", [k.queue, k.queueBytes]);
  }

  async clearQueue(clientId: string): Promise<void> {
    const k = this.keys.clientKeys(clientId);
    const args = [k.queue, k.queueBytes, k.queueExpiry, k.epoch, clientId, this.epochArg(clientId)];
    await this.write("clearQueue", clientId, this.call("amqttClearQueue", args));
  }

  async dropExpiredQueued(now: number): Promise<number> {
    this.use("dropExpiredQueued");
    const calls: Promise<unknown>[] = [];
    for (let b = 0; b < SESSION_BUCKETS; b++) {
      calls.push(this.call("amqttDropExpiredQueued", [`${this.keys.bucketBase(b)}qexp`, now]));
    }
    const counts = (await this.write("dropExpiredQueued", undefined, Promise.all(calls))) as number[];
    return counts.reduce((sum, n) => sum + n, 0);
  }

  // --- retained messages ---

  async setRetained(message: Store.RetainedRecord): Promise<Store.RetainResult> {
    const r = this.keys.retainedKeys();
    const clear = message.payload.byteLength === 0;
    const entry = clear ? undefined : encodeEntry(message, message.storedAt);
    const args = [
      r.messages,
      r.topics,
      r.expiry,
      r.bytes,
      message.topic,
      entry?.size ?? 0,
      entry?.expiry ?? "",
      entry?.body ?? "",
      limitArg(this.limits.maxRetainedMessages),
      limitArg(this.limits.maxRetainedBytes),
    ];
    const [stored, refusedBy] = (await this.write(
      "setRetained",
      undefined,
      this.call("amqttSetRetained", args),
    )) as [number, string];
    if (stored === 1) return { stored: true };
    return { stored: false, refusedBy: refusedBy === "count" ? "count" : "bytes" };
  }

  async getRetained(topic: string): Promise<Store.RetainedRecord | undefined> {
    const client = this.use("getRetained");
    const value = await this.read("getRetained", client.hgetBuffer(this.keys.retainedKeys().messages, topic));
    return value === null ? undefined : decodeRetained(value);
  }

  async matchRetained(filter: string): Promise<Store.RetainedRecord[]> {
    const range: RetainedRange = retainedRange(filter);
    if (range.exact !== undefined) {
      const one = await this.getRetained(range.exact);
      return one === undefined ? [] : [one];
    }
    const r = this.keys.retainedKeys();
    const flat = (await this.read(
      "matchRetained",
      this.call("amqttRetainedRange", [r.messages, r.topics, range.min, range.max], true),
    )) as Buffer[];
    const out: Store.RetainedRecord[] = [];
    for (let i = 1; i < flat.length; i += 2) {
      const message = decodeRetained(flat[i] as Buffer);
      if (topicMatches(filter, message.topic)) out.push(message); // [MQTT-4.7.2-1] inside
    }
    return out;
  }

  async listRetained(): Promise<Store.RetainedRecord[]> {
    const client = this.use("listRetained");
    const flat = await this.read("listRetained", client.hgetallBuffer(this.keys.retainedKeys().messages));
    return Object.values(flat).map(decodeRetained);
  }

  async retainedUsage(): Promise<Store.StoreUsage> {
    const r = this.keys.retainedKeys();
    return this.usage("retainedUsage", "amqttRetainedUsage", [r.messages, r.bytes]);
  }

  async dropExpiredRetained(now: number): Promise<number> {
    const r = this.keys.retainedKeys();
    const args = [r.messages, r.topics, r.expiry, r.bytes, now];
    return (await this.write(
      "dropExpiredRetained",
      undefined,
      this.call("amqttDropExpiredRetained", args),
    )) as number;
  }

  // --- plumbing ---

  /** The client, for a call about to be sent; refuses it when the store is closed or too many calls wait. */
  private use(operation: string, sendEnqueues = true): RedisClient {
    if (this.state !== "open" || this.client === undefined) throw new StoreClosedError(operation);
    // Enqueues waiting to be coalesced go out before any other call: call order holds.
    if (sendEnqueues) this.enqueues.send();
    if (this.pending + this.enqueues.waiting >= this.maxPending)
      throw new StoreBusyError(
        `${this.pending} calls wait for Redis (maxPendingOperations); ${operation} refused`,
      );
    return this.client;
  }

  /**
   * Run one of the store's scripts (the first arguments are its keys); `buffers`
   * asks for binary replies. By EVAL with the body, not EVALSHA: after a Redis
   * restart or a failover EVALSHA fails with NOSCRIPT, and resending it then
   * would put it behind later calls (Redis caches the compiled body by its hash).
   */
  /** Run a usage script (it answers `[count, bytes]`). */
  private async usage(operation: string, script: ScriptName, keys: Arg[]): Promise<Store.StoreUsage> {
    const [count, bytes] = (await this.read(operation, this.call(script, keys))) as [number, number];
    return { count, bytes };
  }

  private call(name: ScriptName, args: Arg[], buffers = false): Promise<unknown> {
    const client = this.use(name) as unknown as Evaluator;
    const script = SCRIPTS[name];
    return buffers
      ? client.evalBuffer(script.lua, script.keys, ...args)
      : client.eval(script.lua, script.keys, ...args);
  }

  /** Count a call against `maxPendingOperations` and turn its failure into the store's errors. */
  private async read<T>(operation: string, reply: Promise<T>, calls = 1): Promise<T> {
    this.pending += calls;
    try {
      return await reply;
    } catch (error) {
      throw this.translate(operation, error);
    } finally {
      this.pending -= calls;
    }
  }

  /**
   * A {@link read} that `flush()` waits for, and whose failure makes the next
   * `flush()` reject. Called in the same turn as the arguments were built, so
   * the epoch read here is the one the write carries.
   */
  private write<T>(
    operation: string,
    clientId: string | undefined,
    reply: Promise<T>,
    calls = 1,
  ): Promise<T> {
    const fencedAt = clientId === undefined ? 0 : (this.fences.get(clientId) ?? 0);
    const result = this.read(operation, reply, calls);
    const settled: Promise<void> = result.then(
      () => {},
      (error: Error) => {
        // A refused stale write did nothing; the caller learns it from its own promise.
        if (!(error instanceof StaleEpochError)) this.writeFailure ??= error;
      },
    );
    this.pendingWrites.add(settled);
    void settled.then(() => this.pendingWrites.delete(settled));
    return clientId === undefined
      ? result
      : result.catch((error: unknown) => this.staleOf(error, clientId, fencedAt));
  }

  private staleOf(error: unknown, clientId: string, fencedAt: number): never {
    if (error instanceof StaleEpochError)
      throw new StaleEpochError(clientId, fencedAt, error.current, {
        cause: error.cause,
      });
    throw error;
  }

  private async settleWrites(operation: string): Promise<void> {
    await Promise.all([...this.pendingWrites]);
    const failure = this.writeFailure;
    if (failure !== undefined) {
      this.writeFailure = undefined;
      throw new StoreConnectionError(`${operation}: an earlier write to Redis at ${this.target} failed`, {
        cause: failure,
      });
    }
  }

  private async waitForReplicas(replicas: number, timeoutMs: number): Promise<void> {
    const client = this.use("flush");
    const masters =
      "nodes" in client && typeof client.nodes === "function" ? client.nodes("master") : [client];
    const counts = await this.read(
      "flush",
      Promise.all(masters.map((node) => node.call("WAIT", replicas, timeoutMs) as Promise<number>)),
    );
    const fewest = Math.min(...counts);
    if (fewest < replicas)
      throw new StoreConnectionError(
        `WAIT: ${fewest} of ${replicas} replicas confirmed within ${timeoutMs} ms`,
      );
  }

  private translate(operation: string, error: unknown): Error {
    if (error instanceof StoreClosedError || error instanceof StaleEpochError) return error;
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof Error && error.name === "ReplyError" && message.startsWith(STALE_EPOCH)) {
      return new StaleEpochError("", 0, Number(message.slice(STALE_EPOCH.length)), { cause: error });
    }
    return new StoreConnectionError(`${operation} failed on Redis at ${this.target}: ${message}`, {
      cause: error,
    });
  }
}
