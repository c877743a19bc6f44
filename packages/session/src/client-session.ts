import {
  type AuthPacket,
  allowedReasonCodes,
  type ConnackPacket,
  type ConnectPacket,
  type DisconnectPacket,
  type DisconnectProperties,
  type Packet,
  PacketType,
  ProtocolError,
  ReasonCode,
  type SubscribeProperties,
  type Subscription,
  type UnsubscribeProperties,
} from "@amqtt/codec";
import { checkTopicFilter, checkTopicName } from "@amqtt/message";
import type { DisconnectedAction, SessionAction, TimerKind } from "./actions.js";
import { authCode, authPacket, checkAuth } from "./auth.js";
import { Connection } from "./connection.js";
import { SessionUsageError } from "./errors.js";
import {
  type ClientSessionOptions,
  type ConnectOptions,
  DEFAULT_MAX_PENDING_PUBLISHES,
  DEFAULT_MAX_PENDING_REQUESTS,
  DEFAULT_MAXIMUM_PACKET_SIZE,
  DEFAULT_RECEIVE_MAXIMUM,
  type PublishMessage,
} from "./options.js";
import { checkPublish } from "./publish-checks.js";
import { PublishFlow } from "./publish-flow.js";
import { checkSnapshot, SESSION_SNAPSHOT_VERSION, type SessionSnapshot } from "./snapshot.js";
import { ClientSubscriptions } from "./subscriptions.js";

/** Options of a client-side DISCONNECT. */
export interface ClientDisconnectOptions {
  /** 5.0 reason code (default 0x00; 0x04 asks the server to publish the will). */
  reasonCode?: number;
  /** 5.0: a new Session Expiry Interval (not allowed when CONNECT had 0). */
  sessionExpiryInterval?: number;
  reasonString?: string;
  userProperties?: [string, string][];
}

/**
 * The client side of one MQTT connection, sans-IO. Call `connect`, then feed
 * received bytes, timer expiries and the transport's close; carry out the
 * returned actions in order. Reconnect with a new machine restored from
 * {@link ClientSession.snapshot}.
 */
export class ClientSession extends Connection {
  /** On the prototype, not a field in every machine. */
  get role(): "client" {
    return "client";
  }
  private phase: "idle" | "connecting" | "connected" = "idle";
  private clientId = "";
  private authMethod: string | undefined;
  private reauthInProgress = false;
  private connectSessionExpiry = 0;
  private keepAliveRequested = 0;
  private serverMaximumQos = 2;
  private serverRetainAvailable = true;
  private readonly subs: ClientSubscriptions;
  private readonly pingTimeoutMs: number | undefined;
  private readonly answersPublishes: boolean;

  constructor(options: ClientSessionOptions = {}, restored?: SessionSnapshot) {
    super(restored?.protocolVersion ?? options.protocolVersion ?? 4, options);
    this.pingTimeoutMs = options.pingTimeoutMs;
    this.subs = new ClientSubscriptions(options.maxPendingRequests ?? DEFAULT_MAX_PENDING_REQUESTS);
    this.answersPublishes = options.answerPublishes === true;
    this.flow = new PublishFlow(
      this,
      "client",
      options,
      restored ?? {},
      this.answersPublishes ? (options.maxPendingPublishes ?? DEFAULT_MAX_PENDING_PUBLISHES) : undefined,
    );
    if (restored !== undefined) {
      this.clientId = restored.clientId;
      this.sessionExpiryInterval = restored.sessionExpiryInterval;
      for (const sub of restored.subscriptions) this.subs.granted.set(sub.topicFilter, { ...sub });
    }
  }

  /**
   * A client machine carrying a previous connection's session (subscriptions and
   * QoS state); connect with `clean: false` to resume it.
   * @throws InvalidSessionSnapshotError, or the `@amqtt/qos` snapshot errors.
   */
  static restore(snapshot: unknown, options: ClientSessionOptions = {}): ClientSession {
    return new ClientSession(options, checkSnapshot(snapshot, "client"));
  }

  /**
   * With `answerPublishes`: answer the `publishRequest` `requestId`. A code below
   * 0x80 accepts the message (PUBACK for QoS 1, PUBREC for QoS 2, after the
   * `message` action); from 0x80 refuses it (5.0 sends the code; 3.1.1 has no
   * negative ack and sends a plain one). Acks leave in arrival order
   * [MQTT-4.6.0-2]. After the connection ended the request is void: QoS 1/2
   * are resent by the server on the next connection, so this returns no
   * actions for them (a QoS 0 one is still delivered when accepted).
   * @throws SessionUsageError without `answerPublishes`, for a code not allowed
   * on a PUBACK/PUBREC, or when `requestId` is unknown or already answered.
   */
  answerPublish(requestId: number, reasonCode: number, now: number): SessionAction[] {
    if (!this.answersPublishes) throw new SessionUsageError("answerPublish needs the answerPublishes option");
    const actions: SessionAction[] = [];
    if (this.ended) {
      this.flow.answerAfterClose(requestId, reasonCode, actions);
      return actions;
    }
    if (!allowedReasonCodes[PacketType.PUBACK]?.has(reasonCode)) {
      throw new SessionUsageError(`reason code ${reasonCode} is not a PUBACK/PUBREC reason code`);
    }
    this.flow.answerPublish(requestId, reasonCode, undefined, now, actions);
    return actions;
  }

  /** With `answerPublishes`: PUBLISH packets waiting for `answerPublish` or held behind an unanswered one. */
  get pendingPublishes(): number {
    return this.flow.pendingPublishes;
  }

  /** `idle` before `connect`, `connecting` until CONNACK, `connected`, or `closed`. */
  get state(): "idle" | "connecting" | "connected" | "closed" {
    return this.ended ? "closed" : this.phase;
  }

  /** Granted subscriptions by topic filter. */
  get subscriptions(): ReadonlyMap<string, Subscription> {
    return this.subs.granted;
  }

  /** Send CONNECT. @throws SessionUsageError when called twice or with bad options. */
  connect(options: ConnectOptions, now: number): SessionAction[] {
    if (this.phase !== "idle" || this.ended)
      throw new SessionUsageError("connect was already called on this machine");
    const v5 = this.protocolVersion === 5;
    const clean = options.clean ?? true;
    const keepAlive = options.keepAlive ?? 60;
    if (!Number.isInteger(keepAlive) || keepAlive < 0 || keepAlive > 65_535) {
      throw new SessionUsageError(`keepAlive must be 0..65535 seconds, got ${keepAlive}`);
    }
    if (options.will !== undefined) {
      const bad = checkTopicName(options.will.topic);
      if (bad !== undefined)
        throw new SessionUsageError(`invalid will topic: ${bad.message}`, { cause: bad });
    }
    const properties = { ...options.properties };
    if (v5) {
      // Advertise our limits so the server keeps to them.
      properties.receiveMaximum ??= this.common.receiveMaximum ?? DEFAULT_RECEIVE_MAXIMUM;
      properties.maximumPacketSize ??= this.common.maximumPacketSize ?? DEFAULT_MAXIMUM_PACKET_SIZE;
      properties.topicAliasMaximum ??= this.flow.topicAliasMaximum;
      this.authMethod = properties.authenticationMethod;
    }
    const packet: ConnectPacket = {
      type: PacketType.CONNECT,
      protocolVersion: this.protocolVersion,
      clean,
      keepAlive,
      clientId: options.clientId,
      ...(options.will === undefined ? {} : { will: options.will }),
      ...(options.username === undefined ? {} : { username: options.username }),
      ...(options.password === undefined ? {} : { password: options.password }),
      ...(v5 ? { properties } : {}),
    };
    const actions: SessionAction[] = [];
    this.send(packet, now, actions);
    this.phase = "connecting";
    this.clientId = options.clientId;
    this.will = options.will;
    // 3.1.1: a persistent session has no expiry of its own; 5.0: absent means 0.
    this.connectSessionExpiry = v5 ? (properties.sessionExpiryInterval ?? 0) : clean ? 0 : 0xffff_ffff;
    this.sessionExpiryInterval = this.connectSessionExpiry;
    this.keepAliveRequested = keepAlive;
    if (clean) {
      this.subs.granted.clear();
      this.flow.discardIncomingState();
    }
    return actions;
  }

  /**
   * Publish an application message.
   * @throws SessionUsageError before CONNACK, for QoS 3, above the server's Maximum QoS
   * [MQTT-3.2.2-11], retain when not available [MQTT-3.2.2-14], or a Topic Alias / Subscription Identifier given.
   * @throws InvalidTopicNameError for an invalid topic.
   */
  publish(message: PublishMessage, now: number): SessionAction[] {
    this.assertConnected("publish");
    checkPublish(message, this.protocolVersion, "client");
    if (message.qos > this.serverMaximumQos) {
      throw new SessionUsageError(`the server accepts QoS ${this.serverMaximumQos} at most [MQTT-3.2.2-11]`);
    }
    if (message.retain === true && !this.serverRetainAvailable) {
      throw new SessionUsageError("the server does not support retained messages [MQTT-3.2.2-14]");
    }
    const actions: SessionAction[] = [];
    this.flow.publish(message, now, actions);
    return actions;
  }

  /** Send SUBSCRIBE. @throws SessionUsageError before CONNACK, for an invalid filter or too many pending requests. */
  subscribe(subscriptions: Subscription[], now: number, properties?: SubscribeProperties): SessionAction[] {
    this.assertConnected("subscribe");
    if (subscriptions.length === 0) throw new SessionUsageError("SUBSCRIBE needs at least one subscription");
    for (const sub of subscriptions) {
      const bad = checkTopicFilter(sub.topicFilter, { shared: this.protocolVersion === 5 });
      if (bad !== undefined)
        throw new SessionUsageError(`invalid topic filter: ${bad.message}`, { cause: bad });
      if (sub.qos !== 0 && sub.qos !== 1 && sub.qos !== 2)
        throw new SessionUsageError(`QoS must be 0, 1 or 2, got ${sub.qos}`);
    }
    this.subs.assertRoom();
    const packetId = this.allocateId();
    const actions: SessionAction[] = [];
    const packet = {
      type: PacketType.SUBSCRIBE,
      packetId,
      subscriptions,
      ...(properties ? { properties } : {}),
    } as const;
    this.subs.addSubscribe(packetId, subscriptions, properties);
    this.send(packet, now, actions);
    return actions;
  }

  /** Send UNSUBSCRIBE. @throws SessionUsageError before CONNACK or with too many pending requests. */
  unsubscribe(topicFilters: string[], now: number, properties?: UnsubscribeProperties): SessionAction[] {
    this.assertConnected("unsubscribe");
    if (topicFilters.length === 0) throw new SessionUsageError("UNSUBSCRIBE needs at least one topic filter");
    this.subs.assertRoom();
    const packetId = this.allocateId();
    const actions: SessionAction[] = [];
    this.subs.addUnsubscribe(packetId, topicFilters);
    this.send(
      { type: PacketType.UNSUBSCRIBE, packetId, topicFilters, ...(properties ? { properties } : {}) },
      now,
      actions,
    );
    return actions;
  }

  /** Send PINGREQ now and arm the PINGRESP deadline. */
  ping(now: number): SessionAction[] {
    this.assertConnected("ping");
    const actions: SessionAction[] = [];
    this.sendPing(now, actions);
    return actions;
  }

  /** Send DISCONNECT and close. @throws SessionUsageError for a Session Expiry change not allowed. */
  disconnect(now: number, options: ClientDisconnectOptions = {}): SessionAction[] {
    if (this.phase === "idle" || this.ended) throw new SessionUsageError("not connected");
    const v5 = this.protocolVersion === 5;
    const packet: DisconnectPacket = { type: PacketType.DISCONNECT };
    if (v5) {
      const properties: DisconnectProperties = {};
      if (options.sessionExpiryInterval !== undefined) {
        if (this.connectSessionExpiry === 0 && options.sessionExpiryInterval !== 0) {
          throw new SessionUsageError(
            "CONNECT had Session Expiry Interval 0: DISCONNECT cannot set another (section 3.14.2.2.2)",
          );
        }
        properties.sessionExpiryInterval = options.sessionExpiryInterval;
        this.sessionExpiryInterval = options.sessionExpiryInterval;
      }
      if (options.reasonString !== undefined) properties.reasonString = options.reasonString;
      if (options.userProperties !== undefined) properties.userProperties = options.userProperties;
      packet.reasonCode = options.reasonCode ?? 0;
      if (Object.keys(properties).length > 0) packet.properties = properties;
    }
    const actions: SessionAction[] = [];
    this.send(packet, now, actions);
    this.closeWith("disconnect", packet.reasonCode ?? 0, "local", now, actions);
    return actions;
  }

  /** 5.0: answer an `authRequest` with more authentication data (AUTH 0x18). */
  authContinue(data: Uint8Array | undefined, now: number): SessionAction[] {
    if (this.authMethod === undefined || this.ended || this.phase === "idle") {
      throw new SessionUsageError("no enhanced authentication is in progress");
    }
    const actions: SessionAction[] = [];
    this.send(authPacket(ReasonCode.CONTINUE_AUTHENTICATION, this.authMethod, data), now, actions);
    return actions;
  }

  /** 5.0: start a re-authentication (AUTH 0x19) with the CONNECT's method [MQTT-4.12.1-1]. */
  reauthenticate(data: Uint8Array | undefined, now: number): SessionAction[] {
    this.assertConnected("reauthenticate");
    if (this.authMethod === undefined) throw new SessionUsageError("CONNECT had no Authentication Method");
    const actions: SessionAction[] = [];
    this.reauthInProgress = true;
    this.send(authPacket(ReasonCode.RE_AUTHENTICATE, this.authMethod, data), now, actions);
    return actions;
  }

  /** The session as plain data (see {@link SessionSnapshot}). */
  snapshot(): SessionSnapshot {
    return {
      version: SESSION_SNAPSHOT_VERSION,
      kind: "amqtt-session",
      role: "client",
      protocolVersion: this.protocolVersion,
      clientId: this.clientId,
      sessionExpiryInterval: this.sessionExpiryInterval,
      subscriptions: [...this.subs.granted.values()].map((s) => ({ ...s })),
      sender: this.flow.sender.snapshot(),
      receiver: this.flow.receiver.snapshot(),
    };
  }

  protected mayDisconnect(): boolean {
    return this.phase !== "idle";
  }

  protected handlePacket(packet: Packet, now: number, actions: SessionAction[]): void {
    if (this.phase === "connecting") {
      if (packet.type === PacketType.CONNACK) this.onConnack(packet, now, actions);
      else if (packet.type === PacketType.AUTH) this.onAuth(packet, now, actions);
      else if (packet.type === PacketType.DISCONNECT) this.onDisconnect(packet, now, actions);
      else
        this.fail(
          new ProtocolError(`the server sent packet type ${packet.type} before CONNACK`),
          now,
          actions,
        );
      return;
    }
    switch (packet.type) {
      case PacketType.PUBLISH:
        this.flow.onPublish(packet, now, actions);
        return;
      case PacketType.PUBACK:
      case PacketType.PUBREC:
      case PacketType.PUBCOMP:
        this.flow.onAck(packet, now, actions);
        return;
      case PacketType.PUBREL:
        this.flow.onPubrel(packet, now, actions);
        return;
      case PacketType.SUBACK: {
        const result = this.subs.resolveSuback(packet);
        this.releaseIdIf(result !== undefined, packet.packetId);
        if (result === undefined)
          actions.push({ kind: "ignoredPacket", packet, reason: "unknown-packet-id" });
        else if (result instanceof ProtocolError) this.fail(result, now, actions);
        else actions.push(result);
        return;
      }
      case PacketType.UNSUBACK: {
        const result = this.subs.resolveUnsuback(packet);
        this.releaseIdIf(result !== undefined, packet.packetId);
        actions.push(result ?? { kind: "ignoredPacket", packet, reason: "unknown-packet-id" });
        return;
      }
      case PacketType.PINGRESP:
        this.pongReceived(actions);
        actions.push({ kind: "pong" });
        return;
      case PacketType.DISCONNECT:
        this.onDisconnect(packet, now, actions);
        return;
      case PacketType.AUTH:
        this.onAuth(packet, now, actions);
        return;
      default:
        // CONNACK again [MQTT-3.2.0-2], or a packet only a client may send.
        this.fail(new ProtocolError(`the server sent packet type ${packet.type}`), now, actions);
    }
  }

  protected onTimer(timer: TimerKind, now: number, actions: SessionAction[]): void {
    if (timer === "keepAlive" && this.phase === "connected") {
      if (this.pingDue(now, actions)) this.sendPing(now, actions);
    } else if (timer === "pingResponse" && this.awaitingPong) {
      // No PINGRESP in a reasonable time: the connection is considered broken (section 3.1.2.10).
      this.closeWith("ping-timeout", ReasonCode.KEEP_ALIVE_TIMEOUT, "local", now, actions);
    }
  }

  private onConnack(packet: ConnackPacket, now: number, actions: SessionAction[]): void {
    const props = packet.properties ?? {};
    if (packet.reasonCode !== 0) {
      const extra: Partial<DisconnectedAction> = {};
      if (props.reasonString !== undefined) extra.reasonString = props.reasonString;
      if (props.serverReference !== undefined) extra.serverReference = props.serverReference;
      this.closeWith("refused", packet.reasonCode, "peer", now, actions, extra);
      return;
    }
    if (this.authMethod !== undefined && props.authenticationMethod !== this.authMethod) {
      this.fail(
        new ProtocolError("CONNACK does not repeat the Authentication Method", {
          statement: "MQTT-4.12.0-5",
        }),
        now,
        actions,
      );
      return;
    }
    this.phase = "connected";
    this.established = true;
    if (props.sessionExpiryInterval !== undefined) this.sessionExpiryInterval = props.sessionExpiryInterval;
    if (props.maximumPacketSize !== undefined) this.peerMaximumPacketSize = props.maximumPacketSize;
    if (props.assignedClientIdentifier !== undefined) this.clientId = props.assignedClientIdentifier;
    if (props.maximumQos !== undefined) this.serverMaximumQos = props.maximumQos;
    if (props.retainAvailable === 0) this.serverRetainAvailable = false;
    if (!packet.sessionPresent) {
      this.subs.granted.clear();
      this.flow.discardIncomingState();
    }
    // The Server Keep Alive replaces ours [MQTT-3.1.2-21].
    const keepAlive = props.serverKeepAlive ?? this.keepAliveRequested;
    actions.push({
      kind: "connected",
      sessionPresent: packet.sessionPresent,
      clientId: this.clientId,
      keepAlive,
      connack: packet,
    });
    this.startKeepAlive(keepAlive, "client", now, actions);
    this.flow.connected(
      {
        sessionPresent: packet.sessionPresent,
        ...(props.receiveMaximum === undefined ? {} : { peerReceiveMaximum: props.receiveMaximum }),
        ...(props.topicAliasMaximum === undefined ? {} : { peerTopicAliasMaximum: props.topicAliasMaximum }),
      },
      now,
      actions,
    );
  }

  private onDisconnect(packet: DisconnectPacket, now: number, actions: SessionAction[]): void {
    const extra: Partial<DisconnectedAction> = {};
    const props = packet.properties;
    if (props?.reasonString !== undefined) extra.reasonString = props.reasonString;
    if (props?.userProperties !== undefined) extra.userProperties = props.userProperties;
    if (props?.serverReference !== undefined) extra.serverReference = props.serverReference;
    this.closeWith("disconnect", packet.reasonCode ?? 0, "peer", now, actions, extra);
  }

  private onAuth(packet: AuthPacket, now: number, actions: SessionAction[]): void {
    const bad = checkAuth(packet, this.authMethod);
    if (bad !== undefined) {
      this.fail(bad, now, actions);
      return;
    }
    const code = authCode(packet);
    const data = packet.properties?.authenticationData;
    if (code === ReasonCode.CONTINUE_AUTHENTICATION) {
      actions.push({
        kind: "authRequest",
        phase: this.phase === "connected" ? "reauth" : "connect",
        method: this.authMethod as string,
        ...(data === undefined ? {} : { data }),
        reasonCode: code,
        packet,
      });
    } else if (code === ReasonCode.SUCCESS && this.phase === "connected" && this.reauthInProgress) {
      this.reauthInProgress = false;
      actions.push({ kind: "authSucceeded", ...(data === undefined ? {} : { data }) });
    } else {
      this.fail(new ProtocolError(`unexpected AUTH reason code 0x${code.toString(16)}`), now, actions);
    }
  }

  private sendPing(now: number, actions: SessionAction[]): void {
    this.send({ type: PacketType.PINGREQ }, now, actions);
    const fallback = Math.min(Math.max(this.keepAliveMs, 1000), 30_000);
    this.pingSent(this.pingTimeoutMs ?? fallback, actions);
  }

  private allocateId(): number {
    const id = this.flow.packetIds.allocate();
    if (id === undefined) throw new SessionUsageError("no free packet identifier");
    return id;
  }

  private releaseIdIf(matched: boolean, packetId: number): void {
    if (matched) this.flow.packetIds.release(packetId);
  }

  private assertConnected(what: string): void {
    if (this.ended || this.phase !== "connected") {
      throw new SessionUsageError(`${what} needs a connected session (state: ${this.state})`);
    }
  }
}
