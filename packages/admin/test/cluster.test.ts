// The admin API of a cluster node answers for the whole cluster: two brokers,
// each a node of one real redis-server (RedisClusterBus), MQTT.js clients on
// both, and the admin listener of node A. A third node ("ghost") joins the
// engine without a broker: it is live but never answers, as a stalled node.
import { randomUUID } from "node:crypto";
import { Broker, silentLogger } from "@amqtt/broker";
import { RedisClusterBus } from "@amqtt/cluster-redis";
import { freePort } from "@amqtt/test-utils";
import { type RedisServer, startRedis } from "@amqtt/test-utils/redis";
import { connectAsync, type IDisconnectPacket, type MqttClient } from "mqtt";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AdminServer, startAdmin } from "../src/index.js";
import { until } from "./clients.js";
import { api } from "./harness.js";

const TIMING = { leaseMs: 3000, requestTimeoutMs: 1500 } as const;
const VIEW = { statusIntervalMs: 200, requestTimeoutMs: 1500 } as const;

interface Node {
  broker: Broker;
  admin: AdminServer;
  port: number;
}

let redis: RedisServer;
let keyPrefix: string;
let a: Node;
let b: Node;
let ghost: RedisClusterBus;
const clients: MqttClient[] = [];

async function startNode(nodeId: string): Promise<Node> {
  const port = await freePort();
  let adminPort = await freePort();
  while (adminPort === port) adminPort = await freePort();
  const bus = new RedisClusterBus({ url: redis.url, keyPrefix, nodeId, blockMs: 200, ...TIMING });
  const broker = new Broker(
    {
      listeners: {
        default: { type: "tcp", bind: `127.0.0.1:${port}` },
        admin: { type: "http", bind: `127.0.0.1:${adminPort}` },
      },
      plugins: { "anonymous-auth": { allow_anonymous: true } },
    },
    { logger: silentLogger, cluster: bus, clusterView: VIEW },
  );
  await broker.start();
  const admin = await startAdmin(broker, { logger: silentLogger });
  return { broker, admin, port };
}

async function connect(node: Node, clientId: string, extra: Record<string, unknown> = {}) {
  const c = await connectAsync({
    host: "127.0.0.1",
    port: node.port,
    clientId,
    protocolVersion: 5,
    reconnectPeriod: 0,
    ...extra,
  });
  clients.push(c);
  return c;
}

const ids = (items: { clientId: string; node: string }[]) => items.map((i) => `${i.clientId}@${i.node}`);

beforeAll(async () => {
  redis = await startRedis();
  keyPrefix = `admin-${randomUUID().slice(0, 8)}:`;
  a = await startNode("node-a");
  b = await startNode("node-b");
  await until(() => a.broker.cluster!.liveNodes().length === 2, 10_000, "both nodes live");
  for (const id of ["a-1", "a-2", "a-3"]) await connect(a, id);
  for (const id of ["b-1", "b-2", "b-3"]) {
    const c = await connect(b, id);
    await c.subscribeAsync(`from/${id}`, { qos: 1 });
  }
}, 60_000);

afterAll(async () => {
  for (const c of clients) await c.endAsync(true).catch(() => undefined);
  await ghost?.stop().catch(() => undefined);
  for (const n of [a, b]) {
    await n?.admin.close();
    await n?.broker.stop();
  }
  await redis?.stop();
});

describe("a cluster of two nodes on redis-server, seen from node A's admin API", () => {
  it("GET /api/v1/cluster/nodes lists both live nodes with their lease and snapshot (listeners, counters)", async () => {
    await until(
      async () => {
        const r = await api(a.admin, "GET", "/api/v1/cluster/nodes");
        const other = r.body.items.find((n: { nodeId: string }) => n.nodeId === "node-b");
        return other?.status?.counters.clientsConnected === 3;
      },
      10_000,
      "node B's snapshot with its 3 clients",
    );
    const r = await api(a.admin, "GET", "/api/v1/cluster/nodes");
    expect(r.body.clustered).toBe(true);
    expect(r.body.nodeId).toBe("node-a");
    expect(r.body.items.map((n: { nodeId: string; self: boolean }) => [n.nodeId, n.self])).toEqual([
      ["node-a", true],
      ["node-b", false],
    ]);
    const nodeB = r.body.items[1];
    expect(nodeB.leaseRemainingMs).toBeGreaterThan(0);
    expect(nodeB.leaseRemainingMs).toBeLessThanOrEqual(TIMING.leaseMs);
    expect(nodeB.status.listeners.map((l: { bind: string }) => l.bind)).toContain(`127.0.0.1:${b.port}`);
    expect(nodeB.status.counters.subscriptions).toBe(3);
    expect(nodeB.status.pid).toBe(process.pid);
    expect(r.body.items[0].status.counters.clientsConnected).toBe(3);
  });

  it("GET /api/v1/stats sums the nodes (scope=cluster is the default); scope=node is node A alone", async () => {
    const cluster = (await api(a.admin, "GET", "/api/v1/stats")).body;
    expect([cluster.scope, cluster.nodes, cluster.missingNodes]).toEqual(["cluster", 2, []]);
    expect(cluster.connections.current).toBe(6);
    expect(cluster.subscriptions).toBe(3);
    const node = (await api(a.admin, "GET", "/api/v1/stats?scope=node")).body;
    expect([node.scope, node.nodes, node.connections.current, node.subscriptions]).toEqual(["node", 1, 3, 0]);
    // The same sums from node B's side.
    const fromB = (await api(b.admin, "GET", "/api/v1/stats")).body;
    expect(fromB.connections.current).toBe(6);
  });

  it("GET /api/v1/clients lists the clients of both nodes in client id order, paged across nodes", async () => {
    const all = await api(a.admin, "GET", "/api/v1/clients");
    expect(ids(all.body.items)).toEqual([
      "a-1@node-a",
      "a-2@node-a",
      "a-3@node-a",
      "b-1@node-b",
      "b-2@node-b",
      "b-3@node-b",
    ]);
    expect([all.body.nextCursor, all.body.missingNodes]).toEqual([null, []]);
    const first = await api(a.admin, "GET", "/api/v1/clients?limit=4");
    expect(ids(first.body.items)).toEqual(["a-1@node-a", "a-2@node-a", "a-3@node-a", "b-1@node-b"]);
    const second = await api(a.admin, "GET", `/api/v1/clients?limit=4&cursor=${first.body.nextCursor}`);
    expect([ids(second.body.items), second.body.nextCursor]).toEqual([["b-2@node-b", "b-3@node-b"], null]);
    const searched = await api(a.admin, "GET", "/api/v1/clients?search=-2");
    expect(ids(searched.body.items)).toEqual(["a-2@node-a", "b-2@node-b"]);
    const local = await api(a.admin, "GET", "/api/v1/clients?scope=node");
    expect(ids(local.body.items)).toEqual(["a-1@node-a", "a-2@node-a", "a-3@node-a"]);
  });

  it("GET /api/v1/clients/{id} finds a client of node B through the session registry, with B's subscriptions", async () => {
    const r = await api(a.admin, "GET", "/api/v1/clients/b-2");
    expect([r.status, r.body.node, r.body.session.node, r.body.protocolVersion]).toEqual([
      200,
      "node-b",
      "node-b",
      5,
    ]);
    expect(r.body.subscriptions.map((s: { filter: string }) => s.filter)).toEqual(["from/b-2"]);
    expect((await api(a.admin, "GET", "/api/v1/clients/a-2")).body.node).toBe("node-a");
    expect((await api(a.admin, "GET", "/api/v1/clients/nobody")).status).toBe(404);
  });

  it("DELETE /api/v1/clients/{id} on node A kicks a client of node B (DISCONNECT Administrative action) and one of A", async () => {
    const onB = await connect(b, "kick-b");
    const onA = await connect(a, "kick-a");
    const heard = (c: MqttClient) =>
      new Promise<number | undefined>((resolve) =>
        c.once("disconnect", (p: IDisconnectPacket) => resolve(p.reasonCode)),
      );
    const [fromB, fromA] = [heard(onB), heard(onA)];
    expect((await api(a.admin, "DELETE", "/api/v1/clients/kick-b")).status).toBe(204);
    expect((await api(a.admin, "DELETE", "/api/v1/clients/kick-a?reason=ServerMoved")).status).toBe(204);
    // 0x98 Administrative action [MQTT-3.14.2-1: a server sends a reason code], 0x9D Server moved.
    expect(await fromB).toBe(0x98);
    expect(await fromA).toBe(0x9d);
    await until(async () => (await api(a.admin, "GET", "/api/v1/clients/kick-b")).status === 404);
    expect((await api(a.admin, "DELETE", "/api/v1/clients/kick-b")).status).toBe(404);
    // From node B's admin, a kick of node A's client works the same way.
    const again = await connect(a, "kick-a2");
    const fromA2 = heard(again);
    expect((await api(b.admin, "DELETE", "/api/v1/clients/kick-a2")).status).toBe(204);
    expect(await fromA2).toBe(0x98);
  });

  it("GET /api/v1/sessions holds the offline session node B keeps, next to the online ones", async () => {
    const c = await connect(b, "offline-b", { clean: false, properties: { sessionExpiryInterval: 300 } });
    await c.subscribeAsync("keep/#", { qos: 1 });
    await c.endAsync();
    await until(async () => {
      const r = await api(a.admin, "GET", "/api/v1/sessions?state=offline");
      return r.body.items.some((s: { clientId: string }) => s.clientId === "offline-b");
    });
    const offline = await api(a.admin, "GET", "/api/v1/sessions?state=offline");
    expect(ids(offline.body.items)).toEqual(["offline-b@node-b"]);
    const one = await api(a.admin, "GET", "/api/v1/sessions/offline-b");
    expect([
      one.body.node,
      one.body.online,
      one.body.subscriptions.map((s: { filter: string }) => s.filter),
    ]).toEqual(["node-b", false, ["keep/#"]]);
    const online = await api(a.admin, "GET", "/api/v1/sessions?state=online");
    expect(online.body.items.length).toBe(6);
  });

  it("/metrics of each node has its own series, every one labelled with its node id", async () => {
    for (const [node, nodeId] of [
      [a, "node-a"],
      [b, "node-b"],
    ] as const) {
      const r = await api(node.admin, "GET", "/metrics");
      const families = parsePrometheusTextFormat(r.text) as {
        name: string;
        metrics: { value?: string; labels?: Record<string, string> }[];
      }[];
      // Every sample line (the parser drops the labels of histogram lines: read those as text).
      const samples = r.text.split("\n").filter((line) => line !== "" && !line.startsWith("#"));
      expect(samples.length).toBeGreaterThan(50);
      expect(samples.filter((line) => !line.includes(`node="${nodeId}"`))).toEqual([]);
      const connections = families.find((f) => f.name === "amqtt_connections_total")!;
      expect(Number(connections.metrics[0]!.value)).toBeGreaterThanOrEqual(3);
    }
  });

  it("a live node that does not answer: named in missingNodes, no snapshot, and its client is 503 node_unavailable", async () => {
    ghost = new RedisClusterBus({ url: redis.url, keyPrefix, nodeId: "node-ghost", blockMs: 200, ...TIMING });
    // It renews its lease and reads its inbox, but no broker answers what arrives there.
    await ghost.start({ envelope: (_e, ack) => ack(), nodeUp() {}, nodeDown() {}, engineStatus() {} });
    await ghost.claimSession("ghost-client");
    await until(() => a.broker.cluster!.liveNodes().length === 3, 10_000, "the ghost node live on A");
    const nodes = await api(a.admin, "GET", "/api/v1/cluster/nodes");
    const g = nodes.body.items.find((n: { nodeId: string }) => n.nodeId === "node-ghost");
    expect(g.status).toBeNull();
    const list = await api(a.admin, "GET", "/api/v1/clients");
    expect(list.body.missingNodes).toEqual(["node-ghost"]);
    expect(list.body.items.length).toBe(6);
    const stats = (await api(a.admin, "GET", "/api/v1/stats")).body;
    expect([stats.nodes, stats.missingNodes, stats.connections.current]).toEqual([3, ["node-ghost"], 6]);
    const one = await api(a.admin, "GET", "/api/v1/clients/ghost-client");
    expect([one.status, one.body.error.code]).toEqual([503, "node_unavailable"]);
    const kick = await api(a.admin, "DELETE", "/api/v1/clients/ghost-client");
    expect(kick.status).toBe(503);
    await ghost.stop();
    await until(() => a.broker.cluster!.liveNodes().length === 2, 10_000, "the ghost gone");
    expect((await api(a.admin, "GET", "/api/v1/clients")).body.missingNodes).toEqual([]);
  }, 30_000);
});
