/**
 * Differential tests against mqtt-packet 9.0.2 (the parser and generator of
 * MQTT.js), at protocol levels 4 (3.1.1) and 5 (5.0).
 *
 * On a corpus of valid packets (./arbitraries.ts) both directions must agree:
 * our bytes parse in mqtt-packet to the same packet, mqtt-packet's bytes decode
 * in ours to the same packet, and at level 4 both write the same bytes.
 *
 * Representation differences, mapped rather than counted as disagreements:
 * - mqtt-packet names: `cmd`, `messageId`, `keepalive`, `protocolId`,
 *   `returnCode` (3.1.1 CONNACK), `granted`, `unsubscriptions`, `nl`/`rap`/`rh`,
 *   `maximumQoS`, and `subscriptionIdentifier` (a number or a list) in PUBLISH.
 * - Its byte properties (Payload Format Indicator, Request Problem and Request
 *   Response Information, the CONNACK "... Available" flags) are booleans; ours
 *   are 0 or 1.
 * - Its User Properties are an object keyed by name, so the order between
 *   different names is lost (the order of values of one name is kept). Both
 *   sides are compared with User Properties stably sorted by name.
 * - It always reports a 5.0 reason code (0 when the wire had none) and writes
 *   an empty Property Length where we leave it off (5.0 sections 3.4.2.1 and on
 *   allow both), so 5.0 bytes are compared as packets, not as bytes.
 *
 * Disagreements, each a test case below (mqtt-packet is wrong in all but the
 * last, which is a difference of scope):
 * Parsing: mqtt-packet accepts input that breaks
 * - [MQTT-3.3.2-2]   a wildcard in a PUBLISH topic name;
 * - [MQTT-4.7.3-1]   an empty PUBLISH topic name in 3.1.1, and an empty will topic;
 * - [MQTT-4.7.1-1]   a wildcard in a 3.1.1 will topic;
 * - [MQTT-2.3.1-1]   packet identifier 0 (3.1.1), and [MQTT-2.2.1-3] in 5.0;
 * - [MQTT-3.3.1-2]   DUP set on a QoS 0 PUBLISH;
 * - [MQTT-3.1.2-14]  will QoS 3 in 3.1.1;
 * - [MQTT-3.1.2-22]  a password without a user name in 3.1.1;
 * - [MQTT-1.5.3-2]   U+0000 in a 3.1.1 string, and [MQTT-1.5.4-2] in 5.0;
 * - [MQTT-1.5.3-1]   ill-formed UTF-8 (it decodes to U+FFFD), and [MQTT-1.5.4-1] in 5.0;
 * - [MQTT-3.2.2-4]   Session Present on a refused 3.1.1 CONNACK;
 * - [MQTT-3.2.2-8]   a 5.0 CONNACK reason code that is not a Connect Reason Code;
 * - [MQTT-1.5.5-1]   a 5.0 Variable Byte Integer not in its shortest form;
 * - [MQTT-3.3.2-8]   a 5.0 Topic Alias of 0;
 * - [MQTT-3.3.2-14]  a 5.0 Response Topic with a wildcard;
 * - 5.0 section 2.2.2.2: a property not allowed in the packet;
 * - 5.0 section 3.3.2.3.9: a Content Type given twice (it makes a list of them);
 * - 5.0 section 3.1.2.11.7: Request Problem Information 2 (it reads true).
 * And mqtt-packet rejects or mangles valid input:
 * - 5.0 section 3.15.2.1: an AUTH with Remaining Length 0 (Success, no
 *   properties) is refused as "Invalid auth reason code";
 * - 5.0 section 3.14.2.1: a DISCONNECT with Remaining Length 0 followed by
 *   another packet in the same buffer takes its reason code from the next packet;
 * - 5.0 section 3.1.2.11.8: a User Property name repeated after an empty first
 *   value loses that empty value.
 * Generating: mqtt-packet refuses to write
 * - a 5.0 CONNECT with a password and no user name (5.0 dropped
 *   [MQTT-3.1.2-22]; see the non-normative comment in section 3.1.2.9);
 * - a 5.0 CONNECT with an empty client id and Clean Start 0 (the 3.1.1 client
 *   rule [MQTT-3.1.3-7] has no 5.0 counterpart). At 3.1.1 it enforces
 *   [MQTT-3.1.3-7], a client rule our encoder leaves to the client; both sides
 *   still decode such a CONNECT, since a server must answer it [MQTT-3.1.3-8].
 * These shapes are kept out of the agreement corpus by `mqttPacketCanCarry`.
 */
import fc from "fast-check";
import mqttPacket from "mqtt-packet";
import { describe, expect, it } from "vitest";
import {
  type AuthPacket,
  Decoder,
  decodePacket,
  encode,
  MalformedPacketError,
  type MqttError,
  type Packet,
  PacketType,
  ProtocolError,
  type ProtocolVersion,
  type UserProperty,
} from "../src/index.js";
import { bytesEqual, normalize, packet } from "./arbitraries.js";

expect.addEqualityTesters([bytesEqual]);

type Their = Record<string, unknown>;
type Level = 4 | 5;

const RUNS = 400;

const cmdOf: Record<number, string> = {
  1: "connect",
  2: "connack",
  3: "publish",
  4: "puback",
  5: "pubrec",
  6: "pubrel",
  7: "pubcomp",
  8: "subscribe",
  9: "suback",
  10: "unsubscribe",
  11: "unsuback",
  12: "pingreq",
  13: "pingresp",
  14: "disconnect",
  15: "auth",
};
const typeOf: Record<string, number> = Object.fromEntries(
  Object.entries(cmdOf).map(([t, c]) => [c, Number(t)]),
);

/** Properties whose mqtt-packet value is a boolean and ours 0 or 1. */
const byteFlags = new Set([
  "payloadFormatIndicator",
  "requestProblemInformation",
  "requestResponseInformation",
  "retainAvailable",
  "wildcardSubscriptionAvailable",
  "subscriptionIdentifiersAvailable",
  "sharedSubscriptionAvailable",
]);

// ---------------------------------------------------------------------------
// Ours -> mqtt-packet

function toTheirProperties(props: object | undefined): Their | undefined {
  if (props === undefined) return undefined;
  const out: Their = {};
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined) continue;
    if (k === "userProperties") {
      // mqtt-packet writes nothing at all (an empty buffer) for an empty userProperties object.
      if ((v as UserProperty[]).length === 0) continue;
      const grouped: Record<string, string | string[]> = Object.create(null);
      for (const [name, value] of v as UserProperty[]) {
        const prev = grouped[name];
        grouped[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
      }
      out.userProperties = grouped;
    } else if (k === "subscriptionIdentifiers") {
      const ids = v as number[];
      if (ids.length > 0) out.subscriptionIdentifier = ids.length === 1 ? ids[0] : ids;
    } else if (k === "maximumQos") out.maximumQoS = v;
    else if (byteFlags.has(k)) out[k] = v === 1;
    else if (v instanceof Uint8Array) out[k] = Buffer.from(v);
    else out[k] = v;
  }
  return out;
}

/** Our packet as mqtt-packet's `generate` wants it. */
function toTheir(p: Packet, version: Level): Their {
  const cmd = cmdOf[p.type]!;
  switch (p.type) {
    case PacketType.CONNECT:
      return {
        cmd,
        protocolId: "MQTT",
        protocolVersion: p.protocolVersion,
        clean: p.clean,
        keepalive: p.keepAlive,
        clientId: p.clientId,
        username: p.username,
        password: p.password === undefined ? undefined : Buffer.from(p.password),
        properties: toTheirProperties(p.properties),
        will:
          p.will === undefined
            ? undefined
            : {
                topic: p.will.topic,
                payload: Buffer.from(p.will.payload),
                qos: p.will.qos,
                retain: p.will.retain,
                properties: toTheirProperties(p.will.properties),
              },
      };
    case PacketType.CONNACK:
      return version === 5
        ? {
            cmd,
            sessionPresent: p.sessionPresent,
            reasonCode: p.reasonCode,
            properties: toTheirProperties(p.properties),
          }
        : { cmd, sessionPresent: p.sessionPresent, returnCode: p.reasonCode };
    case PacketType.PUBLISH:
      return {
        cmd,
        topic: p.topic,
        payload: Buffer.from(p.payload),
        qos: p.qos,
        dup: p.dup,
        retain: p.retain,
        messageId: p.packetId,
        properties: toTheirProperties(p.properties),
      };
    case PacketType.PUBACK:
    case PacketType.PUBREC:
    case PacketType.PUBREL:
    case PacketType.PUBCOMP:
      return {
        cmd,
        messageId: p.packetId,
        reasonCode: p.reasonCode ?? 0,
        properties: toTheirProperties(p.properties),
      };
    case PacketType.SUBSCRIBE:
      return {
        cmd,
        messageId: p.packetId,
        properties: toTheirProperties(p.properties),
        subscriptions: p.subscriptions.map((s) => ({
          topic: s.topicFilter,
          qos: s.qos,
          nl: s.noLocal ?? false,
          rap: s.retainAsPublished ?? false,
          rh: s.retainHandling ?? 0,
        })),
      };
    case PacketType.SUBACK:
      return {
        cmd,
        messageId: p.packetId,
        granted: p.reasonCodes,
        properties: toTheirProperties(p.properties),
      };
    case PacketType.UNSUBSCRIBE:
      return {
        cmd,
        messageId: p.packetId,
        unsubscriptions: p.topicFilters,
        properties: toTheirProperties(p.properties),
      };
    case PacketType.UNSUBACK:
      return {
        cmd,
        messageId: p.packetId,
        granted: p.reasonCodes ?? [],
        properties: toTheirProperties(p.properties),
      };
    case PacketType.DISCONNECT:
    case PacketType.AUTH:
      return { cmd, reasonCode: p.reasonCode ?? 0, properties: toTheirProperties(p.properties) };
    default:
      return { cmd };
  }
}

// ---------------------------------------------------------------------------
// mqtt-packet -> ours

function fromTheirProperties(props: unknown): object | undefined {
  if (props === undefined) return undefined;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(props as Their)) {
    if (k === "userProperties") {
      const list: UserProperty[] = [];
      for (const [name, value] of Object.entries(v as Record<string, string | string[]>)) {
        for (const one of Array.isArray(value) ? value : [value]) list.push([name, one]);
      }
      out.userProperties = list;
    } else if (k === "maximumQoS") out.maximumQos = v;
    else if (byteFlags.has(k)) out[k] = v ? 1 : 0;
    else if (Buffer.isBuffer(v)) out[k] = new Uint8Array(v);
    else out[k] = v;
  }
  return out;
}

/** A packet parsed by mqtt-packet, in our shape (before `normalize`). */
function fromTheir(m: Their, version: Level): Packet {
  const type = typeOf[m.cmd as string]!;
  const props = fromTheirProperties(m.properties);
  const bytes = (b: unknown) => new Uint8Array(b as Buffer);
  switch (type) {
    case PacketType.CONNECT: {
      const w = m.will as Their | undefined;
      return {
        type,
        protocolName: m.protocolId as "MQTT",
        protocolVersion: m.protocolVersion as ProtocolVersion,
        clean: m.clean as boolean,
        keepAlive: m.keepalive as number,
        clientId: m.clientId as string,
        username: m.username as string | undefined,
        password: m.password === undefined ? undefined : bytes(m.password),
        properties: props,
        will:
          w === undefined
            ? undefined
            : {
                topic: w.topic as string,
                payload: bytes(w.payload),
                qos: w.qos as 0,
                retain: w.retain as boolean,
                properties: fromTheirProperties(w.properties),
              },
      };
    }
    case PacketType.CONNACK:
      return {
        type,
        sessionPresent: m.sessionPresent as boolean,
        reasonCode: (version === 5 ? m.reasonCode : m.returnCode) as number,
        properties: props,
      };
    case PacketType.PUBLISH: {
      const ids = (props as Their | undefined)?.subscriptionIdentifier;
      if (ids !== undefined) {
        delete (props as Their).subscriptionIdentifier;
        (props as Their).subscriptionIdentifiers = Array.isArray(ids) ? ids : [ids];
      }
      return {
        type,
        topic: m.topic as string,
        payload: bytes(m.payload),
        qos: m.qos as 0,
        retain: m.retain as boolean,
        dup: m.dup as boolean,
        packetId: m.messageId as number | undefined,
        properties: props,
      };
    }
    case PacketType.PUBACK:
    case PacketType.PUBREC:
    case PacketType.PUBREL:
    case PacketType.PUBCOMP:
      return { type, packetId: m.messageId as number, reasonCode: m.reasonCode as number, properties: props };
    case PacketType.SUBSCRIBE:
      return {
        type,
        packetId: m.messageId as number,
        properties: props,
        subscriptions: (m.subscriptions as Their[]).map((s) => ({
          topicFilter: s.topic as string,
          qos: s.qos as 0,
          noLocal: s.nl as boolean | undefined,
          retainAsPublished: s.rap as boolean | undefined,
          retainHandling: s.rh as 0 | undefined,
        })),
      };
    case PacketType.SUBACK:
      return { type, packetId: m.messageId as number, reasonCodes: m.granted as number[], properties: props };
    case PacketType.UNSUBSCRIBE:
      return {
        type,
        packetId: m.messageId as number,
        topicFilters: m.unsubscriptions as string[],
        properties: props,
      };
    case PacketType.UNSUBACK:
      return { type, packetId: m.messageId as number, reasonCodes: m.granted as number[], properties: props };
    case PacketType.DISCONNECT:
    case PacketType.AUTH:
      return { type, reasonCode: m.reasonCode as number, properties: props };
    default:
      return { type } as Packet;
  }
}

/** Every packet mqtt-packet parses from `bytes` at `version`, or the first error. */
function theirParse(bytes: Uint8Array, version: Level): { packets: Their[]; error?: Error } {
  const parser = mqttPacket.parser({ protocolVersion: version });
  const packets: Their[] = [];
  let error: Error | undefined;
  parser.on("packet", (p) => packets.push(p as unknown as Their));
  parser.on("error", (e: Error) => {
    error ??= e;
  });
  parser.parse(Buffer.from(bytes));
  return { packets, error };
}

/** mqtt-packet's bytes for our packet; throws what its generator reports. */
function theirGenerate(p: Packet, version: Level): Uint8Array {
  return new Uint8Array(mqttPacket.generate(toTheir(p, version) as never, { protocolVersion: version }));
}

// ---------------------------------------------------------------------------
// Comparison

function sortUserProperties(props: unknown): void {
  const list = (props as { userProperties?: UserProperty[] } | undefined)?.userProperties;
  // Array.prototype.sort is stable: values of one name keep their order.
  if (list !== undefined) list.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/** `normalize`, then User Properties sorted by name (mqtt-packet keeps no order across names). */
function canonical(p: Packet, version: Level): Packet {
  const n = structuredClone(normalize(p, version));
  if ("properties" in n) sortUserProperties(n.properties);
  if (n.type === PacketType.CONNECT && n.will !== undefined) sortUserProperties(n.will.properties);
  return n;
}

/**
 * False for the shapes listed at the top of this file where mqtt-packet is
 * known to be wrong; those are tested one by one below instead.
 */
function mqttPacketCanCarry(p: Packet, version: Level): boolean {
  const lists: (UserProperty[] | undefined)[] = [];
  if ("properties" in p)
    lists.push((p.properties as { userProperties?: UserProperty[] } | undefined)?.userProperties);
  if (p.type === PacketType.CONNECT) {
    lists.push(p.will?.properties?.userProperties);
    if (p.password !== undefined && p.username === undefined) return false;
    if (p.clientId === "" && !p.clean) return false;
  }
  // A bare AUTH (Remaining Length 0) is refused by mqtt-packet; see the cases below.
  if (p.type === PacketType.AUTH && (normalize(p, version) as AuthPacket).reasonCode === undefined)
    return false;
  for (const list of lists) {
    const first = new Map<string, string>();
    for (const [name, value] of list ?? []) {
      if (first.get(name) === "") return false;
      if (!first.has(name)) first.set(name, value);
    }
  }
  return true;
}

describe.each([4, 5] as const)("against mqtt-packet 9.0.2 at protocol level %i", (version) => {
  const corpus = packet(version).filter((p) => mqttPacketCanCarry(p, version));

  it("parses our bytes into the same packet", () => {
    fc.assert(
      fc.property(corpus, (p) => {
        const { packets, error } = theirParse(encode(p, version), version);
        expect(error).toBeUndefined();
        expect(packets.map((m) => canonical(fromTheir(m, version), version))).toEqual([
          canonical(p, version),
        ]);
      }),
      { numRuns: RUNS },
    );
  });

  it("writes bytes that we decode into the same packet", () => {
    fc.assert(
      fc.property(corpus, (p) => {
        const decoded = decodePacket(theirGenerate(p, version), { protocolVersion: version });
        expect(canonical(decoded, version)).toEqual(canonical(p, version));
      }),
      { numRuns: RUNS },
    );
  });

  if (version === 4) {
    it("writes the same bytes as we do", () => {
      fc.assert(
        fc.property(corpus, (p) => {
          expect(theirGenerate(p, 4)).toEqual(encode(p, 4));
        }),
        { numRuns: RUNS },
      );
    });
  }
});

// ---------------------------------------------------------------------------
// Documented disagreements

const utf8 = (s: string) => [...new TextEncoder().encode(s)];
/** A two-byte length prefixed field. */
const field = (bytes: number[]) => [bytes.length >> 8, bytes.length & 0xff, ...bytes];
const str = (s: string) => field(utf8(s));
/** A packet with a one-byte remaining length. */
const pkt = (first: number, ...body: number[]) => [first, body.length, ...body];
/** CONNECT header (protocol name, level, flags, keep alive 0, and an empty 5.0 property list). */
const connectHead = (level: Level, flags: number) => [
  ...str("MQTT"),
  level,
  flags,
  0,
  0,
  ...(level === 5 ? [0] : []),
];

interface RejectCase {
  title: string;
  version: Level;
  bytes: number[];
  error: new (...args: never[]) => MqttError;
  statement?: string;
  /** What mqtt-packet made of it. */
  theirs: (m: Their) => void;
}

const rejected: RejectCase[] = [
  {
    title: "mqtt-packet accepts a wildcard in a PUBLISH topic, which breaks [MQTT-3.3.2-2]; we reject it",
    version: 4,
    bytes: pkt(0x30, ...str("a/+"), 7),
    error: MalformedPacketError,
    statement: "MQTT-3.3.2-2",
    theirs: (m) => expect(m.topic).toBe("a/+"),
  },
  {
    title: "mqtt-packet accepts an empty 3.1.1 PUBLISH topic, which breaks [MQTT-4.7.3-1]; we reject it",
    version: 4,
    bytes: pkt(0x30, ...str(""), 7),
    error: MalformedPacketError,
    statement: "MQTT-4.7.3-1",
    theirs: (m) => expect(m.topic).toBe(""),
  },
  {
    title: "mqtt-packet accepts an empty will topic, which breaks [MQTT-4.7.3-1]; we reject it",
    version: 4,
    bytes: pkt(0x10, ...connectHead(4, 0x06), ...str("c"), ...str(""), ...field([])),
    error: MalformedPacketError,
    statement: "MQTT-4.7.3-1",
    theirs: (m) => expect((m.will as Their).topic).toBe(""),
  },
  {
    title: "mqtt-packet accepts a wildcard in a 3.1.1 will topic, which breaks [MQTT-4.7.1-1]; we reject it",
    version: 4,
    bytes: pkt(0x10, ...connectHead(4, 0x06), ...str("c"), ...str("a/#"), ...field([])),
    error: MalformedPacketError,
    statement: "MQTT-4.7.1-1",
    theirs: (m) => expect((m.will as Their).topic).toBe("a/#"),
  },
  {
    title: "mqtt-packet accepts packet identifier 0, which breaks [MQTT-2.3.1-1]; we reject it",
    version: 4,
    bytes: pkt(0x40, 0, 0),
    error: MalformedPacketError,
    statement: "MQTT-2.3.1-1",
    theirs: (m) => expect(m.messageId).toBe(0),
  },
  {
    title: "mqtt-packet accepts 5.0 packet identifier 0, which breaks [MQTT-2.2.1-3]; we reject it",
    version: 5,
    bytes: pkt(0x82, 0, 0, 0, ...str("a"), 0),
    error: MalformedPacketError,
    statement: "MQTT-2.2.1-3",
    theirs: (m) => expect(m.messageId).toBe(0),
  },
  {
    title: "mqtt-packet accepts DUP on a QoS 0 PUBLISH, which breaks [MQTT-3.3.1-2]; we reject it",
    version: 4,
    bytes: pkt(0x38, ...str("t")),
    error: MalformedPacketError,
    statement: "MQTT-3.3.1-2",
    theirs: (m) => expect([m.dup, m.qos]).toEqual([true, 0]),
  },
  {
    title: "mqtt-packet accepts a 3.1.1 will QoS of 3, which breaks [MQTT-3.1.2-14]; we reject it",
    version: 4,
    bytes: pkt(0x10, ...connectHead(4, 0x1e), ...str("c"), ...str("w"), ...field([])),
    error: MalformedPacketError,
    statement: "MQTT-3.1.2-14",
    theirs: (m) => expect((m.will as Their).qos).toBe(3),
  },
  {
    title:
      "mqtt-packet accepts a 3.1.1 password without a user name, which breaks [MQTT-3.1.2-22]; we reject it",
    version: 4,
    bytes: pkt(0x10, ...connectHead(4, 0x42), ...str("c"), ...field([1, 2])),
    error: MalformedPacketError,
    statement: "MQTT-3.1.2-22",
    theirs: (m) => expect([m.username, [...(m.password as Buffer)]]).toEqual([undefined, [1, 2]]),
  },
  {
    title: "mqtt-packet accepts U+0000 in a 3.1.1 string, which breaks [MQTT-1.5.3-2]; we reject it",
    version: 4,
    bytes: pkt(0x30, ...field([0x61, 0x00]), 7),
    error: MalformedPacketError,
    statement: "MQTT-1.5.3-2",
    theirs: (m) => expect(m.topic).toBe("a\u0000"),
  },
  {
    title: "mqtt-packet accepts U+0000 in a 5.0 string, which breaks [MQTT-1.5.4-2]; we reject it",
    version: 5,
    bytes: pkt(0x30, ...field([0x61, 0x00]), 0, 7),
    error: MalformedPacketError,
    statement: "MQTT-1.5.4-2",
    theirs: (m) => expect(m.topic).toBe("a\u0000"),
  },
  {
    title: "mqtt-packet reads ill-formed UTF-8 as U+FFFD, which breaks [MQTT-1.5.3-1]; we reject it",
    version: 4,
    bytes: pkt(0x30, ...field([0x61, 0xff]), 7),
    error: MalformedPacketError,
    statement: "MQTT-1.5.3-1",
    theirs: (m) => expect(m.topic).toBe("a\ufffd"),
  },
  {
    title: "mqtt-packet reads an encoded surrogate as U+FFFD, which breaks [MQTT-1.5.4-1]; we reject it",
    version: 5,
    bytes: pkt(0x30, ...field([0xed, 0xa0, 0x80]), 0, 7),
    error: MalformedPacketError,
    statement: "MQTT-1.5.4-1",
    theirs: (m) => expect(m.topic).toBe("\ufffd\ufffd\ufffd"),
  },
  {
    title:
      "mqtt-packet accepts Session Present on a refused 3.1.1 CONNACK, which breaks [MQTT-3.2.2-4]; we reject it",
    version: 4,
    bytes: pkt(0x20, 1, 5),
    error: MalformedPacketError,
    statement: "MQTT-3.2.2-4",
    theirs: (m) => expect([m.sessionPresent, m.returnCode]).toEqual([true, 5]),
  },
  {
    title:
      "mqtt-packet accepts a 5.0 CONNACK code that is not a Connect Reason Code, which breaks [MQTT-3.2.2-8]; we reject it",
    version: 5,
    bytes: pkt(0x20, 0, 0x01, 0),
    error: MalformedPacketError,
    statement: "MQTT-3.2.2-8",
    theirs: (m) => expect(m.reasonCode).toBe(0x01),
  },
  {
    title:
      "mqtt-packet accepts a 5.0 remaining length not in its shortest form, which breaks [MQTT-1.5.5-1]; we reject it",
    version: 5,
    bytes: [0xc0, 0x80, 0x00],
    error: MalformedPacketError,
    statement: "MQTT-1.5.5-1",
    theirs: (m) => expect(m.cmd).toBe("pingreq"),
  },
  {
    title: "mqtt-packet accepts a 5.0 Topic Alias of 0, which breaks [MQTT-3.3.2-8]; we reject it with 0x94",
    version: 5,
    bytes: pkt(0x30, ...str("t"), 3, 0x23, 0, 0),
    error: ProtocolError,
    statement: "MQTT-3.3.2-8",
    theirs: (m) => expect((m.properties as Their).topicAlias).toBe(0),
  },
  {
    title:
      "mqtt-packet accepts a 5.0 Response Topic with a wildcard, which breaks [MQTT-3.3.2-14]; we reject it",
    version: 5,
    bytes: pkt(0x30, ...str("t"), 6, 0x08, ...str("a/#")),
    error: ProtocolError,
    statement: "MQTT-3.3.2-14",
    theirs: (m) => expect((m.properties as Their).responseTopic).toBe("a/#"),
  },
  {
    title:
      "mqtt-packet accepts a property not allowed in the packet (5.0 section 2.2.2.2: Malformed Packet); we reject it",
    version: 5,
    bytes: pkt(0x40, 0, 1, 0, 5, 0x11, 0, 0, 0, 9),
    error: MalformedPacketError,
    theirs: (m) => expect((m.properties as Their).sessionExpiryInterval).toBe(9),
  },
  {
    title:
      "mqtt-packet turns a property given twice into a list (5.0 section 3.3.2.3.9: a Protocol Error); we reject it",
    version: 5,
    bytes: pkt(0x30, ...str("t"), 8, 0x03, ...str("a"), 0x03, ...str("b")),
    error: ProtocolError,
    theirs: (m) => expect((m.properties as Their).contentType).toEqual(["a", "b"]),
  },
  {
    title:
      "mqtt-packet reads Request Problem Information 2 as true (5.0 section 3.1.2.11.7: a Protocol Error); we reject it",
    version: 5,
    bytes: pkt(0x10, ...str("MQTT"), 5, 0x02, 0, 0, 2, 0x17, 2, ...str("c")),
    error: ProtocolError,
    theirs: (m) => expect((m.properties as Their).requestProblemInformation).toBe(true),
  },
];

describe("where mqtt-packet 9.0.2 and the spec disagree", () => {
  it.each(rejected)("$title", ({ version, bytes, error, statement, theirs }) => {
    const wire = Uint8Array.from(bytes);
    const { packets, error: theirError } = theirParse(wire, version);
    expect(theirError).toBeUndefined();
    expect(packets).toHaveLength(1);
    theirs(packets[0]!);
    let ours: unknown;
    try {
      decodePacket(wire, { protocolVersion: version });
    } catch (err) {
      ours = err;
    }
    expect(ours).toBeInstanceOf(error);
    expect((ours as MqttError).statement).toBe(statement);
  });

  it("mqtt-packet refuses a 5.0 AUTH with Remaining Length 0, which 5.0 section 3.15.2.1 allows; we read Success", () => {
    const wire = Uint8Array.of(0xf0, 0x00);
    expect(theirParse(wire, 5).error?.message).toBe("Invalid auth reason code");
    expect(decodePacket(wire, { protocolVersion: 5 })).toEqual({ type: PacketType.AUTH });
  });

  it("mqtt-packet takes a 5.0 DISCONNECT's reason code from the next packet when Remaining Length is 0 (5.0 section 3.14.2.1); we read both packets", () => {
    // DISCONNECT with no reason code (Normal disconnection), then PINGREQ, in one buffer.
    const wire = Uint8Array.of(0xe0, 0x00, 0xc0, 0x00);
    const theirs = theirParse(wire, 5);
    expect(theirs.packets).toEqual([]);
    expect(theirs.error?.message).toBe("Invalid disconnect reason code");
    const decoder = new Decoder({ protocolVersion: 5 });
    expect(decoder.decodeAll(wire)).toEqual([{ type: PacketType.DISCONNECT }, { type: PacketType.PINGREQ }]);
  });

  it("mqtt-packet drops an empty User Property value when its name repeats (5.0 section 3.1.2.11.8 allows repeated names); we keep both", () => {
    const p: Packet = {
      type: PacketType.PUBACK,
      packetId: 1,
      reasonCode: 0,
      properties: {
        userProperties: [
          ["n", ""],
          ["n", "x"],
        ],
      },
    };
    const wire = encode(p, 5);
    expect(decodePacket(wire, { protocolVersion: 5 })).toEqual(p);
    const { packets } = theirParse(wire, 5);
    expect((packets[0]!.properties as Their).userProperties).toEqual({ n: "x" });
  });

  const connect5 = (extra: Partial<Packet>): Packet =>
    ({
      type: PacketType.CONNECT,
      protocolVersion: 5,
      clean: true,
      keepAlive: 0,
      clientId: "c",
      ...extra,
    }) as Packet;

  it("mqtt-packet refuses to write a 5.0 CONNECT with a password and no user name, which 5.0 allows (no [MQTT-3.1.2-22] in 5.0, section 3.1.2.9); both parsers read ours", () => {
    const p = connect5({ password: Uint8Array.of(1, 2) });
    expect(() => theirGenerate(p, 5)).toThrow("Username is required to use password");
    const wire = encode(p, 5);
    expect(decodePacket(wire, { protocolVersion: 5 })).toEqual(normalize(p, 5));
    expect([...(theirParse(wire, 5).packets[0]!.password as Buffer)]).toEqual([1, 2]);
  });

  it("mqtt-packet refuses to write a 5.0 CONNECT with an empty client id and Clean Start 0, which 5.0 allows ([MQTT-3.1.3-6]); both parsers read ours", () => {
    const p = connect5({ clientId: "", clean: false });
    expect(() => theirGenerate(p, 5)).toThrow("clientId must be given if cleanSession set to 0");
    const wire = encode(p, 5);
    expect(decodePacket(wire, { protocolVersion: 5 })).toEqual(normalize(p, 5));
    expect(theirParse(wire, 5).packets[0]).toMatchObject({ clientId: "", clean: false });
  });

  it("mqtt-packet's generator enforces the 3.1.1 client rule [MQTT-3.1.3-7] (empty client id needs Clean Session 1); our encoder writes it, and both parsers read it, as a server must answer it [MQTT-3.1.3-8]", () => {
    const p: Packet = {
      type: PacketType.CONNECT,
      protocolVersion: 4,
      clean: false,
      keepAlive: 0,
      clientId: "",
    };
    expect(() => theirGenerate(p, 4)).toThrow("clientId must be given if cleanSession set to 0");
    const wire = encode(p, 4);
    expect(decodePacket(wire, { protocolVersion: 4 })).toEqual(normalize(p, 4));
    expect(theirParse(wire, 4).packets[0]).toMatchObject({ clientId: "", clean: false });
  });
});
