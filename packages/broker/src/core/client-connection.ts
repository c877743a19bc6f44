import { performance } from "node:perf_hooks";
import type { ProtocolVersion, PublishProperties, QoS } from "@amqtt/codec";
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
  type TimerKind,
  type UnsubscribeRequestAction,
} from "@amqtt/session";
import type { Connection } from "@amqtt/transport";
import type { ClientInfo } from "../plugins/types.js";
import type { SessionState } from "./session-state.js";

/** Monotonic milliseconds, the clock every session machine runs on. */
export const now = (): number => performance.now();

/** What a connection asks of the broker (implemented by `Broker`). */
export interface ConnectionHost {
  readonly sessionOptions: ServerSessionOptions;
  /** Unacknowledged outgoing messages per subscriber above which publishers pause, below which they resume. */
  readonly backpressure: { high: number; low: number; maxPauseMs: number };
  onConnectRequest(conn: ClientConnection, action: ConnectRequestAction): void;
  onPublishRequest(conn: ClientConnection, action: PublishRequestAction): void;
  onMessage(conn: ClientConnection, action: MessageAction): void;
  onSubscribeRequest(conn: ClientConnection, action: SubscribeRequestAction): void;
  onAuthRequest(conn: ClientConnection, action: AuthRequestAction): void;
  onUnsubscribeRequest(conn: ClientConnection, action: UnsubscribeRequestAction): void;
  onDisconnected(conn: ClientConnection, action: DisconnectedAction): void;
  onConnected(conn: ClientConnection): void;
  onPacket(conn: ClientConnection, direction: "in" | "out", packet: unknown, bytes: number): void;
  onDeliveryDropped(conn: ClientConnection, topic: string, reason: string): void;
}

/**
 * The shell of one client connection: it feeds the transport's bytes, timers and
 * close into a `ServerSession` and carries out the actions that come back. It
 * owns the timers and the socket, and nothing else: every decision is the
 * machine's (protocol) or the broker's (policy, routing, sessions).
 */
export class ClientConnection {
  readonly session: ServerSession;
  /** Facts about the client for plugins; filled in from the CONNECT. */
  readonly info: ClientInfo;
  /** The broker's session record, once the CONNECT is accepted. */
  state: SessionState | undefined;
  /** Deadlines on the shared coarse wheel (0: not armed): the CONNECT deadline and the keep alive. */
  private connectDue = 0;
  private keepAliveDue = 0;
  /** The wheel slot this connection sits in, if any. */
  wheelSlot: number | undefined;
  /** The rare fine-grained timers (QoS retry on 3.1.1, client ping response), made on first use. */
  private timers: Map<TimerKind, ReturnType<typeof setTimeout>> | undefined;
  private finished = false;
  /** Serialises SUBSCRIBE/UNSUBSCRIBE handling and PUBLISH handling that waits on plugins. */
  pending: Promise<void> | undefined;
  /** 5.0 enhanced authentication: the exchange in progress (plugin state) and the CONNECT it is for. */
  enhancedAuth:
    | { conversation: Map<string, unknown>; connect?: { clientId: string; action: ConnectRequestAction } }
    | undefined;
  /** Resolves `run` (push-style reading). */
  private over: (() => void) | undefined;
  private closeWatched = false;
  /** Set when the broker is shutting down (no will is published then). */
  stopping = false;
  /** Outgoing QoS 1/2 messages taken by the session and not yet acknowledged or dropped. */
  private outstanding = 0;
  /** A wait for the unacknowledged count to fall to a level (the offline-queue drain). */
  private ackWait: { atMost: number; resolve: () => void } | undefined;
  /** Publishers paused because this connection is congested. */
  private waiters: Set<ClientConnection> | undefined;
  /** While set, reading waits: a subscriber of this client's messages is congested. */
  private gate:
    | { promise: Promise<void>; open: () => void; timer: ReturnType<typeof setTimeout> }
    | undefined;

  constructor(
    private readonly host: ConnectionHost,
    readonly transport: Connection,
    readonly listener: string,
  ) {
    this.session = new ServerSession(host.sessionOptions);
    const remote = transport.remoteAddress;
    const tls = transport.tls;
    this.info = {
      clientId: "",
      username: undefined,
      password: undefined,
      protocolVersion: 4,
      listener,
      remoteAddress: remote.host === undefined ? undefined : `${remote.host}:${remote.port ?? ""}`,
      anonymous: false,
      attributes: new Map(),
    };
    const cert = tls?.peerCertificate;
    if (cert !== undefined) {
      this.info.certificate = {
        der: cert.raw,
        subject: Object.entries(cert.subject)
          .map(([k, v]) => `${k}=${v}`)
          .join(","),
        uris: subjectAltUris(cert.subjectAltName),
        authorized: tls?.authorized ?? false,
      };
    }
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
    this.apply(this.session.start(now()));
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
      this.apply(this.session.received(chunk, now()));
    } catch (error) {
      this.transport.abort(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /** @internal The transport's reader: the client's input ended. */
  end(): void {
    if (!this.finished) this.apply(this.session.closed(now()));
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
        this.apply(this.session.received(next.value, now()));
        if (this.finished) break;
        if (this.gate !== undefined) await this.gate.promise;
      }
    } catch (error) {
      this.transport.abort(error instanceof Error ? error : new Error(String(error)));
    }
    if (!this.finished) this.apply(this.session.closed(now()));
  }

  /** End the machine as soon as the transport closes, even while reading waits (once per connection). */
  private watchClose(): void {
    if (this.closeWatched) return;
    this.closeWatched = true;
    this.transport.closed.then(() => {
      if (!this.finished) this.apply(this.session.closed(now()));
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
          this.setTimer(action.timer, action.ms);
          break;
        case "clearTimer":
          this.clearTimer(action.timer);
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
        default:
          // published, publishAccepted, acked, protocolError, ignoredPacket, authRequest,
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
    this.apply(this.session.deliver(message, now(), shared));
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
    const timer = setTimeout(() => this.resume(), this.host.backpressure.maxPauseMs);
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
    clearTimeout(gate.timer);
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
    if (this.session.state === "connected") this.apply(this.session.disconnect(now(), { reasonCode }));
    else {
      this.finish();
      this.transport.close();
      this.apply(this.session.closed(now()));
    }
  }

  private fillInfo(action: ConnectRequestAction): void {
    const p = action.packet;
    this.info.clientId = p.clientId;
    this.info.username = p.username;
    this.info.password = p.password;
    this.info.protocolVersion = p.protocolVersion;
  }

  private setTimer(kind: TimerKind, ms: number): void {
    this.clearTimer(kind);
    if (kind === "connect" || kind === "keepAlive") {
      // Seconds-long deadlines checked again by the machine when they fire: the
      // shared wheel's coarseness (WHEEL_RESOLUTION_MS late at most) does not matter.
      const due = now() + ms;
      if (kind === "connect") this.connectDue = due;
      else this.keepAliveDue = due;
      wheel.schedule(this, Math.min(this.connectDue || due, this.keepAliveDue || due));
      return;
    }
    this.timers ??= new Map();
    const timers = this.timers;
    const timer = setTimeout(() => {
      timers.delete(kind);
      if (!this.finished) this.apply(this.session.timerFired(kind, now()));
    }, ms);
    timers.set(kind, timer);
  }

  private clearTimer(kind: TimerKind): void {
    if (kind === "connect" || kind === "keepAlive") {
      if (kind === "connect") this.connectDue = 0;
      else this.keepAliveDue = 0;
      const next =
        this.connectDue === 0
          ? this.keepAliveDue
          : this.keepAliveDue === 0
            ? this.connectDue
            : Math.min(this.connectDue, this.keepAliveDue);
      if (next === 0) wheel.cancel(this);
      else wheel.schedule(this, next);
      return;
    }
    const timer = this.timers?.get(kind);
    if (timer !== undefined) {
      clearTimeout(timer);
      this.timers?.delete(kind);
    }
  }

  /** @internal The wheel reached this connection's slot: fire the deadlines that passed. */
  wheelFired(t: number): void {
    if (this.finished) return;
    if (this.connectDue !== 0 && this.connectDue <= t) {
      this.connectDue = 0;
      this.apply(this.session.timerFired("connect", t));
    }
    if (!this.finished && this.keepAliveDue !== 0 && this.keepAliveDue <= t) {
      this.keepAliveDue = 0;
      this.apply(this.session.timerFired("keepAlive", t));
    }
    if (this.finished || this.wheelSlot !== undefined) return;
    // A deadline not yet due (it shared the slot, or rounding): back on the wheel.
    const next = Math.min(this.connectDue || Infinity, this.keepAliveDue || Infinity);
    if (next !== Infinity) wheel.schedule(this, next);
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.releaseWaiters();
    this.endAckWait();
    this.resume();
    this.connectDue = 0;
    this.keepAliveDue = 0;
    wheel.cancel(this);
    if (this.timers !== undefined) for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers = undefined;
    this.over?.();
  }
}

/** Granularity of the shared wheel: a deadline fires at most this late. */
export const WHEEL_RESOLUTION_MS = 250;

/**
 * One interval for the long deadlines of every connection (the CONNECT deadline,
 * the keep alive) instead of a `setTimeout` per connection: deadlines fall into
 * slots of {@link WHEEL_RESOLUTION_MS}, and the interval runs (unref'd) only while
 * some slot is occupied.
 */
export class TimerWheel {
  private readonly slots = new Map<number, Set<ClientConnection>>();
  private interval: ReturnType<typeof setInterval> | undefined;
  /** Slots up to this one were fired. */
  private done = 0;

  constructor(private readonly resolutionMs: number) {}

  /** Connections waiting on the wheel. */
  get size(): number {
    let n = 0;
    for (const slot of this.slots.values()) n += slot.size;
    return n;
  }

  /** The connections waiting on the wheel. */
  pending(): ClientConnection[] {
    const out: ClientConnection[] = [];
    for (const slot of this.slots.values()) out.push(...slot);
    return out;
  }

  /** Put `conn` in the slot of `due` (moving it from its current slot). */
  schedule(conn: ClientConnection, due: number): void {
    if (this.interval === undefined) {
      this.done = Math.floor(now() / this.resolutionMs) - 1;
      this.interval = setInterval(() => this.tick(), this.resolutionMs);
      (this.interval as { unref?: () => void }).unref?.();
    }
    const slot = Math.max(Math.ceil(due / this.resolutionMs), this.done + 1);
    if (conn.wheelSlot === slot) return;
    this.cancel(conn, false);
    let set = this.slots.get(slot);
    if (set === undefined) {
      set = new Set();
      this.slots.set(slot, set);
    }
    set.add(conn);
    conn.wheelSlot = slot;
  }

  /** Take `conn` off the wheel. */
  cancel(conn: ClientConnection, stopWhenEmpty = true): void {
    const slot = conn.wheelSlot;
    if (slot === undefined) return;
    conn.wheelSlot = undefined;
    const set = this.slots.get(slot);
    if (set !== undefined) {
      set.delete(conn);
      if (set.size === 0) this.slots.delete(slot);
    }
    if (stopWhenEmpty) this.stopWhenEmpty();
  }

  private tick(): void {
    const t = now();
    const current = Math.floor(t / this.resolutionMs);
    while (this.done < current) {
      const slot = ++this.done;
      const set = this.slots.get(slot);
      if (set === undefined) continue;
      this.slots.delete(slot);
      for (const conn of set) {
        conn.wheelSlot = undefined;
        conn.wheelFired(t);
      }
    }
    this.stopWhenEmpty();
  }

  private stopWhenEmpty(): void {
    if (this.slots.size > 0 || this.interval === undefined) return;
    clearInterval(this.interval);
    this.interval = undefined;
  }
}

const wheel = new TimerWheel(WHEEL_RESOLUTION_MS);

/** The `URI:` entries of a subject alternative name list as Node prints it (`"URI:spiffe://a/b, DNS:x"`). */
function subjectAltUris(subjectAltName: string | undefined): string[] {
  if (subjectAltName === undefined) return [];
  return subjectAltName
    .split(", ")
    .filter((entry) => entry.startsWith("URI:"))
    .map((entry) => entry.slice(4));
}
