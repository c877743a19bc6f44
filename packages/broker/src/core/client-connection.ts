// Over 400 lines: the whole per-connection shell (bytes in, actions out, timers, pause and ack deadline) in one class, since its host interface and the class refer to each other.
import {
  type MqttError,
  PacketType,
  type ProtocolVersion,
  type PublishProperties,
  type QoS,
  ReasonCode,
} from "@amqtt/codec";
import {
  type AuthRequestAction,
  type ConnectRequestAction,
  type DisconnectedAction,
  type MessageAction,
  type PublishMessage,
  type PublishRequestAction,
  type SendAction,
  ServerSession,
  type ServerSessionOptions,
  type SessionAction,
  type SharedPublish,
  type SubscribeRequestAction,
  type TimerKind,
  type UnsubscribeRequestAction,
} from "@amqtt/session";
import type { Connection } from "@amqtt/transport";
import type { ClientInfo } from "../plugins/types.js";
import { actionLists } from "./action-lists.js";
import { clientInfoOf, settleClientInfo } from "./client-info.js";
import { ConnectionTimers } from "./connection-timers.js";
import { DeliveryLoad, type DeliveryLoadHost } from "./delivery-load.js";
import { runFirstTask, runFirstTaskWith, SerialTasks } from "./serial-tasks.js";
import { INPUT_SLICE_BYTES, SlicedInput } from "./sliced-input.js";
import type { TimerWheel } from "./timer-wheel.js";
import type { Clock, TimerHandle } from "./timers.js";

/** Why the session's bounded queue dropped a message (for the drop log). */
const dropReasons = {
  "queue-full": "the subscriber's queue is full (online_queue_overflow)",
  "too-large": "larger than the subscriber's queue (max_queued_bytes) or maximum packet size",
} as const;

/**
 * What a connection asks of the broker (the broker's internal `ConnectionCore`
 * implements it; it is not part of `Broker`'s public type). `S` is the broker's
 * record of the session a connection is attached to, opaque to the connection.
 */
export interface ConnectionHost<S> extends DeliveryLoadHost {
  readonly sessionOptions: ServerSessionOptions;
  onConnectRequest(conn: ClientConnection<S>, action: ConnectRequestAction): void;
  onPublishRequest(conn: ClientConnection<S>, action: PublishRequestAction): void;
  onMessage(conn: ClientConnection<S>, action: MessageAction): void;
  onSubscribeRequest(conn: ClientConnection<S>, action: SubscribeRequestAction): void;
  onAuthRequest(conn: ClientConnection<S>, action: AuthRequestAction): void;
  onUnsubscribeRequest(conn: ClientConnection<S>, action: UnsubscribeRequestAction): void;
  onDisconnected(conn: ClientConnection<S>, action: DisconnectedAction): void;
  onConnected(conn: ClientConnection<S>): void;
  onPacket(conn: ClientConnection<S>, direction: "in" | "out", packet: unknown, bytes: number): void;
  /** Bytes read from a client and the packets decoded from them (every type). */
  onReceived(bytes: number, packets: number): void;
  /** Whether `onPacket` wants every received packet (a plugin's packet hook). */
  readonly packetsObserved: boolean;
  onDeliveryDropped(conn: ClientConnection<S>, topic: string, reason: string): void;
  /** The client acknowledged nothing for `ack_timeout`; the connection is ended next. */
  onAckTimeout(conn: ClientConnection<S>): void;
  /** The client broke a rule (the session is closing the connection); before CONNECT too. */
  onProtocolError(conn: ClientConnection<S>, error: MqttError): void;
  /**
   * A PUBREL (this broker as a QoS 2 sender) about to be written: answers true
   * when the host holds it, to hand it back through `sendHeld` (see `ReleaseGate`).
   */
  holdsRelease?(conn: ClientConnection<S>, action: SendAction): boolean;
}

/**
 * Called once when a connection is over. Method-shaped, so that it is checked
 * bivariantly like the connection's methods (a `ClientConnection<SessionState>`
 * stays usable as a `ClientConnection`).
 */
export type OverHook<S> = { over(conn: ClientConnection<S>): void }["over"];

// Bits of `ClientConnection.flags`.
/** The machine closed or the transport ended. */
const FINISHED = 1;
/** The transport's `closed` is watched (`watchClose`). */
const CLOSE_WATCHED = 2;
/** The broker, not the client, is ending the connection. */
const SHUTTING_DOWN = 4;

/**
 * The shell of one client connection: it feeds the transport's bytes, timers and
 * close into a `ServerSession` and carries out the actions that come back. It
 * owns the timers and the socket, and nothing else: every decision is the
 * machine's (protocol) or the broker's (policy, routing, sessions). Its timers
 * and its batched output are the layers it extends (`ConnectionTimers`,
 * `Outbound`), not objects of their own.
 */
export class ClientConnection<S = unknown> extends ConnectionTimers {
  readonly session: ServerSession;
  /** Facts about the client for plugins; filled in from the CONNECT. */
  readonly info: ClientInfo;
  /**
   * When the CONNECT was accepted, on the broker's monotonic clock (whole ms, a
   * small integer stored in place; an epoch time would be a 16-byte heap number).
   */
  private connectedTick = -1;
  /** The broker's session record, once the CONNECT is accepted. */
  private attached: S | undefined;
  /** The `FINISHED`, `CLOSE_WATCHED` and `SHUTTING_DOWN` bits: one field instead of three. */
  private flags = 0;
  /** Made when a task first answers asynchronously (most connections never wait on a plugin). */
  private serial: SerialTasks | undefined;
  /** Called once when the connection is over (`start`'s hook, or what resolves `run`). */
  private overHook: OverHook<S> | undefined;
  /**
   * Unacknowledged outgoing messages, paused publishers, `ack_timeout`, this
   * client's own pause: made on first use (see `load`), as an idle client never has any.
   */
  private loaded: DeliveryLoad | undefined;
  /**
   * Push-style input, fed a slice per event-loop turn (fairness between
   * connections); made at the first chunk larger than a slice (an idle
   * client's packets are small, and a chunk of one slice is fed as it is).
   */
  private input: SlicedInput | undefined;
  /** Reading held by the rate limiter (`holdReading`) until this timer fires. */
  private rateHold: TimerHandle | undefined;

  constructor(
    private readonly host: ConnectionHost<S>,
    transport: Connection,
    listener: string,
  ) {
    // Outgoing packets are written once per event-loop turn (bounded by the transport's `maxBufferedBytes`).
    super(transport);
    this.session = new ServerSession(host.sessionOptions);
    if (host.packetsObserved)
      this.session.onPacketReceived = (packet) => host.onPacket(this, "in", packet, 0);
    this.info = clientInfoOf(transport, listener);
    // The connection is its load's LoadedConnection and its input's SliceReader:
    // methods on the prototype instead of closures and their contexts per connection.
  }

  /** For its ConnectionTimers: the broker's wheel. */
  protected get wheel(): TimerWheel {
    return this.host.wheel;
  }

  /** The broker's clock. */
  protected get clock(): Clock {
    return this.host.clock;
  }

  private get finished(): boolean {
    return (this.flags & FINISHED) !== 0;
  }

  /** The listener's name (its info's: not a second field per connection). */
  get listener(): string {
    return this.info.listener;
  }

  /** The keep alive in force once connected, in seconds (the client's, or the server's lower one). */
  get keepAlive(): number | undefined {
    return this.connectedTick < 0 ? undefined : this.session.keepAliveSeconds;
  }

  /** When the CONNECT was accepted (ms since the epoch), `undefined` before. */
  get connectedAt(): number | undefined {
    if (this.connectedTick < 0) return undefined;
    return Date.now() - (this.clock.now() - this.connectedTick);
  }

  /** This connection's delivery load, made on first use. */
  private get load(): DeliveryLoad {
    this.loaded ??= new DeliveryLoad(this.host, this);
    return this.loaded;
  }

  /** For its Outbound: the client read what was backlogged; the publishers paused for it read again. */
  protected outputDrained(): void {
    this.loaded?.outputDrained();
  }

  /**
   * Stop reading from this publisher until `subscriber`'s output drains, within
   * the bounds of `PublisherPause`; past them the subscriber's `maxBufferedBytes`
   * applies (it is closed as a slow consumer). On by default: the broker's output
   * backlog is what grew its memory under fan-in.
   */
  pauseForOutput(subscriber: ClientConnection): void {
    if (!this.finished) this.load.pauseForOutput(subscriber.load);
  }

  /** For its ConnectionTimers: a timer of the machine fired. */
  timerFired(kind: TimerKind, t: number): void {
    this.apply(this.session.timerFired(kind, t));
  }

  /** For its SerialTasks: a task threw or rejected; the connection aborts. */
  taskFailed(error: Error): void {
    this.transport.abort(error);
  }

  /** For its DeliveryLoad: stop reading (the client is paused as a publisher). */
  pauseReading(): void {
    // A paused reader may hear of the close only on resume: watch for it instead.
    this.watchClose();
    this.transport.pauseReading?.();
  }

  /** For its DeliveryLoad: read again once nothing holds reading. */
  resumeReading(): void {
    this.readAgain();
  }

  /** For its SlicedInput: feed a slice of input to the machine. */
  feedSlice(bytes: Uint8Array): void {
    this.feed(bytes);
  }

  /** For its SlicedInput: true while nothing may be fed (over, paused as a publisher, or rate-held). */
  inputHeld(): boolean {
    return this.finished || this.loaded?.pausedUntil !== undefined || this.rateHold !== undefined;
  }

  /** The broker's session record this connection is attached to (once its CONNECT is accepted). */
  get state(): S | undefined {
    return this.attached;
  }

  /** The broker admitted this connection to `state` (a new, resumed or taken-over session). */
  attach(state: S): void {
    this.attached = state;
  }

  /** True when the broker, not the client, is ending the connection (a shutdown: no will). */
  get stopping(): boolean {
    return (this.flags & SHUTTING_DOWN) !== 0;
  }

  /** The broker is shutting down: DISCONNECT with `reasonCode` (5.0), no will is published. */
  shutDown(reasonCode: number): void {
    this.flags |= SHUTTING_DOWN;
    this.disconnect(reasonCode);
  }

  /**
   * Run `task` after everything this connection started before through here
   * (SUBSCRIBE, UNSUBSCRIBE, PUBLISH answers that wait on plugins), so late
   * plugin answers never reorder its packets. A task that throws aborts it.
   */
  inOrder(task: () => void | Promise<void>): void {
    if (this.serial !== undefined) {
      this.serial.run(task);
      return;
    }
    const pending = runFirstTask(this, task);
    if (pending === undefined) return;
    this.serial = new SerialTasks(this);
    this.serial.follow(pending);
  }

  /** `inOrder` for the method `task` of `self` with three arguments: no closure while nothing is pending (the PUBLISH hot path). */
  inOrderWith<T, A, B, C>(
    self: T,
    task: (this: T, a: A, b: B, c: C) => void | Promise<void>,
    a: A,
    b: B,
    c: C,
  ): void {
    if (this.serial !== undefined) {
      this.serial.runWith(self, task, a, b, c);
      return;
    }
    // Nothing pending and no SerialTasks yet (the idle connection has none): run it now.
    const pending = runFirstTaskWith(this, self, task, a, b, c);
    if (pending === undefined) return;
    this.serial = new SerialTasks(this);
    this.serial.follow(pending);
  }

  /** Protocol level of the client (4 until its CONNECT is decoded). */
  get protocolVersion(): ProtocolVersion {
    return this.session.protocolVersion;
  }

  /** True once the machine closed or the transport ended. */
  get closed(): boolean {
    return this.finished;
  }

  /** Start reading; resolves when the connection is over. */
  run(): Promise<void> {
    return new Promise<void>((resolve) => this.start(() => resolve()));
  }

  /**
   * Start reading; `over` is called once when the connection is over. What
   * listeners use: no promise per connection (`run` makes one).
   */
  start(over: OverHook<S>): void {
    this.apply(this.session.start(this.clock.now()));
    const transport = this.transport;
    if (transport.read === undefined || transport.pauseReading === undefined) {
      // Over when the iteration ends (not already when the machine finishes).
      void this.iterate().then(() => over(this));
      return;
    }
    // Push-style reading: no promise per chunk and no iterator held per connection.
    this.overHook = over;
    if (this.finished) this.ended();
    else transport.read(this);
  }

  /** The connection is over: the hook runs (once). */
  private ended(): void {
    const hook = this.overHook;
    this.overHook = undefined;
    hook?.(this);
  }

  /** @internal The transport's reader: bytes from the client. */
  data(chunk: Uint8Array): void {
    if (this.finished) return;
    if (this.input === undefined) {
      // What a SlicedInput does with a chunk of one slice and nothing left over.
      if (chunk.length <= INPUT_SLICE_BYTES) {
        this.feed(chunk);
        return;
      }
      this.input = new SlicedInput(this.transport, this, this.host.contention);
    }
    this.input.data(chunk);
  }

  private feed(bytes: Uint8Array): void {
    if (this.finished) return;
    try {
      this.receive(bytes);
    } catch (error) {
      this.transport.abort(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /** Bytes from the client to the machine: counted (bytes and packets), then their actions carried out. */
  private receive(bytes: Uint8Array): void {
    const session = this.session;
    const before = session.packetsReceived;
    const actions = session.received(bytes, this.clock.now(), actionLists.take());
    this.host.onReceived(bytes.length, session.packetsReceived - before);
    this.applyOnce(actions);
  }

  /** `apply` for a list from `actionLists`, which goes back once carried out. */
  applyOnce(actions: SessionAction[]): void {
    try {
      this.apply(actions);
    } finally {
      actionLists.give(actions);
    }
  }

  /** @internal The transport's reader: the client's input ended. */
  end(): void {
    // What was received before the end is still the client's: fed first, in order.
    this.input?.flush();
    if (!this.finished) this.apply(this.session.closed(this.clock.now()));
    this.ended();
  }

  /** Reading through async iteration, for a transport without push-style reading. */
  private async iterate(): Promise<void> {
    this.watchClose();
    const iterator = this.transport[Symbol.asyncIterator]();
    try {
      for (;;) {
        const next = await iterator.next();
        if (next.done === true) break;
        this.receive(next.value);
        if (this.finished) break;
        const pause = this.loaded?.pausedUntil;
        if (pause !== undefined) await pause;
      }
    } catch (error) {
      this.transport.abort(error instanceof Error ? error : new Error(String(error)));
    }
    if (!this.finished) this.apply(this.session.closed(this.clock.now()));
  }

  /** End the machine as soon as the transport closes, even while reading waits (once per connection). */
  private watchClose(): void {
    if ((this.flags & CLOSE_WATCHED) !== 0) return;
    this.flags |= CLOSE_WATCHED;
    this.transport.closed.then(() => {
      if (!this.finished) this.apply(this.session.closed(this.clock.now()));
    });
  }

  /** Write packets the host held back (`holdsRelease`), in order; nothing once the connection is over. */
  sendHeld(actions: readonly SendAction[]): void {
    if (this.finished) return;
    for (const action of actions) {
      this.host.onPacket(this, "out", action.packet, action.bytes.length);
      this.queueOutput(action.bytes);
    }
  }

  /** Carry out a machine's actions, in order. */
  apply(actions: SessionAction[]): void {
    // An index, not for-of: the array iterator was not always optimized away (about 100 bytes per message).
    for (let i = 0; i < actions.length; i++) {
      const action = actions[i] as SessionAction;
      switch (action.kind) {
        case "send":
          if (action.packet.type === PacketType.PUBREL && this.host.holdsRelease?.(this, action) === true)
            break;
          this.host.onPacket(this, "out", action.packet, action.bytes.length);
          this.queueOutput(action.bytes);
          break;
        case "setTimer":
          this.setTimer(action.timer, action.ms);
          break;
        case "clearTimer":
          this.clearTimer(action.timer);
          break;
        case "close":
          this.finish();
          this.flushOutput();
          this.transport.close();
          break;
        case "connectRequest":
          this.fillInfo(action);
          this.host.onConnectRequest(this, action);
          break;
        case "connected":
          this.info.clientId = action.clientId;
          this.connectedTick = this.clock.now();
          this.host.onConnected(this);
          break;
        case "publishRequest":
          this.host.onPublishRequest(this, action);
          break;
        case "message":
          this.host.onMessage(this, action);
          break;
        case "authRequest":
          this.host.onAuthRequest(this, action);
          break;
        case "subscribeRequest":
          this.host.onSubscribeRequest(this, action);
          break;
        case "unsubscribeRequest":
          this.host.onUnsubscribeRequest(this, action);
          break;
        case "disconnected":
          this.finish();
          this.host.onDisconnected(this, action);
          break;
        case "publishAccepted":
          this.load.accepted();
          break;
        case "acked":
          this.load.acked();
          break;
        case "publishDropped":
          if (action.seq !== undefined) this.load.dropped();
          this.host.onDeliveryDropped(this, action.topic, `${action.reason}: ${dropReasons[action.reason]}`);
          break;
        case "packetDropped":
          // The "publishDropped" that follows reports the drop.
          break;
        case "protocolError":
          this.host.onProtocolError(this, action.error);
          break;
        case "subscribed":
        case "unsubscribed":
        case "pong":
        case "authSucceeded":
        case "published":
        case "ignoredPacket":
          // Client-side actions (a server machine never emits them), or ones the machine
          // already carried out: nothing for the shell.
          break;
        default: {
          const _never: never = action;
          throw new Error(`unhandled session action ${JSON.stringify(_never)}`);
        }
      }
    }
  }

  /**
   * Deliver a message to this client; a no-op once the connection is over. Give
   * every delivery of one routed message the same `shared` to encode its PUBLISH
   * once per shape instead of once per client.
   */
  deliver(
    topic: string,
    payload: Uint8Array,
    qos: QoS,
    retain: boolean,
    properties?: PublishProperties,
    shared?: SharedPublish,
  ): void {
    if (this.finished || this.session.state !== "connected") return;
    const message =
      properties === undefined
        ? { topic, payload, qos, retain }
        : { topic, payload, qos, retain, properties };
    this.applyOnce(this.session.deliver(message, this.clock.now(), shared, actionLists.take()));
  }

  /**
   * Deliver `message` as it is (its own QoS, RETAIN flag and properties): what
   * `deliver` does without making a message object. The session does not keep it.
   */
  deliverMessage(message: PublishMessage, shared?: SharedPublish): void {
    if (this.finished || this.session.state !== "connected") return;
    this.applyOnce(this.session.deliver(message, this.clock.now(), shared, actionLists.take()));
  }

  /** Outgoing QoS 1/2 messages not yet acknowledged (in flight or waiting for the window). */
  get unacknowledged(): number {
    return this.loaded?.unacknowledged ?? 0;
  }

  /**
   * Resolves once at most `atMost` outgoing QoS 1/2 messages are unacknowledged,
   * or the connection is over. One wait at a time (the offline-queue drain).
   */
  unacknowledgedAtMost(atMost: number): Promise<void> {
    return this.finished ? Promise.resolve() : this.load.atMost(atMost);
  }

  /** True when opt-in publisher backpressure is on and this subscriber holds its high-water mark. */
  get congested(): boolean {
    if (this.loaded !== undefined) return this.loaded.congested;
    // Nothing unacknowledged yet: congested only at a high-water mark of 0.
    const bp = this.host.backpressure;
    return bp !== undefined && bp.highWater <= 0;
  }

  /**
   * Opt-in backpressure: stop reading from this publisher until `subscriber`
   * drains to its low-water mark, within the bounds of `PublisherPause` (a
   * cycle of clients publishing to each other never deadlocks); past them the
   * subscriber's queue bound applies. Not reading makes TCP push back.
   */
  pauseFor(subscriber: ClientConnection): void {
    if (!this.finished) this.load.pauseFor(subscriber.load);
  }

  /** While paused, the promise of the resume; `undefined` when not paused. */
  pausedUntil(): Promise<void> | undefined {
    return this.loaded?.pausedUntil;
  }

  /** Start reading again. */
  resume(): void {
    this.loaded?.resume();
  }

  private readAgain(): void {
    if (this.transport.resumeReading === undefined) return;
    // After the answers waiting on the pause, and never inside another connection's
    // actions (a resume comes from a subscriber's acknowledgement).
    queueMicrotask(() => {
      if (this.loaded?.pausedUntil === undefined && this.rateHold === undefined && !this.finished)
        if (this.input === undefined) this.transport.resumeReading?.();
        else this.input.resume();
    });
  }

  /**
   * Stop reading for `ms` (a client over its rate limit): TCP then pushes back
   * on the client, which is how 3.1.1 clients are slowed. A hold already
   * running is kept; input already read is still fed up to the next slice.
   */
  holdReading(ms: number): void {
    if (this.finished || this.rateHold !== undefined) return;
    this.watchClose();
    this.transport.pauseReading?.();
    this.rateHold = this.clock.setTimeout(() => {
      this.rateHold = undefined;
      this.readAgain();
    }, ms);
  }

  /**
   * Nothing acknowledged for `ack_timeout`: end the connection. 5.0 DISCONNECT
   * 0x97 Quota exceeded, "an implementation or administratively imposed limit
   * has been exceeded" (5.0 section 3.14.2.1): the limit is the broker's
   * acknowledgement deadline. Not 0x8D Keep Alive timeout (the client is alive
   * and reading), not 0x98 Administrative action (no operator acted). The
   * session keeps its unacknowledged messages: they are resent on the next
   * connection (5.0 section 4.4). Called by its DeliveryLoad.
   */
  ackTimedOut(): void {
    if (this.finished) return;
    this.host.onAckTimeout(this);
    this.disconnect(ReasonCode.QUOTA_EXCEEDED);
  }

  /** End the connection from the broker side: DISCONNECT with `reasonCode` in 5.0, a plain close before. */
  disconnect(reasonCode: number): void {
    if (this.finished) return;
    if (this.session.state === "connected")
      this.apply(this.session.disconnect(this.clock.now(), { reasonCode }));
    else {
      this.finish();
      this.flushOutput();
      this.transport.close();
      this.apply(this.session.closed(this.clock.now()));
    }
  }

  private fillInfo(action: ConnectRequestAction): void {
    const p = action.packet;
    this.info.clientId = p.clientId;
    this.info.username = p.username;
    this.info.password = p.password;
    this.info.protocolVersion = p.protocolVersion;
  }

  private finish(): void {
    if (this.finished) return;
    this.flags |= FINISHED;
    settleClientInfo(this.info);
    this.loaded?.end();
    this.clearAllTimers();
    if (this.rateHold !== undefined) this.clock.clearTimeout(this.rateHold);
    this.rateHold = undefined;
    this.ended();
  }
}
