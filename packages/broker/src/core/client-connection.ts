import type { MqttError, ProtocolVersion, PublishProperties, QoS } from "@amqtt/codec";
import {
  type AuthRequestAction,
  type ConnectRequestAction,
  type DisconnectedAction,
  type MessageAction,
  type PublishRequestAction,
  ServerSession,
  type ServerSessionOptions,
  type SessionAction,
  type SharedPublish,
  type SubscribeRequestAction,
  type UnsubscribeRequestAction,
} from "@amqtt/session";
import type { Connection } from "@amqtt/transport";
import type { ClientInfo } from "../plugins/types.js";
import { clientInfoOf } from "./client-info.js";
import { ConnectionTimers } from "./connection-timers.js";
import { SerialTasks } from "./serial-tasks.js";
import type { TimerWheel } from "./timer-wheel.js";
import type { Clock, TimerHandle } from "./timers.js";

/**
 * What a connection asks of the broker (the broker's internal `ConnectionCore`
 * implements it; it is not part of `Broker`'s public type). `S` is the broker's
 * record of the session a connection is attached to, opaque to the connection.
 */
export interface ConnectionHost<S> {
  readonly sessionOptions: ServerSessionOptions;
  /** Unacknowledged outgoing messages per subscriber above which publishers pause, below which they resume. */
  readonly backpressure: { high: number; low: number; maxPauseMs: number };
  /** The broker's clock, and its wheel for the seconds-long deadlines. */
  readonly clock: Clock;
  readonly wheel: TimerWheel;
  onConnectRequest(conn: ClientConnection<S>, action: ConnectRequestAction): void;
  onPublishRequest(conn: ClientConnection<S>, action: PublishRequestAction): void;
  onMessage(conn: ClientConnection<S>, action: MessageAction): void;
  onSubscribeRequest(conn: ClientConnection<S>, action: SubscribeRequestAction): void;
  onAuthRequest(conn: ClientConnection<S>, action: AuthRequestAction): void;
  onUnsubscribeRequest(conn: ClientConnection<S>, action: UnsubscribeRequestAction): void;
  onDisconnected(conn: ClientConnection<S>, action: DisconnectedAction): void;
  onConnected(conn: ClientConnection<S>): void;
  onPacket(conn: ClientConnection<S>, direction: "in" | "out", packet: unknown, bytes: number): void;
  onDeliveryDropped(conn: ClientConnection<S>, topic: string, reason: string): void;
  /** The client broke a rule (the session is closing the connection); before CONNECT too. */
  onProtocolError(conn: ClientConnection<S>, error: MqttError): void;
}

/**
 * The shell of one client connection: it feeds the transport's bytes, timers and
 * close into a `ServerSession` and carries out the actions that come back. It
 * owns the timers and the socket, and nothing else: every decision is the
 * machine's (protocol) or the broker's (policy, routing, sessions).
 */
export class ClientConnection<S = unknown> {
  readonly session: ServerSession;
  /** Facts about the client for plugins; filled in from the CONNECT. */
  readonly info: ClientInfo;
  /** The broker's session record, once the CONNECT is accepted. */
  private attached: S | undefined;
  private readonly timers: ConnectionTimers;
  private finished = false;
  private readonly serial = new SerialTasks((error) => this.transport.abort(error));
  private readonly clock: Clock;
  /** Resolves `run` (push-style reading). */
  private over: (() => void) | undefined;
  private closeWatched = false;
  private shuttingDown = false;
  /** Outgoing QoS 1/2 messages taken by the session and not yet acknowledged or dropped. */
  private outstanding = 0;
  /** A wait for the unacknowledged count to fall to a level (the offline-queue drain). */
  private ackWait: { atMost: number; resolve: () => void } | undefined;
  /** Publishers paused because this connection is congested. */
  private waiters: Set<ClientConnection> | undefined;
  /** While set, reading waits: a subscriber of this client's messages is congested. */
  private gate: { promise: Promise<void>; open: () => void; timer: TimerHandle } | undefined;

  constructor(
    private readonly host: ConnectionHost<S>,
    readonly transport: Connection,
    readonly listener: string,
  ) {
    this.session = new ServerSession(host.sessionOptions);
    this.info = clientInfoOf(transport, listener);
    this.clock = host.clock;
    this.timers = new ConnectionTimers(
      host.wheel,
      host.clock,
      () => this.finished,
      (kind, t) => this.apply(this.session.timerFired(kind, t)),
    );
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
    return this.shuttingDown;
  }

  /** The broker is shutting down: DISCONNECT with `reasonCode` (5.0), no will is published. */
  shutDown(reasonCode: number): void {
    this.shuttingDown = true;
    this.disconnect(reasonCode);
  }

  /**
   * Run `task` after everything this connection started before through here
   * (SUBSCRIBE, UNSUBSCRIBE, PUBLISH answers that wait on plugins), so late
   * plugin answers never reorder its packets. A task that throws aborts it.
   */
  inOrder(task: () => void | Promise<void>): void {
    this.serial.run(task);
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
    this.apply(this.session.start(this.clock.now()));
    const transport = this.transport;
    if (transport.read === undefined || transport.pauseReading === undefined) return this.iterate();
    // Push-style reading: no promise per chunk and no iterator held per connection.
    return new Promise<void>((resolve) => {
      this.over = resolve;
      if (this.finished) resolve();
      else transport.read?.(this);
    });
  }

  /** @internal The transport's reader: bytes from the client. */
  data(chunk: Uint8Array): void {
    if (this.finished) return;
    try {
      this.apply(this.session.received(chunk, this.clock.now()));
    } catch (error) {
      this.transport.abort(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /** @internal The transport's reader: the client's input ended. */
  end(): void {
    if (!this.finished) this.apply(this.session.closed(this.clock.now()));
    this.over?.();
  }

  /** Reading through async iteration, for a transport without push-style reading. */
  private async iterate(): Promise<void> {
    this.watchClose();
    const iterator = this.transport[Symbol.asyncIterator]();
    try {
      for (;;) {
        const next = await iterator.next();
        if (next.done === true) break;
        this.apply(this.session.received(next.value, this.clock.now()));
        if (this.finished) break;
        if (this.gate !== undefined) await this.gate.promise;
      }
    } catch (error) {
      this.transport.abort(error instanceof Error ? error : new Error(String(error)));
    }
    if (!this.finished) this.apply(this.session.closed(this.clock.now()));
  }

  /** End the machine as soon as the transport closes, even while reading waits (once per connection). */
  private watchClose(): void {
    if (this.closeWatched) return;
    this.closeWatched = true;
    this.transport.closed.then(() => {
      if (!this.finished) this.apply(this.session.closed(this.clock.now()));
    });
  }

  /** Carry out a machine's actions, in order. */
  apply(actions: SessionAction[]): void {
    for (const action of actions) {
      switch (action.kind) {
        case "send":
          this.host.onPacket(this, "out", action.packet, action.bytes.length);
          this.transport.send(action.bytes);
          break;
        case "setTimer":
          this.timers.set(action.timer, action.ms);
          break;
        case "clearTimer":
          this.timers.clear(action.timer);
          break;
        case "close":
          this.finish();
          this.transport.close();
          break;
        case "connectRequest":
          this.fillInfo(action);
          this.host.onConnectRequest(this, action);
          break;
        case "connected":
          this.info.clientId = action.clientId;
          this.host.onConnected(this);
          break;
        case "publishRequest":
          this.host.onPacket(this, "in", action, action.payload.length);
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
          this.outstanding++;
          break;
        case "acked":
          this.outstanding--;
          if (this.waiters !== undefined && this.outstanding <= this.host.backpressure.low)
            this.releaseWaiters();
          if (this.ackWait !== undefined && this.outstanding <= this.ackWait.atMost) this.endAckWait();
          break;
        case "publishDropped":
          if (action.seq !== undefined) this.outstanding--;
          if (this.ackWait !== undefined && this.outstanding <= this.ackWait.atMost) this.endAckWait();
          this.host.onDeliveryDropped(this, action.topic, action.reason);
          break;
        case "packetDropped":
          this.host.onDeliveryDropped(
            this,
            "",
            `packet of ${action.size} bytes over the client's maximum ${action.limit}`,
          );
          break;
        case "protocolError":
          this.host.onProtocolError(this, action.error);
          break;
        default:
          // published, publishAccepted, acked, ignoredPacket, authRequest,
          // pong...: nothing for the shell to do (the broker has no enhanced auth yet).
          break;
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
    this.apply(this.session.deliver(message, this.clock.now(), shared));
  }

  /** Outgoing QoS 1/2 messages not yet acknowledged (in flight or waiting for the window). */
  get unacknowledged(): number {
    return this.outstanding;
  }

  /**
   * Resolves once at most `atMost` outgoing QoS 1/2 messages are unacknowledged,
   * or the connection is over. One wait at a time (the offline-queue drain).
   */
  unacknowledgedAtMost(atMost: number): Promise<void> {
    if (this.outstanding <= atMost || this.finished) return Promise.resolve();
    this.endAckWait();
    return new Promise((resolve) => {
      this.ackWait = { atMost, resolve };
    });
  }

  private endAckWait(): void {
    const wait = this.ackWait;
    this.ackWait = undefined;
    wait?.resolve();
  }

  /** True when this subscriber has so many unacknowledged messages that publishers should wait. */
  get congested(): boolean {
    return this.outstanding >= this.host.backpressure.high;
  }

  /**
   * Backpressure: stop reading from this publisher until `subscriber` drains
   * below its low-water mark, or `maxPauseMs` passes (so a cycle of clients
   * publishing to each other can never deadlock; the queue bound then applies).
   * Not reading makes TCP push back, and an MQTT publisher runs out of its
   * in-flight window: nothing acknowledged is ever dropped for being too fast.
   */
  pauseFor(subscriber: ClientConnection): void {
    if (subscriber === this || this.finished) return;
    subscriber.waiters ??= new Set();
    subscriber.waiters.add(this);
    if (this.gate !== undefined) return;
    // A paused reader may hear of the close only on resume: watch for it instead.
    this.watchClose();
    this.transport.pauseReading?.();
    let open!: () => void;
    const promise = new Promise<void>((resolve) => {
      open = resolve;
    });
    const timer = this.clock.setTimeout(() => this.resume(), this.host.backpressure.maxPauseMs);
    this.gate = { promise, open, timer };
  }

  /** While paused, the promise of the resume; `undefined` when not paused. */
  pausedUntil(): Promise<void> | undefined {
    return this.gate?.promise;
  }

  /** Start reading again. */
  resume(): void {
    const gate = this.gate;
    if (gate === undefined) return;
    this.gate = undefined;
    this.clock.clearTimeout(gate.timer);
    gate.open();
    if (this.transport.resumeReading !== undefined) {
      // After the answers waiting on the gate, and never inside another connection's
      // actions (a resume comes from a subscriber's acknowledgement).
      queueMicrotask(() => {
        if (this.gate === undefined && !this.finished) this.transport.resumeReading?.();
      });
    }
  }

  private releaseWaiters(): void {
    const waiters = this.waiters;
    if (waiters === undefined) return;
    this.waiters = undefined;
    for (const waiter of waiters) waiter.resume();
  }

  /** End the connection from the broker side: DISCONNECT with `reasonCode` in 5.0, a plain close before. */
  disconnect(reasonCode: number): void {
    if (this.finished) return;
    if (this.session.state === "connected")
      this.apply(this.session.disconnect(this.clock.now(), { reasonCode }));
    else {
      this.finish();
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
    this.finished = true;
    this.releaseWaiters();
    this.endAckWait();
    this.resume();
    this.timers.clearAll();
    this.over?.();
  }
}
