import {
  allowedReasonCodes,
  Decoder,
  type DecoderOptions,
  type DisconnectPacket,
  encode,
  MAX_REMAINING_LENGTH,
  MqttError,
  type Packet,
  PacketType,
  type ProtocolVersion,
  ReasonCode,
  type Will,
} from "@amqtt/codec";
import type { CloseReason, DisconnectedAction, SessionAction, TimerKind } from "./actions.js";
import { KeepAlive } from "./keep-alive.js";
import { type CommonSessionOptions, DEFAULT_MAXIMUM_PACKET_SIZE } from "./options.js";
import type { PublishFlow, Wire } from "./publish-flow.js";

// Bits of `Connection.bits` (a subclass's own start at FIRST_ROLE_BIT).
/** Set when the peer asked for no problem information (Request Problem Information 0), so 0 means "wants it". */
const NO_PROBLEM_INFO = 1;
const WILL_CANCELLED = 2;
const ESTABLISHED = 4;
/** The lowest bit of `Connection.bits` a role's machine may use for its own booleans. */
export const FIRST_ROLE_BIT = 8;

/** Packets whose Reason String and User Properties obey Request Problem Information [MQTT-3.1.2-29]. */
const problemInfoPackets = new Set<number>([
  PacketType.PUBACK,
  PacketType.PUBREC,
  PacketType.PUBREL,
  PacketType.PUBCOMP,
  PacketType.SUBACK,
  PacketType.UNSUBACK,
  PacketType.AUTH,
]);

/**
 * What both roles share: the decoder loop, the send path (encode, the peer's
 * Maximum Packet Size, Request Problem Information), the protocol-error path and
 * the end of the connection. Subclasses handle packets and commands.
 */
export abstract class Connection extends KeepAlive implements Wire {
  /** Which side of the connection this machine plays. */
  abstract readonly role: "client" | "server";
  /** Protocol level of the connection (the server learns it from CONNECT). */
  protocolVersion: ProtocolVersion;
  /**
   * The largest packet the peer accepts, from its CONNECT/CONNACK; when unset, the
   * largest packet MQTT can frame (a 5-byte fixed header and the largest Remaining
   * Length), which no packet exceeds. A small integer, not Infinity: Infinity is a
   * 16-byte heap number in every idle connection's machine (issue 19).
   */
  peerMaximumPacketSize = 1 + 4 + MAX_REMAINING_LENGTH;
  /** Packets decoded from the peer so far, of every type. */
  packetsReceived = 0;
  /**
   * Called with every packet decoded from the peer, before the machine handles
   * it (a shell's packet hooks, e.g. aMQTT's `on_mqtt_packet_received`); unset
   * by default, so nothing is paid for it.
   */
  onPacketReceived: ((packet: Packet) => void) | undefined = undefined;

  protected readonly decoder: Decoder;
  protected flow!: PublishFlow;
  /** Whether the connection is finished (closed by us, the peer or the transport). */
  protected ended = false;
  protected sessionExpiryInterval = 0;
  protected will: Will | undefined;
  /**
   * The machine's booleans, one bit each: the three below (`NO_PROBLEM_INFO`,
   * `WILL_CANCELLED`, `ESTABLISHED`) and a subclass's own from `FIRST_ROLE_BIT`
   * up. One field instead of one per boolean in every idle machine (issue 19).
   */
  protected bits = 0;

  /** Whether the peer may get Reason Strings / User Properties on acks (server side). */
  protected get peerWantsProblemInfo(): boolean {
    return (this.bits & NO_PROBLEM_INFO) === 0;
  }
  protected set peerWantsProblemInfo(value: boolean) {
    this.bits = value ? this.bits & ~NO_PROBLEM_INFO : this.bits | NO_PROBLEM_INFO;
  }

  /** Server: the client said goodbye with DISCONNECT 0x00, so no will. */
  protected get willCancelled(): boolean {
    return (this.bits & WILL_CANCELLED) !== 0;
  }
  protected set willCancelled(value: boolean) {
    this.bits = value ? this.bits | WILL_CANCELLED : this.bits & ~WILL_CANCELLED;
  }

  /** Whether the machine passed the CONNECT/CONNACK exchange. */
  protected get established(): boolean {
    return (this.bits & ESTABLISHED) !== 0;
  }
  protected set established(value: boolean) {
    this.bits = value ? this.bits | ESTABLISHED : this.bits & ~ESTABLISHED;
  }

  /** `stream`: what the role's decoder adds (the server judges the first packet, see `ServerSession`). */
  constructor(
    protocolVersion: ProtocolVersion,
    protected readonly common: CommonSessionOptions,
    stream: Pick<DecoderOptions, "expectConnectFirst" | "maxPacketSizeBeforeConnect"> = {},
  ) {
    super();
    this.protocolVersion = protocolVersion;
    // Fields named, not `{ ...stream, protocolVersion, ... }`: on Node 20 a spread
    // followed by new keys takes V8's slow path, about 1 us per connection (a third
    // of the session machine's construction), measured in isolation.
    this.decoder = new Decoder({
      expectConnectFirst: stream.expectConnectFirst,
      maxPacketSizeBeforeConnect: stream.maxPacketSizeBeforeConnect,
      protocolVersion,
      maxPacketSize: common.maximumPacketSize ?? DEFAULT_MAXIMUM_PACKET_SIZE,
    });
  }

  /**
   * Bytes the decoder holds for a packet still arriving (see `Decoder.reservedBytes`):
   * grows with the bytes received, never with the length a fixed header declares.
   */
  get receiveBufferBytes(): number {
    return this.decoder.reservedBytes;
  }

  /** Whether the connection is over. */
  get isClosed(): boolean {
    return this.ended;
  }

  /**
   * Bytes arrived from the peer, in any chunking. Returns the actions, in order,
   * appended to `into` (default: a new list; a shell that carries them out at
   * once may pass a list it reuses). Never throws on peer input: malformed bytes
   * and broken rules become actions.
   */
  received(bytes: Uint8Array, now: number, into: SessionAction[] = []): SessionAction[] {
    const actions = into;
    if (this.ended) return actions;
    this.decoder.push(bytes);
    let packet = this.nextPacket(now, actions);
    while (packet !== undefined) {
      this.packetsReceived++;
      this.onPacketReceived?.(packet);
      this.keepAliveReceived(now);
      this.handlePacket(packet, now, actions);
      if (this.ended) break;
      packet = this.nextPacket(now, actions);
    }
    return actions;
  }

  /**
   * The next whole packet from the decoder, or `undefined` when it needs more
   * bytes or the bytes were malformed (then the error is handled into `actions`).
   */
  private nextPacket(now: number, actions: SessionAction[]): Packet | undefined {
    try {
      return this.decoder.next();
    } catch (err) {
      const error = err instanceof MqttError ? err : new MqttError(String(err), ReasonCode.MALFORMED_PACKET);
      this.onDecodeError(error, now, actions);
      return undefined;
    }
  }

  /** A timer the machine asked for fired. */
  timerFired(timer: TimerKind, now: number): SessionAction[] {
    const actions: SessionAction[] = [];
    if (this.ended) return actions;
    if (timer === "retry") this.flow.timerFired(now, actions);
    else this.onTimer(timer, now, actions);
    return actions;
  }

  /** The transport closed (or failed). Ends the machine; no `close` action follows. */
  closed(now: number): SessionAction[] {
    const actions: SessionAction[] = [];
    this.finish("transport", ReasonCode.UNSPECIFIED_ERROR, now, actions);
    return actions;
  }

  /** @internal Encode and send `packet`; false when dropped for the peer's Maximum Packet Size. */
  send(packet: Packet, now: number, actions: SessionAction[]): boolean {
    let out = packet;
    if (!this.peerWantsProblemInfo && problemInfoPackets.has(packet.type)) out = withoutProblemInfo(packet);
    let bytes = encode(out, this.protocolVersion);
    if (bytes.length > this.peerMaximumPacketSize && out.type !== PacketType.PUBLISH) {
      // Drop the optional diagnostics first (e.g. [MQTT-3.2.2-19], [MQTT-3.2.2-20]).
      const slim = withoutProblemInfo(out);
      if (slim !== out) {
        out = slim;
        bytes = encode(out, this.protocolVersion);
      }
    }
    if (bytes.length > this.peerMaximumPacketSize) {
      // Never larger than the peer's maximum ([MQTT-3.1.2-24] server, [MQTT-3.2.2-15] client);
      // discard it as if it had been sent [MQTT-3.1.2-25].
      actions.push({
        kind: "packetDropped",
        packet: out,
        size: bytes.length,
        limit: this.peerMaximumPacketSize,
      });
      return false;
    }
    actions.push({ kind: "send", bytes, packet: out });
    this.keepAliveSent(now);
    return true;
  }

  /**
   * @internal Send `bytes` already encoded for `packet` (a shared PUBLISH); false
   * when dropped for the peer's Maximum Packet Size, as `send` would.
   */
  sendEncoded(packet: Packet, bytes: Uint8Array, now: number, actions: SessionAction[]): boolean {
    if (bytes.length > this.peerMaximumPacketSize) {
      // [MQTT-3.1.2-24] / [MQTT-3.2.2-15]: discarded as if sent [MQTT-3.1.2-25].
      actions.push({ kind: "packetDropped", packet, size: bytes.length, limit: this.peerMaximumPacketSize });
      return false;
    }
    actions.push({ kind: "send", bytes, packet });
    this.keepAliveSent(now);
    return true;
  }

  /** @internal The peer broke a rule: report, DISCONNECT with the reason code where allowed (5.0), close. */
  fail(error: MqttError, now: number, actions: SessionAction[]): void {
    if (this.ended) return;
    actions.push({ kind: "protocolError", error });
    if (this.protocolVersion === 5 && this.mayDisconnect()) {
      this.send({ type: PacketType.DISCONNECT, reasonCode: disconnectCode(error.reasonCode) }, now, actions);
    }
    this.closeWith("protocol-error", error.reasonCode, "local", now, actions);
  }

  /** Push `close` and end the machine. */
  protected closeWith(
    reason: CloseReason,
    reasonCode: number,
    initiator: DisconnectedAction["initiator"],
    now: number,
    actions: SessionAction[],
    extra: Partial<DisconnectedAction> = {},
  ): void {
    if (this.ended) return;
    actions.push({ kind: "close", reason, reasonCode });
    this.finish(initiator, reasonCode, now, actions, extra);
  }

  /** End the machine once: QoS state goes offline, `disconnected` tells the shell. */
  protected finish(
    initiator: DisconnectedAction["initiator"],
    reasonCode: number,
    now: number,
    actions: SessionAction[],
    extra: Partial<DisconnectedAction> = {},
  ): void {
    if (this.ended) return;
    this.ended = true;
    this.flow?.connectionLost(now);
    const publishWill =
      this.role === "server" && this.established && this.will !== undefined && !this.willCancelled;
    const action: DisconnectedAction = {
      kind: "disconnected",
      initiator,
      reasonCode,
      publishWill,
      sessionExpiryInterval: this.sessionExpiryInterval,
      ...extra,
    };
    if (this.will !== undefined) action.will = this.will;
    actions.push(action);
  }

  /** Send DISCONNECT (5.0) and close: the local side ends the connection. */
  protected disconnectWith(
    packet: DisconnectPacket,
    reason: CloseReason,
    now: number,
    actions: SessionAction[],
  ): void {
    if (this.protocolVersion === 5 && this.mayDisconnect()) this.send(packet, now, actions);
    this.closeWith(reason, packet.reasonCode ?? 0, "local", now, actions);
  }

  /** Whether a DISCONNECT may be sent now (the server only after CONNACK [MQTT-3.14.0-1]). */
  protected abstract mayDisconnect(): boolean;
  /** Handle one decoded packet. */
  protected abstract handlePacket(packet: Packet, now: number, actions: SessionAction[]): void;
  /** Handle a keep-alive, ping or connect timer. */
  protected abstract onTimer(timer: TimerKind, now: number, actions: SessionAction[]): void;

  /** The decoder failed: malformed bytes, too large, or a broken rule inside a packet. */
  protected onDecodeError(error: MqttError, now: number, actions: SessionAction[]): void {
    this.fail(error, now, actions);
  }
}

/** A DISCONNECT reason code for an error code (falls back to 0x82/0x81 when not a DISCONNECT code). */
export function disconnectCode(code: number): number {
  if (allowedReasonCodes[PacketType.DISCONNECT]?.has(code)) return code;
  return code === ReasonCode.MALFORMED_PACKET ? code : ReasonCode.PROTOCOL_ERROR;
}

function withoutProblemInfo(packet: Packet): Packet {
  const props = (packet as { properties?: { reasonString?: string; userProperties?: unknown } }).properties;
  if (props === undefined || (props.reasonString === undefined && props.userProperties === undefined))
    return packet;
  const { reasonString: _r, userProperties: _u, ...rest } = props;
  return { ...packet, properties: rest } as Packet;
}
