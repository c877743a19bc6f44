// Fixture table of packets the encoder must refuse with `InvalidPacketError`
// instead of writing corrupt bytes (issue 14, "Encoder bugs"). Same style as
// ./fixtures.ts: one row per case, the packet, the level, and what is expected.
import { type Packet, PacketType, type ProtocolVersion } from "../src/index.js";

/** One refusal: a packet that cannot be put on the wire at `version`. */
export interface Refusal {
  name: string;
  version: ProtocolVersion;
  packet: Packet;
  /** Statement id the error must carry, when the rule has one. */
  statement?: string;
  /** A fragment of the error message, to tell the refusal from an unrelated one. */
  message: string;
}

const big = (n: number, c = "a") => c.repeat(n);
const publish = (topic: unknown, properties?: unknown): Packet =>
  ({
    type: PacketType.PUBLISH,
    topic,
    payload: new Uint8Array(0),
    qos: 0,
    retain: false,
    dup: false,
    ...(properties === undefined ? {} : { properties }),
  }) as Packet;

export const refusals: Refusal[] = [
  {
    name: "an ASCII PUBLISH topic of 65,536 bytes at 3.1.1 (fast path)",
    version: 4,
    packet: publish(big(65_536)),
    message: "longer than 65,535 bytes",
  },
  {
    name: "an ASCII PUBLISH topic of 65,536 bytes at 5.0 without properties (fast path)",
    version: 5,
    packet: publish(big(65_536)),
    message: "longer than 65,535 bytes",
  },
  {
    name: "an ASCII PUBLISH topic of 70,000 bytes at 5.0 with properties",
    version: 5,
    packet: publish(big(70_000), { contentType: "x" }),
    message: "longer than 65,535 bytes",
  },
  {
    name: "a user property name of 65,536 bytes",
    version: 5,
    packet: publish("t", { userProperties: [[big(65_536), "v"]] }),
    message: "user property name is longer than 65,535 bytes",
  },
  {
    name: "a user property value of 65,536 bytes",
    version: 5,
    packet: publish("t", { userProperties: [["k", big(65_536)]] }),
    message: "user property value is longer than 65,535 bytes",
  },
  {
    name: "a '+' after the first non-ASCII character of a PUBLISH topic [MQTT-3.3.2-2]",
    version: 4,
    packet: publish("caf\u00e9/+"),
    statement: "MQTT-3.3.2-2",
    message: "wildcards",
  },
  {
    name: "a '#' after the first non-ASCII character of a 5.0 PUBLISH topic [MQTT-3.3.2-2]",
    version: 5,
    packet: publish("\u00fcber/#"),
    statement: "MQTT-3.3.2-2",
    message: "wildcards",
  },
  {
    name: "a '#' after a non-ASCII character of a 5.0 PUBLISH topic with properties [MQTT-3.3.2-2]",
    version: 5,
    packet: publish("\u00fcber/#", { contentType: "x" }),
    statement: "MQTT-3.3.2-2",
    message: "wildcards",
  },
  {
    name: "a null PUBLISH topic (fast path)",
    version: 4,
    packet: publish(null),
    message: "must be a string",
  },
  {
    name: "a null PUBLISH topic with properties",
    version: 5,
    packet: publish(null, { contentType: "x" }),
    message: "must be a string",
  },
  {
    name: "a null user property value",
    version: 5,
    packet: publish("t", { userProperties: [["k", null]] }),
    message: "user property value must be a string",
  },
  {
    name: "a numeric user property value (was written as an empty string)",
    version: 5,
    packet: publish("t", { userProperties: [["k", 42]] }),
    message: "user property value must be a string",
  },
  {
    name: "a user property that is not a [name, value] pair",
    version: 5,
    packet: publish("t", { userProperties: ["k"] }),
    message: "[name, value] pair",
  },
  {
    name: "a null will topic",
    version: 4,
    packet: {
      type: PacketType.CONNECT,
      protocolVersion: 4,
      clean: true,
      keepAlive: 0,
      clientId: "c",
      will: { topic: null as unknown as string, payload: new Uint8Array(0), qos: 0, retain: false },
    },
    message: "must be a string",
  },
];
