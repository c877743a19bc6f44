// One session registry for the cluster: take-over across nodes, the engine's
// outages, and a node's death (MemoryClusterEngine, several brokers in one process).

import { MemoryClusterBus, MemoryClusterEngine } from "@amqtt/cluster";
import { ConnackReturnCode, type ProtocolVersion, ReasonCode, reasonCodeName } from "@amqtt/codec";
import { describe, expect, it } from "vitest";
import { MemoryStore } from "../../src/index.js";
import { MqttPeer, startMemoryBroker } from "../harness/peer.js";
import {
  expectNothingPending,
  publish,
  receive,
  receiveAll,
  receiveOne,
  subscribe,
} from "../harness/steps.js";
import { until } from "../harness/wait.js";
import { routeSeen, startCluster } from "./harness.js";

const text = new TextEncoder();

describe.each([4, 5] as const)("the cluster's sessions at protocol level %i", (version: ProtocolVersion) => {
  const persistent =
    version === 5 ? { clean: false, properties: { sessionExpiryInterval: 600 } } : { clean: false };
  const connect = (broker: Parameters<typeof MqttPeer.connected>[0], id: string, fields = {}) =>
    MqttPeer.connected(broker, id, fields, { version });

  it("takes a session over from another node: the old connection is closed (5.0: DISCONNECT Session taken over) [MQTT-3.1.4-3], the subscriptions, and the messages queued meanwhile, move once, with session present", async () => {
    const { brokers, buses } = await startCluster(3);
    const { peer: first } = await connect(brokers[0]!, "roamer", persistent);
    await subscribe(first, { "q/#": 1 });
    await routeSeen(buses[2]!, "n0", "q/x");
    const { peer: pub } = await connect(brokers[2]!, "pub");
    await publish(pub, "q/x", "online", { qos: 1 });
    expect((await receiveOne(first))[1]).toBe("online");
    // Offline on node 0: a message queues there.
    await first.disconnect();
    await until(() => brokers[0]!.stats().clientsConnected === 0);
    await publish(pub, "q/x", "queued", { qos: 1 });
    await until(() => brokers[0]!.stats().storedMessages === 1);
    // Back on node 0 then taken over from node 1.
    const { peer: again } = await connect(brokers[0]!, "roamer", persistent);
    expect((await receiveOne(again))[1]).toBe("queued");
    await publish(pub, "q/x", "queued-2", { qos: 1 });
    await again.disconnect();
    await until(() => brokers[0]!.stats().storedMessages === 1);
    const { peer: moved, connack } = await connect(brokers[1]!, "roamer", persistent);
    expect(connack.sessionPresent).toBe(true);
    expect((await receive(moved, 1)).map(([, p]) => p)).toEqual(["queued-2"]);
    await expectNothingPending(moved);
    // The subscription is node 1's now: node 0 has nothing of it.
    expect(brokers[0]!.sessions.has("roamer")).toBe(false);
    await routeSeen(buses[2]!, "n1", "q/x");
    await until(() => !buses[2]!.match("q/x").nodes.has("n0"));
    await publish(pub, "q/x", "after", { qos: 1 });
    expect((await receiveOne(moved))[1]).toBe("after");
    expect(brokers[1]!.stats().cluster?.sessionsTakenOver).toBe(1);
    expect(brokers[0]!.stats().cluster?.sessionsHandedOver).toBe(1);
  });

  it("closes the connected old owner's client on a take-over from another node", async () => {
    const { brokers } = await startCluster(2);
    const { peer: first } = await connect(brokers[0]!, "same", persistent);
    await subscribe(first, { "t/#": 1 });
    const { connack } = await connect(brokers[1]!, "same", persistent);
    expect(connack.sessionPresent).toBe(true);
    if (version === 5) {
      const disconnect = await first.expect("disconnect");
      expect(reasonCodeName(disconnect.reasonCode ?? 0)).toBe("Session taken over");
      expect(disconnect.reasonCode).toBe(ReasonCode.SESSION_TAKEN_OVER);
    }
    await first.expectClosed();
    await until(
      () => brokers[0]!.stats().clientsConnected === 0 && brokers[1]!.stats().clientsConnected === 1,
    );
    expect([...brokers[1]!.sessions.get("same")!.filters.keys()]).toEqual(["t/#"]);
  });

  it("a clean start on another node starts empty (session present 0)", async () => {
    const { brokers } = await startCluster(2);
    const { peer: first } = await connect(brokers[0]!, "cleaner", persistent);
    await subscribe(first, { "c/#": 1 });
    await first.disconnect();
    const { connack } = await connect(brokers[1]!, "cleaner", { clean: true });
    expect(connack.sessionPresent).toBe(false);
    await until(() => !brokers[0]!.sessions.has("cleaner"));
  });

  it("refuses a CONNECT while the engine is down (Server unavailable), serves local traffic, and recovers without a restart", async () => {
    const { brokers, engine } = await startCluster(2);
    const { peer: sub } = await connect(brokers[0]!, "local-sub");
    await subscribe(sub, { l: 0 });
    const { peer: pub } = await connect(brokers[0]!, "local-pub");
    engine.setAvailable(false);
    await until(() => brokers[0]!.stats().cluster?.engine === "down");
    const refused = MqttPeer.open(brokers[0]!, { version });
    refused.connect("newcomer");
    const connack = await refused.expect("connack");
    expect(connack.reasonCode).toBe(
      version === 5 ? ReasonCode.SERVER_UNAVAILABLE : ConnackReturnCode.SERVER_UNAVAILABLE,
    );
    await refused.expectClosed();
    // Local QoS 0 traffic goes on.
    await publish(pub, "l", "still", { qos: 0 });
    expect((await receiveOne(sub))[1]).toBe("still");
    engine.setAvailable(true);
    await until(() => brokers[0]!.stats().cluster?.engine === "up");
    const { connack: ok } = await connect(brokers[0]!, "newcomer");
    expect(ok.reasonCode).toBe(0);
    expect(brokers[0]!.stats().cluster?.connectsRefused).toBe(1);
  });
});

describe("sessions of a store shared by the nodes", () => {
  it("a node that starts restores only the stored sessions nobody live owns (no second copy of a session)", async () => {
    const engine = new MemoryClusterEngine();
    const store = new MemoryStore();
    const a = await startMemoryBroker({}, { store, cluster: new MemoryClusterBus(engine, { nodeId: "a" }) });
    const { peer } = await MqttPeer.connected(a, "keeper", {
      clean: false,
      properties: { sessionExpiryInterval: 600 },
    });
    await subscribe(peer, { "k/#": 1 });
    await peer.disconnect();
    await until(() => a.stats().clientsConnected === 0);
    expect((await store.listSessions()).map((r) => r.clientId)).toEqual(["keeper"]);
    const b = await startMemoryBroker({}, { store, cluster: new MemoryClusterBus(engine, { nodeId: "b" }) });
    expect(b.sessions.has("keeper")).toBe(false);
    expect(a.sessions.has("keeper")).toBe(true);
    const { peer: pub } = await MqttPeer.connected(b, "pub");
    await publish(pub, "k/1", "once", { qos: 1 });
    await until(() => a.stats().storedMessages === 1);
    expect((await store.queueUsage("keeper")).count).toBe(1);
  });

  it("a session whose node is gone is restored by the node that starts next", async () => {
    const engine = new MemoryClusterEngine();
    const store = new MemoryStore();
    const busA = new MemoryClusterBus(engine, { nodeId: "a" });
    const a = await startMemoryBroker({}, { store, cluster: busA });
    const { peer } = await MqttPeer.connected(a, "orphan", {
      clean: false,
      properties: { sessionExpiryInterval: 600 },
    });
    await subscribe(peer, { "o/#": 1 });
    await peer.disconnect();
    await until(() => a.stats().clientsConnected === 0);
    await busA.stop(); // node a leaves the cluster (its broker keeps the shared store open)
    const b = await startMemoryBroker({}, { store, cluster: new MemoryClusterBus(engine, { nodeId: "b" }) });
    expect([...(b.sessions.get("orphan")?.filters.keys() ?? [])]).toEqual(["o/#"]);
  });
});

describe("the cluster's session bounds", () => {
  it("refuses a CONNECT (Server unavailable) when maxPendingHandOvers take-overs already wait for their hand-over", async () => {
    const { brokers, engine } = await startCluster(
      2,
      {},
      { maxPendingHandOvers: 1, handOverTimeoutMs: 5000 },
    );
    await MqttPeer.connected(brokers[0]!, "x1");
    await MqttPeer.connected(brokers[0]!, "x2");
    engine.hold("n0"); // node 0 stalls: it answers no take-over
    const first = MqttPeer.open(brokers[1]!);
    first.connect("x1");
    await until(() => engine.inboxLength("n0") === 1);
    const second = MqttPeer.open(brokers[1]!);
    second.connect("x2");
    expect((await second.expect("connack")).reasonCode).toBe(ReasonCode.SERVER_UNAVAILABLE);
    engine.release("n0");
    expect((await first.expect("connack")).reasonCode).toBe(0);
  });

  it("an expired session is not resumed on another node (session present 0) [MQTT-3.1.2-23]", async () => {
    const { brokers } = await startCluster(2);
    const { peer } = await MqttPeer.connected(brokers[0]!, "brief", {
      clean: false,
      properties: { sessionExpiryInterval: 1 },
    });
    await subscribe(peer, { "e/#": 1 });
    await peer.disconnect();
    await until(() => !brokers[0]!.sessions.has("brief"), 5000);
    const { connack } = await MqttPeer.connected(brokers[1]!, "brief", {
      clean: false,
      properties: { sessionExpiryInterval: 60 },
    });
    expect(connack.sessionPresent).toBe(false);
  });
});

/** A memory store several nodes in one process share, as they would share Redis. */
class SharedMemoryStore extends MemoryStore {
  readonly shared = true;
}

describe("a node's death", () => {
  it("the adopter does not answer its own take-over request found in the dead node's inbox: the session it read from the store stays", async () => {
    const engine = new MemoryClusterEngine();
    const store = new SharedMemoryStore();
    const tuning = { handOverTimeoutMs: 200 };
    const a = await startMemoryBroker(
      {},
      { store, cluster: new MemoryClusterBus(engine, { nodeId: "a" }), clusterTuning: tuning },
    );
    const busB = new MemoryClusterBus(engine, { nodeId: "b" });
    const b = await startMemoryBroker({}, { store, cluster: busB, clusterTuning: tuning });
    await until(() => busB.nodes().length === 2);
    // A will of a's, published by the adopter once it took a's inbox: the test's sign that it did.
    const { peer: watcher } = await MqttPeer.connected(b, "watcher");
    await subscribe(watcher, { "wills/#": 1 });
    await MqttPeer.connected(a, "doomed", {
      will: { topic: "wills/doomed", payload: text.encode("bye"), qos: 1, retain: false },
    });
    await until(() => engine.inboxLength("b") === 0);
    const persistent = { clean: false, properties: { sessionExpiryInterval: 600 } };
    const { peer: first } = await MqttPeer.connected(a, "keeper", persistent);
    await subscribe(first, { "k/#": 1 });
    await first.disconnect();
    await until(() => a.stats().clientsConnected === 1);
    // Node a stalls: b's take-over request stays unread in its inbox, b reads the session from the store.
    engine.hold("a");
    const { peer: again, connack } = await MqttPeer.connected(b, "keeper", persistent);
    expect(connack.sessionPresent).toBe(true);
    expect(engine.inboxLength("a")).toBeGreaterThan(0);
    // Node a dies: b adopts its inbox, its own request included.
    engine.expire("a");
    expect((await receiveOne(watcher)).slice(0, 2)).toEqual(["wills/doomed", "bye"]);
    await until(() => engine.inboxLength("b") === 0);
    expect(b.stats().cluster!.sessionsHandedOver).toBe(0);
    const { peer: pub } = await MqttPeer.connected(b, "pub");
    await publish(pub, "k/1", "still here", { qos: 1 });
    expect((await receiveOne(again)).slice(0, 2)).toEqual(["k/1", "still here"]);
    expect(b.sessions.has("keeper")).toBe(true);
  });

  it("publishes its clients' wills once, from the one node that adopts it", async () => {
    const { brokers, engine } = await startCluster(3);
    const watchers = [];
    for (const [i, b] of [brokers[1]!, brokers[2]!].entries()) {
      const { peer } = await MqttPeer.connected(b, `watcher${i}`);
      await subscribe(peer, { "wills/#": 1 });
      watchers.push(peer);
    }
    await MqttPeer.connected(brokers[0]!, "doomed", {
      will: { topic: "wills/doomed", payload: text.encode("bye"), qos: 1, retain: false },
    });
    // Every node has heard of the will (its control envelope is acknowledged).
    await until(() => engine.inboxLength("n1") === 0 && engine.inboxLength("n2") === 0);
    engine.expire("n0");
    for (const w of watchers) expect((await receiveOne(w)).slice(0, 2)).toEqual(["wills/doomed", "bye"]);
    for (const w of watchers) expect(await receiveAll(w)).toEqual([]);
    const adopted = brokers.slice(1).map((b) => b.stats().cluster!.adoptedWills);
    expect(adopted.sort()).toEqual([0, 1]);
  });

  it("a node stopped gracefully publishes no will of its clients (as one broker's shutdown)", async () => {
    const { brokers, buses } = await startCluster(2);
    const { peer: watcher } = await MqttPeer.connected(brokers[1]!, "watcher");
    await subscribe(watcher, { "wills/#": 1 });
    await routeSeen(buses[0]!, "n1", "wills/x");
    await MqttPeer.connected(brokers[0]!, "leaver", {
      will: { topic: "wills/x", payload: text.encode("bye"), qos: 1, retain: false },
    });
    await brokers[0]!.stop();
    await until(() => buses[1]!.nodes().length === 1);
    // Past the adopter's grace: a will would have gone out by now.
    await new Promise((r) => setTimeout(r, 700));
    expect(await receiveAll(watcher)).toEqual([]);
    expect(brokers[1]!.stats().cluster?.adoptedWills).toBe(0);
  });

  it("a node that lost its lease drops its sessions and joins again", async () => {
    const { brokers, buses, engine } = await startCluster(2);
    const { peer } = await MqttPeer.connected(brokers[0]!, "fenced", {}, { version: 5 });
    engine.expire("n0");
    const disconnect = await peer.expect("disconnect");
    expect(disconnect.reasonCode).toBe(ReasonCode.SESSION_TAKEN_OVER);
    await until(() => buses[1]!.nodes().length === 2 && buses[0]!.status === "up");
    const { connack } = await MqttPeer.connected(brokers[0]!, "fenced", {}, { version: 5 });
    expect(connack.reasonCode).toBe(0);
  });

  // The adopter is the first live node to ask: with the members on nodes 0 and 1 it has
  // a member itself; with them on nodes 0 and 2 it routes the messages on to node 2.
  it.each([
    [1, 2],
    [2, 1],
  ])(
    "its unacknowledged shared-subscription messages go to another member (member on node %i, publisher on node %i)",
    async (memberNode, publisherNode) => {
      const { brokers, buses, engine } = await startCluster(3);
      const { peer: m0 } = await MqttPeer.connected(brokers[0]!, "m0");
      const { peer: other } = await MqttPeer.connected(brokers[memberNode]!, "other");
      await subscribe(m0, { "$share/g/j/#": 1 });
      await subscribe(other, { "$share/g/j/#": 1 });
      const publisherBus = buses[publisherNode]!;
      await routeSeen(publisherBus, "n0", "j/x", "g");
      await routeSeen(publisherBus, `n${memberNode}`, "j/x", "g");
      engine.hold("n0"); // node 0 stalls: what it gets stays unacknowledged
      const { peer: pub } = await MqttPeer.connected(brokers[publisherNode]!, "pub");
      for (let i = 0; i < 10; i++) await publish(pub, "j/x", String(i), { qos: 1 });
      expect(engine.inboxLength("n0")).toBeGreaterThan(0);
      const direct = (await receiveAll(other)).map(([, p]) => Number(p));
      expect(direct.length).toBeLessThan(10);
      engine.expire("n0");
      const adopted = await receive(other, 10 - direct.length);
      const all = [...direct, ...adopted.map(([, p]) => Number(p))].sort((a, b) => a - b);
      expect(all).toEqual([...Array(10).keys()]);
      await expectNothingPending(other);
    },
  );
});
