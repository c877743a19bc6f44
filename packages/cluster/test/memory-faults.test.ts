import { describe, expect, it } from "vitest";
import { Recorder, waitFor } from "../src/conformance/index.js";
import { ClusterUnavailableError, MemoryClusterBus, MemoryClusterEngine } from "../src/index.js";

const bytes = (s: string) => new TextEncoder().encode(s);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function cluster(...ids: string[]) {
  const engine = new MemoryClusterEngine();
  const nodes = [];
  for (const nodeId of ids) {
    const bus = new MemoryClusterBus(engine, { nodeId });
    const events = new Recorder();
    await bus.start(events);
    nodes.push({ bus, events });
  }
  return { engine, nodes };
}

describe("MemoryClusterEngine fault injection", () => {
  it("duplicateNext stores an envelope twice with the same id", async () => {
    const { engine, nodes } = await cluster("a", "b");
    const [a, b] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
    b.events.autoAck = true;
    engine.duplicateNext("b");
    await a.bus.send("b", "deliver", bytes("once"));
    await a.bus.send("b", "deliver", bytes("next"));
    await waitFor("three deliveries", () => b.events.envelopes.length === 3, 1000);
    const [first, dup, next] = b.events.envelopes.map((r) => r.envelope);
    expect(dup?.id).toBe(first?.id);
    expect(next?.id).not.toBe(first?.id);
  });

  it("hold stops a node's deliveries, sends still land, release delivers them in order", async () => {
    const { engine, nodes } = await cluster("a", "b");
    const [a, b] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
    b.events.autoAck = true;
    engine.hold("b");
    await a.bus.send("b", "deliver", bytes("1"));
    await a.bus.send("b", "deliver", bytes("2"));
    await sleep(50);
    expect(b.events.envelopes).toHaveLength(0);
    expect(engine.inboxLength("b")).toBe(2);
    engine.release("b");
    await waitFor("two deliveries", () => b.events.envelopes.length === 2, 1000);
    expect(b.events.envelopes.map((r) => new TextDecoder().decode(r.envelope.body))).toEqual(["1", "2"]);
    await waitFor("acked", () => engine.inboxLength("b") === 0, 1000);
  });

  it("holdSends keeps sends unanswered and unstored; releaseSends stores them in order and answers them", async () => {
    const { engine, nodes } = await cluster("a", "b");
    const [a, b] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
    b.events.autoAck = true;
    engine.holdSends("b");
    let answered = 0;
    const sends = ["1", "2"].map((s) => a.bus.send("b", "deliver", bytes(s)).then(() => void answered++));
    await sleep(50);
    expect([answered, engine.inboxLength("b"), engine.heldSendCount("b")]).toEqual([0, 0, 2]);
    engine.releaseSends("b");
    await Promise.all(sends);
    expect(engine.heldSendCount("b")).toBe(0);
    await waitFor("two deliveries", () => b.events.envelopes.length === 2, 1000);
    expect(b.events.envelopes.map((r) => new TextDecoder().decode(r.envelope.body))).toEqual(["1", "2"]);
  });

  it("delayNextSend lets later sends overtake the delayed one until it is released", async () => {
    const { engine, nodes } = await cluster("a", "b");
    const [a, b] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
    b.events.autoAck = true;
    const release = engine.delayNextSend("b");
    const first = a.bus.send("b", "deliver", bytes("first"));
    await a.bus.send("b", "deliver", bytes("second"));
    await waitFor("one delivery", () => b.events.envelopes.length === 1, 1000);
    release();
    await first;
    await waitFor("two deliveries", () => b.events.envelopes.length === 2, 1000);
    expect(b.events.envelopes.map((r) => new TextDecoder().decode(r.envelope.body))).toEqual([
      "second",
      "first",
    ]);
  });

  it("expire tells the expired node too; it then refuses calls until stopped and started again", async () => {
    const { engine, nodes } = await cluster("a", "b");
    const [a, b] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
    engine.expire("b");
    await waitFor(
      "both see b down",
      () => a.events.downs.includes("b") && b.events.downs.includes("b"),
      1000,
    );
    expect(b.bus.status).toBe("down");
    await expect(b.bus.claimSession("c")).rejects.toBeInstanceOf(ClusterUnavailableError);
    await b.bus.stop();
    await b.bus.start(b.events);
    expect(b.bus.status).toBe("up");
    expect((await b.bus.claimSession("c")).ownership.nodeId).toBe("b");
  });

  it("a second running bus with the same node id is refused", async () => {
    const { engine } = await cluster("a");
    const twin = new MemoryClusterBus(engine, { nodeId: "a" });
    await expect(twin.start(new Recorder())).rejects.toBeInstanceOf(ClusterUnavailableError);
  });

  it("setAvailable(false) raises engineStatus down on every node, true raises up", async () => {
    const { engine, nodes } = await cluster("a", "b");
    engine.setAvailable(false);
    engine.setAvailable(true);
    await sleep(10);
    for (const n of nodes) expect(n.events.statuses).toEqual(["down", "up"]);
  });
});
