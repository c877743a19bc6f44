import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { Recorder, waitFor } from "@amqtt/cluster/conformance";
import { bundleFixture } from "@amqtt/test-utils/crash";
import { seededRandom } from "@amqtt/test-utils/prng";
import { type RedisServer, startRedis } from "@amqtt/test-utils/redis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { RedisClusterBus } from "../src/index.js";
import { TEST_TIMING } from "./harness.js";

// A node process SIGKILLed while envelopes stream to it: the survivor sees it
// down by lease expiry, adopts it once, gets its sessions, and adoptInbox hands
// over every envelope the dead node did not acknowledge, so each envelope sent
// was acknowledged by the victim or reaches the adopter (at-least-once; an ack
// the victim made but never flushed shows up at both). Seeds pick the kill point.
const packageDir = join(import.meta.dirname, "..");
const victimScript = join(packageDir, "node_modules", ".cache", "cluster-redis-tests", "victim-node.mjs");
const SEEDS = [11, 12, 13];
/** The kill point is drawn among the first this many envelopes. */
const ENVELOPES = 60;

let redis: RedisServer;
let child: ChildProcess | undefined;
const buses: RedisClusterBus[] = [];
beforeAll(async () => {
  await bundleFixture(join(packageDir, "test", "fixtures", "victim-node.ts"), victimScript);
  redis = await startRedis();
}, 30_000);
afterEach(async () => {
  if (child?.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  for (const b of buses.splice(0)) await b.stop();
});
afterAll(async () => {
  await redis?.stop();
});

describe("a node process SIGKILLed mid-stream", () => {
  for (const seed of SEEDS)
    it(`is declared down once, adopted once, and no envelope is lost (seed ${seed})`, async () => {
      const random = seededRandom(seed);
      const killAfter = 5 + Math.floor(random() * (ENVELOPES - 10));
      const keyPrefix = `sigkill-${seed}:`;
      const survivor = new RedisClusterBus({
        nodeId: "survivor",
        url: redis.url,
        keyPrefix,
        ...TEST_TIMING,
        blockMs: 200,
      });
      buses.push(survivor);
      const events = new Recorder();
      await survivor.start(events);
      const victim = spawn(
        process.execPath,
        [
          victimScript,
          redis.url,
          keyPrefix,
          String(TEST_TIMING.leaseMs),
          String(TEST_TIMING.requestTimeoutMs),
        ],
        { stdio: ["ignore", "pipe", "pipe"] },
      );
      child = victim;
      /** Ids the victim processed (printed before its ack). */
      const acked: string[] = [];
      let ready = false;
      let killed = false;
      let stderr = "";
      victim.stderr?.on("data", (d: Buffer) => {
        stderr += d.toString();
      });
      let pending = "";
      victim.stdout?.on("data", (d: Buffer) => {
        pending += d.toString();
        const lines = pending.split("\n");
        pending = lines.pop() ?? "";
        for (const line of lines) {
          if (line === "ready") ready = true;
          else if (line.startsWith("got ")) acked.push(line.slice(4));
          if (acked.length >= killAfter && !killed) {
            killed = true;
            victim.kill("SIGKILL");
          }
        }
      });
      await waitFor(`the victim ready (${stderr})`, () => ready, 10_000);
      await waitFor("the victim's route", () => survivor.match("victim/x").nodes.has("victim"), 5_000);
      // Stream envelopes until the victim is dead (its inbox keeps what it missed).
      // Stream until the victim is dead, then a few more: those wait in its inbox.
      let sent = 0;
      let afterDeath = 0;
      while (afterDeath < 5) {
        if (sent >= ENVELOPES * 10) throw new Error(`the victim was not killed (${stderr})`);
        await survivor.send("victim", "deliver", new TextEncoder().encode(`m${sent++}`));
        if (killed) afterDeath++;
      }
      await waitFor("the victim dead", () => victim.signalCode === "SIGKILL", 10_000);
      await waitFor("victim down", () => events.downs.includes("victim"), TEST_TIMING.leaseMs * 4);
      expect(await survivor.adoptNode("victim")).toBe(true);
      expect(await survivor.adoptNode("victim")).toBe(false);
      expect([...(await survivor.sessionsOwnedBy("victim"))].sort()).toEqual(["v1", "v2"]);
      expect(survivor.match("victim/x").nodes.size).toBe(0);
      events.autoAck = true;
      const moved = await survivor.adoptInbox("victim");
      // Killed mid-stream: at least the envelopes sent after its death were left in its inbox.
      expect(moved).toBeGreaterThanOrEqual(5);
      await waitFor("the adopted envelopes", () => events.envelopes.length === moved, 5_000);
      for (const r of events.envelopes) expect(r.envelope.from).toBe("survivor");
      // Every envelope (ids are unique per sender): acknowledged by the victim, or handed to the adopter.
      const reached = new Set([...acked, ...events.envelopes.map((r) => r.envelope.id)]);
      expect(reached.size).toBe(sent);
      expect(acked.length).toBeGreaterThanOrEqual(killAfter);
      expect(events.downs.filter((d) => d === "victim")).toHaveLength(1);
    }, 30_000);
});
