// The fencing rule of LeaseKeeper, checked without timers: validity is a
// reading of the monotonic clock against the local deadline, so a holder that
// stalled (no timer could run) finds its lease invalid when it runs again.
import { performance } from "node:perf_hooks";
import { silentLogger } from "@amqtt/broker";
import { describe, expect, it } from "vitest";
import { type BridgeLease, LeaseKeeper } from "../src/index.js";

const TTL_MS = 1000;

/** An engine that grants the first request to this node, then never answers again (a stalled engine). */
function stallingEngine() {
  const sent: number[] = [];
  let first = true;
  return {
    sent,
    engine: {
      nodeId: "node-a",
      acquireLease(_name: string, _ttl: number): Promise<BridgeLease> {
        sent.push(performance.now());
        if (!first) return new Promise<BridgeLease>(() => {});
        first = false;
        return Promise.resolve({ nodeId: "node-a", epoch: 1, info: undefined });
      },
    },
  };
}

describe("LeaseKeeper fencing", () => {
  it("counts a lease valid only until ttl minus a tenth after the request that took it, even when no timer ran", async () => {
    const { engine, sent } = stallingEngine();
    const events: string[] = [];
    const keeper = new LeaseKeeper(
      engine,
      "bridge:central",
      TTL_MS,
      { gained: (epoch) => events.push(`gained ${epoch}`), lost: () => events.push("lost") },
      () => "",
      silentLogger,
    );
    keeper.start();
    while (!events.includes("gained 1")) await new Promise((r) => setTimeout(r, 1));
    const sentAt = sent[0]!;
    expect(performance.now()).toBeLessThan(sentAt + TTL_MS * 0.9);
    expect(keeper.valid()).toBe(true);
    // Stall this thread past the local deadline: no timer of the keeper can run meanwhile.
    while (performance.now() < sentAt + TTL_MS * 0.9) {}
    // The engine would hand the lease to another node only at sentAt + TTL_MS or later.
    expect(keeper.valid()).toBe(false);
    await keeper.stop();
    expect(events).toEqual(["gained 1", "lost"]);
  });
});
