// The cluster view's bounds and guards, on the in-process engine: requests
// waiting for answers, snapshots kept, snapshot sizes, and requests that
// arrive too late or for another node (never acted on).
import { type ClusterEnvelope, MemoryClusterBus, MemoryClusterEngine } from "@amqtt/cluster";
import { afterEach, describe, expect, it } from "vitest";
import { ADMIN_CHANNEL, decodeAdmin, encodeAdmin } from "../../src/cluster/admin-messages.js";
import { ClusterRequestTimeoutError, TooManyClusterRequestsError } from "../../src/cluster/cluster-view.js";
import {
  MAX_ERROR_TEXT,
  MAX_SNAPSHOT_ENTRIES,
  type NodeCounters,
  sumCounters,
  takeSnapshot,
} from "../../src/cluster/node-status.js";
import { emptyStats } from "../../src/core/stats.js";
import type { Broker } from "../../src/index.js";
import type { BrokerContext, ListenerInfo } from "../../src/plugins/context-types.js";
import { startMemoryBroker } from "../harness/peer.js";
import { until } from "../harness/wait.js";

const silent: MemoryClusterBus[] = [];
afterEach(async () => {
  for (const bus of silent.splice(0)) await bus.stop();
});

/** A node of `engine` without a broker: it acknowledges what arrives and keeps it, never answering. */
async function silentNode(engine: MemoryClusterEngine, nodeId: string) {
  const bus = new MemoryClusterBus(engine, { nodeId });
  const received: ClusterEnvelope[] = [];
  await bus.start({
    envelope: (e, ack) => {
      received.push(e);
      ack();
    },
    nodeUp() {},
    nodeDown() {},
    engineStatus() {},
  });
  silent.push(bus);
  return { bus, received };
}

async function clusterBroker(
  engine: MemoryClusterEngine,
  options: { maxPendingRequests?: number; requestTimeoutMs?: number } = {},
): Promise<Broker> {
  return startMemoryBroker(
    {},
    {
      cluster: new MemoryClusterBus(engine, { nodeId: "n0" }),
      clusterView: { statusIntervalMs: 50, ...options },
    },
  );
}

describe("ClusterView bounds", () => {
  it("refuses a request past maxPendingRequests (TooManyClusterRequestsError); the waiting ones time out and free their places", async () => {
    const engine = new MemoryClusterEngine();
    const broker = await clusterBroker(engine, { maxPendingRequests: 2, requestTimeoutMs: 300 });
    await silentNode(engine, "mute");
    const view = broker.cluster!;
    await until(() => view.liveNodes().length === 2);
    const ask = () => view.ask("mute", { kind: "client", clientId: "x" });
    const first = ask();
    const second = ask();
    const firstDone = first.catch((e: unknown) => e);
    const secondDone = second.catch((e: unknown) => e);
    await until(() => view.pendingRequests === 2);
    await expect(ask()).rejects.toBeInstanceOf(TooManyClusterRequestsError);
    expect(await firstDone).toBeInstanceOf(ClusterRequestTimeoutError);
    expect(await secondDone).toBeInstanceOf(ClusterRequestTimeoutError);
    expect(view.pendingRequests).toBe(0);
  });

  it("publishes this node's snapshot to the engine, where another node's view reads it; it goes when the node stops", async () => {
    const engine = new MemoryClusterEngine();
    const a = await clusterBroker(engine);
    const b = await startMemoryBroker({}, { cluster: new MemoryClusterBus(engine, { nodeId: "n1" }) });
    const view = b.cluster!;
    await until(() => view.liveNodes().length === 2);
    const seen = async () => (await view.nodes()).find((n) => n.nodeId === "n0")?.status;
    const deadline = Date.now() + 5000;
    while ((await seen()) === undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const status = await seen();
    expect([status?.nodeId, status?.engine, status?.counters.clientsConnected]).toEqual(["n0", "up", 0]);
    expect((await view.nodes()).map((n) => [n.nodeId, n.self])).toEqual([
      ["n1", true],
      ["n0", false],
    ]);
    await a.stop();
    await until(() => view.liveNodes().length === 1);
    expect(engine.statusesOf(["n0"]).size).toBe(0);
  });

  it(`a snapshot lists ${MAX_SNAPSHOT_ENTRIES} listeners and bridges at most (the rest counted) and cuts bridge errors`, () => {
    const listeners: ListenerInfo[] = Array.from({ length: MAX_SNAPSHOT_ENTRIES + 6 }, (_, i) => ({
      name: `l${i}`,
      type: "tcp",
      tls: false,
      host: "127.0.0.1",
      port: 1000 + i,
      connections: 0,
      maxConnections: 0,
    }));
    const bridges = Array.from({ length: MAX_SNAPSHOT_ENTRIES + 3 }, (_, i) => ({
      name: `b${i}`,
      connected: false,
      queued: i,
      dropped: 0,
      lastError: "x".repeat(MAX_ERROR_TEXT * 4),
    }));
    const context = {
      listeners: () => listeners,
      metrics: () => ({ sessionsOnline: 0, sessionsOffline: 0, retainedBytes: 0 }),
    } as unknown as BrokerContext;
    const s = takeSnapshot({
      nodeId: "n",
      version: "1.0.0",
      context,
      stats: () => emptyStats(),
      engine: () => "up",
      bridges: () => bridges,
    });
    expect([s.listeners.length, s.moreListeners, s.bridges.length, s.moreBridges]).toEqual([
      MAX_SNAPSHOT_ENTRIES,
      6,
      MAX_SNAPSHOT_ENTRIES,
      3,
    ]);
    expect(s.bridges.every((b) => b.lastError?.length === MAX_ERROR_TEXT)).toBe(true);
  });

  it("sums counters across nodes, except retained (every node holds the cluster's: the largest)", () => {
    const base = sumCounters([]);
    const one: NodeCounters = { ...base, clientsConnected: 2, retainedCount: 5, retainedBytes: 50, rss: 10 };
    const two: NodeCounters = { ...base, clientsConnected: 3, retainedCount: 4, retainedBytes: 40, rss: 20 };
    expect(sumCounters([one, two])).toMatchObject({
      clientsConnected: 5,
      retainedCount: 5,
      retainedBytes: 50,
      rss: 30,
    });
  });
});

describe("ClusterView requests from other nodes", () => {
  it("answers one addressed to it in time, and ignores one past its deadline or for another node (a late kick never happens)", async () => {
    const engine = new MemoryClusterEngine();
    const broker = await clusterBroker(engine);
    const { bus, received } = await silentNode(engine, "asker");
    await until(() => broker.cluster!.liveNodes().length === 2);
    const answers = () =>
      received
        .filter((e) => e.channel === ADMIN_CHANNEL)
        .map((e) => decodeAdmin(e.body))
        .filter((m) => m.type === "answer")
        .map((m) => (m as { requestId: string }).requestId);
    const ask = (requestId: string, to: string, deadline: number) =>
      bus.send(
        "n0",
        ADMIN_CHANNEL,
        encodeAdmin({
          type: "request",
          requestId,
          request: {
            kind: "sessions",
            page: { after: undefined, limit: 10 },
            state: undefined,
            to,
            deadline,
          } as never,
        }),
      );
    await ask("late", "n0", Date.now() - 1);
    await ask("elsewhere", "n9", Date.now() + 60_000);
    await ask("fine", "n0", Date.now() + 60_000);
    await until(() => answers().includes("fine"));
    expect(answers()).toEqual(["fine"]);
  });
});
