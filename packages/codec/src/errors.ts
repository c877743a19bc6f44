import { ReasonCode } from "./reason-codes.js";

/** Options shared by the codec's errors. */
export interface MqttErrorOptions {
  /** The normative statement the input breaks, e.g. `MQTT-3.3.2-2`. */
  statement?: string;
  /** The underlying error, if any. */
  cause?: unknown;
  /** A more specific reason code than the class default (e.g. 0x94 Topic Alias invalid for a Protocol Error). */
  reasonCode?: number;
}

/**
 * Base class of every error this codec raises for bad input. Carries the MQTT 5.0
 * reason code that a receiver sends back (or closes with, in 3.1.1) and the
 * normative statement id that the input violates. Branch on `name` or
 * `instanceof`, never on `message`.
 */
export class MqttError extends Error {
  override name = "MqttError";
  /** Reason code for a DISCONNECT (5.0) or CONNACK, e.g. 0x81 Malformed Packet. */
  readonly reasonCode: number;
  /** Normative statement id without brackets, e.g. `MQTT-1.5.4-2`, when one applies. */
  readonly statement: string | undefined;

  constructor(message: string, reasonCode: number, options: MqttErrorOptions = {}) {
    super(options.statement ? `${message} [${options.statement}]` : message, { cause: options.cause });
    this.reasonCode = reasonCode;
    this.statement = options.statement;
  }
}

/** Input that does not follow the wire format: reason code 0x81 Malformed Packet. */
export class MalformedPacketError extends MqttError {
  override name = "MalformedPacketError";
  constructor(message: string, options?: MqttErrorOptions) {
    super(message, ReasonCode.MALFORMED_PACKET, options);
  }
}

/** Well-formed input that breaks a protocol rule: reason code 0x82 Protocol Error. */
export class ProtocolError extends MqttError {
  override name = "ProtocolError";
  constructor(message: string, options?: MqttErrorOptions) {
    super(message, options?.reasonCode ?? ReasonCode.PROTOCOL_ERROR, options);
  }
}

/**
 * A packet larger than the configured maximum, found from the fixed header before
 * the body is buffered: reason code 0x95 Packet too large.
 */
export class PacketTooLargeError extends MqttError {
  override name = "PacketTooLargeError";
  /** Size of the whole packet as announced by its fixed header, in bytes. */
  readonly size: number;
  /** The limit it exceeds, in bytes. */
  readonly limit: number;
  constructor(size: number, limit: number, options?: MqttErrorOptions) {
    super(
      `packet of ${size} bytes exceeds the maximum packet size of ${limit}`,
      ReasonCode.PACKET_TOO_LARGE,
      options,
    );
    this.size = size;
    this.limit = limit;
  }
}

/**
 * A CONNECT with a protocol name or level this codec does not speak. A server
 * answers with CONNACK 0x01 (3.1.1) or 0x84 (5.0) and closes [MQTT-3.1.2-2].
 */
export class UnsupportedProtocolVersionError extends MqttError {
  override name = "UnsupportedProtocolVersionError";
  /** Protocol name found in the CONNECT. */
  readonly protocolName: string;
  /** Protocol level found in the CONNECT. */
  readonly protocolVersion: number;
  constructor(protocolName: string, protocolVersion: number, options?: MqttErrorOptions) {
    super(
      `unsupported protocol ${JSON.stringify(protocolName)} level ${protocolVersion}`,
      ReasonCode.UNSUPPORTED_PROTOCOL_VERSION,
      options,
    );
    this.protocolName = protocolName;
    this.protocolVersion = protocolVersion;
  }
}

/**
 * A packet object handed to the encoder that cannot be put on the wire (API
 * misuse: QoS 3, a PUBLISH topic with wildcards, a string over 65,535 bytes, ...).
 * Thrown synchronously by `encode`.
 */
export class InvalidPacketError extends MqttError {
  override name = "InvalidPacketError";
  constructor(message: string, options?: MqttErrorOptions) {
    super(message, ReasonCode.MALFORMED_PACKET, options);
  }
}

/**
 * The first byte of a server's stream is not a CONNECT header (0x10) while the
 * decoder was built with `expectConnectFirst` [MQTT-3.1.0-1]: reason code 0x82
 * Protocol Error. Raised on that byte alone, so the server can close at once.
 */
export class ConnectExpectedError extends ProtocolError {
  override name = "ConnectExpectedError";
  /** The byte that arrived instead of 0x10. */
  readonly firstByte: number;
  constructor(firstByte: number, options?: MqttErrorOptions) {
    super(`the first packet must be CONNECT, got first byte 0x${firstByte.toString(16).padStart(2, "0")}`, {
      statement: "MQTT-3.1.0-1",
      ...options,
    });
    this.firstByte = firstByte;
  }
}
