import { connect as netConnect } from "node:net";
import { Decoder, encode, type Packet, PacketType, type PublishPacket } from "@amqtt/codec";
import { describe, expect, it } from "vitest";
import { connect5 } from "./harness.js";
import { collectFor, connectWatching, mqttClient, nextMessages, startBroker, until } from "./tcp.js";

/** A raw 5.0 client: sends packets, collects every packet the broker sends. */
async function raw5(port: number, connect: Parameters<typeof encode>[0]) {
  const socket = netConnect(port, "127.0.0.1");
  const decoder = new Decoder({ protocolVersion: 5 });
  const packets: Packet[] = [];
  socket.on("data", (chunk) => {
    for (const p of decoder.decodeAll(chunk)) packets.push(p);
  });
  await new Promise<void>((r) => socket.once("connect", () => r()));
  socket.write(encode(connect, 5));
  await until(() => packets.some((p) => p.type === PacketType.CONNACK));
  return {
    packets,
    send: (p: Parameters<typeof encode>[0]) => socket.write(encode(p, 5)),
    close: () => socket.destroy(),
    publishes: () => packets.filter((p): p is PublishPacket => p.type === PacketType.PUBLISH),
  };
}

describe("MQTT 5.0 in the broker", () => {
  it("assigns outbound topic aliases when the client allows them: topic and alias first, then an empty topic [MQTT-3.3.2-11]", async () => {
    const { port, url } = await startBroker();
    const c = await raw5(port, connect5("aliased", { topicAliasMaximum: 5 }));
    c.send({ type: PacketType.SUBSCRIBE, packetId: 1, subscriptions: [{ topicFilter: "alias/#", qos: 0 }] });
    await until(() => c.packets.some((p) => p.type === PacketType.SUBACK));
    const pub = await mqttClient(url, { protocolVersion: 5 });
    await pub.publishAsync("alias/long/topic/name", "1");
    await pub.publishAsync("alias/long/topic/name", "2");
    await until(() => c.publishes().length === 2);
    const [first, second] = c.publishes();
    expect([first!.topic, first!.properties?.topicAlias]).toEqual(["alias/long/topic/name", 1]);
    expect([second!.topic, second!.properties?.topicAlias]).toEqual(["", 1]);
    c.close();
  });

  it("sends no topic alias to a client that did not allow any [MQTT-3.1.2-27]", async () => {
    const { port, url } = await startBroker();
    const c = await raw5(port, connect5("no-alias"));
    c.send({ type: PacketType.SUBSCRIBE, packetId: 1, subscriptions: [{ topicFilter: "na/#", qos: 0 }] });
    await until(() => c.packets.some((p) => p.type === PacketType.SUBACK));
    const pub = await mqttClient(url, { protocolVersion: 5 });
    await pub.publishAsync("na/t", "1");
    await pub.publishAsync("na/t", "2");
    await until(() => c.publishes().length === 2);
    expect(c.publishes().map((p) => [p.topic, p.properties?.topicAlias])).toEqual([
      ["na/t", undefined],
      ["na/t", undefined],
    ]);
    c.close();
  });

  it("drops a message larger than one client's Maximum Packet Size for that client only [MQTT-3.1.2-24] [MQTT-3.1.2-25]", async () => {
    const { port, url } = await startBroker();
    const small = await raw5(port, connect5("small", { maximumPacketSize: 100 }));
    small.send({
      type: PacketType.SUBSCRIBE,
      packetId: 1,
      subscriptions: [{ topicFilter: "size/#", qos: 1 }],
    });
    await until(() => small.packets.some((p) => p.type === PacketType.SUBACK));
    const big = await mqttClient(url, { protocolVersion: 5 });
    await big.subscribeAsync("size/#", { qos: 1 });
    const got = nextMessages(big, 2);
    const pub = await mqttClient(url, { protocolVersion: 5 });
    await pub.publishAsync("size/t", "x".repeat(500), { qos: 1 });
    await pub.publishAsync("size/t", "tiny", { qos: 1 });
    expect((await got).map(([, p]) => p.length)).toEqual([500, 4]);
    await until(() => small.publishes().length === 1);
    expect(new TextDecoder().decode(small.publishes()[0]!.payload)).toBe("tiny");
    small.close();
  });

  it("never has more unacknowledged QoS 1 messages out to a client than its Receive Maximum", async () => {
    const { port, url, broker } = await startBroker();
    const c = await raw5(port, connect5("window", { receiveMaximum: 3 }));
    c.send({ type: PacketType.SUBSCRIBE, packetId: 1, subscriptions: [{ topicFilter: "w/#", qos: 1 }] });
    await until(() => c.packets.some((p) => p.type === PacketType.SUBACK));
    const pub = await mqttClient(url, { protocolVersion: 5 });
    for (let i = 0; i < 10; i++) await pub.publishAsync("w/t", `m${i}`, { qos: 1 });
    await until(() => c.publishes().length === 3);
    await new Promise((r) => setTimeout(r, 100));
    expect(c.publishes()).toHaveLength(3); // the window is full until we acknowledge
    // $SYS counts them: 3 in flight and 7 waiting for the window, none acknowledged.
    expect(broker.stats().inflightOut).toBe(10);
    for (const p of c.publishes()) c.send({ type: PacketType.PUBACK, packetId: p.packetId! });
    await until(() => c.publishes().length === 6);
    c.close();
  });

  it("counts the Message Expiry Interval down while queued and drops expired messages", async () => {
    const { url } = await startBroker();
    const sub = await mqttClient(url, {
      protocolVersion: 5,
      clientId: "expiring",
      clean: false,
      properties: { sessionExpiryInterval: 60 },
    });
    await sub.subscribeAsync("exp/#", { qos: 1 });
    await sub.endAsync();
    const pub = await mqttClient(url, { protocolVersion: 5 });
    await pub.publishAsync("exp/short", "gone", { qos: 1, properties: { messageExpiryInterval: 1 } });
    await pub.publishAsync("exp/long", "kept", { qos: 1, properties: { messageExpiryInterval: 100 } });
    await new Promise((r) => setTimeout(r, 1200));
    const { client, sessionPresent } = await connectWatching(url, {
      protocolVersion: 5,
      clientId: "expiring",
      clean: false,
      properties: { sessionExpiryInterval: 60 },
    });
    const got = nextMessages(client, 1);
    client.connect();
    expect(await sessionPresent).toBe(true);
    const [topic, , packet] = (await got)[0]!;
    const properties = packet.properties as { messageExpiryInterval?: number } | undefined;
    expect(topic).toBe("exp/long");
    // Sent with the time left, not the original interval (5.0 section 3.3.2.3.3).
    expect(properties?.messageExpiryInterval).toBeLessThan(100);
    expect(await collectFor(client, 150)).toEqual([]);
  });

  it("publishes a will after its Will Delay Interval, and not at all when the client comes back first", async () => {
    const { url } = await startBroker();
    const watcher = await mqttClient(url, { protocolVersion: 5 });
    await watcher.subscribeAsync("wd/#");
    const will = {
      topic: "wd/late",
      payload: Buffer.from("bye"),
      qos: 0 as const,
      retain: false,
      properties: { willDelayInterval: 1 },
    };
    const props = { sessionExpiryInterval: 30 };
    const a = await mqttClient(url, {
      protocolVersion: 5,
      clientId: "wd-a",
      clean: false,
      properties: props,
      will,
    });
    const got = nextMessages(watcher, 1, 4000);
    const start = Date.now();
    (a as unknown as { stream: { destroy(): void } }).stream.destroy();
    await got;
    expect(Date.now() - start).toBeGreaterThanOrEqual(900);
    const b = await mqttClient(url, {
      protocolVersion: 5,
      clientId: "wd-b",
      clean: false,
      properties: props,
      will: { ...will, topic: "wd/never" },
    });
    (b as unknown as { stream: { destroy(): void } }).stream.destroy();
    await mqttClient(url, { protocolVersion: 5, clientId: "wd-b", clean: false, properties: props });
    expect(await collectFor(watcher, 1500)).toEqual([]);
  });

  it("passes Response Topic, Correlation Data and user properties through unchanged", async () => {
    const { url } = await startBroker();
    const responder = await mqttClient(url, { protocolVersion: 5 });
    await responder.subscribeAsync("rpc/req");
    const got = nextMessages(responder, 1);
    const requester = await mqttClient(url, { protocolVersion: 5 });
    await requester.publishAsync("rpc/req", "q", {
      qos: 1,
      properties: {
        responseTopic: "rpc/resp/1",
        correlationData: Buffer.from([1, 2, 3]),
        userProperties: { app: "demo" },
        contentType: "text/plain",
      },
    });
    const properties = (await got)[0]![2].properties as Record<string, unknown> | undefined;
    expect(properties?.responseTopic).toBe("rpc/resp/1");
    expect(Array.from((properties?.correlationData as Buffer | undefined) ?? [])).toEqual([1, 2, 3]);
    expect(properties?.userProperties).toEqual({ app: "demo" });
    expect(properties?.contentType).toBe("text/plain");
  });

  it("assigns a client identifier to a client that sent none, and imposes max_keepalive as Server Keep Alive", async () => {
    const { port } = await startBroker({ max_keepalive: 30 });
    const c = await raw5(port, { ...connect5(""), keepAlive: 0 });
    const connack = c.packets.find((p) => p.type === PacketType.CONNACK);
    expect(connack?.type === PacketType.CONNACK && connack.properties?.assignedClientIdentifier).toMatch(
      /^amqtt\//,
    );
    expect(connack?.type === PacketType.CONNACK && connack.properties?.serverKeepAlive).toBe(30);
    c.close();
  });

  it("announces in CONNACK what the configuration switches off, and caps a granted QoS at Maximum QoS", async () => {
    const { port } = await startBroker({
      max_qos: 1,
      retain_available: false,
      wildcard_subscription_available: false,
      subscription_identifier_available: false,
      shared_subscription_available: false,
    });
    const c = await raw5(port, connect5("limited"));
    const connack = c.packets.find((p) => p.type === PacketType.CONNACK);
    expect(connack?.type === PacketType.CONNACK && connack.properties).toMatchObject({
      maximumQos: 1,
      retainAvailable: 0,
      wildcardSubscriptionAvailable: 0,
      subscriptionIdentifiersAvailable: 0,
      sharedSubscriptionAvailable: 0,
    });
    c.send({ type: PacketType.SUBSCRIBE, packetId: 9, subscriptions: [{ topicFilter: "plain", qos: 2 }] });
    await until(() => c.packets.some((p) => p.type === PacketType.SUBACK));
    const suback = c.packets.find((p) => p.type === PacketType.SUBACK);
    // QoS 2 asked, the maximum 1 granted.
    expect(suback?.type === PacketType.SUBACK && suback.reasonCodes).toEqual([1]);
    // Using a feature announced as unavailable is a Protocol Error: DISCONNECT 0xA2 (section 3.2.2.3.11).
    c.send({ type: PacketType.SUBSCRIBE, packetId: 10, subscriptions: [{ topicFilter: "a/+", qos: 0 }] });
    await until(() => c.packets.some((p) => p.type === PacketType.DISCONNECT));
    const disconnect = c.packets.find((p) => p.type === PacketType.DISCONNECT);
    expect(disconnect?.type === PacketType.DISCONNECT && disconnect.reasonCode).toBe(0xa2);
    c.close();
  });
});

describe("server redirection (section 4.11)", () => {
  it("a plugin can answer a CONNECT with 0x9C Use another server and a Server Reference", async () => {
    const { port } = await startBroker(
      {},
      {
        plugins: [
          {
            name: "elsewhere",
            authenticate: () => ({ refuse: 0x9c, serverReference: "other.example:1883" }),
          },
        ],
      },
    );
    const c = await raw5(port, connect5("moving"));
    const connack = c.packets.find((p) => p.type === PacketType.CONNACK);
    expect(
      connack?.type === PacketType.CONNACK && [connack.reasonCode, connack.properties?.serverReference],
    ).toEqual([0x9c, "other.example:1883"]);
    c.close();
  });

  it("the broker can move a connected client with DISCONNECT 0x9D Server moved", async () => {
    const { port, broker } = await startBroker();
    const c = await raw5(port, connect5("moved"));
    expect(broker.redirect("moved", "new.example:8883", true)).toBe(true);
    await until(() => c.packets.some((p) => p.type === PacketType.DISCONNECT));
    const d = c.packets.find((p) => p.type === PacketType.DISCONNECT);
    expect(d?.type === PacketType.DISCONNECT && [d.reasonCode, d.properties?.serverReference]).toEqual([
      0x9d,
      "new.example:8883",
    ]);
    expect(broker.redirect("nobody", "x")).toBe(false);
    c.close();
  });
});

describe("response information", () => {
  it("goes in CONNACK only to a client that asked for it [MQTT-3.1.2-28]", async () => {
    const { port } = await startBroker({ response_information: "replies/" });
    const asked = await raw5(port, connect5("asker", { requestResponseInformation: 1 }));
    const quiet = await raw5(port, connect5("quiet"));
    const info = (c: { packets: Packet[] }) => {
      const connack = c.packets.find((p) => p.type === PacketType.CONNACK);
      return connack?.type === PacketType.CONNACK ? connack.properties?.responseInformation : "none";
    };
    expect(info(asked)).toBe("replies/asker");
    expect(info(quiet)).toBeUndefined();
    asked.close();
    quiet.close();
  });
});

describe("problem information", () => {
  it("explains a refusal with a Reason String, unless the client set Request Problem Information to 0 [MQTT-3.1.2-29]", async () => {
    const { port } = await startBroker(
      {},
      { plugins: [{ name: "no-secrets", authorizeSubscribe: (_c, filter) => !filter.startsWith("a/") }] },
    );
    const reason = async (clientId: string, properties: Record<string, unknown>) => {
      const c = await raw5(port, connect5(clientId, properties));
      c.send({ type: PacketType.SUBSCRIBE, packetId: 1, subscriptions: [{ topicFilter: "a/#", qos: 0 }] });
      await until(() => c.packets.some((p) => p.type === PacketType.SUBACK));
      const suback = c.packets.find((p) => p.type === PacketType.SUBACK);
      c.close();
      return suback?.type === PacketType.SUBACK
        ? [suback.reasonCodes[0], suback.properties?.reasonString]
        : [];
    };
    expect(await reason("wants", {})).toEqual([0x80, "Unspecified error"]);
    expect(await reason("silent", { requestProblemInformation: 0 })).toEqual([0x80, undefined]);
  });
});
