import type { SubscribeProperties } from "@amqtt/codec";
import type { IncomingApplicationMessage, OutgoingApplicationMessage } from "@amqtt/message";
import { ClientSession, type SessionSnapshot } from "@amqtt/session";
import { generateClientId } from "./client-id.js";
import type {
  ClientState,
  ConnectCallOptions,
  PublishCallOptions,
  SignalOptions,
  SubscriptionInput,
} from "./client-options.js";
import { type ClientConfig, type ClientConfigInput, resolveConfig, type TlsSettings } from "./config.js";
import { ClientCore } from "./core.js";
import { ClientError, ClosedError } from "./errors.js";
import { type ClientEvents, TypedEvents } from "./events.js";
import { MessageStream } from "./message-stream.js";
import type { AnyClientPluginDefinition, ClientPlugin, ClientPluginFactory } from "./plugins/types.js";
import { publish } from "./publishing.js";
import { request } from "./requests.js";
import { parseBrokerUri } from "./uri.js";
import { guard } from "./waiting.js";

/**
 * aMQTT's `MQTTClient` for Node and browsers. Every method returns a promise that
 * settles: it resolves, or rejects with a typed error ({@link ConnectError},
 * {@link TimeoutError}, {@link AbortError}, {@link ClosedError},
 * {@link PublishError}, {@link ClientError}); none is left pending by `disconnect()`.
 *
 * The facade of the client's modules (see the README's module map): the
 * connection attempt, the reconnect loop, the session driver, requests and
 * publishing share one `ClientCore`.
 */
export class MQTTClient extends TypedEvents<ClientEvents> {
  /** The configuration in force. */
  readonly config: ClientConfig;
  private readonly core: ClientCore;

  /**
   * `pluginDefinitions` are plugins the config's `plugins` key may name (a
   * package's, or the application's); `plugins` are plugins given in code, run
   * after the configured ones.
   * @throws ClientError for a bad config; ClientConfigError names the key.
   */
  constructor(
    options: {
      clientId?: string;
      config?: ClientConfigInput;
      pluginDefinitions?: readonly AnyClientPluginDefinition[];
      plugins?: readonly (ClientPlugin | ClientPluginFactory)[];
    } = {},
  ) {
    super();
    this.config = resolveConfig(options.config, options.pluginDefinitions);
    const clientId = options.clientId ?? generateClientId(this.config.random);
    this.core = new ClientCore(
      this.config,
      clientId,
      (event, value) => this.emit(event, value),
      options.plugins,
    );
  }

  /** The client identifier (generated as `amqtt/<16 chars>` when not given, as aMQTT; the broker's when it assigned one). */
  get clientId(): string {
    return this.core.clientId;
  }
  set clientId(value: string) {
    this.core.clientId = value;
  }
  /** Whether the broker resumed a session at the last CONNACK. */
  get sessionPresent(): boolean {
    return this.core.sessionPresent;
  }
  /** `idle`, `connecting`, `connected`, `reconnecting` or `closed` (after `disconnect()` or giving up). */
  get state(): ClientState {
    return this.core.state;
  }
  /** Publishes waiting in the offline queue. */
  get offlineQueueLength(): number {
    return this.core.offline.length;
  }
  /** Received messages waiting for `deliverMessage` / `messages()`. */
  get deliveryQueueLength(): number {
    return this.core.delivery.length;
  }
  /** The session state as plain JSON (QoS 1/2 in flight, subscriptions), for persistence. */
  sessionSnapshot(): SessionSnapshot | undefined {
    return this.core.session?.snapshot() ?? this.core.snapshot;
  }

  /**
   * Resume `snapshot` (from {@link sessionSnapshot}, possibly written to disk by
   * an earlier process) at the next `connect()`, as if the last connection had
   * ended with it: when the broker kept the session, the QoS 1/2 messages in
   * flight are sent again with their original packet identifiers, DUP set on
   * PUBLISH, and the PUBREL packets again [MQTT-4.4.0-1]. Nothing settles a
   * `publish` promise for a restored message; watch its acknowledgement with
   * a plugin's `onPacketReceived`. Only before `connect()` or after the client closed.
   * @throws ClientError while connecting or connected; InvalidSessionSnapshotError
   * (from `@amqtt/session`) for a snapshot that is not a client session's.
   */
  restoreSession(snapshot: SessionSnapshot): void {
    const core = this.core;
    if (core.state !== "idle" && core.state !== "closed")
      throw new ClientError(`restoreSession() while ${core.state}`);
    // Checked now, so a bad snapshot fails here and not inside a connection attempt.
    ClientSession.restore(snapshot, { protocolVersion: snapshot.protocolVersion });
    core.snapshot = snapshot;
  }

  /**
   * Connect and resolve with the CONNACK code (0). With `auto_reconnect`, failures
   * are retried with backoff and end in `ConnectError("Too many failed attempts")`;
   * a refusal by the broker rejects at once with `ConnectError` and its `returnCode`.
   */
  async connect(uri?: string, options: ConnectCallOptions = {}): Promise<number> {
    const core = this.core;
    if (core.state === "connecting" || core.state === "connected" || core.state === "reconnecting")
      throw new ClientError(`connect() while ${core.state}`);
    const conn = this.config.connection;
    core.target = parseBrokerUri(uri ?? conn.uri ?? "mqtt://127.0.0.1:1883");
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
    core.tls = tls;
    core.cleanSession = options.cleanSession ?? options.cleansession ?? this.config.cleanSession;
    if (core.cleanSession && core.state === "closed") core.snapshot = undefined;
    core.connectProperties = options.properties;
    core.auth = options.auth;
    core.state = "connecting";
    if (core.plugins.needsStart) {
      try {
        await core.plugins.start();
      } catch (error) {
        core.state = "idle";
        throw error;
      }
    }
    return core.establish(true, options.signal);
  }

  /**
   * Drop the current connection (if any) and connect again with the same URI,
   * keeping the session state; resolves with the CONNACK code.
   */
  async reconnect(options: { cleanSession?: boolean; signal?: AbortSignal } = {}): Promise<number> {
    const core = this.core;
    if (core.target === undefined) throw new ClientError("reconnect() before connect()");
    if (core.state === "closed") core.state = "connecting";
    if (options.cleanSession !== undefined) core.cleanSession = options.cleanSession;
    if (core.reconnecting !== undefined) return core.reconnecting;
    core.connection?.abort(new ClientError("reconnect asked"));
    core.state = "reconnecting";
    return core.establish(true, options.signal);
  }

  /** Publish `data`; resolves when the QoS flow completes (at once for QoS 0, PUBACK, PUBCOMP). */
  publish(
    topic: string,
    data: Uint8Array | string,
    options: PublishCallOptions = {},
  ): Promise<OutgoingApplicationMessage> {
    return publish(this.core, topic, data, options);
  }

  /** Subscribe; resolves with one SUBACK code per entry (granted QoS, or a failure code of 0x80 and up). */
  subscribe(
    subscriptions: SubscriptionInput[],
    options: SignalOptions & { properties?: SubscribeProperties } = {},
  ): Promise<number[]> {
    const subs = subscriptions.map((s) => (Array.isArray(s) ? { topicFilter: s[0], qos: s[1] } : s));
    return request(this.core, "subscribe", subs, [], options.signal, options.properties);
  }

  /** Unsubscribe; resolves once the UNSUBACK arrived (with its 5.0 reason codes). */
  unsubscribe(topicFilters: string[], options: SignalOptions = {}): Promise<number[]> {
    return request(this.core, "unsubscribe", [], topicFilters, options.signal);
  }

  /**
   * The next received message. `timeout` is in seconds as in aMQTT
   * (`TimeoutError` when it passes); `filter` takes only matching messages.
   */
  deliverMessage(
    options: { timeout?: number; filter?: string; signal?: AbortSignal } = {},
  ): Promise<IncomingApplicationMessage> {
    const core = this.core;
    if (core.state === "closed") {
      // Messages received before the end can still be read; then the reader is told.
      const queued = core.delivery.takeQueued(options.filter);
      return queued === undefined
        ? Promise.reject(new ClosedError("the client is disconnected"))
        : Promise.resolve(queued);
    }
    const { promise, cancel } = core.delivery.take(options.filter);
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
          core.closeListeners.delete(onClose);
          resolve(m);
        },
        (e) => {
          core.closeListeners.delete(onClose);
          reject(e);
        },
        cancel,
      );
      core.closeListeners.add(onClose);
      // A message handed over just as the wait gave up goes back into the queue.
      promise.then((m) => (g.done() ? core.delivery.push(m) : g.resolve(m)));
    });
  }

  /**
   * Received messages matching `filter` (all when omitted) as an async iterable.
   * Ends when the client is disconnected; throws `AbortError` when `signal` aborts.
   */
  messages(filter?: string, options: SignalOptions = {}): AsyncGenerator<IncomingApplicationMessage> {
    return new MessageStream(this.core, filter, options.signal);
  }

  /**
   * With `manualAcks`: acknowledge a received message now (PUBACK for QoS 1,
   * PUBREC for QoS 2; a code of 0x80 or more refuses it on 5.0). Acks still
   * leave in arrival order. Returns false when there is nothing to send: a QoS
   * 0 message, one acknowledged before, or one whose connection ended (the
   * broker sends it again on the next connection of a persistent session).
   * @throws ClientError without `manualAcks`.
   */
  acknowledge(message: IncomingApplicationMessage, reasonCode = 0): boolean {
    if (!this.config.manualAcks) throw new ClientError("acknowledge() needs the manualAcks option");
    const core = this.core;
    const held = core.heldAcks.get(message);
    if (held === undefined) return false;
    core.heldAcks.delete(message);
    if (held.session !== core.session) return false;
    core.carry(held.session.answerPublish(held.requestId, reasonCode, this.config.clock.now()), held.session);
    return true;
  }

  /** Send PINGREQ; resolves on PINGRESP (rejects when the connection ends first). */
  ping(options: SignalOptions = {}): Promise<void> {
    const core = this.core;
    const session = core.session;
    if (core.state !== "connected" || session === undefined)
      return Promise.reject(new ClientError(`ping while ${core.state}`));
    return new Promise((resolve, reject) => {
      const g = guard<void>(
        this.config.clock,
        { signal: options.signal, what: "ping" },
        resolve,
        reject,
        () => {},
      );
      core.pings.push({ resolve: () => g.resolve(), reject: g.reject });
      core.carry(session.ping(this.config.clock.now()));
    });
  }

  /**
   * Send DISCONNECT, close, and settle everything still waiting with `ClosedError`.
   * 5.0: `reasonCode` 0x04 (`ReasonCode.DISCONNECT_WITH_WILL_MESSAGE`) asks the broker to publish the will.
   */
  async disconnect(options: { reasonCode?: number; sessionExpiryInterval?: number } = {}): Promise<void> {
    const core = this.core;
    const session = core.session;
    const connection = core.connection;
    core.state = "closed";
    core.sleepTimer?.wake();
    if (session !== undefined && session.state === "connected" && connection !== undefined) {
      core.carry(session.disconnect(this.config.clock.now(), options));
      await connection.closed;
    } else {
      connection?.abort(new ClosedError("disconnect() while connecting"));
    }
    core.failEverything(new ClosedError("the client was disconnected"));
  }
}
