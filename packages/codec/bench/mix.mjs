// A varied mix of packets (every type, every protocol level, with and without
// properties) for the polymorphic warm-up of codec.bench.mjs: a broker sees such
// a mix all day, so the fast paths must stay fast after it.
const u8 = (s) => new TextEncoder().encode(s);
const props5 = { reasonString: "r", userProperties: [["k", "v"]] };

/** [packet, version] pairs covering every packet type at 3, 4 and 5. */
export function packetMix() {
  const out = [];
  for (const version of [3, 4, 5]) {
    const v5 = version === 5;
    const p = (packet, withProps) =>
      out.push([v5 && withProps ? { ...packet, properties: withProps } : packet, version]);
    p({ type: 1, protocolVersion: version, clean: true, keepAlive: 30, clientId: "mix" });
    p(
      {
        type: 1,
        protocolVersion: version,
        clean: false,
        keepAlive: 60,
        clientId: "mix-will",
        username: "u",
        password: u8("p"),
        will: { topic: "w/t", payload: u8("bye"), qos: 1, retain: true },
      },
      { sessionExpiryInterval: 60, receiveMaximum: 10 },
    );
    p({ type: 2, sessionPresent: false, reasonCode: 0 }, { topicAliasMaximum: 5 });
    for (const qos of [0, 1, 2]) {
      p(
        {
          type: 3,
          topic: `mix/${qos}/é`,
          payload: u8("x".repeat(10 + qos * 100)),
          qos,
          retain: qos === 1,
          dup: false,
          ...(qos ? { packetId: 9 } : {}),
        },
        { contentType: "text/plain", messageExpiryInterval: 10 },
      );
    }
    for (const type of [4, 5, 6, 7])
      p(
        { type, packetId: 3, ...(v5 ? { reasonCode: type < 6 ? 0x10 : 0x92 } : {}) },
        v5 ? props5 : undefined,
      );
    p(
      {
        type: 8,
        packetId: 4,
        subscriptions: [
          { topicFilter: "a/+", qos: 1 },
          { topicFilter: "b/#", qos: 2 },
        ],
      },
      { subscriptionIdentifier: 7 },
    );
    p({ type: 9, packetId: 4, reasonCodes: [1, 2] }, props5);
    p({ type: 10, packetId: 5, topicFilters: ["a/+", "b/#"] }, { userProperties: [["x", "y"]] });
    p({ type: 11, packetId: 5, ...(v5 ? { reasonCodes: [0, 0x11] } : {}) }, props5);
    p({ type: 12 });
    p({ type: 13 });
    p({ type: 14, ...(v5 ? { reasonCode: 0x04 } : {}) }, v5 ? { sessionExpiryInterval: 0 } : undefined);
    if (v5) p({ type: 15, reasonCode: 0x18 }, { authenticationMethod: "SCRAM", authenticationData: u8("d") });
    // PUBLISH objects as an application and a broker build them: other key
    // orders, optional fields present but undefined, copies made by spreading.
    const base = {
      type: 3,
      topic: "shape/t",
      payload: u8("s"),
      qos: 1,
      retain: false,
      dup: false,
      packetId: 2,
    };
    out.push([{ ...base }, version]);
    out.push([{ qos: 0, topic: "shape/t", type: 3, payload: u8("s"), dup: false, retain: true }, version]);
    out.push([{ ...base, properties: undefined }, version]);
    out.push([{ ...base, packetId: undefined, qos: 0 }, version]);
    out.push([
      { type: 3, dup: false, qos: 2, retain: false, topic: "shape/é", packetId: 5, payload: u8("s") },
      version,
    ]);
    out.push([Object.assign(Object.create(null), base), version]);
  }
  return out;
}

/** The same mix for mqtt-packet, so both codecs are warmed alike. */
export const theirMix = [
  { cmd: "connect", protocolId: "MQTT", protocolVersion: 4, clean: true, keepalive: 30, clientId: "mix" },
  {
    cmd: "connect",
    protocolId: "MQTT",
    protocolVersion: 5,
    clean: true,
    keepalive: 30,
    clientId: "mix",
    properties: { sessionExpiryInterval: 60 },
  },
  { cmd: "connack", sessionPresent: false, returnCode: 0 },
  {
    cmd: "publish",
    topic: "mix/é",
    payload: Buffer.from("x"),
    qos: 2,
    retain: true,
    dup: false,
    messageId: 9,
  },
  { cmd: "puback", messageId: 3 },
  { cmd: "pubrec", messageId: 3 },
  { cmd: "pubrel", messageId: 3 },
  { cmd: "pubcomp", messageId: 3 },
  { cmd: "subscribe", messageId: 4, subscriptions: [{ topic: "a/+", qos: 1 }] },
  { cmd: "suback", messageId: 4, granted: [1] },
  { cmd: "unsubscribe", messageId: 5, unsubscriptions: ["a/+"] },
  { cmd: "unsuback", messageId: 5 },
  { cmd: "pingreq" },
  { cmd: "pingresp" },
  { cmd: "disconnect" },
];
