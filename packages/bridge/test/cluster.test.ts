// A bridge in a cluster runs only on the node holding its named lease
// (`bridge:<name>`), here on the in-process cluster engine with a real
// mosquitto as the remote: a node that lost the lease (taken by another node,
// or not renewed before its local deadline) sends nothing more, and goes on
// from the store when it holds the lease again.
import { silentLogger } from "@amqtt/broker";
import { type ClusterEvents, MemoryClusterBus, MemoryClusterEngine } from "@amqtt/cluster";
import { describe, expect, it } from "vitest";
import { Bridges } from "../src/index.js";
import { connect, nothingMore, onCleanup, startMosq, startOurs, take, text, until } from "./helpers/world.js";

const LEASE_MS = 600;
const quiet: ClusterEvents = { envelope: (_e, ack) => ack(), nodeUp() {}, nodeDown() {}, engineStatus() {} };

async function node(engine: MemoryClusterEngine, nodeId: string): Promise<MemoryClusterBus> {
  const bus = new MemoryClusterBus(engine, { nodeId, leaseMs: 60_000 });
  await bus.start(quiet);
  onCleanup(() => bus.stop().catch(() => {}));
  return bus;
}

async function clusteredBridge(engine: MemoryClusterEngine) {
  const bus = await node(engine, "node-a");
  const far = await startMosq();
  const site = await startOurs();
  const bridges = Bridges.fromConfig(
    [
      {
        name: "central",
        address: `127.0.0.1:${far.port}`,
        restart_timeout: [0.02, 0.1],
        topics: [{ filter: "sensors/#", direction: "out", qos: 1, remote_prefix: "site/" }],
      },
    ],
    site.broker,
    { logger: silentLogger, sysIntervalMs: 0, cluster: { engine: bus, leaseMs: LEASE_MS, pollMs: 10 } },
  );
  await bridges.start();
  onCleanup(() => bridges.stop());
  const farSub = await connect(far.url);
  await farSub.subscribe([["site/#", 1]]);
  const pub = await connect(site.url);
  await until(bridges, (s) => s.connected && s.runner === "node-a");
  return { bridges, farSub, pub };
}

describe("a bridge in a cluster (in-process engine, mosquitto as the remote)", () => {
  it("stops sending once another node holds its lease, queues meanwhile, and goes on in order when it holds the lease again", async () => {
    const engine = new MemoryClusterEngine();
    const { bridges, farSub, pub } = await clusteredBridge(engine);
    await pub.publish("sensors/t", "0", { qos: 1 });
    expect((await take(farSub, 1)).map(text)).toEqual(["0"]);

    // Node a stalled past its lease (as the engine sees it) and node b took it.
    engine.expireLease("bridge:central");
    const b = await node(engine, "node-b");
    const taken = await b.acquireLease("bridge:central", 60_000);
    expect(taken.nodeId).toBe("node-b");
    await until(bridges, (s) => s.runner === "node-b" && !s.connected);
    for (let i = 1; i <= 4; i++) await pub.publish("sensors/t", String(i), { qos: 1 });
    expect(await nothingMore(farSub, 4 * LEASE_MS)).toBe(true);
    expect(bridges.status()[0]?.queued).toBe(4);

    expect(await b.releaseLease("bridge:central", taken.epoch)).toBe(true);
    await until(bridges, (s) => s.connected && s.runner === "node-a");
    expect((await take(farSub, 4)).map(text)).toEqual(["1", "2", "3", "4"]);
  });

  it("stops at its local deadline when the engine does not answer, before any other node could take the lease", async () => {
    const engine = new MemoryClusterEngine();
    const { bridges, farSub, pub } = await clusteredBridge(engine);
    engine.setAvailable(false);
    // The local deadline passes before the engine's expiry (lease-keeper.test.ts checks
    // the rule without timers); here: the bridge stops and sends nothing while stalled.
    await until(bridges, (s) => !s.connected, 5 * LEASE_MS);
    for (let i = 0; i < 3; i++) await pub.publish("sensors/t", String(i), { qos: 1 });
    expect(await nothingMore(farSub, 2 * LEASE_MS)).toBe(true);
    engine.setAvailable(true);
    await until(bridges, (s) => s.connected);
    expect((await take(farSub, 3)).map(text)).toEqual(["0", "1", "2"]);
  });
});
