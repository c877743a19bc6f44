// Issue 15: a PUBACK/PUBREC goes out only once the cluster engine holds the
// message's copies for other nodes (and, with a persistent store, once the
// store holds it), also when an `onPublish` plugin answers asynchronously.
// MemoryClusterEngine's holdSends/releaseSends stall the engine's writes.
import { MemoryClusterBus, MemoryClusterEngine } from "@amqtt/cluster";
import { PacketType, type QoS, ReasonCode } from "@amqtt/codec";
import type { BrokerStore } from "@amqtt/store";
import { describe, expect, it } from "vitest";
import type { Broker, BrokerPlugin } from "../../src/index.js";
import { countedSqliteStore } from "../harness/counted-store.js";
import { MqttPeer, startMemoryBroker } from "../harness/peer.js";
import { receive, sendPublish, subscribe } from "../harness/steps.js";
import { until } from "../harness/wait.js";
import { routeSeen } from "./harness.js";

/** An `onPublish` plugin that answers a few milliseconds later, as one calling a service would. */
const asyncOnPublish: BrokerPlugin = {
  name: "async-on-publish",
  onPublish: async (_client, message) => {
    await new Promise((resolve) => setTimeout(resolve, 5));
    return message;
  },
};
/** The same plugin answering at once. */
const syncOnPublish: BrokerPlugin = { name: "sync-on-publish", onPublish: (_client, message) => message };

async function twoNodes(plugin: BrokerPlugin, store?: BrokerStore) {
  const engine = new MemoryClusterEngine();
  const buses = ["n0", "n1"].map((nodeId) => new MemoryClusterBus(engine, { nodeId }));
  const brokers: Broker[] = [
    await startMemoryBroker({}, { cluster: buses[0]!, plugins: [plugin], ...(store ? { store } : {}) }),
    await startMemoryBroker({}, { cluster: buses[1]! }),
  ];
  await until(() => buses.every((b) => b.nodes().length === 2));
  return { engine, buses, brokers };
}

const acks = (peer: MqttPeer) =>
  peer.received.filter((p) => p.type === PacketType.PUBACK || p.type === PacketType.PUBREC);

const cases: [string, BrokerPlugin, QoS][] = [
  ["an asynchronous onPublish plugin, QoS 1", asyncOnPublish, 1],
  ["an asynchronous onPublish plugin, QoS 2", asyncOnPublish, 2],
  ["a synchronous onPublish plugin, QoS 1", syncOnPublish, 1],
];

describe("acknowledgements wait for the cluster engine (issue 15)", () => {
  for (const sqlite of [false, true])
    for (const [name, plugin, qos] of cases)
      it(`${name}${sqlite ? ", SQLite store" : ""}: no ${qos === 1 ? "PUBACK" : "PUBREC"} while the engine holds no copy; sent once it does`, async () => {
        const store = sqlite ? countedSqliteStore().store : undefined;
        const { engine, buses, brokers } = await twoNodes(plugin, store);
        const { peer: sub } = await MqttPeer.connected(brokers[1]!, "sub");
        await subscribe(sub, { "e/#": 2 });
        await routeSeen(buses[0]!, "n1", "e/x");
        const { peer: pub } = await MqttPeer.connected(brokers[0]!, "pub");
        engine.holdSends("n1");
        try {
          sendPublish(pub, "e/x", "held", { qos });
          // The plugin answered and the router handed the copy to the engine, which holds it.
          // (The node also sends control messages, e.g. the publisher's will announcement.)
          await until(() => engine.heldSendCount("n1") >= 1);
          // A few more turns: an acknowledgement that did not wait for the engine goes out in them.
          await new Promise((resolve) => setTimeout(resolve, 50));
          expect(acks(pub)).toEqual([]);
        } finally {
          engine.releaseSends("n1");
        }
        const ack = await pub.expect(qos === 1 ? "puback" : "pubrec");
        expect(ack.reasonCode ?? ReasonCode.SUCCESS).toBe(ReasonCode.SUCCESS);
        const [delivered] = await receive(sub, 1);
        expect(delivered!.slice(0, 2)).toEqual(["e/x", "held"]);
      });

  it("publishDurably() (a bridge's inbound message) resolves only once the engine holds the copy, after an asynchronous onPublish plugin", async () => {
    const { engine, buses, brokers } = await twoNodes(asyncOnPublish);
    const { peer: sub } = await MqttPeer.connected(brokers[1]!, "sub");
    await subscribe(sub, { "e/#": 1 });
    await routeSeen(buses[0]!, "n1", "e/x");
    engine.holdSends("n1");
    let held = false;
    const durable = brokers[0]!.publishDurably({ topic: "e/x", payload: "bridged", qos: 1 }).then(() => {
      held = true;
    });
    try {
      await until(() => engine.heldSendCount("n1") >= 1);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(held).toBe(false);
    } finally {
      engine.releaseSends("n1");
    }
    await durable;
    const [delivered] = await receive(sub, 1);
    expect(delivered!.slice(0, 2)).toEqual(["e/x", "bridged"]);
  });
});
