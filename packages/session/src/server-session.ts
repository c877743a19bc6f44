import {
  type AckProperties,
  type AuthPacket,
  allowedReasonCodes,
  type ConnackPacket,
  type ConnackProperties,
  type ConnectPacket,
  type DisconnectPacket,
  encode,
  type MqttError,
  type Packet,
  PacketType,
  ProtocolError,
  ReasonCode,
  UnsupportedProtocolVersionError,
  type UserProperty,
} from "@amqtt/codec";
import type { DisconnectedAction, SessionAction, TimerKind } from "./actions.js";
import { authCode, authPacket, checkAuth } from "./auth.js";
import { checkConnect, v3ReturnCode } from "./connect-server.js";
import { Connection, FIRST_ROLE_BIT } from "./connection.js";
import { SessionUsageError } from "./errors.js";
import {
  DEFAULT_MAX_EARLY_PACKETS,
  DEFAULT_MAX_PENDING_PUBLISHES,
  DEFAULT_MAX_PENDING_REQUESTS,
  DEFAULT_MAXIMUM_PACKET_SIZE,
  DEFAULT_MAXIMUM_PACKET_SIZE_BEFORE_CONNECT,
  DEFAULT_RECEIVE_MAXIMUM,
  type PublishMessage,
  type ServerSessionOptions,
} from "./options.js";
import { checkPublish } from "./publish-checks.js";
import { PublishFlow } from "./publish-flow.js";
import type { SharedPublish } from "./shared-publish.js";
import { checkSnapshot, SESSION_SNAPSHOT_VERSION, type SessionSnapshot } from "./snapshot.js";
import { ServerSubscriptions, type SessionSubscription } from "./subscriptions.js";

/** The shell's answer to a `connectRequest`. */
export interface AcceptOptions {
  /** Whether an existing session is resumed (default: whether `restore` is given). */
  sessionPresent?: boolean;
  /** Required when the CONNECT had an empty client id: the id the server assigns. */
  assignedClientId?: string;
  /** The stored session to resume: subscriptions and QoS state are restored, unacknowledged messages resent. */
  restore?: SessionSnapshot;
  /** 5.0 CONNACK properties to add (Maximum QoS, Retain Available, Reason String, Session Expiry override, ...). */
  properties?: ConnackProperties;
  /** 5.0 enhanced authentication: the final Authentication Data for the CONNACK. */
  authenticationData?: Uint8Array;
}

/** Options of a server-side DISCONNECT (5.0; a 3.1.1 server just closes). */
export interface ServerDisconnectOptions {
  reasonCode?: number;
  reasonString?: string;
  serverReference?: string;
  userProperties?: UserProperty[];
}

/**
 * The server side of one MQTT connection, sans-IO. Call `start` when the
 * connection is accepted, then feed bytes, timers and the transport's close; the
 * machine asks the shell (`connectRequest`, `subscribeRequest`,
 * `unsubscribeRequest`, `authRequest`, and `publishRequest` with the
 * `answerPublishes` option) and the shell answers with `accept`/`refuse`,
 * `answerSubscribe`, `answerUnsubscribe`, `authContinue`/`authSucceed`, `answerPublish`.
 */
export class ServerSession extends Connection {
  /** On the prototype, not a field in every machine. */
  get role(): "server" {
    return "server";
  }
  private phase: "awaitingConnect" | "awaitingAccept" | "connected" = "awaitingConnect";
  private connectPacket: ConnectPacket | undefined;
  private clientId = "";
  private authMethod: string | undefined;
  private connectSessionExpiry = 0;
  /** Packets sent before the shell accepted the CONNECT (rare: made on first use). */
  private early: Packet[] | undefined;
  /** 5.0 Maximum QoS and Retain Available announced in CONNACK. */
  private maximumQos = 2;
  /**
   * SUBSCRIBE/UNSUBSCRIBE bookkeeping while it holds something (a request
   * waiting for its answer, granted subscriptions when tracking): made by the
   * first request, let go once it holds nothing again, so an idle client of a
   * broker (which does not track subscriptions) has none (issue 19).
   */
  private subsMade: ServerSubscriptions | undefined = undefined;
  /** The options (the base class's own field, typed for the server: not a second field per machine). */
  declare protected readonly common: ServerSessionOptions;

  constructor(options: ServerSessionOptions = {}) {
    // The level is unknown until CONNECT; the decoder takes it from the CONNECT.
    // The first byte must be a CONNECT header [MQTT-3.1.0-1], judged alone as it arrives,
    // and until the CONNECT is decoded a smaller packet limit applies.
    super(4, options, {
      expectConnectFirst: true,
      maxPacketSizeBeforeConnect:
        options.maximumPacketSizeBeforeConnect ?? DEFAULT_MAXIMUM_PACKET_SIZE_BEFORE_CONNECT,
    });
  }

  /** The CONNECT had an empty client id: the shell assigns one. */
  private get needsClientId(): boolean {
    return (this.bits & NEEDS_CLIENT_ID) !== 0;
  }
  private set needsClientId(value: boolean) {
    this.bits = value ? this.bits | NEEDS_CLIENT_ID : this.bits & ~NEEDS_CLIENT_ID;
  }

  /** A 5.0 re-authentication (AUTH 0x19) is under way. */
  private get reauthInProgress(): boolean {
    return (this.bits & REAUTH_IN_PROGRESS) !== 0;
  }
  private set reauthInProgress(value: boolean) {
    this.bits = value ? this.bits | REAUTH_IN_PROGRESS : this.bits & ~REAUTH_IN_PROGRESS;
  }

  /** The CONNECT deadline timer is armed. */
  private get connectTimerArmed(): boolean {
    return (this.bits & CONNECT_TIMER_ARMED) !== 0;
  }
  private set connectTimerArmed(value: boolean) {
    this.bits = value ? this.bits | CONNECT_TIMER_ARMED : this.bits & ~CONNECT_TIMER_ARMED;
  }

  /** 5.0 Retain Available as announced in CONNACK (true unless it said 0). */
  private get retainAvailable(): boolean {
    return (this.bits & RETAIN_UNAVAILABLE) === 0;
  }
  private set retainAvailable(value: boolean) {
    this.bits = value ? this.bits & ~RETAIN_UNAVAILABLE : this.bits | RETAIN_UNAVAILABLE;
  }

  /** The subscription bookkeeping, made on first use (see `subsMade`). */
  private get subs(): ServerSubscriptions {
    this.subsMade ??= new ServerSubscriptions(
      this.common.maxPendingRequests ?? DEFAULT_MAX_PENDING_REQUESTS,
      this.common.trackSubscriptions ?? true,
    );
    return this.subsMade;
  }

  /** Let the subscription bookkeeping go once it holds nothing. */
  private releaseSubsIfEmpty(): void {
    if (this.subsMade?.holdsNothing === true) this.subsMade = undefined;
  }

  /** `awaitingConnect`, `awaitingAccept` (the shell decides), `connected`, or `closed`. */
  get state(): "awaitingConnect" | "awaitingAccept" | "connected" | "closed" {
    return this.ended ? "closed" : this.phase;
  }

  /** The client id in use (assigned or from CONNECT). */
  get currentClientId(): string {
    return this.clientId;
  }

  /**
   * Seconds the session outlives the connection as of now (3.1.1: 0 for Clean
   * Session 1, 0xFFFFFFFF otherwise), what `snapshot()` would say, without
   * building the snapshot.
   */
  get currentSessionExpiryInterval(): number {
    return this.sessionExpiryInterval;
  }

  /** Granted subscriptions by topic filter (empty with `trackSubscriptions: false`). */
  get subscriptions(): ReadonlyMap<string, SessionSubscription> {
    return this.subsMade?.granted ?? NO_GRANTED;
  }

  /** The connection was accepted by the transport: arms the deadline for the CONNECT handshake (until `accept`). */
  start(_now: number): SessionAction[] {
    const ms = this.common.connectTimeoutMs ?? 10_000;
    if (ms === 0 || this.phase !== "awaitingConnect" || this.ended) return [];
    this.connectTimerArmed = true;
    return [{ kind: "setTimer", timer: "connect", ms }];
  }

  /** Accept the CONNECT: send CONNACK 0x00 and start the session. */
  accept(answer: AcceptOptions, now: number): SessionAction[] {
    const connect = this.expectAwaitingAccept("accept");
    const v5 = this.protocolVersion === 5;
    if (this.needsClientId && !answer.assignedClientId) {
      throw new SessionUsageError("the CONNECT had an empty client id: accept needs assignedClientId");
    }
    const restored = answer.restore === undefined ? undefined : checkSnapshot(answer.restore, "server");
    const sessionPresent = answer.sessionPresent ?? restored !== undefined;
    if (sessionPresent && connect.clean) {
      throw new SessionUsageError("a CONNECT with Clean Session/Clean Start 1 cannot resume a session");
    }
    this.clientId = answer.assignedClientId || connect.clientId;
    this.flow = new PublishFlow(
      this,
      "server",
      this.common,
      restored ?? {},
      this.common.answerPublishes === true
        ? (this.common.maxPendingPublishes ?? DEFAULT_MAX_PENDING_PUBLISHES)
        : undefined,
    );
    if (restored !== undefined) {
      for (const sub of restored.subscriptions) this.subs.grant({ ...sub });
      this.releaseSubsIfEmpty();
    }
    const connack: ConnackPacket = { type: PacketType.CONNACK, sessionPresent, reasonCode: 0 };
    let keepAlive = connect.keepAlive;
    if (v5) {
      const props: ConnackProperties = { ...answer.properties };
      props.receiveMaximum ??= this.common.receiveMaximum ?? DEFAULT_RECEIVE_MAXIMUM;
      props.maximumPacketSize ??= this.common.maximumPacketSize ?? DEFAULT_MAXIMUM_PACKET_SIZE;
      if (this.flow.topicAliasMaximum > 0) props.topicAliasMaximum ??= this.flow.topicAliasMaximum;
      // The assigned id goes back to the client [MQTT-3.2.2-16].
      if (this.needsClientId) props.assignedClientIdentifier = this.clientId;
      const serverKeepAlive = props.serverKeepAlive ?? this.common.serverKeepAlive;
      if (serverKeepAlive !== undefined) {
        props.serverKeepAlive = serverKeepAlive;
        keepAlive = serverKeepAlive;
      }
      if (this.authMethod !== undefined) {
        // A successful CONNACK repeats the method [MQTT-4.12.0-5].
        props.authenticationMethod = this.authMethod;
        if (answer.authenticationData !== undefined) props.authenticationData = answer.authenticationData;
      }
      // Request Response Information 0 (or absent): no Response Information [MQTT-3.1.2-28].
      if (connect.properties?.requestResponseInformation !== 1) delete props.responseInformation;
      if (props.sessionExpiryInterval !== undefined) this.sessionExpiryInterval = props.sessionExpiryInterval;
      if (props.maximumQos !== undefined) this.maximumQos = props.maximumQos;
      if (props.retainAvailable === 0) this.retainAvailable = false;
      connack.properties = props;
    }
    const actions: SessionAction[] = [];
    this.clearConnectTimer(actions);
    this.send(connack, now, actions);
    this.phase = "connected";
    this.established = true;
    // Only the handshake needs the CONNECT (the will is kept apart): free it for the connection's life.
    this.connectPacket = undefined;
    actions.push({ kind: "connected", sessionPresent, clientId: this.clientId, keepAlive, connack });
    this.startKeepAlive(keepAlive, "server", now, actions);
    const cprops = connect.properties;
    this.flow.connected(
      {
        sessionPresent,
        ...(cprops?.receiveMaximum === undefined ? {} : { peerReceiveMaximum: cprops.receiveMaximum }),
        ...(cprops?.topicAliasMaximum === undefined
          ? {}
          : { peerTopicAliasMaximum: cprops.topicAliasMaximum }),
      },
      now,
      actions,
    );
    const early = this.early ?? [];
    this.early = undefined;
    for (const packet of early) {
      if (this.ended) break;
      this.handlePacket(packet, now, actions);
    }
    return actions;
  }

  /**
   * Refuse the CONNECT: CONNACK with `reasonCode` (5.0 0x80 and up; on 3.1/3.1.1
   * mapped to the closest return code 1..5), then close [MQTT-3.2.2-5] / [MQTT-3.2.2-7].
   */
  refuse(reasonCode: number, now: number, properties?: ConnackProperties): SessionAction[] {
    this.expectAwaitingAccept("refuse");
    const v5 = this.protocolVersion === 5;
    if (v5 && reasonCode < 0x80)
      throw new SessionUsageError(`a refusal needs a reason code of 0x80 or more, got ${reasonCode}`);
    const code = v5 ? reasonCode : v3ReturnCode(reasonCode);
    // A refusal never reports a session [MQTT-3.2.2-4] / [MQTT-3.2.2-6].
    const connack: ConnackPacket = { type: PacketType.CONNACK, sessionPresent: false, reasonCode: code };
    if (v5 && properties !== undefined) connack.properties = properties;
    const actions: SessionAction[] = [];
    this.send(connack, now, actions);
    this.closeWith("refused", code, "local", now, actions);
    return actions;
  }

  /** 5.0 enhanced authentication: send AUTH 0x18 with more data (during CONNECT or a re-authentication). */
  authContinue(data: Uint8Array | undefined, now: number, reasonString?: string): SessionAction[] {
    const during = this.phase === "awaitingAccept" || (this.phase === "connected" && this.reauthInProgress);
    if (this.ended || this.authMethod === undefined || !during) {
      throw new SessionUsageError("no enhanced authentication is in progress");
    }
    const actions: SessionAction[] = [];
    this.send(
      authPacket(ReasonCode.CONTINUE_AUTHENTICATION, this.authMethod, data, reasonString),
      now,
      actions,
    );
    return actions;
  }

  /** 5.0: end a re-authentication successfully (AUTH 0x00). Refuse one with `disconnect`. */
  authSucceed(data: Uint8Array | undefined, now: number): SessionAction[] {
    if (this.ended || this.phase !== "connected" || !this.reauthInProgress || this.authMethod === undefined) {
      throw new SessionUsageError("no re-authentication is in progress");
    }
    this.reauthInProgress = false;
    const actions: SessionAction[] = [];
    this.send(authPacket(ReasonCode.SUCCESS, this.authMethod, data), now, actions);
    return actions;
  }

  /** Answer a `subscribeRequest`: one code per entry, in order [MQTT-3.9.3-1]. */
  answerSubscribe(
    packetId: number,
    reasonCodes: readonly number[],
    now: number,
    properties?: AckProperties,
  ): SessionAction[] {
    this.expectConnected("answerSubscribe");
    const suback = this.subs.answerSubscribe(packetId, reasonCodes, this.protocolVersion);
    this.releaseSubsIfEmpty();
    if (properties !== undefined && this.protocolVersion === 5) suback.properties = properties;
    const actions: SessionAction[] = [];
    this.send(suback, now, actions);
    return actions;
  }

  /** Answer an `unsubscribeRequest` (default codes: 0x00 if subscribed, else 0x11). */
  answerUnsubscribe(
    packetId: number,
    now: number,
    reasonCodes?: readonly number[],
    properties?: AckProperties,
  ): SessionAction[] {
    this.expectConnected("answerUnsubscribe");
    const unsuback = this.subs.answerUnsubscribe(packetId, reasonCodes, this.protocolVersion);
    this.releaseSubsIfEmpty();
    if (properties !== undefined && this.protocolVersion === 5) unsuback.properties = properties;
    const actions: SessionAction[] = [];
    this.send(unsuback, now, actions);
    return actions;
  }

  /**
   * With `answerPublishes`: answer the `publishRequest` `requestId`. A code below
   * 0x80 (0x00 Success, 0x10 No matching subscribers) accepts the message: PUBACK
   * (QoS 1) or PUBREC (QoS 2) with that code, after the `message` action. From 0x80
   * (0x87 Not authorized, 0x90 Topic Name invalid, 0x97 Quota exceeded, 0x99 Payload
   * format invalid, ...) refuses it: no `message`; 5.0 sends the code in the
   * PUBACK/PUBREC and a refused QoS 2 id is free again [MQTT-4.3.3-9]; 3.1/3.1.1 have
   * no negative ack and send a plain one. QoS 0 is never acknowledged: the code only
   * decides the `message`. Acks and messages leave in arrival order, so an answer
   * given before an earlier request's yields nothing until that one is answered.
   * `properties` (Reason String, User Properties) go on the 5.0 ack when the client
   * did not turn problem information off [MQTT-3.1.2-29].
   * After the connection closed the request is void and this returns no actions.
   * The actions are appended to `into` (default: a new list), which is returned.
   * @throws SessionUsageError without `answerPublishes`, for a code not allowed on a
   * PUBACK/PUBREC, or when `requestId` is unknown or already answered.
   */
  answerPublish(
    requestId: number,
    reasonCode: number,
    now: number,
    properties?: AckProperties,
    into: SessionAction[] = [],
  ): SessionAction[] {
    if (this.ended) {
      // A QoS 0 PUBLISH received before the connection ended is still delivered when accepted.
      this.flow?.answerAfterClose(requestId, reasonCode, into);
      return into;
    }
    this.expectConnected("answerPublish");
    if (this.common.answerPublishes !== true) {
      throw new SessionUsageError("answerPublish needs the answerPublishes option");
    }
    if (!allowedReasonCodes[PacketType.PUBACK]?.has(reasonCode)) {
      throw new SessionUsageError(`reason code ${reasonCode} is not a PUBACK/PUBREC reason code`);
    }
    this.flow.answerPublish(requestId, reasonCode, properties, now, into);
    return into;
  }

  /** With `answerPublishes`: PUBLISH packets waiting for `answerPublish` or held behind an unanswered one. */
  get pendingPublishes(): number {
    return this.flow?.pendingPublishes ?? 0;
  }

  /** Bytes (topic plus payload) of outgoing QoS 1/2 messages queued behind the in-flight window (0 before CONNECT). */
  get queuedBytes(): number {
    return this.flow?.queuedBytes ?? 0;
  }

  /**
   * Deliver an application message to this client (QoS 0, 1 or 2). Pass the same
   * `shared` to every delivery of one message so its PUBLISH is encoded once per
   * shape, not once per client (see {@link SharedPublish}). The actions are
   * appended to `into` (default: a new list), which is returned.
   */
  deliver(
    message: PublishMessage,
    now: number,
    shared?: SharedPublish,
    into: SessionAction[] = [],
  ): SessionAction[] {
    this.expectConnected("deliver");
    checkPublish(message, this.protocolVersion, "server");
    this.flow.publish(message, now, into, shared);
    return into;
  }

  /** End the connection: DISCONNECT with a reason code (5.0), then close. */
  disconnect(now: number, options: ServerDisconnectOptions = {}): SessionAction[] {
    this.expectConnected("disconnect");
    const packet: DisconnectPacket = { type: PacketType.DISCONNECT, reasonCode: options.reasonCode ?? 0 };
    const properties: NonNullable<DisconnectPacket["properties"]> = {};
    if (options.reasonString !== undefined) properties.reasonString = options.reasonString;
    if (options.serverReference !== undefined) properties.serverReference = options.serverReference;
    if (options.userProperties !== undefined) properties.userProperties = options.userProperties;
    if (Object.keys(properties).length > 0) packet.properties = properties;
    const actions: SessionAction[] = [];
    this.disconnectWith(packet, "disconnect", now, actions);
    return actions;
  }

  /** The session as plain data, to store and pass to `accept({ restore })` on a later connection. */
  snapshot(): SessionSnapshot {
    if (this.flow === undefined) throw new SessionUsageError("no session before accept");
    return {
      version: SESSION_SNAPSHOT_VERSION,
      kind: "amqtt-session",
      role: "server",
      protocolVersion: this.protocolVersion,
      clientId: this.clientId,
      sessionExpiryInterval: this.sessionExpiryInterval,
      subscriptions: [...this.subscriptions.values()].map((s) => ({ ...s })),
      sender: this.flow.sender.snapshot(),
      receiver: this.flow.receiver.snapshot(),
    };
  }

  protected mayDisconnect(): boolean {
    // No DISCONNECT before CONNACK [MQTT-3.14.0-1].
    return this.phase === "connected";
  }

  protected override onDecodeError(error: MqttError, now: number, actions: SessionAction[]): void {
    if (this.phase !== "awaitingConnect") {
      this.fail(error, now, actions);
      return;
    }
    actions.push({ kind: "protocolError", error });
    if (error instanceof UnsupportedProtocolVersionError && error.statement === "MQTT-3.1.2-2") {
      // A level we do not speak: CONNACK 0x01 in the 3.1.1 format, then close [MQTT-3.1.2-2].
      const connack: ConnackPacket = { type: PacketType.CONNACK, sessionPresent: false, reasonCode: 0x01 };
      actions.push({ kind: "send", bytes: encode(connack, 4), packet: connack });
      this.closeWith("unsupported-version", 0x01, "local", now, actions);
      return;
    }
    // A malformed CONNECT closes the connection without CONNACK [MQTT-3.1.4-1].
    this.closeWith("protocol-error", error.reasonCode, "local", now, actions);
  }

  protected handlePacket(packet: Packet, now: number, actions: SessionAction[]): void {
    if (this.phase === "awaitingConnect") {
      this.onFirstPacket(packet, now, actions);
      return;
    }
    if (packet.type === PacketType.CONNECT) {
      this.fail(new ProtocolError("a second CONNECT", { statement: "MQTT-3.1.0-2" }), now, actions);
      return;
    }
    if (this.phase === "awaitingAccept") {
      this.onEarlyPacket(packet, now, actions);
      return;
    }
    switch (packet.type) {
      case PacketType.PUBLISH:
        if (packet.qos > this.maximumQos) {
          // The client broke [MQTT-3.2.2-11]; the server answers 0x9B (section 3.2.2.3.4).
          this.fail(
            new ProtocolError(`PUBLISH QoS ${packet.qos} above Maximum QoS ${this.maximumQos}`, {
              reasonCode: ReasonCode.QOS_NOT_SUPPORTED,
            }),
            now,
            actions,
          );
        } else if (packet.retain && !this.retainAvailable) {
          // The client broke [MQTT-3.2.2-14]; the server answers 0x9A (section 3.2.2.3.5).
          this.fail(
            new ProtocolError("retained PUBLISH while Retain Available is 0", {
              reasonCode: ReasonCode.RETAIN_NOT_SUPPORTED,
            }),
            now,
            actions,
          );
        } else {
          this.flow.onPublish(packet, now, actions);
        }
        return;
      case PacketType.PUBACK:
      case PacketType.PUBREC:
      case PacketType.PUBCOMP:
        this.flow.onAck(packet, now, actions);
        return;
      case PacketType.PUBREL:
        this.flow.onPubrel(packet, now, actions);
        return;
      case PacketType.SUBSCRIBE: {
        const requests = this.subs.take(packet, this.protocolVersion);
        if (requests instanceof ProtocolError) this.fail(requests, now, actions);
        else {
          actions.push({
            kind: "subscribeRequest",
            packetId: packet.packetId,
            subscriptions: requests,
            ...(packet.properties === undefined ? {} : { properties: packet.properties }),
          });
        }
        return;
      }
      case PacketType.UNSUBSCRIBE: {
        const error = this.subs.takeUnsubscribe(packet);
        if (error !== undefined) this.fail(error, now, actions);
        else {
          actions.push({
            kind: "unsubscribeRequest",
            packetId: packet.packetId,
            topicFilters: packet.topicFilters,
            ...(packet.properties === undefined ? {} : { properties: packet.properties }),
          });
        }
        return;
      }
      case PacketType.PINGREQ:
        this.send({ type: PacketType.PINGRESP }, now, actions);
        return;
      case PacketType.DISCONNECT:
        this.onDisconnect(packet, now, actions);
        return;
      case PacketType.AUTH:
        this.onAuth(packet, now, actions);
        return;
      default:
        this.fail(new ProtocolError(`a client sent packet type ${packet.type}`), now, actions);
    }
  }

  protected onTimer(timer: TimerKind, now: number, actions: SessionAction[]): void {
    if (timer === "connect") {
      this.connectTimerArmed = false;
      // The whole handshake (CONNECT, the shell's answer, any AUTH exchange) has this deadline.
      if (this.phase !== "connected") this.closeWith("connect-timeout", 0, "local", now, actions);
      return;
    }
    if (timer !== "keepAlive" || this.phase !== "connected") return;
    if (!this.keepAliveExpired(now, actions)) return;
    // Nothing for 1.5x the keep alive ([MQTT-3.1.2-24] in 3.1.1, [MQTT-3.1.2-22] in 5.0).
    const packet: DisconnectPacket = {
      type: PacketType.DISCONNECT,
      reasonCode: ReasonCode.KEEP_ALIVE_TIMEOUT,
    };
    this.disconnectWith(packet, "keep-alive-timeout", now, actions);
  }

  private clearConnectTimer(actions: SessionAction[]): void {
    if (!this.connectTimerArmed) return;
    this.connectTimerArmed = false;
    actions.push({ kind: "clearTimer", timer: "connect" });
  }

  private onFirstPacket(packet: Packet, now: number, actions: SessionAction[]): void {
    if (packet.type !== PacketType.CONNECT) {
      // The first packet must be CONNECT [MQTT-3.1.0-1]: close, no CONNACK.
      actions.push({
        kind: "protocolError",
        error: new ProtocolError(`packet type ${packet.type} before CONNECT`, { statement: "MQTT-3.1.0-1" }),
      });
      this.closeWith("protocol-error", ReasonCode.PROTOCOL_ERROR, "local", now, actions);
      return;
    }
    const check = checkConnect(packet, this.common.protocolVersions ?? [3, 4, 5]);
    this.protocolVersion = packet.protocolVersion;
    if (check.verdict === "refuse") {
      actions.push({ kind: "send", bytes: encode(check.connack, check.version), packet: check.connack });
      this.closeWith(check.reason, check.connack.reasonCode, "local", now, actions);
      return;
    }
    this.connectPacket = packet;
    this.needsClientId = check.needsClientId;
    this.clientId = packet.clientId;
    this.will = packet.will;
    const props = packet.properties;
    if (packet.protocolVersion === 5) {
      if (props?.maximumPacketSize !== undefined) this.peerMaximumPacketSize = props.maximumPacketSize;
      if (props?.requestProblemInformation === 0) this.peerWantsProblemInfo = false;
      this.connectSessionExpiry = props?.sessionExpiryInterval ?? 0;
      this.authMethod = props?.authenticationMethod;
    } else {
      this.connectSessionExpiry = packet.clean ? 0 : 0xffff_ffff;
    }
    this.sessionExpiryInterval = this.connectSessionExpiry;
    this.phase = "awaitingAccept";
    const data = props?.authenticationData;
    actions.push({
      kind: "connectRequest",
      packet,
      needsClientId: check.needsClientId,
      ...(this.authMethod === undefined
        ? {}
        : { authentication: { method: this.authMethod, ...(data === undefined ? {} : { data }) } }),
    });
  }

  private onEarlyPacket(packet: Packet, now: number, actions: SessionAction[]): void {
    if (packet.type === PacketType.AUTH) {
      this.onAuth(packet, now, actions);
      return;
    }
    if (packet.type === PacketType.DISCONNECT) {
      this.closeWith("disconnect", packet.reasonCode ?? 0, "peer", now, actions);
      return;
    }
    if (this.authMethod !== undefined) {
      // Only AUTH or DISCONNECT until CONNACK when authenticating [MQTT-3.1.2-30].
      this.fail(
        new ProtocolError(`packet type ${packet.type} during authentication`, { statement: "MQTT-3.1.2-30" }),
        now,
        actions,
      );
      return;
    }
    this.early ??= [];
    const early = this.early;
    if (early.length >= (this.common.maxEarlyPackets ?? DEFAULT_MAX_EARLY_PACKETS)) {
      this.fail(
        new ProtocolError("too many packets before CONNACK", { reasonCode: ReasonCode.QUOTA_EXCEEDED }),
        now,
        actions,
      );
      return;
    }
    // A client may send before CONNACK arrives; keep them (bounded) until accept.
    early.push(packet);
  }

  private onDisconnect(packet: DisconnectPacket, now: number, actions: SessionAction[]): void {
    const code = packet.reasonCode ?? 0;
    const props = packet.properties;
    const expiry = props?.sessionExpiryInterval;
    if (expiry !== undefined) {
      if (this.connectSessionExpiry === 0 && expiry !== 0) {
        // Section 3.14.2.2.2 (no id): non-zero after a CONNECT with 0 is a Protocol Error.
        this.fail(
          new ProtocolError("DISCONNECT sets a Session Expiry Interval after CONNECT had 0"),
          now,
          actions,
        );
        return;
      }
      this.sessionExpiryInterval = expiry;
    }
    // A normal disconnection removes the will; 0x04 asks for it.
    this.willCancelled = code === ReasonCode.NORMAL_DISCONNECTION;
    const extra: Partial<DisconnectedAction> = {};
    if (props?.reasonString !== undefined) extra.reasonString = props.reasonString;
    if (props?.userProperties !== undefined) extra.userProperties = props.userProperties;
    this.closeWith("disconnect", code, "peer", now, actions, extra);
  }

  private onAuth(packet: AuthPacket, now: number, actions: SessionAction[]): void {
    const bad = checkAuth(packet, this.authMethod);
    if (bad !== undefined) {
      this.fail(bad, now, actions);
      return;
    }
    const code = authCode(packet);
    const connecting = this.phase === "awaitingAccept";
    const valid =
      (connecting && code === ReasonCode.CONTINUE_AUTHENTICATION) ||
      (!connecting && code === ReasonCode.RE_AUTHENTICATE && !this.reauthInProgress) ||
      (!connecting && code === ReasonCode.CONTINUE_AUTHENTICATION && this.reauthInProgress);
    if (!valid) {
      this.fail(new ProtocolError(`unexpected AUTH reason code 0x${code.toString(16)}`), now, actions);
      return;
    }
    if (code === ReasonCode.RE_AUTHENTICATE) this.reauthInProgress = true;
    const data = packet.properties?.authenticationData;
    actions.push({
      kind: "authRequest",
      phase: connecting ? "connect" : "reauth",
      method: this.authMethod as string,
      ...(data === undefined ? {} : { data }),
      reasonCode: code,
      packet,
    });
  }

  private expectAwaitingAccept(what: string): ConnectPacket {
    if (this.ended || this.phase !== "awaitingAccept" || this.connectPacket === undefined) {
      throw new SessionUsageError(`${what} answers a connectRequest (state: ${this.state})`);
    }
    return this.connectPacket;
  }

  private expectConnected(what: string): void {
    if (this.ended || this.phase !== "connected") {
      throw new SessionUsageError(`${what} needs a connected session (state: ${this.state})`);
    }
  }
}

// The server's own bits of `Connection.bits` (its `NEEDS_CLIENT_ID`... booleans, issue 19).
const NEEDS_CLIENT_ID = FIRST_ROLE_BIT;
const REAUTH_IN_PROGRESS = FIRST_ROLE_BIT << 1;
const CONNECT_TIMER_ARMED = FIRST_ROLE_BIT << 2;
/** Set when CONNACK announced Retain Available 0 (so the default, 0, means available). */
const RETAIN_UNAVAILABLE = FIRST_ROLE_BIT << 3;

/** What `subscriptions` reads while no bookkeeping is made (never written). */
const NO_GRANTED: ReadonlyMap<string, SessionSubscription> = new Map();
