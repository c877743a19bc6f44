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

/** A call ended by a deadline: ioredis's command timeout or the bus's own, both `requestTimeoutMs`. */
const DEADLINE = new RegExp(`Command timed out|no answer within ${TEST_TIMING.requestTimeoutMs} ms`);

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
    await waitFor("before", () => b.events.envelopes.length === 1, 10_000);
    redis.signal("SIGSTOP");
    // The call's own deadline ends it (not a dropped connection, not the test's timeout).
    const stalled = await a.bus.claimSession("c").then(
      () => new Error("claimed with the engine stalled"),
      (e: unknown) => e,
    );
    expect(stalled).toBeInstanceOf(ClusterUnavailableError);
    expect((stalled as Error).message).toMatch(DEADLINE);
    await waitFor("a down", () => a.events.statuses.includes("down"), 10_000);
    await waitFor("b down", () => b.events.statuses.includes("down"), 10_000);
    expect(a.bus.status).toBe("down");
    redis.signal("SIGCONT");
    await waitFor("a up", () => a.events.statuses.at(-1) === "up", 10_000);
    await a.bus.send("b", "deliver", bytes("after"));
    await waitFor("after", () => b.events.envelopes.some((r) => text(r.envelope.body) === "after"), 10_000);
    expect(a.events.downs).toEqual([]);
  });

  it("calls in flight are bounded (maxPendingCalls): beyond it a call fails at once instead of queueing behind a stalled engine", async () => {
    const redis = await server(false);
    const a = await node(redis.url, "a", { maxPendingCalls: 5 });
    redis.signal("SIGSTOP");
    const settledOrder: number[] = [];
    const calls = Array.from({ length: 8 }, (_, i) =>
      a.bus.send("b", "deliver", bytes("x")).then(
        () => new Error("sent with the engine stalled"),
        (e: unknown) => {
          settledOrder.push(i);
          return e;
        },
      ),
    );
    const errors = await Promise.all(calls);
    for (const e of errors) expect((e as Error).name).toBe("ClusterUnavailableError");
    // The three beyond the bound fail at once, before any of the five waiting on the stalled engine.
    expect(settledOrder.slice(0, 3)).toEqual([5, 6, 7]);
    for (const i of [5, 6, 7]) expect((errors[i] as Error).message).toMatch(/maxPendingCalls/);
    for (const i of [0, 1, 2, 3, 4]) expect((errors[i] as Error).message).toMatch(DEADLINE);
    redis.signal("SIGCONT");
  });

  it("a redis-server restart with AOF keeps unacked envelopes, members, epochs and routes; no node is declared down", async () => {
    const redis = await server(true);
    const a = await node(redis.url, "a");
    const b = await node(redis.url, "b");
    const claim = await a.bus.claimSession("durable");
    await b.bus.addRoute({ filter: "kept/#", group: undefined });
    await waitFor("route", () => a.bus.match("kept/1").nodes.has("b"), 10_000);
    for (let i = 0; i < 5; i++) await a.bus.send("b", "deliver", bytes(`m${i}`));
    await waitFor("five", () => b.events.envelopes.length === 5, 10_000);
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
    await waitFor("four again", () => b2.events.envelopes.length === 4, 10_000);
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

  it("thousands of acks in one event-loop turn reach the engine (acks go in chunks) and empty the stream", async () => {
    const redis = await server(false);
    const a = await node(redis.url, "a");
    const b = await node(redis.url, "b", { maxUnackedEnvelopes: 12_000 });
    const held: (() => void)[] = [];
    b.events.envelope = (_e, ack) => {
      held.push(ack);
    };
    for (let i = 0; i < 9_000; i += 100)
      await Promise.all(
        Array.from({ length: 100 }, (_, k) => a.bus.send("b", "deliver", bytes(`m${i + k}`))),
      );
    await waitFor("9000 out", () => held.length === 9_000, 10_000);
    for (const ack of held) ack(); // one turn: one flush of 9000 ids
    await waitFor("the stream empty", () => cli(redis.port, "XLEN", "amqtt:{i:b}:inbox") === "0", 5_000);
    expect(cli(redis.port, "XPENDING", "amqtt:{i:b}:inbox", "node").split("\n")[0]).toBe("0");
  }, 30_000);

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
    await waitFor("ten out", () => b.events.envelopes.length === 10, 10_000);
    expect(cli(redis.port, "GET", "amqtt:{i:c}:limit")).toBe("100000");
    expect(c.bus.resolvedOptions.maxInboxEnvelopes).toBe(100_000);
  });
});
