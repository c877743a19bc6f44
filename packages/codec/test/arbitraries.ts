/**
 * fast-check arbitraries for every valid MQTT packet at protocol levels 3 (3.1),
 * 4 (3.1.1) and 5 (5.0), plus `normalize`, the shape the decoder gives back for
 * a packet the encoder was handed.
 *
 * "Valid" means: accepted by the decoder and by the spec as we read it. Every
 * rule the decoder enforces (decode-packet.ts, properties.ts, utf8.ts) is kept
 * here; a few rules it does not enforce are kept too (non-empty and well-placed
 * topic filter wildcards, no No Local on shared subscriptions, Authentication
 * Method in AUTH) so the corpus stays meaningful if the decoder gets stricter.
 */
import fc from "fast-check";
import {
  type AckProperties,
  type AuthPacket,
  type AuthProperties,
  allowedReasonCodes,
  type ConnackPacket,
  type ConnackProperties,
  type ConnectPacket,
  type ConnectProperties,
  type DisconnectPacket,
  type DisconnectProperties,
  type Packet,
  PacketType,
  type ProtocolVersion,
  type PublishPacket,
  type PublishProperties,
  type QoS,
  type SubackPacket,
  type SubscribePacket,
  type SubscribeProperties,
  type Subscription,
  type UnsubackPacket,
  type UnsubscribePacket,
  type UnsubscribeProperties,
  type UserProperty,
  type Will,
  type WillProperties,
} from "../src/index.js";

/** The protocol levels the codec speaks. */
export const versions: readonly ProtocolVersion[] = [3, 4, 5];

// ---------------------------------------------------------------------------
// Scalars

/** A copy of `obj` without its `undefined` members, on a plain prototype. */
export function compact<T extends object>(obj: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) if (v !== undefined) out[k] = v;
  return out as T;
}

const notNul = (c: string) => c !== "\u0000";

/**
 * One character of an MQTT UTF-8 string: mostly ASCII, some of any plane, and
 * the UTF-8 length boundaries. Never U+0000 ([MQTT-1.5.4-2]) and never a lone
 * surrogate ([MQTT-1.5.4-1]); 'binary' units are whole code points.
 */
const mqttChar: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: "binary-ascii", minLength: 1, maxLength: 1 }).filter(notNul) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 1 }).filter(notNul) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      "\u007f",
      "\u0080",
      "\u07ff",
      "\u0800",
      "\ufeff",
      "\uffff",
      "\u{10000}",
      "\u{10ffff}",
    ),
  },
);

/** An MQTT UTF-8 string of at most `maxLength` characters. */
export function mqttString(maxLength = 12, minLength = 0): fc.Arbitrary<string> {
  return fc.string({ unit: mqttChar, minLength, maxLength });
}

const levelChar = mqttChar.filter((c) => c !== "+" && c !== "#" && c !== "/");

/** A topic name: at least one character [MQTT-4.7.3-1], no wildcards [MQTT-3.3.2-2]. */
export const topicName: fc.Arbitrary<string> = fc.string({
  unit: fc.oneof({ weight: 3, arbitrary: levelChar }, { weight: 1, arbitrary: fc.constantFrom("/", "$") }),
  minLength: 1,
  maxLength: 16,
});

const level = fc.string({ unit: levelChar, maxLength: 6 });

/**
 * A topic filter: levels that are text or a whole `+` [MQTT-4.7.1-2 in 5.0],
 * optionally ending in a `#` level [MQTT-4.7.1-1 in 5.0], sometimes a shared
 * subscription `$share/<name>/<filter>` [MQTT-4.8.2-1] [MQTT-4.8.2-2].
 */
export const topicFilter: fc.Arbitrary<string> = fc
  .tuple(
    fc.array(fc.oneof({ weight: 3, arbitrary: level }, { weight: 1, arbitrary: fc.constant("+") }), {
      minLength: 1,
      maxLength: 4,
    }),
    fc.boolean(),
    fc.option(fc.string({ unit: levelChar, minLength: 1, maxLength: 5 }), { nil: undefined }),
  )
  .map(([levels, multi, share]) => {
    let filter = levels.join("/");
    if (multi) filter = filter === "" ? "#" : `${filter}/#`;
    if (filter === "") filter = "+";
    return share === undefined ? filter : `$share/${share}/${filter}`;
  });

/** True for a shared subscription filter (No Local must stay 0 there [MQTT-3.8.3-4]). */
export function isShared(filter: string): boolean {
  return filter.startsWith("$share/");
}

/** Packet identifier 1..65535 ([MQTT-2.3.1-1], [MQTT-2.2.1-3]). */
export const packetId: fc.Arbitrary<number> = fc.integer({ min: 1, max: 0xffff });

/** QoS 0, 1 or 2 (3 is malformed, [MQTT-3.3.1-4]). */
export const qos: fc.Arbitrary<QoS> = fc.constantFrom<QoS>(0, 1, 2);

/** Deterministic filler so large payloads cost one integer, not one arbitrary per byte. */
function filled(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed | 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Short binary data (two-byte length prefixed fields). */
export const shortBytes: fc.Arbitrary<Uint8Array> = fc.uint8Array({ maxLength: 24 });

/**
 * A PUBLISH or will payload. Mostly short; some cross the one- and two-byte
 * Remaining Length boundaries (128 and 16,384).
 */
export const payload: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 12, arbitrary: fc.uint8Array({ maxLength: 40 }) },
  {
    weight: 2,
    arbitrary: fc.tuple(fc.integer({ min: 100, max: 300 }), fc.integer()).map(([n, s]) => filled(n, s)),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.integer({ min: 16_300, max: 16_450 }), fc.integer()).map(([n, s]) => filled(n, s)),
  },
);

/** A 5.0 reason code allowed in `type` (Tables 2-6 and 3-x via `allowedReasonCodes`). */
export function reasonCodeOf(type: PacketType): fc.Arbitrary<number> {
  return fc.constantFrom(...allowedReasonCodes[type]!);
}

// ---------------------------------------------------------------------------
// 5.0 properties

const u16 = fc.integer({ min: 0, max: 0xffff });
const u16NonZero = fc.integer({ min: 1, max: 0xffff });
const u32 = fc.oneof(
  fc.integer({ min: 0, max: 0xffffffff }),
  fc.constantFrom(0, 1, 0x7fffffff, 0x80000000, 0xffffffff),
);
const u32NonZero = u32.filter((n) => n > 0);
const flag = fc.constantFrom<0 | 1>(0, 1);
/** Subscription Identifier 1..268,435,455 with every Variable Byte Integer length boundary. */
export const subscriptionIdentifier: fc.Arbitrary<number> = fc.oneof(
  fc.integer({ min: 1, max: 268_435_455 }),
  fc.constantFrom(1, 127, 128, 16_383, 16_384, 2_097_151, 2_097_152, 268_435_455),
);
const userProperties: fc.Arbitrary<UserProperty[]> = fc.array(fc.tuple(mqttString(6), mqttString(6)), {
  maxLength: 4,
});
/** Response Topic: a topic name, no wildcards [MQTT-3.3.2-14]. */
const responseTopic = topicName;

/** Optional properties: absent, an empty object, or some of `model`'s keys. */
function props<T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<T | undefined> {
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.constant({} as T) },
    { weight: 4, arbitrary: fc.record(model, { requiredKeys: [] }).map((p) => compact(p as object) as T) },
  );
}

/**
 * Authentication Data only with an Authentication Method (5.0 section
 * 3.1.2.11.10 makes data without a method a Protocol Error in CONNECT; kept
 * for CONNACK and AUTH too).
 */
function withAuth<T extends { authenticationMethod?: string; authenticationData?: Uint8Array }>(
  base: fc.Arbitrary<T | undefined>,
): fc.Arbitrary<T | undefined> {
  return fc
    .tuple(base, fc.option(mqttString(8), { nil: undefined }), fc.option(shortBytes, { nil: undefined }))
    .map(([p, method, data]) => {
      if (method === undefined) return p;
      return compact({ ...p, authenticationMethod: method, authenticationData: data }) as T;
    });
}

const connectProperties = withAuth<ConnectProperties>(
  props<ConnectProperties>({
    sessionExpiryInterval: u32,
    requestProblemInformation: flag,
    requestResponseInformation: flag,
    receiveMaximum: u16NonZero,
    topicAliasMaximum: u16,
    userProperties,
    maximumPacketSize: u32NonZero,
  }),
);

const willProperties = props<WillProperties>({
  payloadFormatIndicator: flag,
  messageExpiryInterval: u32,
  contentType: mqttString(8),
  responseTopic,
  correlationData: shortBytes,
  willDelayInterval: u32,
  userProperties,
});

const connackProperties = withAuth<ConnackProperties>(
  props<ConnackProperties>({
    sessionExpiryInterval: u32,
    assignedClientIdentifier: mqttString(23),
    serverKeepAlive: u16,
    responseInformation: mqttString(8),
    serverReference: mqttString(8),
    reasonString: mqttString(8),
    receiveMaximum: u16NonZero,
    topicAliasMaximum: u16,
    maximumQos: flag,
    retainAvailable: flag,
    userProperties,
    maximumPacketSize: u32NonZero,
    wildcardSubscriptionAvailable: flag,
    subscriptionIdentifiersAvailable: flag,
    sharedSubscriptionAvailable: flag,
  }),
);

const publishProperties = props<PublishProperties>({
  payloadFormatIndicator: flag,
  messageExpiryInterval: u32,
  contentType: mqttString(8),
  responseTopic,
  correlationData: shortBytes,
  subscriptionIdentifiers: fc.array(subscriptionIdentifier, { maxLength: 3 }),
  topicAlias: u16NonZero,
  userProperties,
});

const ackProperties = props<AckProperties>({ reasonString: mqttString(8), userProperties });
const subscribeProperties = props<SubscribeProperties>({ subscriptionIdentifier, userProperties });
const unsubscribeProperties = props<UnsubscribeProperties>({ userProperties });
const disconnectProperties = props<DisconnectProperties>({
  sessionExpiryInterval: u32,
  serverReference: mqttString(8),
  reasonString: mqttString(8),
  userProperties,
});

// ---------------------------------------------------------------------------
// Packets

const none = fc.constant(undefined);
const opt = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });

/** A will: non-empty topic without wildcards ([MQTT-4.7.3-1], [MQTT-4.7.1-1] / [MQTT-4.7.0-1]). */
function will(version: ProtocolVersion): fc.Arbitrary<Will> {
  return fc
    .record({
      topic: topicName,
      payload,
      qos,
      retain: fc.boolean(),
      properties: version === 5 ? willProperties : none,
    })
    .map((w) => compact(w) as Will);
}

/**
 * CONNECT at `version`. 3.1 client ids are 1..23 characters (3.1 had no empty
 * id); before 5.0 a password needs a user name [MQTT-3.1.2-22].
 */
export function connect(version: ProtocolVersion): fc.Arbitrary<ConnectPacket> {
  return fc
    .record({
      withName: fc.boolean(),
      clean: fc.boolean(),
      keepAlive: u16,
      clientId: version === 3 ? mqttString(23, 1) : mqttString(23),
      will: opt(will(version)),
      username: opt(mqttString(12)),
      password: opt(shortBytes),
      properties: version === 5 ? connectProperties : none,
    })
    .map(({ withName, ...r }) => {
      const packet: ConnectPacket = compact({
        type: PacketType.CONNECT,
        protocolName: withName ? (version === 3 ? "MQIsdp" : "MQTT") : undefined,
        protocolVersion: version,
        ...r,
      });
      if (version !== 5 && packet.username === undefined) delete packet.password;
      return packet;
    });
}

/** CONNACK: Session Present only with code 0 ([MQTT-3.2.2-4], [MQTT-3.2.2-6]). */
export function connack(version: ProtocolVersion): fc.Arbitrary<ConnackPacket> {
  return fc
    .record({
      sessionPresent: fc.boolean(),
      reasonCode: version === 5 ? reasonCodeOf(PacketType.CONNACK) : fc.integer({ min: 0, max: 5 }),
      properties: version === 5 ? connackProperties : none,
    })
    .map((r) =>
      compact({ type: PacketType.CONNACK, ...r, sessionPresent: r.sessionPresent && r.reasonCode === 0 }),
    );
}

/**
 * PUBLISH: DUP only with QoS > 0 [MQTT-3.3.1-2], a packet id exactly when QoS > 0
 * [MQTT-2.3.1-5]; in 5.0 the topic may be empty when a Topic Alias is set.
 */
export function publish(version: ProtocolVersion): fc.Arbitrary<PublishPacket> {
  return fc
    .record({
      topic: topicName,
      emptyTopic: fc.boolean(),
      payload,
      qos,
      retain: fc.boolean(),
      dup: fc.boolean(),
      packetId,
      properties: version === 5 ? publishProperties : none,
    })
    .map(({ emptyTopic, ...r }) =>
      compact({
        type: PacketType.PUBLISH,
        ...r,
        topic: emptyTopic && r.properties?.topicAlias !== undefined ? "" : r.topic,
        dup: r.dup && r.qos > 0,
        packetId: r.qos > 0 ? r.packetId : undefined,
      }),
    );
}

type AckType = 4 | 5 | 6 | 7;

/** PUBACK, PUBREC, PUBREL or PUBCOMP; 5.0 adds an optional reason code and properties. */
export function ack(version: ProtocolVersion, type?: AckType): fc.Arbitrary<Packet> {
  const types = fc.constantFrom<AckType>(4, 5, 6, 7);
  return (type === undefined ? types : fc.constant(type)).chain((t) =>
    fc
      .record({
        packetId,
        reasonCode: version === 5 ? opt(reasonCodeOf(t)) : none,
        properties: version === 5 ? ackProperties : none,
      })
      .map((r) => compact({ type: t, ...r }) as Packet),
  );
}

/** SUBSCRIBE: at least one filter ([MQTT-3.8.3-3] in 3.1.1, [MQTT-3.8.3-2] in 5.0). */
export function subscribe(version: ProtocolVersion): fc.Arbitrary<SubscribePacket> {
  const subscription: fc.Arbitrary<Subscription> = fc
    .record({
      topicFilter,
      qos,
      noLocal: version === 5 ? opt(fc.boolean()) : none,
      retainAsPublished: version === 5 ? opt(fc.boolean()) : none,
      retainHandling: version === 5 ? opt(fc.constantFrom<0 | 1 | 2>(0, 1, 2)) : none,
    })
    .map((s) => compact({ ...s, noLocal: isShared(s.topicFilter) ? undefined : s.noLocal }));
  return fc
    .record({
      packetId,
      subscriptions: fc.array(subscription, { minLength: 1, maxLength: 4 }),
      properties: version === 5 ? subscribeProperties : none,
    })
    .map((r) => compact({ type: PacketType.SUBSCRIBE, ...r }));
}

/** SUBACK: 0, 1, 2 or 0x80 before 5.0 [MQTT-3.9.3-2], the Subscribe Reason Codes in 5.0. */
export function suback(version: ProtocolVersion): fc.Arbitrary<SubackPacket> {
  const code = version === 5 ? reasonCodeOf(PacketType.SUBACK) : fc.constantFrom(0, 1, 2, 0x80);
  return fc
    .record({
      packetId,
      reasonCodes: fc.array(code, { minLength: 1, maxLength: 4 }),
      properties: version === 5 ? ackProperties : none,
    })
    .map((r) => compact({ type: PacketType.SUBACK, ...r }));
}

/** UNSUBSCRIBE: at least one filter [MQTT-3.10.3-2]. */
export function unsubscribe(version: ProtocolVersion): fc.Arbitrary<UnsubscribePacket> {
  return fc
    .record({
      packetId,
      topicFilters: fc.array(topicFilter, { minLength: 1, maxLength: 4 }),
      properties: version === 5 ? unsubscribeProperties : none,
    })
    .map((r) => compact({ type: PacketType.UNSUBSCRIBE, ...r }));
}

/** UNSUBACK: 5.0 adds one Unsubscribe Reason Code per filter [MQTT-3.11.3-2]. */
export function unsuback(version: ProtocolVersion): fc.Arbitrary<UnsubackPacket> {
  return fc
    .record({
      packetId,
      reasonCodes:
        version === 5 ? fc.array(reasonCodeOf(PacketType.UNSUBACK), { minLength: 1, maxLength: 4 }) : none,
      properties: version === 5 ? ackProperties : none,
    })
    .map((r) => compact({ type: PacketType.UNSUBACK, ...r }));
}

/** DISCONNECT; 5.0 adds an optional reason code and properties. */
export function disconnect(version: ProtocolVersion): fc.Arbitrary<DisconnectPacket> {
  return fc
    .record({
      reasonCode: version === 5 ? opt(reasonCodeOf(PacketType.DISCONNECT)) : none,
      properties: version === 5 ? disconnectProperties : none,
    })
    .map((r) => compact({ type: PacketType.DISCONNECT, ...r }));
}

/**
 * AUTH (5.0 only): either bare (Remaining Length 0, 5.0 section 3.15.2.1) or
 * with an Authentication Method, which AUTH must carry (5.0 section 3.15.2.2.2).
 */
export const auth: fc.Arbitrary<AuthPacket> = fc.oneof(
  fc.constant<AuthPacket>({ type: PacketType.AUTH }),
  fc
    .record({
      reasonCode: opt(reasonCodeOf(PacketType.AUTH)),
      method: mqttString(8),
      properties: props<AuthProperties>({
        authenticationData: shortBytes,
        reasonString: mqttString(8),
        userProperties,
      }),
    })
    .map(({ method, ...r }) =>
      compact({ type: PacketType.AUTH, ...r, properties: { authenticationMethod: method, ...r.properties } }),
    ),
);

const pingreq = fc.constant<Packet>({ type: PacketType.PINGREQ });
const pingresp = fc.constant<Packet>({ type: PacketType.PINGRESP });

/** Any valid packet at `version`, every type equally likely (AUTH only in 5.0). */
export function packet(version: ProtocolVersion): fc.Arbitrary<Packet> {
  const all: fc.Arbitrary<Packet>[] = [
    connect(version),
    connack(version),
    publish(version),
    ack(version, 4),
    ack(version, 5),
    ack(version, 6),
    ack(version, 7),
    subscribe(version),
    suback(version),
    unsubscribe(version),
    unsuback(version),
    pingreq,
    pingresp,
    disconnect(version),
  ];
  if (version === 5) all.push(auth);
  return fc.oneof(...all);
}

// ---------------------------------------------------------------------------
// Normalisation

/**
 * The properties as decoded: `undefined` members dropped, empty
 * `userProperties` / `subscriptionIdentifiers` lists dropped (they put nothing
 * on the wire), and an object left empty becomes absent (the decoder returns
 * no `properties` for a Property Length of 0).
 */
function normalizeProperties<T extends object>(p: T | undefined): T | undefined {
  if (p === undefined) return undefined;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(p)) {
    if (v === undefined) continue;
    if (Array.isArray(v) && v.length === 0 && (k === "userProperties" || k === "subscriptionIdentifiers"))
      continue;
    out[k] = v;
  }
  return Object.keys(out).length === 0 ? undefined : (out as T);
}

/**
 * 5.0 reason code + properties tail (acks, DISCONNECT, AUTH): a code of 0x00
 * with no properties is left off the wire, so it decodes without `reasonCode`;
 * with properties the code byte is written (0x00 when absent) and decodes.
 */
function normalizeTail<T extends { reasonCode?: number; properties?: object }>(p: T): T {
  const properties = normalizeProperties(p.properties);
  const code = p.reasonCode ?? 0;
  return compact({
    ...p,
    properties,
    reasonCode: properties !== undefined || code !== 0 ? code : undefined,
  });
}

/**
 * What `decode(encode(packet, version))` gives back. Each rule is a documented
 * normalisation of the codec, not a loss:
 * - `undefined` members are absent.
 * - Before 5.0, every 5.0-only field (properties, reason codes of acks,
 *   DISCONNECT and UNSUBACK, subscription options other than QoS) is dropped:
 *   the encoder ignores it and the decoder never sets it.
 * - CONNECT gains `protocolName` ("MQIsdp" at level 3, "MQTT" otherwise): the
 *   decoder reports the name it read. Will properties follow the property rules.
 * - CONNACK at level 3 has `sessionPresent: false`: 3.1 has no such flag.
 * - 5.0 acks, DISCONNECT and AUTH: see `normalizeTail`.
 * - 5.0 SUBSCRIBE: every subscription carries `noLocal`, `retainAsPublished`
 *   and `retainHandling` (false, false, 0 when absent): the options byte has them.
 * - 5.0 UNSUBACK: `reasonCodes` is always present (possibly empty).
 * - Properties: see `normalizeProperties`.
 */
export function normalize(p: Packet, version: ProtocolVersion): Packet {
  const v5 = version === 5;
  switch (p.type) {
    case PacketType.CONNECT: {
      const level = p.protocolVersion;
      const w = p.will;
      return compact({
        ...p,
        protocolName: level === 3 ? "MQIsdp" : "MQTT",
        properties: level === 5 ? normalizeProperties(p.properties) : undefined,
        will:
          w === undefined
            ? undefined
            : compact({ ...w, properties: level === 5 ? normalizeProperties(w.properties) : undefined }),
      });
    }
    case PacketType.CONNACK:
      return compact({
        ...p,
        sessionPresent: version === 3 ? false : p.sessionPresent,
        properties: v5 ? normalizeProperties(p.properties) : undefined,
      });
    case PacketType.PUBLISH:
      return compact({
        ...p,
        packetId: p.qos > 0 ? p.packetId : undefined,
        properties: v5 ? normalizeProperties(p.properties) : undefined,
      });
    case PacketType.PUBACK:
    case PacketType.PUBREC:
    case PacketType.PUBREL:
    case PacketType.PUBCOMP:
      return v5 ? normalizeTail(p) : { type: p.type, packetId: p.packetId };
    case PacketType.SUBSCRIBE:
      return compact({
        ...p,
        subscriptions: p.subscriptions.map((s) =>
          v5
            ? {
                topicFilter: s.topicFilter,
                qos: s.qos,
                noLocal: s.noLocal ?? false,
                retainAsPublished: s.retainAsPublished ?? false,
                retainHandling: s.retainHandling ?? 0,
              }
            : { topicFilter: s.topicFilter, qos: s.qos },
        ),
        properties: v5 ? normalizeProperties(p.properties) : undefined,
      });
    case PacketType.SUBACK:
    case PacketType.UNSUBSCRIBE:
      return compact({ ...p, properties: v5 ? normalizeProperties(p.properties) : undefined });
    case PacketType.UNSUBACK:
      return v5
        ? compact({ ...p, reasonCodes: p.reasonCodes ?? [], properties: normalizeProperties(p.properties) })
        : { type: p.type, packetId: p.packetId };
    case PacketType.DISCONNECT:
      return v5 ? normalizeTail(p) : { type: p.type };
    case PacketType.AUTH:
      return normalizeTail(p);
    default:
      return { type: p.type };
  }
}

/**
 * Equality tester for `expect.addEqualityTesters`: compares byte arrays with
 * one loop (the generic deep equality walks them element by element and is
 * slow on the 16 KiB and 2 MiB payloads). Buffers and views compare by content.
 */
export function bytesEqual(a: unknown, b: unknown): boolean | undefined {
  if (!(a instanceof Uint8Array) || !(b instanceof Uint8Array)) return undefined;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

// ---------------------------------------------------------------------------
// Invalid packets

/** A packet that breaks one rule the decoder enforces, named by `rule`. */
export interface InvalidCase {
  rule: string;
  version: ProtocolVersion;
  packet: Packet;
}

type Breaker = (version: ProtocolVersion) => fc.Arbitrary<Packet> | undefined;

/** `base` with `patch` applied (an object merged in, or a function of the packet). */
function broken<T extends Packet>(base: fc.Arbitrary<T>, patch: (p: T) => Packet): fc.Arbitrary<Packet> {
  return base.map((p) => patch(structuredClone(p)));
}

const badString = fc.constantFrom("a\u0000b", "\u0000", "x\ud800", "\udc00y");
const wildcardTopic = fc.constantFrom("+", "#", "a/+", "a/#", "a+b", "s#");

/**
 * One breaker per rule. Each returns `undefined` where the rule does not apply
 * at that level (5.0-only fields are ignored before 5.0, so breaking them there
 * breaks nothing).
 */
const breakers: Record<string, Breaker> = {
  "packet identifier 0 [MQTT-2.3.1-1] [MQTT-2.2.1-3]": (v) =>
    fc.oneof(
      broken(ack(v), (p) => ({ ...p, packetId: 0 }) as Packet),
      broken(subscribe(v), (p) => ({ ...p, packetId: 0 })),
      broken(publish(v), (p) => ({ ...p, qos: 1, packetId: 0 })),
    ),
  "packet identifier above 65535": (v) => broken(unsubscribe(v), (p) => ({ ...p, packetId: 0x10000 })),
  "PUBLISH QoS 3 [MQTT-3.3.1-4]": (v) => broken(publish(v), (p) => ({ ...p, qos: 3 as QoS, packetId: 1 })),
  "DUP set at QoS 0 [MQTT-3.3.1-2]": (v) =>
    broken(publish(v), (p) => ({ ...p, qos: 0, dup: true, packetId: undefined })),
  "wildcard in a PUBLISH topic [MQTT-3.3.2-2]": (v) =>
    fc.tuple(publish(v), wildcardTopic).map(([p, topic]) => ({ ...p, topic })),
  "empty PUBLISH topic without a topic alias [MQTT-4.7.3-1]": (v) =>
    broken(publish(v), (p) => ({ ...p, topic: "", properties: { ...p.properties, topicAlias: undefined } })),
  "wildcard in the will topic [MQTT-4.7.1-1] [MQTT-4.7.0-1]": (v) =>
    fc.tuple(connect(v), will(v), wildcardTopic).map(([p, w, topic]) => ({ ...p, will: { ...w, topic } })),
  "empty will topic [MQTT-4.7.3-1]": (v) =>
    fc.tuple(connect(v), will(v)).map(([p, w]) => ({ ...p, will: { ...w, topic: "" } })),
  "U+0000 or a lone surrogate in a string [MQTT-1.5.4-1] [MQTT-1.5.4-2]": (v) =>
    fc.oneof(
      fc.tuple(connect(v), badString).map(([p, clientId]) => ({ ...p, clientId })),
      fc.tuple(unsubscribe(v), badString).map(([p, f]) => ({ ...p, topicFilters: [...p.topicFilters, f] })),
    ),
  "password without a user name before 5.0 [MQTT-3.1.2-22]": (v) =>
    v === 5
      ? undefined
      : fc
          .tuple(connect(v), shortBytes)
          .map(([p, password]) => compact({ ...p, username: undefined, password }) as Packet),
  "Session Present on a refused connection [MQTT-3.2.2-4] [MQTT-3.2.2-6]": (v) =>
    v === 3
      ? undefined
      : broken(connack(v), (p) => ({ ...p, sessionPresent: true, reasonCode: v === 5 ? 0x80 : 5 })),
  "CONNACK code not defined at this level [MQTT-3.2.2-8]": (v) =>
    fc
      .tuple(connack(v), fc.integer({ min: 0, max: 255 }))
      .filter(([, c]) => (v === 5 ? !allowedReasonCodes[PacketType.CONNACK]!.has(c) : c > 5))
      .map(([p, reasonCode]) => ({ ...p, sessionPresent: false, reasonCode })),
  "SUBACK code not defined at this level [MQTT-3.9.3-2]": (v) =>
    fc
      .tuple(suback(v), fc.integer({ min: 0, max: 255 }))
      .filter(([, c]) =>
        v === 5
          ? !allowedReasonCodes[PacketType.SUBACK]!.has(c)
          : c !== 0 && c !== 1 && c !== 2 && c !== 0x80,
      )
      .map(([p, c]) => ({ ...p, reasonCodes: [...p.reasonCodes, c] })),
  "SUBSCRIBE or UNSUBSCRIBE without a topic filter [MQTT-3.8.3-3] [MQTT-3.8.3-2] [MQTT-3.10.3-2]": (v) =>
    fc.oneof(
      broken(subscribe(v), (p) => ({ ...p, subscriptions: [] })),
      broken(unsubscribe(v), (p) => ({ ...p, topicFilters: [] })),
    ),
  "subscription with QoS 3 [MQTT-3.8.3-4]": (v) =>
    broken(subscribe(v), (p) => ({ ...p, subscriptions: [{ topicFilter: "a", qos: 3 as QoS }] })),
  "AUTH before 5.0": (v) => (v === 5 ? undefined : auth),
  "5.0 retain handling 3 (section 3.8.3.1)": (v) =>
    v === 5
      ? broken(subscribe(v), (p) => ({
          ...p,
          subscriptions: [{ topicFilter: "a", qos: 0, retainHandling: 3 as 0 }],
        }))
      : undefined,
  "5.0 reason code not allowed in the packet [MQTT-3.4.2-1] [MQTT-3.14.2-1] [MQTT-3.15.2-1]": (v) =>
    v === 5
      ? fc
          .tuple(fc.oneof(ack(v), disconnect(v), auth), fc.integer({ min: 0, max: 255 }))
          .filter(([p, c]) => !allowedReasonCodes[p.type]!.has(c))
          .map(([p, reasonCode]) => ({ ...p, reasonCode }) as Packet)
      : undefined,
  "5.0 property value out of range (Receive Maximum, Maximum Packet Size, Topic Alias [MQTT-3.3.2-8], Subscription Identifier, byte flags)":
    (v) =>
      v === 5
        ? fc.oneof(
            broken(connect(v), (p) => ({ ...p, properties: { ...p.properties, receiveMaximum: 0 } })),
            broken(connect(v), (p) => ({ ...p, properties: { ...p.properties, maximumPacketSize: 0 } })),
            broken(connack(v), (p) => ({ ...p, properties: { ...p.properties, maximumQos: 2 as 1 } })),
            broken(publish(v), (p) => ({ ...p, properties: { ...p.properties, topicAlias: 0 } })),
            broken(publish(v), (p) => ({
              ...p,
              properties: { ...p.properties, payloadFormatIndicator: 2 as 1 },
            })),
            broken(subscribe(v), (p) => ({
              ...p,
              properties: { ...p.properties, subscriptionIdentifier: 0 },
            })),
            broken(publish(v), (p) => ({
              ...p,
              properties: { ...p.properties, subscriptionIdentifiers: [268_435_456] },
            })),
          )
        : undefined,
  "5.0 property not allowed in the packet (section 2.2.2.2)": (v) =>
    v === 5
      ? fc.oneof(
          broken(connect(v), (p) => ({
            ...p,
            properties: { ...p.properties, topicAlias: 1 } as ConnectProperties,
          })),
          broken(publish(v), (p) => ({
            ...p,
            properties: { ...p.properties, reasonString: "r" } as PublishProperties,
          })),
          broken(ack(v), (p) => ({ ...p, properties: { sessionExpiryInterval: 1 } }) as Packet),
        )
      : undefined,
  "5.0 Response Topic with a wildcard [MQTT-3.3.2-14]": (v) =>
    v === 5
      ? fc.oneof(
          fc
            .tuple(publish(v), wildcardTopic)
            .map(([p, t]) => ({ ...p, properties: { ...p.properties, responseTopic: t } })),
          fc.tuple(connect(v), will(v), wildcardTopic).map(([p, w, t]) => ({
            ...p,
            will: { ...w, properties: { ...w.properties, responseTopic: t } },
          })),
        )
      : undefined,
  "5.0 Authentication Data without an Authentication Method in CONNECT (section 3.1.2.11.10)": (v) =>
    v === 5
      ? fc.tuple(connect(v), shortBytes).map(([p, data]) => ({
          ...p,
          properties: { ...p.properties, authenticationMethod: undefined, authenticationData: data },
        }))
      : undefined,
};

/** Every rule name `invalidPacket` can break, for the tests that list them. */
export const brokenRules: readonly string[] = Object.keys(breakers);

/** A packet at `version` that breaks exactly one decoder-enforced rule. */
export function invalidPacket(version: ProtocolVersion): fc.Arbitrary<InvalidCase> {
  const cases: fc.Arbitrary<InvalidCase>[] = [];
  for (const [rule, make] of Object.entries(breakers)) {
    const arb = make(version);
    if (arb !== undefined) cases.push(arb.map((packet) => ({ rule, version, packet })));
  }
  return fc.oneof(...cases);
}
