// The broker context (aMQTT's BrokerContext): what plugins, the admin API and
// embedders read and change in a running broker, over the memory harness.
import { ReasonCode } from "@amqtt/codec";
import { describe, expect, it } from "vitest";
import {
  type BrokerPlugin,
  InvalidSubscriptionError,
  type PluginContext,
  SessionOnlineError,
} from "../../src/index.js";
import { disconnected } from "../harness/events.js";
import { MqttPeer, startMemoryBroker } from "../harness/peer.js";
import { publish, receiveAll, receiveOne, settled, subscribe } from "../harness/steps.js";
import { until } from "../harness/wait.js";

const text = new TextDecoder();

describe("broker context", () => {
  it("lists sessions online and offline, one by id, with their subscriptions", async () => {
    const broker = await startMemoryBroker();
    const { peer: a } = await MqttPeer.connected(broker, "ctx-a", { keepAlive: 30 }, { listener: "mem-1" });
    await subscribe(a, { "x/#": 1, "$share/g/y": 0 });
    const { peer: b } = await MqttPeer.connected(broker, "ctx-b", {
      clean: false,
      properties: { sessionExpiryInterval: 600 },
    });
    const gone = disconnected(broker, "ctx-b");
    await b.disconnect();
    await gone;

    const sessions = broker.context.sessions();
    expect(sessions.map((s) => [s.clientId, s.online]).sort()).toEqual([
      ["ctx-a", true],
      ["ctx-b", false],
    ]);
    const one = broker.context.session("ctx-a")!;
    expect(one).toMatchObject({
      listener: "mem-1",
      protocolVersion: 5,
      keepAlive: 30,
      subscriptions: 2,
      inflight: 0,
    });
    expect(typeof one.connectedAt).toBe("number");
    expect(broker.context.session("ctx-b")).toMatchObject({ online: false, expiryInterval: 600 });
    expect(broker.context.session("nobody")).toBeUndefined();
    const subs = broker.context.subscriptions("ctx-a");
    expect(subs.map((s) => [s.filter, s.qos, s.shareGroup]).sort()).toEqual([
      ["$share/g/y", 0, "g"],
      ["x/#", 1, undefined],
    ]);
    expect(broker.context.subscriptions().length).toBe(2);
    expect(broker.context.metrics()).toMatchObject({
      sessionsOnline: 1,
      sessionsOffline: 1,
      sharedGroups: 1,
    });
  });

  it("adds a subscription for a connected client: it receives what matches at once", async () => {
    const broker = await startMemoryBroker();
    const { peer: sub } = await MqttPeer.connected(broker, "ctx-sub");
    const result = broker.context.addSubscription("ctx-sub", "added/+", { qos: 1 });
    expect(result).toEqual({ createdSession: false, added: true });
    const { peer: pub } = await MqttPeer.connected(broker, "ctx-pub");
    await publish(pub, "added/t", "hello", { qos: 1 });
    const [topic, payload, packet] = await receiveOne(sub);
    expect([topic, payload, packet.qos]).toEqual(["added/t", "hello", 1]);
    expect(broker.context.removeSubscription("ctx-sub", "added/+")).toBe(true);
    expect(broker.context.removeSubscription("ctx-sub", "added/+")).toBe(false);
    await publish(pub, "added/t", "after", { qos: 1 });
    await settled(pub);
    expect(await receiveAll(sub)).toEqual([]);
  });

  it.each([4, 5] as const)(
    "adds a subscription for an unknown client id as aMQTT does: an offline session queues, and a level %i CONNECT resumes it",
    async (version) => {
      const broker = await startMemoryBroker();
      expect(broker.context.addSubscription("ctx-later", "later/#", { qos: 1 })).toEqual({
        createdSession: true,
        added: true,
      });
      expect(broker.context.session("ctx-later")).toMatchObject({ online: false, subscriptions: 1 });
      const { peer: pub } = await MqttPeer.connected(broker, "ctx-pub2");
      await publish(pub, "later/a", "queued", { qos: 1 });
      await settled(pub);
      await until(() => broker.context.session("ctx-later")?.queued === 1);
      const persistent =
        version === 5 ? { clean: false, properties: { sessionExpiryInterval: 60 } } : { clean: false };
      const { peer, connack } = await MqttPeer.connected(broker, "ctx-later", persistent, { version });
      expect(connack.sessionPresent).toBe(true);
      const [topic, payload] = await receiveOne(peer);
      expect([topic, payload]).toEqual(["later/a", "queued"]);
    },
  );

  it("refuses an invalid filter or QoS with a typed error naming the field, changing nothing", () => {
    return startMemoryBroker().then((broker) => {
      const bad = (f: () => unknown, field: string) => {
        try {
          f();
          expect.unreachable();
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidSubscriptionError);
          expect((error as InvalidSubscriptionError).field).toBe(field);
        }
      };
      bad(() => broker.context.addSubscription("c", "a/#/b"), "filter");
      bad(() => broker.context.addSubscription("c", "a", { qos: 3 as 0 }), "qos");
      bad(() => broker.context.addSubscription("", "a"), "clientId");
      expect(broker.context.sessions()).toEqual([]);
      expect(broker.stats().subscriptionsCount).toBe(0);
    });
  });

  it("retains a message without routing it; a subscriber gets it only when it subscribes [MQTT-3.3.1-9]", async () => {
    const broker = await startMemoryBroker();
    const { peer: early } = await MqttPeer.connected(broker, "ctx-early");
    await subscribe(early, { "kept/#": 0 });
    expect(broker.context.retainMessage({ topic: "kept/one", payload: "r1", qos: 1 })).toEqual({
      stored: true,
    });
    expect(broker.context.retainedMessage("kept/one")).toMatchObject({ topic: "kept/one", qos: 1 });
    expect(broker.context.retainedMessages("kept/#").map((r) => text.decode(r.payload))).toEqual(["r1"]);
    expect(await receiveAll(early)).toEqual([]);
    const { peer: late } = await MqttPeer.connected(broker, "ctx-late");
    await subscribe(late, { "kept/#": 1 });
    const [topic, payload, packet] = await receiveOne(late);
    expect([topic, payload, packet.retain]).toEqual(["kept/one", "r1", true]);
    broker.context.retainMessage({ topic: "kept/one", payload: "" });
    expect(broker.context.retainedMessage("kept/one")).toBeUndefined();
  });

  it("retaining past max_retained_messages is refused by name and keeps the old set", async () => {
    const broker = await startMemoryBroker({ max_retained_messages: 1 });
    expect(broker.context.retainMessage({ topic: "b/1", payload: "x" }).stored).toBe(true);
    expect(broker.context.retainMessage({ topic: "b/2", payload: "y" })).toEqual({
      stored: false,
      refusedBy: "count",
    });
    expect(broker.context.retainedMessages().map((r) => r.topic)).toEqual(["b/1"]);
  });

  it("disconnects a 5.0 client with the reason code named (Administrative action)", async () => {
    const broker = await startMemoryBroker();
    const { peer } = await MqttPeer.connected(broker, "ctx-kick");
    expect(broker.context.disconnect("ctx-kick", "AdministrativeAction")).toBe(true);
    const packet = await peer.expect("disconnect");
    expect(packet.reasonCode).toBe(ReasonCode.ADMINISTRATIVE_ACTION);
    expect(broker.context.disconnect("nobody")).toBe(false);
  });

  it("deletes an offline session only: an online one is refused with SessionOnlineError", async () => {
    const broker = await startMemoryBroker();
    await MqttPeer.connected(broker, "ctx-on");
    expect(() => broker.context.deleteSession("ctx-on")).toThrow(SessionOnlineError);
    broker.context.addSubscription("ctx-off", "off/#");
    expect(broker.context.deleteSession("ctx-off")).toBe(true);
    expect(broker.context.session("ctx-off")).toBeUndefined();
    expect(broker.stats().subscriptionsCount).toBe(0);
    expect(broker.context.deleteSession("ctx-off")).toBe(false);
  });

  it("counts traffic by QoS, auth failures and routing latency", async () => {
    const broker = await startMemoryBroker();
    const { peer: sub } = await MqttPeer.connected(broker, "ctx-m-sub");
    await subscribe(sub, { "m/#": 2 });
    const { peer: pub } = await MqttPeer.connected(broker, "ctx-m-pub");
    await publish(pub, "m/a", "12345", { qos: 1 });
    await publish(pub, "m/a", "xy", { qos: 0 });
    await receiveOne(sub);
    await receiveOne(sub);
    const m = broker.context.metrics();
    expect(m.publishReceivedByQos).toEqual([1, 1, 0]);
    expect(m.payloadBytesReceivedByQos).toEqual([2, 5, 0]);
    expect(m.publishSentByQos).toEqual([1, 1, 0]);
    // One routed message in 64 is timed.
    expect(m.routingLatency.count).toBe(0);
    for (let i = 0; i < 126; i++) await publish(pub, "none/here", "x", { qos: 0 });
    await settled(pub);
    expect(broker.context.metrics().routingLatency.count).toBe(2);
    expect(m.connectionsByListener).toEqual([{ listener: "memory", protocolVersion: 5, count: 2 }]);
  });

  it("gives plugins the same context as context.broker", async () => {
    let seen: PluginContext | undefined;
    const plugin = (context: PluginContext): BrokerPlugin => {
      seen = context;
      return { name: "peek" };
    };
    const broker = await startMemoryBroker({}, { plugins: [plugin] });
    expect(seen?.broker).toBe(broker.context);
  });

  it("counts refused CONNECTs as auth failures", async () => {
    const broker = await startMemoryBroker({ plugins: { "anonymous-auth": { allow_anonymous: false } } });
    const peer = MqttPeer.open(broker);
    peer.connect("anon");
    const connack = await peer.expect("connack");
    expect(connack.reasonCode).not.toBe(ReasonCode.SUCCESS);
    expect(broker.context.metrics().authFailures).toBe(1);
  });
});
