// Issue 15, QoS 2 exactly once through a node's death: a node that dies after its
// store holds an envelope's writes but before it acknowledged the envelope to the
// engine leaves it in its inbox. The node adopting that inbox must not deliver it
// again to the sessions that hold it already (from the store the nodes share)
// [MQTT-4.3.3-*]. In-process nodes on the memory engine, one shared persistent
// store whose flush the test holds: the writes are in, the acknowledgement waits.
import { MemoryClusterBus, MemoryClusterEngine } from "@amqtt/cluster";
import { describe, expect, it, vi } from "vitest";
import { MemoryStore } from "../../src/index.js";
import { MqttPeer, startMemoryBroker } from "../harness/peer.js";
import { receive, receiveAll, sendPublish, subscribe } from "../harness/steps.js";
import { until } from "../harness/wait.js";

/** A memory store the nodes share, persistent, whose flush waits while `held` (a disk slow to sync). */
class HeldFlushStore extends MemoryStore {
  override readonly persistent = true;
  readonly shared = true;
  held = false;
  private waiting: (() => void)[] = [];

  override async flush(): Promise<void> {
    await super.flush();
    if (this.held) await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    this.held = false;
    for (const resolve of this.waiting.splice(0)) resolve();
  }

  override async close(): Promise<void> {
    this.release();
    await super.close();
  }
}

describe("a dead node's durable, unacknowledged envelopes (issue 15)", () => {
  it("[MQTT-4.3.3-2] the adopter skips them: a QoS 2 message queued by the dead node reaches its persistent subscriber once", async () => {
    const engine = new MemoryClusterEngine();
    const store = new HeldFlushStore();
    const busA = new MemoryClusterBus(engine, { nodeId: "a" });
    const busB = new MemoryClusterBus(engine, { nodeId: "b" });
    const a = await startMemoryBroker({}, { store, cluster: busA });
    const b = await startMemoryBroker({}, { store, cluster: busB });
    await until(() => busA.nodes().length === 2 && busB.nodes().length === 2);
    const persistent = { clean: false, properties: { sessionExpiryInterval: 600 } };
    const { peer: first } = await MqttPeer.connected(a, "keeper", persistent, { version: 5 });
    await subscribe(first, { "k/#": 2 });
    await first.disconnect();
    await until(() => a.stats().clientsConnected === 0);
    await until(() => busB.match("k/1").nodes.has("a"));
    // From here node a's flushes never end: the message is queued in the store, its envelope unacknowledged.
    store.held = true;
    const { peer: pub } = await MqttPeer.connected(b, "pub");
    // Not waited for: b's PUBREC waits for the held flush too.
    sendPublish(pub, "k/1", "once", { qos: 2 });
    await vi.waitFor(async () => expect((await store.queueUsage("keeper")).count).toBe(1), {
      timeout: 10_000,
    });
    expect(engine.inboxLength("a")).toBe(1);
    // Node a dies: b adopts its sessions (from the store) and its inbox.
    engine.expire("a");
    await until(() => engine.inboxLength("a") === 0);
    store.release();
    await until(() => engine.inboxLength("b") === 0);
    // The adopter skipped the inbox copy: the session's queue holds the message once.
    expect(b.stats().cluster!.duplicatesDropped).toBe(1);
    expect((await store.queueUsage("keeper")).count).toBe(1);
    const { peer: back, connack } = await MqttPeer.connected(b, "keeper", persistent, { version: 5 });
    expect(connack.sessionPresent).toBe(true);
    const [got] = await receive(back, 1);
    expect(got!.slice(0, 2)).toEqual(["k/1", "once"]);
    await new Promise((r) => setTimeout(r, 200));
    expect(await receiveAll(back)).toEqual([]);
  });
});
