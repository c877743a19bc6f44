import {
  type AckProperties,
  encode,
  type MqttError,
  type Packet,
  PacketType,
  ProtocolError,
  type ProtocolVersion,
  type PublishPacket,
  type PubrelPacket,
  ReasonCode,
} from "@amqtt/codec";
import {
  type OutgoingMessage,
  PacketIdAllocator,
  publishPacketOf,
  QosReceiver,
  QosSender,
  type ReceiverAction,
  type SenderAck,
  type SenderAction,
  type SenderConnectedInput,
  type SenderOptions,
} from "@amqtt/qos";
import type { MessageAction, PublishRequestAction, SessionAction } from "./actions.js";
import { SessionUsageError } from "./errors.js";
import { ListPool } from "./list-pool.js";
import type { CommonSessionOptions, PublishMessage } from "./options.js";
import { DEFAULT_RECEIVE_MAXIMUM, DEFAULT_TOPIC_ALIAS_MAXIMUM } from "./options.js";
import { PublishRequests } from "./publish-requests.js";
import type { SharedPublish } from "./shared-publish.js";
import { DEFAULT_MAX_OUTBOUND_ALIASES, InboundTopicAliases, OutboundTopicAliases } from "./topic-aliases.js";

/** What the publish flows need from their machine: the wire and the error path. */
export interface Wire {
  readonly protocolVersion: ProtocolVersion;
  /** Encode and send; false when the packet was dropped for the peer's Maximum Packet Size. */
  send(packet: Packet, now: number, actions: SessionAction[]): boolean;
  /** Send bytes already encoded for `packet`; false when dropped for the peer's Maximum Packet Size. */
  sendEncoded(packet: Packet, bytes: Uint8Array, now: number, actions: SessionAction[]): boolean;
  /** The largest packet the peer accepts (Infinity when it set none). */
  readonly peerMaximumPacketSize: number;
  /** Handle a protocol error of the peer. */
  fail(error: MqttError, now: number, actions: SessionAction[]): void;
}

/** Restored QoS state for a {@link PublishFlow}. */
export interface QosState {
  sender?: unknown;
  receiver?: unknown;
}

// What `connected` tells the sender when the peer sent no Receive Maximum (always on
// 3.1.1): shared by every flow, since the sender only reads it and an idle broker
// holds one flow per connection (issue 19: 32 bytes each).
const RESUMED_WITHOUT_RECEIVE_MAXIMUM: SenderConnectedInput = Object.freeze({ sessionPresent: true });
const FRESH_WITHOUT_RECEIVE_MAXIMUM: SenderConnectedInput = Object.freeze({ sessionPresent: false });

/**
 * PUBLISH in both directions for one session: QoS 0 directly, QoS 1 and 2 through
 * `@amqtt/qos` (window = the peer's Receive Maximum, our Receive Maximum enforced
 * with 0x93), Topic Aliases both ways (5.0), and the Maximum Packet Size check
 * before a message is taken.
 *
 * Design: a broker holds one flow per connected client, and most clients of a
 * large broker sit idle or only ever see QoS 0. So the QoS machines, the packet
 * id allocator, the alias maps and the request queue are made on first use, not
 * per connection; a machine made while the connection is up is told about it
 * with the same input `connected` got.
 */
export class PublishFlow {
  #sender: QosSender | undefined;
  #receiver: QosReceiver | undefined;
  #packetIds: PacketIdAllocator | undefined;
  private readonly senderOptions: SenderOptions;
  private readonly receiverOptions: { protocolVersion: ProtocolVersion; receiveMaximum: number };
  /** While a connection is up: what `connected` was given, for a sender made later. */
  private online: SenderConnectedInput | undefined;
  private inAliases: InboundTopicAliases | undefined;
  private outAliases: OutboundTopicAliases | undefined;
  private readonly ourAliasMaximum: number;
  private readonly aliasCap: number;
  /** Server with `answerPublishes`: the bound on held PUBLISH packets (undefined: no requests). */
  private readonly maxPendingPublishes: number | undefined;
  /** Server with `answerPublishes`: PUBLISH packets waiting for the shell's answer. */
  #requests: PublishRequests | undefined;
  /** With requests: the receiver's QoS 2 ids awaiting PUBREL, mirrored to tell a resend from a new message. */
  #awaitingRelease: Set<number> | undefined;
  /** During `publish` only: the shared encodings of the message being published. */
  #shared: SharedPublish | undefined;

  constructor(
    private readonly wire: Wire,
    private readonly role: "client" | "server",
    options: CommonSessionOptions,
    restored: QosState = {},
    /** Hold incoming PUBLISH packets for the shell's answer, at most this many (server `answerPublishes`). */
    maxPendingPublishes?: number,
  ) {
    const v5 = wire.protocolVersion === 5;
    const qos = qosOptionsFor(options, wire.protocolVersion);
    this.senderOptions = qos.sender;
    this.receiverOptions = qos.receiver;
    if (restored.sender !== undefined)
      this.#sender = QosSender.restore(restored.sender, { ...this.senderOptions, packetIds: this.packetIds });
    if (restored.receiver !== undefined)
      this.#receiver = QosReceiver.restore(restored.receiver, this.receiverOptions);
    this.ourAliasMaximum = v5 ? (options.topicAliasMaximum ?? DEFAULT_TOPIC_ALIAS_MAXIMUM) : 0;
    this.aliasCap = options.maxOutboundTopicAliases ?? DEFAULT_MAX_OUTBOUND_ALIASES;
    this.maxPendingPublishes = maxPendingPublishes;
    if (maxPendingPublishes !== undefined && this.#receiver !== undefined) {
      const ids = this.#receiver.snapshot().awaitingRelease;
      if (ids.length > 0) this.#awaitingRelease = new Set(ids);
    }
  }

  /** The packet identifiers of this session (made on first use). */
  get packetIds(): PacketIdAllocator {
    this.#packetIds ??= new PacketIdAllocator();
    return this.#packetIds;
  }

  /** Bytes of outgoing QoS 1/2 messages waiting for the window (0 while no sender was made). */
  get queuedBytes(): number {
    return this.#sender?.queuedBytes ?? 0;
  }

  /** The QoS 1/2 sender (made on first use; connected when the connection is up). */
  get sender(): QosSender {
    if (this.#sender === undefined) {
      const sender = new QosSender({ ...this.senderOptions, packetIds: this.packetIds });
      this.#sender = sender;
      // A sender with nothing in flight answers `connected` with no actions.
      if (this.online !== undefined) sender.connected(this.online, 0);
    }
    return this.#sender;
  }

  /** The QoS 1/2 receiver (made on first use). */
  get receiver(): QosReceiver {
    this.#receiver ??= new QosReceiver(this.receiverOptions);
    return this.#receiver;
  }

  /** Whether the QoS machines exist yet (for tests of the lazy allocation). */
  get allocated(): { sender: boolean; receiver: boolean; packetIds: boolean; requests: boolean } {
    return {
      sender: this.#sender !== undefined,
      receiver: this.#receiver !== undefined,
      packetIds: this.#packetIds !== undefined,
      requests: this.#requests !== undefined,
    };
  }

  private get requests(): PublishRequests | undefined {
    if (this.maxPendingPublishes === undefined) return undefined;
    this.#requests ??= new PublishRequests(this.maxPendingPublishes);
    return this.#requests;
  }

  /** Incoming PUBLISH packets waiting for `answerPublish` (or held behind one). */
  get pendingPublishes(): number {
    return this.#requests?.size ?? 0;
  }

  /** The peer has no session: forget the incoming QoS 2 state of a restored one. */
  discardIncomingState(): void {
    this.#receiver = undefined;
    this.#awaitingRelease = undefined;
  }

  /** The Topic Alias Maximum we advertise. */
  get topicAliasMaximum(): number {
    return this.ourAliasMaximum;
  }

  /** A connection is up: fresh alias maps [MQTT-3.3.2-7], window from the peer's Receive Maximum, resends. */
  connected(
    input: { sessionPresent: boolean; peerReceiveMaximum?: number; peerTopicAliasMaximum?: number },
    now: number,
    actions: SessionAction[],
  ): void {
    // Fresh alias maps per connection [MQTT-3.3.2-7]; none at all when neither side may alias.
    this.inAliases = this.ourAliasMaximum > 0 ? new InboundTopicAliases(this.ourAliasMaximum) : undefined;
    const peerAliases = this.wire.protocolVersion === 5 ? (input.peerTopicAliasMaximum ?? 0) : 0;
    this.outAliases =
      peerAliases > 0 && this.aliasCap > 0 ? new OutboundTopicAliases(peerAliases, this.aliasCap) : undefined;
    this.#receiver?.connected(now);
    const connected: SenderConnectedInput =
      input.peerReceiveMaximum !== undefined
        ? { sessionPresent: input.sessionPresent, receiveMaximum: input.peerReceiveMaximum }
        : input.sessionPresent
          ? RESUMED_WITHOUT_RECEIVE_MAXIMUM
          : FRESH_WITHOUT_RECEIVE_MAXIMUM;
    this.online = connected;
    if (this.#sender !== undefined) this.mapSender(this.#sender.connected(connected, now), now, actions);
  }

  /** The connection is gone; QoS state stays for the next one. */
  connectionLost(now: number): void {
    this.online = undefined;
    if (this.#sender?.isConnected === true) this.#sender.connectionLost(now);
    this.#receiver?.connectionLost(now);
    // QoS 1/2 requests were never acknowledged: the client resends them on its next
    // connection (section 4.4). QoS 0 requests may still be answered.
    this.#requests?.connectionEnded();
  }

  /**
   * Publish an application message (validated by the caller). With `shared`, the
   * PUBLISH bytes come from its per-shape template instead of an encode per
   * receiver (not while outbound Topic Aliases are in use: those differ per receiver).
   */
  publish(message: PublishMessage, now: number, actions: SessionAction[], shared?: SharedPublish): void {
    if (!this.fits(message)) {
      // Too large for the peer: discard it and carry on as if sent [MQTT-3.1.2-25].
      const packet = toPacket(message, message.qos === 0 ? undefined : 1);
      const size = measure(packet, this.wire.protocolVersion);
      actions.push({ kind: "packetDropped", packet, size, limit: this.wire.peerMaximumPacketSize });
      actions.push({ kind: "publishDropped", reason: "too-large", topic: message.topic });
      return;
    }
    const usable =
      shared !== undefined &&
      this.outAliases === undefined &&
      shared.topic === message.topic &&
      shared.payload === message.payload
        ? shared
        : undefined;
    if (message.qos === 0) {
      const packet = toPacket(message);
      const template = usable?.template(this.wire.protocolVersion, 0, packet.retain, packet.properties);
      const sent =
        template === undefined
          ? this.sendPublish(packet, now, actions)
          : this.wire.sendEncoded(packet, template.bytes, now, actions);
      if (sent) actions.push({ kind: "published", topic: message.topic });
      return;
    }
    // Field by field: a spread of a conditional object made two objects per message.
    const outgoing: OutgoingMessage = {
      topic: message.topic,
      payload: message.payload,
      qos: message.qos,
      retain: message.retain ?? false,
    };
    if (message.properties !== undefined) outgoing.properties = message.properties;
    this.#shared = usable;
    const list = this.sender.publish(outgoing, now, senderScratch.take());
    this.mapSender(list, now, actions);
    senderScratch.give(list);
    this.#shared = undefined;
  }

  /** A PUBLISH arrived. */
  onPublish(packet: PublishPacket, now: number, actions: SessionAction[]): void {
    const props = packet.properties;
    if (this.role === "server" && props?.subscriptionIdentifiers !== undefined) {
      this.wire.fail(
        new ProtocolError("a PUBLISH from a client carries a Subscription Identifier", {
          statement: "MQTT-3.3.4-6",
        }),
        now,
        actions,
      );
      return;
    }
    let resolved = packet;
    if (this.wire.protocolVersion === 5 && props?.topicAlias !== undefined) {
      // Our Topic Alias Maximum is 0 when there is no map: every alias is then invalid.
      const topic = (this.inAliases ?? NO_INBOUND_ALIASES).resolve(packet.topic, props.topicAlias);
      if (typeof topic !== "string") {
        this.wire.fail(topic, now, actions);
        return;
      }
      const { topicAlias: _alias, ...rest } = props;
      resolved = { ...packet, topic, properties: rest };
    }
    if (this.requests === undefined) this.receiveAndMap(resolved, now, undefined, actions);
    else this.request(this.requests, resolved, now, actions);
  }

  /**
   * The shell answered request `requestId`: below 0x80 the message is accepted, from
   * 0x80 refused. Releases every answered entry at the head of the queue, in order.
   * @throws SessionUsageError when no such request waits for an answer.
   */
  answerPublish(
    requestId: number,
    reasonCode: number,
    properties: AckProperties | undefined,
    now: number,
    actions: SessionAction[],
  ): void {
    const entry = this.#requests?.pending(requestId);
    if (entry === undefined || entry.answered) {
      throw new SessionUsageError(`no publishRequest ${requestId} waits for an answer`);
    }
    entry.answered = true;
    entry.reasonCode = reasonCode;
    entry.properties = properties;
    this.release(now, actions);
  }

  /**
   * After the connection ended: the answer to a QoS 0 request that was pending
   * then. Accepted (below 0x80), the message is delivered; nothing is sent.
   */
  answerAfterClose(requestId: number, reasonCode: number, actions: SessionAction[]): void {
    const entry = this.#requests?.takeQos0(requestId);
    if (entry !== undefined && reasonCode < 0x80) actions.push(messageAction(entry.packet));
  }

  /** A PUBREL arrived. */
  onPubrel(packet: PubrelPacket, now: number, actions: SessionAction[]): void {
    this.#awaitingRelease?.delete(packet.packetId);
    this.#requests?.dropReady(packet.packetId);
    this.receiveAndMap(packet, now, undefined, actions);
  }

  /** A PUBACK, PUBREC or PUBCOMP arrived. */
  onAck(packet: SenderAck, now: number, actions: SessionAction[]): void {
    const list = this.sender.receive(packet, now, senderScratch.take());
    this.mapSender(list, now, actions);
    senderScratch.give(list);
  }

  /** The QoS retry timer fired (3.1/3.1.1 with `retryIntervalMs`). */
  timerFired(now: number, actions: SessionAction[]): void {
    this.mapSender(this.sender.timerFired(now), now, actions);
  }

  /** `answerPublishes`: ask the shell about a PUBLISH instead of acknowledging it now. */
  private request(
    requests: PublishRequests,
    packet: PublishPacket,
    now: number,
    actions: SessionAction[],
  ): void {
    const packetId = packet.packetId;
    if (packetId !== undefined && packet.qos > 0) {
      if (requests.holds(packetId)) {
        // The same message until it is acknowledged: one request, one answer, one ack [MQTT-4.3.3-10].
        actions.push({ kind: "ignoredPacket", packet, reason: "resend of a PUBLISH waiting for its answer" });
        return;
      }
      if (packet.qos === 2 && this.#awaitingRelease?.has(packetId) === true) {
        // Already received: PUBREC again, no request, no second message [MQTT-4.3.3-10].
        if (requests.size === 0) {
          this.receiveAndMap(packet, now, undefined, actions);
          return;
        }
        // Counted once more when it was not yet unacknowledged on this connection; a same-connection
        // resend (which 5.0 forbids, [MQTT-4.4.0-1]) may be counted twice here.
        const ready = this.receiveMaximumFull(requests) ? undefined : this.receiver.receive(packet, now);
        if (ready === undefined || ready.some((a) => a.kind === "receiveMaximumExceeded"))
          this.receiveMaximumExceeded(now, actions);
        else requests.addReady(packet, ready);
        return;
      }
      if (this.receiveMaximumFull(requests)) {
        this.receiveMaximumExceeded(now, actions);
        return;
      }
    }
    if (requests.size >= requests.limit) {
      this.wire.fail(
        new ProtocolError(`more than ${requests.limit} PUBLISH packets waiting for an answer`, {
          reasonCode: ReasonCode.QUOTA_EXCEEDED,
        }),
        now,
        actions,
      );
      return;
    }
    const requestId = requests.add(packet);
    actions.push(publishRequestAction(requestId, packet));
  }

  private receiveMaximumFull(requests: PublishRequests): boolean {
    return (
      this.receiver.unacknowledgedCount + requests.unacknowledged + 1 > this.receiverOptions.receiveMaximum
    );
  }

  /** Ack (or refuse) and deliver every entry at the head of the queue that has its answer. */
  private release(now: number, actions: SessionAction[]): void {
    const requests = this.requests as PublishRequests;
    for (let entry = requests.takeReleasable(); entry !== undefined; entry = requests.takeReleasable()) {
      if (entry.ready !== undefined) {
        this.mapReceiver(entry.ready, now, actions);
        continue;
      }
      const code = entry.reasonCode;
      if (entry.packet.qos === 0) {
        // QoS 0 has no receiver state: delivered when accepted, nothing sent either way.
        if (code < 0x80) actions.push(messageAction(entry.packet));
        continue;
      }
      this.receiveAndMap(
        entry.packet,
        now,
        code === 0 ? ACCEPTED : { reasonCode: code },
        actions,
        entry.properties,
      );
    }
  }

  /**
   * The receiver's answer to `packet`, mapped into `actions` (through a reused
   * list: nothing keeps it); `properties` go on the acknowledgement (5.0).
   */
  private receiveAndMap(
    packet: PublishPacket | PubrelPacket,
    now: number,
    options: { reasonCode: number } | undefined,
    actions: SessionAction[],
    properties?: AckProperties,
  ): void {
    const list = this.receiver.receive(packet, now, options, receiverScratch.take());
    if (properties !== undefined && this.wire.protocolVersion === 5) {
      for (const a of list) if (a.kind === "send") a.packet = { ...a.packet, properties };
    }
    this.mapReceiver(list, now, actions);
    receiverScratch.give(list);
  }

  private receiveMaximumExceeded(now: number, actions: SessionAction[]): void {
    // More unacknowledged QoS 1/2 PUBLISH packets than our Receive Maximum: the sender broke
    // [MQTT-3.3.4-7] (client) or [MQTT-3.3.4-9] (server); the receiver answers 0x93 (section 3.3.4).
    this.wire.fail(
      new ProtocolError(
        `more than ${this.receiverOptions.receiveMaximum} unacknowledged QoS 1/2 PUBLISH packets`,
        {
          reasonCode: ReasonCode.RECEIVE_MAXIMUM_EXCEEDED,
        },
      ),
      now,
      actions,
    );
  }

  private fits(message: PublishMessage): boolean {
    const limit = this.wire.peerMaximumPacketSize;
    if (limit === Number.POSITIVE_INFINITY) return true;
    // Cheap upper bound first (UTF-8 needs at most 3 bytes per UTF-16 unit), exact size otherwise.
    const rough = 16 + 3 * message.topic.length + message.payload.length;
    if (message.properties === undefined && rough <= limit) return true;
    return measure(toPacket(message, message.qos === 0 ? undefined : 1), this.wire.protocolVersion) <= limit;
  }

  private sendPublish(packet: PublishPacket, now: number, actions: SessionAction[]): boolean {
    const aliases = this.outAliases;
    if (aliases === undefined) return this.wire.send(packet, now, actions);
    const { topic, alias } = aliases.assign(packet.topic);
    const aliased: PublishPacket = {
      ...packet,
      topic,
      properties: { ...packet.properties, topicAlias: alias as number },
    };
    if (this.wire.send(aliased, now, actions)) return true;
    if (topic.length > 0) aliases.forget(topic);
    return false;
  }

  /** A PUBLISH of the sender: patched from the shared template when it is the message being published. */
  private sendSenderPublish(packet: PublishPacket, now: number, actions: SessionAction[]): void {
    const shared = this.#shared;
    if (
      shared === undefined ||
      packet.packetId === undefined ||
      packet.topic !== shared.topic ||
      packet.payload !== shared.payload
    ) {
      this.sendPublish(packet, now, actions);
      return;
    }
    const template = shared.template(this.wire.protocolVersion, packet.qos, packet.retain, packet.properties);
    if (template === undefined) this.sendPublish(packet, now, actions);
    else this.wire.sendEncoded(packet, template.forPacketId(packet.packetId, packet.dup), now, actions);
  }

  private mapSender(list: SenderAction[], now: number, actions: SessionAction[]): void {
    for (const a of list) {
      switch (a.kind) {
        case "accepted":
          actions.push({ kind: "publishAccepted", seq: a.seq });
          break;
        case "rejected":
          actions.push({ kind: "publishDropped", reason: a.reason, topic: a.message.topic });
          break;
        case "dropped":
          actions.push({ kind: "publishDropped", seq: a.seq, reason: a.reason, topic: a.message.topic });
          break;
        case "send":
          if (a.packet.type === PacketType.PUBLISH) this.sendSenderPublish(a.packet, now, actions);
          else this.wire.send(a.packet, now, actions);
          break;
        case "completed":
        case "failed":
          actions.push({
            kind: "acked",
            seq: a.seq,
            packetId: a.packetId,
            qos: a.qos,
            reasonCode: a.reasonCode,
          });
          break;
        case "unexpectedAck":
          actions.push({ kind: "ignoredPacket", packet: a.packet, reason: a.reason });
          break;
        case "setTimer":
          actions.push({ kind: "setTimer", timer: "retry", ms: a.delayMs });
          break;
        case "clearTimer":
          actions.push({ kind: "clearTimer", timer: "retry" });
          break;
      }
    }
  }

  private mapReceiver(list: ReceiverAction[], now: number, actions: SessionAction[]): void {
    for (const a of list) {
      if (a.kind === "deliver") {
        const p = a.packet;
        if (this.maxPendingPublishes !== undefined && p.qos === 2 && p.packetId !== undefined) {
          this.#awaitingRelease ??= new Set();
          this.#awaitingRelease.add(p.packetId);
        }
        actions.push(messageAction(p));
      } else if (a.kind === "send") {
        this.wire.send(a.packet, now, actions);
      } else {
        this.receiveMaximumExceeded(now, actions);
        return;
      }
    }
  }
}

// The two actions of a received PUBLISH, built field by field: one object of one
// shape per message (a spread of a helper object made two, on the hot path).

/** The `message` action of a received PUBLISH. */
function messageAction(p: PublishPacket): MessageAction {
  const action: MessageAction = {
    kind: "message",
    topic: p.topic,
    payload: p.payload,
    qos: p.qos,
    retain: p.retain,
    dup: p.dup,
  };
  if (p.packetId !== undefined) action.packetId = p.packetId;
  if (p.properties !== undefined) action.properties = p.properties;
  return action;
}

/** The `publishRequest` action of a received PUBLISH. */
function publishRequestAction(requestId: number, p: PublishPacket): PublishRequestAction {
  const action: PublishRequestAction = {
    kind: "publishRequest",
    requestId,
    topic: p.topic,
    payload: p.payload,
    qos: p.qos,
    retain: p.retain,
    dup: p.dup,
  };
  if (p.packetId !== undefined) action.packetId = p.packetId;
  if (p.properties !== undefined) action.properties = p.properties;
  return action;
}

/** The PUBLISH packet of a message (packet id 1 as a stand-in for sizing). */
function toPacket(message: PublishMessage, packetId?: number): PublishPacket {
  return publishPacketOf(message, false, packetId);
}

function measure(packet: PublishPacket, version: ProtocolVersion): number {
  return encode(packet, version).length;
}

// The QoS machines' answers while a flow maps them into session actions: a new list
// with its first push is about 185 bytes, and a QoS 1 message made three (issue 19).
// One list each suffices: a flow maps its machine's answer before anything nests.
const senderScratch = new ListPool<SenderAction>(1, 64);
const receiverScratch = new ListPool<ReceiverAction>(1, 64);

/** The receive options of an accepted request (shared: one object less per PUBLISH). */
const ACCEPTED = Object.freeze({ reasonCode: 0 });

/** Our Topic Alias Maximum of 0: every inbound alias is invalid. */
const NO_INBOUND_ALIASES = new InboundTopicAliases(0);

type ReceiverOptions = { protocolVersion: ProtocolVersion; receiveMaximum: number };

// QoS options derived once per session options object and protocol level: a broker
// shares one options object across its connections, so they share these too.
const derivedOptions = new WeakMap<
  object,
  Map<ProtocolVersion, { sender: SenderOptions; receiver: ReceiverOptions }>
>();

/**
 * The QoS machines' options for `options` at `version`, checked as eager
 * construction would have (a RangeError for a bad bound) now that the machines
 * are made on first use. Read once per options object (change options by passing
 * a new object); the result is shared, so it is never modified.
 */
function qosOptionsFor(
  options: CommonSessionOptions,
  version: ProtocolVersion,
): { sender: SenderOptions; receiver: ReceiverOptions } {
  let byVersion = derivedOptions.get(options);
  const known = byVersion?.get(version);
  if (known !== undefined) return known;
  const v5 = version === 5;
  const sender: SenderOptions = {
    protocolVersion: version,
    ...(options.maxInFlight === undefined ? {} : { maxInFlight: options.maxInFlight }),
    ...(options.maxQueuedMessages === undefined ? {} : { maxQueuedMessages: options.maxQueuedMessages }),
    ...(options.maxQueuedBytes === undefined ? {} : { maxQueuedBytes: options.maxQueuedBytes }),
    ...(options.overflow === undefined ? {} : { overflow: options.overflow }),
    ...(options.retryIntervalMs === undefined || v5 ? {} : { retryIntervalMs: options.retryIntervalMs }),
  };
  // 3.1.1 has no Receive Maximum: nothing to enforce there.
  const receiver: ReceiverOptions = {
    protocolVersion: version,
    receiveMaximum: v5 ? (options.receiveMaximum ?? DEFAULT_RECEIVE_MAXIMUM) : 65_535,
  };
  new QosSender(sender);
  new QosReceiver(receiver);
  const derived = { sender, receiver };
  if (byVersion === undefined) {
    byVersion = new Map();
    derivedOptions.set(options, byVersion);
  }
  byVersion.set(version, derived);
  return derived;
}
