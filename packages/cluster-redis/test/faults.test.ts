import { execFileSync } from "node:child_process";
import { ClusterUnavailableError } from "@amqtt/cluster";
import { Recorder, waitFor } from "@amqtt/cluster/conformance";
import { debianBinary } from "@amqtt/test-utils";
import { type RedisServer, startRedis } from "@amqtt/test-utils/redis";
import { afterEach, describe, expect, it } from "vitest";
import { RedisClusterBus, type RedisClusterBusOptions } from "../src/index.js";
import { TEST_TIMING } from "./harness.js";

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const cli = (port: number, ...args: string[]) =>
  execFileSync(debianBinary("redis-cli"), ["-p", String(port), ...args], { encoding: "utf8" }).trim();

let servers: RedisServer[] = [];
let buses: RedisClusterBus[] = [];
afterEach(async () => {
  for (const s of servers) s.signal("SIGCONT");
  for (const b of buses) await b.stop();
  for (const s of servers) await s.stop();
  servers = [];
  buses = [];
});

async function server(appendOnly: boolean): Promise<RedisServer> {
  const s = await startRedis({ appendOnly });
  servers.push(s);
  return s;
}

async function node(url: string, nodeId: string, extra: Partial<RedisClusterBusOptions> = {}) {
  const bus = new RedisClusterBus({ url, nodeId, ...TEST_TIMING, blockMs: 200, ...extra });
  buses.push(bus);
  const events = new Recorder();
  await bus.start(events);
  return { bus, events };
}

describe("RedisClusterBus faults on a real redis-server", () => {
  it("SIGSTOP of redis-server: status down, calls fail within requestTimeoutMs; SIGCONT: up, the stalled send's neighbours flow", async () => {
    const redis = await server(false);
    const a = await node(redis.url, "a");
    const b = await node(redis.url, "b");
    b.events.autoAck = true;
    await a.bus.send("b", "deliver", bytes("before"));
    await waitFor("before", () => b.events.envelopes.length === 1, 2000);
    redis.signal("SIGSTOP");
    const started = Date.now();
    await expect(a.bus.claimSession("c")).rejects.toBeInstanceOf(ClusterUnavailableError);
    expect(Date.now() - started).toBeLessThan(TEST_TIMING.requestTimeoutMs + 500);
    await waitFor("a down", () => a.events.statuses.includes("down"), 2000);
    await waitFor("b down", () => b.events.statuses.includes("down"), 2000);
    expect(a.bus.status).toBe("down");
    redis.signal("SIGCONT");
    await waitFor("a up", () => a.events.statuses.at(-1) === "up", 3000);
    await a.bus.send("b", "deliver", bytes("after"));
    await waitFor("after", () => b.events.envelopes.some((r) => text(r.envelope.body) === "after"), 3000);
    expect(a.events.downs).toEqual([]);
  });

  it("calls in flight are bounded (maxPendingCalls): beyond it a call fails at once instead of queueing behind a stalled engine", async () => {
    const redis = await server(false);
    const a = await node(redis.url, "a", { maxPendingCalls: 5 });
    redis.signal("SIGSTOP");
    const settled: number[] = [];
    const started = Date.now();
    const calls = Array.from({ length: 8 }, () =>
      a.bus.send("b", "deliver", bytes("x")).then(
        () => new Error("sent with the engine stalled"),
        (e: unknown) => {
          settled.push(Date.now() - started);
          return e;
        },
      ),
    );
    const errors = await Promise.all(calls);
    for (const e of errors) expect((e as Error).name).toBe("ClusterUnavailableError");
    const immediate = settled.filter((ms) => ms < TEST_TIMING.requestTimeoutMs / 2);
    expect(immediate).toHaveLength(3);
    expect(errors.filter((e) => /maxPendingCalls/.test((e as Error).message))).toHaveLength(3);
    redis.signal("SIGCONT");
  });

  it("a redis-server restart with AOF keeps unacked envelopes, members, epochs and routes; no node is declared down", async () => {
    const redis = await server(true);
    const a = await node(redis.url, "a");
    const b = await node(redis.url, "b");
    const claim = await a.bus.claimSession("durable");
    await b.bus.addRoute({ filter: "kept/#", group: undefined });
    await waitFor("route", () => a.bus.match("kept/1").nodes.has("b"), 2000);
    for (let i = 0; i < 5; i++) await a.bus.send("b", "deliver", bytes(`m${i}`));
    await waitFor("five", () => b.events.envelopes.length === 5, 2000);
    b.events.envelopes[0]?.ack();
    await sleep(100);
    await redis.restart();
    await waitFor("a up again", () => a.events.statuses.at(-1) === "up" && a.bus.status === "up", 5000);
    const again = await a.bus.claimSession("durable");
    expect(again.previous).toEqual(claim.ownership);
    await sleep(TEST_TIMING.leaseMs * 1.5);
    expect(a.events.downs).toEqual([]);
    expect(b.events.downs).toEqual([]);
    expect(a.bus.match("kept/1").nodes.has("b")).toBe(true);
    // b's next run gets the four it never acknowledged, from the replayed AOF.
    b.bus.crash();
    const b2 = await node(redis.url, "b");
    await waitFor("four again", () => b2.events.envelopes.length === 4, 3000);
    expect(b2.events.envelopes.map((r) => text(r.envelope.body))).toEqual(["m1", "m2", "m3", "m4"]);
    expect(b2.events.envelopes.map((r) => r.envelope.id)).toEqual(
      b.events.envelopes.slice(1).map((r) => r.envelope.id),
    );
  });

  it("a restart without persistence forgets the members: each node is told it lost its lease", async () => {
    const redis = await server(false);
    const a = await node(redis.url, "a");
    await redis.restart();
    await waitFor("a told", () => a.events.downs.includes("a"), 5000);
    expect(a.bus.status).toBe("down");
    await expect(a.bus.claimSession("x")).rejects.toBeInstanceOf(ClusterUnavailableError);
    await a.bus.stop();
    await a.bus.start(a.events);
    expect(a.bus.status).toBe("up");
    expect((await a.bus.claimSession("x")).ownership.nodeId).toBe("a");
  });

  it("the inbox bound holds on the server: the stream never exceeds maxInboxEnvelopes; the default bound is 100,000", async () => {
    const redis = await server(false);
    const a = await node(redis.url, "a");
    const b = await node(redis.url, "b", { maxInboxEnvelopes: 50, maxUnackedEnvelopes: 10 });
    const c = await node(redis.url, "c");
    const results = await Promise.allSettled(
      Array.from({ length: 80 }, (_, i) => a.bus.send("b", "deliver", bytes(`m${i}`))),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(50);
    const refused = results.filter((r) => r.status === "rejected");
    expect(refused).toHaveLength(30);
    for (const r of refused) expect((r as PromiseRejectedResult).reason.name).toBe("InboxFullError");
    expect(cli(redis.port, "XLEN", "amqtt:{i:b}:inbox")).toBe("50");
    await waitFor("ten out", () => b.events.envelopes.length === 10, 2000);
    expect(cli(redis.port, "GET", "amqtt:{i:c}:limit")).toBe("100000");
    expect(c.bus.resolvedOptions.maxInboxEnvelopes).toBe(100_000);
  });
});
