import type {
  ConnectProperties,
  PublishProperties,
  QoS,
  SubscribeProperties,
  Subscription,
} from "@amqtt/codec";
import { IncomingApplicationMessage, OutgoingApplicationMessage } from "@amqtt/message";
import {
  ClientSession,
  type ClientSessionOptions,
  type PublishMessage,
  type SessionAction,
  type SessionSnapshot,
  type TimerKind,
} from "@amqtt/session";
import type { Connection } from "@amqtt/transport";
import { backoffDelay } from "./backoff.js";
import { type ClientConfig, type ClientConfigInput, resolveConfig, type TlsSettings } from "./config.js";
import { DeliveryQueue } from "./delivery.js";
import { dialUri } from "./dial.js";
import { AbortError, ClientError, ClosedError, ConnectError, PublishError } from "./errors.js";
import { type ClientEvents, TypedEvents } from "./events.js";
import { BoundedQueue } from "./offline-queue.js";
import { Outbox } from "./outbox.js";
import { guardedPendingPublish, type PendingPublish, PlainPendingPublish } from "./pending-publish.js";
import { SilenceWatch } from "./silence-watch.js";
import { type BrokerUri, parseBrokerUri } from "./uri.js";
import { guard } from "./waiting.js";

/** Options of {@link MQTTClient.connect}, aMQTT's keyword arguments plus ours. */
export interface ConnectCallOptions {
  /** Clean Session (3.1.1) / Clean Start (5.0); default the config's `cleansession`. */
  cleanSession?: boolean;
  cleansession?: boolean;
  cafile?: string;
  capath?: string;
  cadata?: string;
  /** Extra HTTP headers for a `ws://`/`wss://` handshake (aMQTT's `additional_headers`; Node only). */
  additionalHeaders?: Record<string, string>;
  /** 5.0 CONNECT properties (Session Expiry comes from the config unless given here). */
  properties?: ConnectProperties;
  /** 5.0 enhanced authentication: method, first data, and the answer to each challenge. */
  auth?: EnhancedAuth;
  signal?: AbortSignal;
}

/** 5.0 enhanced authentication (AUTH exchange) hook. */
export interface EnhancedAuth {
  method: string;
  data?: Uint8Array;
  /** Answer a challenge of the server with more data. */
  onChallenge(data: Uint8Array | undefined): Uint8Array | undefined | Promise<Uint8Array | undefined>;
}

/** Options of {@link MQTTClient.publish}. */
export interface PublishCallOptions {
  /** Default: the topic's entry in `topics`, then `default_qos`. */
  qos?: QoS;
  /** Default: the topic's entry in `topics`, then `default_retain`. An explicit `false` wins. */
  retain?: boolean;
  /** 5.0 PUBLISH properties. */
  properties?: PublishProperties;
  /** Seconds to wait for the acknowledgement (default: the config's `ack_timeout`, else no limit). */
  ackTimeout?: number;
  signal?: AbortSignal;
}

/** One subscription: aMQTT's `[filter, qos]` pair, or the full 5.0 form. */
export type SubscriptionInput = [topicFilter: string, qos: QoS] | Subscription;

/** Options of calls that only take a signal. */
export interface SignalOptions {
  signal?: AbortSignal;
}

/** Where the client is. */
export type ClientState = "idle" | "connecting" | "connected" | "reconnecting" | "closed";

interface PendingRequest {
  kind: "subscribe" | "unsubscribe";
  subscriptions: Subscription[];
  topicFilters: string[];
  properties?: SubscribeProperties | undefined;
  /** The client's own resubscription after a lost session (redone from `wanted`, not from here). */
  internal?: boolean;
  resolve(codes: number[]): void;
  reject(error: Error): void;
  done(): boolean;
}

const encoder = new TextEncoder();

/**
 * aMQTT's `MQTTClient` for Node and browsers. Every method returns a promise that
 * settles: it resolves, or rejects with a typed error ({@link ConnectError},
 * {@link TimeoutError}, {@link AbortError}, {@link ClosedError},
 * {@link PublishError}, {@link ClientError}); none is left pending by `disconnect()`.
 */
export class MQTTClient extends TypedEvents<ClientEvents> {
  /** The client identifier (generated as `amqtt/<16 chars>` when not given, as aMQTT). */
  clientId: string;
  /** The configuration in force. */
  readonly config: ClientConfig;
  /** Whether the broker resumed a session at the last CONNACK. */
  sessionPresent = false;

  private stateValue: ClientState = "idle";
  private session: ClientSession | undefined;
  private snapshot: SessionSnapshot | undefined;
  private connection: Connection | undefined;
  private generation = 0;
  private target: BrokerUri | undefined;
  private tls: TlsSettings;
  private cleanSession: boolean;
  private connectProperties: ConnectProperties | undefined;
  private auth: EnhancedAuth | undefined;
  private everConnected = false;
  private readonly timers = new Map<TimerKind, unknown>();
  private readonly publishes = new Map<number, PendingPublish>();
  private readonly requests = new Map<number, PendingRequest>();
  private redo: PendingRequest[] = [];
  private pings: { resolve(): void; reject(e: Error): void }[] = [];
  private readonly offline: BoundedQueue<PendingPublish>;
  private readonly delivery: DeliveryQueue;
  /** Granted subscriptions, restored when a reconnect finds no session. */
  private readonly wanted = new Map<string, Subscription>();
  private connectWaiter: { resolve(code: number): void; reject(e: Error): void } | undefined;
  private reconnecting: Promise<number> | undefined;
  private sleepTimer: { handle: unknown; wake(): void } | undefined;
  private readonly closeListeners = new Set<(error: Error) => void>();
  private readonly outbox = new Outbox();
  private readonly silence: SilenceWatch;

  constructor(options: { clientId?: string; config?: ClientConfigInput } = {}) {
    super();
    this.config = resolveConfig(options.config);
    this.clientId = options.clientId ?? generateClientId(this.config.random);
    this.cleanSession = this.config.cleanSession;
    this.tls = { checkHostname: this.config.checkHostname, verifyCert: this.config.verifyCert };
    this.offline = new BoundedQueue(
      this.config.maxOfflineMessages,
      this.config.maxOfflineBytes,
      this.config.offlineOverflow,
    );
    this.silence = new SilenceWatch(this.config.clock, () => this.pingIfConnected());
    this.delivery = new DeliveryQueue(this.config.maxDeliveryQueue, this.config.deliveryOverflow, (m) =>
      this.emit("messageDropped", m),
    );
  }

  /** `idle`, `connecting`, `connected`, `reconnecting` or `closed` (after `disconnect()` or giving up). */
  get state(): ClientState {
    return this.stateValue;
  }
  /** Publishes waiting in the offline queue. */
  get offlineQueueLength(): number {
    return this.offline.length;
  }
  /** Received messages waiting for `deliverMessage` / `messages()`. */
  get deliveryQueueLength(): number {
    return this.delivery.length;
  }
  /** The session state as plain JSON (QoS 1/2 in flight, subscriptions), for persistence. */
  sessionSnapshot(): SessionSnapshot | undefined {
    return this.session?.snapshot() ?? this.snapshot;
  }

  /**
   * Connect and resolve with the CONNACK code (0). With `auto_reconnect`, failures
   * are retried with backoff and end in `ConnectError("Too many failed attempts")`;
   * a refusal by the broker rejects at once with `ConnectError` and its `returnCode`.
   */
  async connect(uri?: string, options: ConnectCallOptions = {}): Promise<number> {
    if (
      this.stateValue === "connecting" ||
      this.stateValue === "connected" ||
      this.stateValue === "reconnecting"
    )
      throw new ClientError(`connect() while ${this.stateValue}`);
    const conn = this.config.connection;
    this.target = parseBrokerUri(uri ?? conn.uri ?? "mqtt://127.0.0.1:1883");
    const pick = <T>(a: T | undefined, b: T | undefined): T | undefined => a ?? b;
    const tls: TlsSettings = { checkHostname: this.config.checkHostname, verifyCert: this.config.verifyCert };
    for (const [key, value] of [
      ["cafile", pick(options.cafile, conn.cafile)],
      ["capath", pick(options.capath, conn.capath)],
      ["cadata", pick(options.cadata, conn.cadata)],
      ["certfile", conn.certfile],
      ["keyfile", conn.keyfile],
    ] as const) {
      if (value !== undefined) tls[key] = value;
    }
    if (options.additionalHeaders !== undefined) tls.headers = options.additionalHeaders;
    this.tls = tls;
    this.cleanSession = options.cleanSession ?? options.cleansession ?? this.config.cleanSession;
    if (this.cleanSession && this.stateValue === "closed") this.snapshot = undefined;
    this.connectProperties = options.properties;
    this.auth = options.auth;
    this.stateValue = "connecting";
    return this.establish(true, options.signal);
  }

  /**
   * Drop the current connection (if any) and connect again with the same URI,
   * keeping the session state; resolves with the CONNACK code.
   */
  async reconnect(options: { cleanSession?: boolean; signal?: AbortSignal } = {}): Promise<number> {
    if (this.target === undefined) throw new ClientError("reconnect() before connect()");
    if (this.stateValue === "closed") this.stateValue = "connecting";
    if (options.cleanSession !== undefined) this.cleanSession = options.cleanSession;
    if (this.reconnecting !== undefined) return this.reconnecting;
    this.connection?.abort(new ClientError("reconnect asked"));
    this.stateValue = "reconnecting";
    return this.establish(true, options.signal);
  }

  /** Publish `data`; resolves when the QoS flow completes (at once for QoS 0, PUBACK, PUBCOMP). */
  publish(
    topic: string,
    data: Uint8Array | string,
    options: PublishCallOptions = {},
  ): Promise<OutgoingApplicationMessage> {
    const perTopic = this.config.topics[topic];
    const qos = options.qos ?? perTopic?.qos ?? this.config.defaultQos;
    // `??` keeps an explicit `retain: false` (aMQTT's QUIRK let a default of true win).
    const retain = options.retain ?? perTopic?.retain ?? this.config.defaultRetain;
    if (qos !== 0 && qos !== 1 && qos !== 2)
      return Promise.reject(new ClientError(`QoS must be 0, 1 or 2, got ${String(qos)}`));
    if (this.stateValue === "idle" || this.stateValue === "closed")
      return Promise.reject(new ClientError(`publish while ${this.stateValue}: connect first`));
    const payload = typeof data === "string" ? encoder.encode(data) : data;
    const message = new OutgoingApplicationMessage(
      undefined,
      topic,
      qos,
      payload,
      retain,
      options.properties,
    );
    if (qos === 0 && options.signal === undefined && this.stateValue === "connected") {
      // QoS 0 completes when it is written: no entry to track.
      const outcome = this.handOver(message, undefined);
      return outcome instanceof Error ? Promise.reject(outcome) : Promise.resolve(message);
    }
    const ackSeconds = options.ackTimeout ?? this.config.ackTimeout;
    const timeoutMs = qos > 0 && ackSeconds !== undefined ? ackSeconds * 1000 : undefined;
    const entry =
      options.signal === undefined && timeoutMs === undefined
        ? new PlainPendingPublish(message)
        : guardedPendingPublish(
            message,
            this.config.clock,
            { signal: options.signal, timeoutMs, what: `publish to ${topic}` },
            (e) => this.offline.remove(e),
          );
    if (!entry.done()) {
      if (this.stateValue === "connected") this.sendPublish(entry);
      else this.enqueueOffline(entry);
    }
    return entry.promise;
  }

  /** Subscribe; resolves with one SUBACK code per entry (granted QoS, or 0x80 and up). */
  subscribe(
    subscriptions: SubscriptionInput[],
    options: SignalOptions & { properties?: SubscribeProperties } = {},
  ): Promise<number[]> {
    const subs = subscriptions.map((s) => (Array.isArray(s) ? { topicFilter: s[0], qos: s[1] } : s));
    return this.request("subscribe", subs, [], options.signal, options.properties);
  }

  /** Unsubscribe; resolves once the UNSUBACK arrived (with its 5.0 reason codes). */
  unsubscribe(topicFilters: string[], options: SignalOptions = {}): Promise<number[]> {
    return this.request("unsubscribe", [], topicFilters, options.signal);
  }

  /**
   * The next received message. `timeout` is in seconds as in aMQTT
   * (`TimeoutError` when it passes); `filter` takes only matching messages.
   */
  deliverMessage(
    options: { timeout?: number; filter?: string; signal?: AbortSignal } = {},
  ): Promise<IncomingApplicationMessage> {
    if (this.stateValue === "closed") {
      // Messages received before the end can still be read; then the reader is told.
      const queued = this.delivery.takeQueued(options.filter);
      return queued === undefined
        ? Promise.reject(new ClosedError("the client is disconnected"))
        : Promise.resolve(queued);
    }
    const { promise, cancel } = this.delivery.take(options.filter);
    return new Promise((resolve, reject) => {
      const onClose = (error: Error): void => g.reject(error);
      const g = guard<IncomingApplicationMessage>(
        this.config.clock,
        {
          signal: options.signal,
          timeoutMs: options.timeout === undefined ? undefined : options.timeout * 1000,
          what: "deliverMessage",
        },
        (m) => {
          this.closeListeners.delete(onClose);
          resolve(m);
        },
        (e) => {
          this.closeListeners.delete(onClose);
          reject(e);
        },
        cancel,
      );
      this.closeListeners.add(onClose);
      // A message handed over just as the wait gave up goes back into the queue.
      promise.then((m) => (g.done() ? this.delivery.push(m) : g.resolve(m)));
    });
  }

  /**
   * Received messages matching `filter` (all when omitted) as an async iterable.
   * Ends when the client is disconnected; throws `AbortError` when `signal` aborts.
   */
  async *messages(filter?: string, options: SignalOptions = {}): AsyncGenerator<IncomingApplicationMessage> {
    for (;;) {
      try {
        yield await this.deliverMessage({ ...(filter === undefined ? {} : { filter }), ...options });
      } catch (error) {
        if (error instanceof ClosedError) return;
        throw error;
      }
    }
  }

  /** Send PINGREQ; resolves on PINGRESP (rejects when the connection ends first). */
  ping(options: SignalOptions = {}): Promise<void> {
    const session = this.session;
    if (this.stateValue !== "connected" || session === undefined)
      return Promise.reject(new ClientError(`ping while ${this.stateValue}`));
    return new Promise((resolve, reject) => {
      const g = guard<void>(
        this.config.clock,
        { signal: options.signal, what: "ping" },
        resolve,
        reject,
        () => {},
      );
      this.pings.push({ resolve: () => g.resolve(), reject: g.reject });
      this.carry(session.ping(this.config.clock.now()));
    });
  }

  /**
   * Send DISCONNECT, close, and settle everything still waiting with `ClosedError`.
   * 5.0: `reasonCode` 0x04 asks the broker to publish the will.
   */
  async disconnect(options: { reasonCode?: number; sessionExpiryInterval?: number } = {}): Promise<void> {
    const session = this.session;
    const connection = this.connection;
    this.stateValue = "closed";
    this.sleepTimer?.wake();
    if (session !== undefined && session.state === "connected" && connection !== undefined) {
      this.carry(session.disconnect(this.config.clock.now(), options));
      await connection.closed;
    } else {
      connection?.abort(new ClosedError("disconnect() while connecting"));
    }
    this.failEverything(new ClosedError("the client was disconnected"));
  }

  // ---- internals -------------------------------------------------------------

  private request(
    kind: "subscribe" | "unsubscribe",
    subscriptions: Subscription[],
    topicFilters: string[],
    signal: AbortSignal | undefined,
    properties?: SubscribeProperties,
  ): Promise<number[]> {
    if (this.stateValue === "idle" || this.stateValue === "closed")
      return Promise.reject(new ClientError(`${kind} while ${this.stateValue}: connect first`));
    return new Promise((resolve, reject) => {
      const entry: PendingRequest = {
        kind,
        subscriptions,
        topicFilters,
        properties,
        ...guard<number[]>(this.config.clock, { signal, what: kind }, resolve, reject, () => {
          this.redo = this.redo.filter((r) => r !== entry);
        }),
      };
      if (entry.done()) return;
      if (this.stateValue === "connected") this.sendRequest(entry);
      else this.redo.push(entry);
    });
  }

  private sendRequest(entry: PendingRequest): void {
    const session = this.session as ClientSession;
    let actions: SessionAction[];
    try {
      actions =
        entry.kind === "subscribe"
          ? session.subscribe(entry.subscriptions, this.config.clock.now(), entry.properties)
          : session.unsubscribe(entry.topicFilters, this.config.clock.now());
    } catch (cause) {
      entry.reject(new ClientError(`${entry.kind} refused: ${(cause as Error).message}`, { cause }));
      return;
    }
    for (const a of actions) {
      if (a.kind === "send" && "packetId" in a.packet && typeof a.packet.packetId === "number")
        this.requests.set(a.packet.packetId, entry);
    }
    this.carry(actions);
  }

  private sendPublish(entry: PendingPublish): void {
    const outcome = this.handOver(entry.message, entry);
    if (outcome === true) entry.resolve(entry.message);
    else if (outcome !== false) entry.reject(outcome);
  }

  /**
   * Give a message to the session. Returns true when its flow is complete (QoS 0
   * written), false when it is in flight (`entry` is then tracked by its sequence
   * number until the acknowledgement), or the error that refused or dropped it.
   */
  private handOver(m: OutgoingApplicationMessage, entry: PendingPublish | undefined): boolean | Error {
    if (m.qos === 0 && this.outbox.heldBytes > this.config.maxWriteBufferBytes)
      // The connection is not taking bytes as fast as they come: QoS 0 may be lost, so it is refused here.
      return new PublishError(`publish to ${m.topic} refused: the write buffer is full`, "queue-full");
    const session = this.session as ClientSession;
    const message: PublishMessage = { topic: m.topic, payload: m.data, qos: m.qos, retain: m.retain };
    if (hasAnyKey(m.properties)) message.properties = m.properties;
    let actions: SessionAction[];
    try {
      actions = session.publish(message, this.config.clock.now());
    } catch (cause) {
      return new ClientError(`publish refused: ${(cause as Error).message}`, { cause });
    }
    let outcome: boolean | Error = false;
    for (const a of actions) {
      if (a.kind === "publishAccepted") {
        if (entry !== undefined) this.publishes.set(a.seq, entry);
      } else if (a.kind === "published") outcome = true;
      else if (a.kind === "publishDropped" && a.seq === undefined)
        outcome = new PublishError(`publish to ${m.topic} dropped: ${a.reason}`, a.reason);
      else if (a.kind === "packetDropped" && m.qos === 0 && outcome === false)
        // Larger than the broker's Maximum Packet Size after all (e.g. with a Topic Alias): not sent.
        outcome = new PublishError(`publish to ${m.topic} dropped: too-large`, "too-large");
    }
    this.carry(actions);
    return outcome;
  }

  private enqueueOffline(entry: PendingPublish): void {
    const bytes = entry.message.data.length + entry.message.topic.length;
    for (const out of this.offline.push(entry, bytes)) {
      out.reject(new PublishError("the offline queue is full", "queue-full"));
    }
  }

  /** Connect now (or after backoff), retrying as configured; resolves with the CONNACK code. */
  private establish(immediate: boolean, signal: AbortSignal | undefined): Promise<number> {
    const run = async (): Promise<number> => {
      const retries = this.config.autoReconnect ? this.config.reconnectRetries : 0;
      let lastError: Error | undefined;
      for (let attempt = 0; retries < 0 || attempt <= retries; attempt++) {
        if (attempt > 0 || !immediate) {
          const delayMs = backoffDelay(immediate ? attempt - 1 : attempt, this.config.backoff);
          this.emit("reconnecting", { attempt, delayMs });
          await this.sleep(delayMs);
        }
        if (this.stateValue === "closed") throw new ClosedError("the client was disconnected");
        if (signal?.aborted) throw new AbortError("connect aborted", { cause: signal.reason });
        try {
          return await this.attempt(signal);
        } catch (error) {
          lastError = error as Error;
          if (error instanceof ConnectError && error.returnCode !== undefined) throw error;
          if (error instanceof ClosedError || error instanceof AbortError) throw error;
        }
      }
      throw new ConnectError(
        retries === 0 ? `connect failed: ${lastError?.message}` : "Too many failed attempts",
        undefined,
        { cause: lastError },
      );
    };
    const done = run().then(
      (code) => {
        this.reconnecting = undefined;
        return code;
      },
      (error: Error) => {
        this.reconnecting = undefined;
        if (this.stateValue !== "connected") {
          this.stateValue = "closed";
          this.failEverything(
            error instanceof ClosedError ? error : new ClientError("Will not reconnect", { cause: error }),
          );
        }
        throw error;
      },
    );
    this.reconnecting = done;
    return done;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        this.config.clock.clearTimeout(handle);
        this.sleepTimer = undefined;
        resolve();
      };
      const handle = this.config.clock.setTimeout(wake, ms);
      this.sleepTimer = { handle, wake };
    });
  }

  /** One connection attempt: dial, CONNECT, wait for CONNACK. */
  private async attempt(signal: AbortSignal | undefined): Promise<number> {
    const target = this.target as BrokerUri;
    const generation = ++this.generation;
    const dial = this.config.dial ?? dialUri;
    const deadline = this.config.connectionTimeout * 1000;
    const abort = new AbortController();
    let opened: Connection | undefined;
    const connected = new Promise<number>((resolve, reject) => {
      this.connectWaiter = guard<number>(
        this.config.clock,
        { signal, timeoutMs: deadline, what: "connect" },
        resolve,
        reject,
        () => {
          abort.abort();
          opened?.abort(new ClientError("connect gave up"));
        },
      );
    });
    connected.catch(() => {});
    const dialing = dial(target.url, this.tls, abort.signal);
    // A dial that completes after the attempt gave up must not leak its connection.
    dialing.then(
      (c) => {
        if (abort.signal.aborted || generation !== this.generation)
          c.abort(new ClosedError("connect abandoned"));
      },
      () => {},
    );
    const connection = await Promise.race([
      dialing.catch((cause: Error) => {
        throw new ConnectError(`cannot reach ${target.url.href}: ${cause.message}`, undefined, { cause });
      }),
      connected.then(() => undefined as never),
    ]);
    if (generation !== this.generation || this.stateValue === "closed" || abort.signal.aborted) {
      connection.abort(new ClosedError("connect abandoned"));
      return connected;
    }
    opened = connection;
    this.connection = connection;
    this.outbox.attach(connection);
    const session = this.newSession();
    this.session = session;
    void this.readLoop(connection, session, generation);
    const willConfig = this.config.will;
    const v5 = this.config.protocolVersion === 5;
    const properties: ConnectProperties = { ...this.connectProperties };
    if (v5 && properties.sessionExpiryInterval === undefined) {
      properties.sessionExpiryInterval =
        this.config.sessionExpiryInterval ?? (this.cleanSession ? 0 : 0xffff_ffff);
    }
    if (v5 && this.auth !== undefined) {
      properties.authenticationMethod = this.auth.method;
      if (this.auth.data !== undefined) properties.authenticationData = this.auth.data;
    }
    // A session resumed by the broker must not be cleaned on a reconnect, whatever the first call said.
    this.carry(
      session.connect(
        {
          clientId: this.clientId,
          clean: this.cleanSession,
          keepAlive: this.config.keepAlive, // as configured (aMQTT sent keep_alive - ping_delay: a QUIRK)
          ...(target.username === undefined ? {} : { username: target.username }),
          ...(target.password === undefined ? {} : { password: encoder.encode(target.password) }),
          ...(willConfig === undefined
            ? {}
            : {
                will: {
                  topic: willConfig.topic,
                  payload:
                    typeof willConfig.message === "string"
                      ? encoder.encode(willConfig.message)
                      : willConfig.message,
                  qos: willConfig.qos ?? 0,
                  retain: willConfig.retain ?? false,
                },
              }),
          ...(v5 ? { properties } : {}),
        },
        this.config.clock.now(),
      ),
    );
    return connected;
  }

  private newSession(): ClientSession {
    const options: ClientSessionOptions = {
      protocolVersion: this.config.protocolVersion,
      maxQueuedMessages: this.config.maxOfflineMessages,
      maxQueuedBytes: this.config.maxOfflineBytes,
      overflow: this.config.offlineOverflow,
      ...(this.config.pingTimeoutMs === undefined ? {} : { pingTimeoutMs: this.config.pingTimeoutMs }),
    };
    const snapshot = this.snapshot;
    if (snapshot === undefined || snapshot.protocolVersion !== this.config.protocolVersion)
      return new ClientSession(options);
    return ClientSession.restore(snapshot, options);
  }

  private async readLoop(connection: Connection, session: ClientSession, generation: number): Promise<void> {
    try {
      for await (const chunk of connection) {
        if (generation !== this.generation) break;
        const now = this.config.clock.now();
        this.silence.received(now);
        this.carry(session.received(chunk, now), session);
      }
    } catch {
      // The transport failed; `closed` below ends the session.
    }
    const info = await connection.closed;
    if (this.session === session) this.carry(session.closed(this.config.clock.now()), session, info.error);
  }

  /** Carry out a session's actions, in order. */
  private carry(actions: SessionAction[], session = this.session, transportError?: Error): void {
    let justConnected: { sessionPresent: boolean; keepAlive: number } | undefined;
    for (const a of actions) {
      switch (a.kind) {
        case "send":
          this.outbox.push(a.bytes);
          break;
        case "setTimer":
          this.setTimer(a.timer, a.ms, session);
          break;
        case "clearTimer":
          this.clearTimer(a.timer);
          break;
        case "close":
          this.outbox.flush(true);
          // A silent peer will not take a graceful close either.
          if (a.reason === "ping-timeout" || a.reason === "keep-alive-timeout")
            this.connection?.abort(new ClientError(`closed: ${a.reason}`));
          else this.connection?.close();
          break;
        case "connected":
          justConnected = { sessionPresent: a.sessionPresent, keepAlive: a.keepAlive };
          if (a.clientId !== "") this.clientId = a.clientId;
          break;
        case "message":
          this.onMessage(a);
          break;
        case "subscribed":
        case "unsubscribed":
          this.onRequestAnswered(a.packetId, a.reasonCodes);
          break;
        case "pong":
          for (const p of this.pings.splice(0)) p.resolve();
          break;
        case "acked":
          this.onAcked(a.seq, a.packetId, a.reasonCode);
          break;
        case "publishDropped":
          if (a.seq !== undefined) {
            const entry = this.publishes.get(a.seq);
            this.publishes.delete(a.seq);
            entry?.reject(new PublishError(`publish to ${a.topic} dropped: ${a.reason}`, a.reason));
          }
          break;
        case "authRequest":
          void this.answerAuth(a.data, session);
          break;
        case "protocolError":
          this.emit("protocolError", a.error);
          break;
        case "disconnected":
          this.onConnectionLost(a, session, transportError);
          break;
        default:
          break;
      }
    }
    if (justConnected !== undefined) {
      // The keep alive in force (the broker's Server Keep Alive when it sent one).
      this.silence.start(justConnected.keepAlive * 1000, this.config.clock.now());
      this.onConnected(justConnected.sessionPresent);
    }
  }

  private async answerAuth(data: Uint8Array | undefined, session: ClientSession | undefined): Promise<void> {
    if (this.auth === undefined || session === undefined) return;
    const answer = await this.auth.onChallenge(data);
    if (!session.isClosed) this.carry(session.authContinue(answer, this.config.clock.now()), session);
  }

  private setTimer(kind: TimerKind, ms: number, session: ClientSession | undefined): void {
    this.clearTimer(kind);
    const handle = this.config.clock.setTimeout(() => {
      this.timers.delete(kind);
      if (session !== undefined && session === this.session)
        this.carry(session.timerFired(kind, this.config.clock.now()), session);
    }, ms);
    this.timers.set(kind, handle);
  }

  private clearTimer(kind: TimerKind): void {
    const handle = this.timers.get(kind);
    if (handle === undefined) return;
    this.config.clock.clearTimeout(handle);
    this.timers.delete(kind);
  }

  private onMessage(a: Extract<SessionAction, { kind: "message" }>): void {
    const message = new IncomingApplicationMessage(
      a.packetId,
      a.topic,
      a.qos,
      a.payload,
      a.retain,
      a.properties,
    );
    this.emit("message", message);
    this.delivery.push(message);
  }

  private onRequestAnswered(packetId: number, codes: number[]): void {
    const entry = this.requests.get(packetId);
    if (entry === undefined) return;
    this.requests.delete(packetId);
    if (entry.kind === "subscribe") {
      entry.subscriptions.forEach((s, i) => {
        if ((codes[i] ?? 0x80) < 0x80) this.wanted.set(s.topicFilter, s);
      });
    } else {
      for (const f of entry.topicFilters) this.wanted.delete(f);
    }
    entry.resolve(codes);
  }

  private onAcked(seq: number, packetId: number, reasonCode: number): void {
    const entry = this.publishes.get(seq);
    if (entry === undefined) return;
    this.publishes.delete(seq);
    entry.message.packetId = packetId;
    if (reasonCode >= 0x80)
      entry.reject(
        new PublishError(
          `the broker refused the publish (0x${reasonCode.toString(16)})`,
          "refused",
          reasonCode,
        ),
      );
    else entry.resolve(entry.message);
  }

  /** Nothing received for a keep alive: a PINGREQ, whose missing PINGRESP will close the connection. */
  private pingIfConnected(): void {
    const session = this.session;
    if (session !== undefined && session.state === "connected")
      this.carry(session.ping(this.config.clock.now()), session);
  }

  private onConnected(sessionPresent: boolean): void {
    const reconnect = this.everConnected;
    this.everConnected = true;
    this.sessionPresent = sessionPresent;
    this.stateValue = "connected";
    const session = this.session as ClientSession;
    // The broker lost (or never had) our session: restore the subscriptions (aMQTT did not, #149).
    if (!sessionPresent && this.wanted.size > 0) {
      const entry: PendingRequest = {
        kind: "subscribe",
        subscriptions: [...this.wanted.values()],
        topicFilters: [],
        internal: true,
        resolve: () => {},
        reject: () => {},
        done: () => false,
      };
      this.sendRequest(entry);
    }
    for (const r of this.redo.splice(0)) if (!r.done()) this.sendRequest(r);
    for (const p of this.offline.drain()) if (!p.done()) this.sendPublish(p);
    this.connectWaiter?.resolve(0);
    this.connectWaiter = undefined;
    if (this.session === session) this.emit("connected", { sessionPresent, reconnect });
  }

  private onConnectionLost(
    a: Extract<SessionAction, { kind: "disconnected" }>,
    session: ClientSession | undefined,
    transportError: Error | undefined,
  ): void {
    if (session === undefined || session !== this.session) return;
    this.silence.stop();
    for (const kind of [...this.timers.keys()]) this.clearTimer(kind);
    this.outbox.flush(true);
    this.outbox.attach(undefined);
    this.snapshot = session.snapshot();
    this.session = undefined;
    this.connection?.close();
    this.connection = undefined;
    this.generation++;
    for (const p of this.pings.splice(0)) p.reject(new ClosedError("the connection ended before PINGRESP"));
    // SUBSCRIBE/UNSUBSCRIBE without an answer are void with the connection: send them again.
    for (const r of this.requests.values()) if (r.internal !== true) this.redo.push(r);
    this.requests.clear();
    this.redo = this.redo.filter((r) => !r.done());
    if (a.serverReference !== undefined && this.config.followServerReference && this.target !== undefined) {
      this.target = parseBrokerUri(followReference(this.target.url, a.serverReference));
    }
    const refused = a.initiator === "peer" && this.stateValue !== "connected" && a.reasonCode !== 0;
    const error =
      a.initiator === "local" && a.reasonCode === 0
        ? undefined
        : refused
          ? new ConnectError(`the broker refused the connection (code ${a.reasonCode})`, a.reasonCode)
          : new ClientError(`connection lost (${a.initiator}, code 0x${a.reasonCode.toString(16)})`, {
              cause: transportError,
            });
    if (this.stateValue === "connecting" || this.stateValue === "reconnecting") {
      const waiter = this.connectWaiter;
      this.connectWaiter = undefined;
      waiter?.reject(error ?? new ConnectError("connection closed before CONNACK"));
      return;
    }
    if (this.stateValue !== "connected") return;
    const willReconnect = this.config.autoReconnect && this.config.reconnectRetries !== 0;
    this.emit("disconnected", { error, willReconnect });
    if (willReconnect) {
      this.stateValue = "reconnecting";
      this.establish(false, undefined).catch(() => {});
    } else {
      this.stateValue = "closed";
      this.failEverything(new ClosedError("connection lost and auto_reconnect is off", { cause: error }));
    }
  }

  /** Settle every promise still waiting: nothing hangs after `disconnect()` or giving up. */
  private failEverything(error: Error): void {
    this.silence.stop();
    for (const kind of [...this.timers.keys()]) this.clearTimer(kind);
    this.connectWaiter?.reject(error);
    this.connectWaiter = undefined;
    for (const p of this.publishes.values()) p.reject(error);
    this.publishes.clear();
    for (const p of this.offline.drain()) p.reject(error);
    for (const r of this.requests.values()) r.reject(error);
    this.requests.clear();
    for (const r of this.redo.splice(0)) r.reject(error);
    for (const p of this.pings.splice(0)) p.reject(error);
    for (const listener of [...this.closeListeners]) listener(error);
    this.closeListeners.clear();
  }
}

/** Whether `object` has an own enumerable key (without building the key array). */
function hasAnyKey(object: object): boolean {
  for (const key in object) if (Object.hasOwn(object, key)) return true;
  return false;
}

function followReference(current: URL, reference: string): string {
  // A Server Reference is "host[:port]" (several may be given, space separated: take the first).
  const first = reference.trim().split(/\s+/)[0] ?? "";
  const url = new URL(current.href);
  const [host, port] = first.startsWith("[")
    ? [first.slice(0, first.indexOf("]") + 1), first.split("]:")[1]]
    : first.split(":");
  if (host) url.hostname = host;
  if (port) url.port = port;
  return url.href;
}

function generateClientId(random: () => number): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  let id = "amqtt/";
  for (let i = 0; i < 16; i++) id += alphabet[Math.floor(random() * alphabet.length)];
  return id;
}
