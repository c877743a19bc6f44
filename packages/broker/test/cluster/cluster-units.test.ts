import { type ClusterRoute, MemoryClusterBus, MemoryClusterEngine } from "@amqtt/cluster";
import { describe, expect, it } from "vitest";
import { emptyClusterCounters } from "../../src/cluster/cluster-stats.js";
import { SeenEnvelopes } from "../../src/cluster/dedupe.js";
import {
  decodeControl,
  decodeDelivery,
  deliverFrames,
  EnvelopeFormatError,
  encodeBatch,
  encodeControl,
  encodeMessage,
  frameDelivery,
  relayFrame,
} from "../../src/cluster/envelopes.js";
import { Forwarder } from "../../src/cluster/forwarder.js";
import { RemoteWills } from "../../src/cluster/remote-wills.js";
import { TouchedTopics } from "../../src/cluster/retained-sync.js";
import { RoutedTree } from "../../src/cluster/routes.js";
import { MAX_BATCH_FRAMES, SendBatches } from "../../src/cluster/send-batches.js";
import { until } from "../harness/wait.js";

const bytes = (s: string) => new TextEncoder().encode(s);

describe("deliver envelopes", () => {
  it("carry topic, payload, QoS, retain, properties (bytes included) and the publisher, per node scope", () => {
    const message = encodeMessage({
      topic: "a/b",
      payload: bytes("hello"),
      qos: 1,
      retain: true,
      properties: { correlationData: bytes("c1"), userProperties: [["k", "v"]], messageExpiryInterval: 30 },
      publisher: { clientId: "pub", username: "alice", protocolVersion: 5 },
    });
    const one = decodeDelivery(frameDelivery(message, true, { to: "b", ordinary: true, groups: [] }));
    expect(one.scope).toEqual({ to: "b", ordinary: true, groups: [] });
    expect(new TextDecoder().decode(one.message.payload)).toBe("hello");
    expect(one.message).toMatchObject({
      topic: "a/b",
      qos: 1,
      retain: true,
      publisher: { clientId: "pub", username: "alice", protocolVersion: 5 },
    });
    expect(one.message.properties?.correlationData).toEqual(bytes("c1"));
    expect(one.message.properties?.userProperties).toEqual([["k", "v"]]);
    const two = decodeDelivery(
      frameDelivery(message, false, { to: "c", ordinary: false, groups: ["g\u0000a/#"] }),
    );
    expect(two.scope).toEqual({ to: "c", ordinary: false, groups: ["g\u0000a/#"] });
    expect(two.message.retain).toBe(false);
  });

  it("relayed by a dead node's adopter: the same message for that node's sessions, not retained, no groups", () => {
    const message = encodeMessage({
      topic: "a/b",
      payload: bytes("left behind"),
      qos: 1,
      retain: true,
      properties: undefined,
      publisher: { clientId: "pub", username: undefined, protocolVersion: 4 },
    });
    const adopted = frameDelivery(message, true, { to: "dead", ordinary: true, groups: ["g\u0000a/#"] });
    const relayed = decodeDelivery(relayFrame(adopted, "dead"));
    expect(relayed.scope).toEqual({ to: "dead", ordinary: true, groups: [], relayed: true });
    expect(relayed.message).toMatchObject({
      topic: "a/b",
      qos: 1,
      retain: false,
      publisher: { clientId: "pub" },
    });
    expect(new TextDecoder().decode(relayed.message.payload)).toBe("left behind");
    expect(() => relayFrame(bytes("junk"), "dead")).toThrow(EnvelopeFormatError);
  });

  it("without a publisher (the broker's own messages) and with an empty payload", () => {
    const m = encodeMessage({
      topic: "t",
      payload: new Uint8Array(0),
      qos: 0,
      retain: false,
      properties: undefined,
      publisher: undefined,
    });
    const d = decodeDelivery(frameDelivery(m, false, { to: "x", ordinary: true, groups: [] }));
    expect(d.message.publisher).toBeUndefined();
    expect(d.message.payload.length).toBe(0);
  });

  it("refuse damaged bodies with EnvelopeFormatError", () => {
    expect(() => decodeDelivery(new Uint8Array([9, 0, 0, 0, 0, 0, 0, 0, 0, 0]))).toThrow(EnvelopeFormatError);
    const good = frameDelivery(
      encodeMessage({
        topic: "t",
        payload: bytes("p"),
        qos: 0,
        retain: false,
        properties: undefined,
        publisher: undefined,
      }),
      false,
      { to: "x", ordinary: true, groups: [] },
    );
    expect(() => decodeDelivery(good.subarray(0, 12))).toThrow(EnvelopeFormatError);
    expect(() => decodeControl(bytes("not json"))).toThrow(EnvelopeFormatError);
    expect(() => decodeControl(bytes("{}"))).toThrow(EnvelopeFormatError);
  });

  it("control messages round-trip with bytes", () => {
    const will = { topic: "w", payload: bytes("bye"), qos: 1 as const, retain: false };
    expect(decodeControl(encodeControl({ type: "will", clientId: "c", will }))).toEqual({
      type: "will",
      clientId: "c",
      will,
    });
  });
});

describe("SeenEnvelopes", () => {
  it("answers false for an id seen before, per sender", () => {
    const seen = new SeenEnvelopes(10);
    expect(seen.firstTime("a", "1")).toBe(true);
    expect(seen.firstTime("a", "1")).toBe(false);
    expect(seen.firstTime("b", "1")).toBe(true);
  });

  it("is bounded: it remembers the newest `capacity` ids and forgets the oldest first", () => {
    const seen = new SeenEnvelopes(3);
    for (const id of ["1", "2", "3", "4"]) seen.firstTime("a", id);
    expect(seen.size).toBe(3);
    expect(seen.firstTime("a", "4")).toBe(false);
    expect(seen.firstTime("a", "1")).toBe(true); // forgotten
    expect(seen.size).toBe(3);
    expect(new SeenEnvelopes().capacity).toBe(50_000);
    expect(() => new SeenEnvelopes(0)).toThrow(RangeError);
  });
});

describe("RemoteWills", () => {
  const will = { topic: "w", payload: bytes("x"), qos: 0 as const, retain: false };

  it("keeps wills per node, forgets cleared ones, gives a dead node's wills once", () => {
    const wills = new RemoteWills();
    wills.set("a", "c1", will);
    wills.set("a", "c2", will);
    wills.set("b", "c3", will);
    wills.set("a", "c2", undefined);
    expect(wills.size).toBe(2);
    expect(wills.take("a")).toEqual([will]);
    expect(wills.take("a")).toEqual([]);
    expect(wills.size).toBe(1);
  });

  it("is bounded and counts what it refused", () => {
    const wills = new RemoteWills(2);
    wills.set("a", "c1", will);
    wills.set("a", "c2", will);
    wills.set("a", "c3", will);
    wills.set("a", "c1", { ...will, topic: "replaced" });
    expect(wills.size).toBe(2);
    expect(wills.refused).toBe(1);
    expect(wills.take("a").map((w) => w.topic)).toEqual(["replaced", "w"]);
  });
});

describe("RoutedTree", () => {
  it("announces a route on its first local subscription and withdraws it with its last, shared groups too", () => {
    const log: string[] = [];
    const show = (r: ClusterRoute) => (r.group === undefined ? r.filter : `${r.group}|${r.filter}`);
    const tree = new RoutedTree<number>({
      added: (r) => log.push(`+${show(r)}`),
      removed: (r) => log.push(`-${show(r)}`),
    });
    tree.add("a/#", "c1", 1);
    tree.add("a/#", "c2", 1);
    tree.add("a/#", "c1", 2); // replaces: no new route
    tree.add("$share/g/a/#", "c3", 1);
    tree.add("$share/g/a/#", "c4", 1);
    tree.remove("a/#", "c1");
    tree.remove("a/#", "nobody");
    expect(log).toEqual(["+a/#", "+g|a/#"]);
    expect(tree.hasRoute({ filter: "a/#", group: undefined })).toBe(true);
    tree.remove("a/#", "c2");
    tree.remove("$share/g/a/#", "c3");
    tree.remove("$share/g/a/#", "c4");
    expect(log).toEqual(["+a/#", "+g|a/#", "-a/#", "-g|a/#"]);
    expect(tree.routes()).toEqual([]);
    expect(tree.match("a/b").subscriptions).toEqual([]);
  });
});

describe("SendBatches", () => {
  it("sends one envelope per node per turn, bounded by MAX_BATCH_FRAMES, frames in order", async () => {
    const engine = new MemoryClusterEngine();
    const a = new MemoryClusterBus(engine, { nodeId: "a" });
    const b = new MemoryClusterBus(engine, { nodeId: "b" });
    const got: Uint8Array[][] = [];
    const events = { nodeUp() {}, nodeDown() {}, engineStatus() {} };
    await a.start({ ...events, envelope: (_e, ack) => ack() });
    await b.start({
      ...events,
      envelope: (e, ack) => {
        got.push(deliverFrames(e.body));
        ack();
      },
    });
    const batches = new SendBatches(a);
    const count = MAX_BATCH_FRAMES * 2 + 10;
    const sent = Array.from({ length: count }, (_, i) => batches.add("b", bytes(String(i))));
    await Promise.all(sent);
    await until(() => got.flat().length === count);
    expect(got.map((frames) => frames.length)).toEqual([MAX_BATCH_FRAMES, MAX_BATCH_FRAMES, 10]);
    expect(got.flat().map((f) => new TextDecoder().decode(f))).toEqual(
      Array.from({ length: count }, (_, i) => String(i)),
    );
    await a.stop();
    await b.stop();
  });

  it("rejects every frame of an envelope the engine did not take", async () => {
    const engine = new MemoryClusterEngine();
    const a = new MemoryClusterBus(engine, { nodeId: "a" });
    await a.start({ nodeUp() {}, nodeDown() {}, engineStatus() {}, envelope: (_e, ack) => ack() });
    engine.setAvailable(false);
    const batches = new SendBatches(a);
    const results = await Promise.allSettled([batches.add("b", bytes("1")), batches.add("b", bytes("2"))]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    engine.setAvailable(true);
    await a.stop();
  });

  it("encodeBatch and deliverFrames round-trip, and refuse a cut batch", () => {
    const frames = [bytes("one"), new Uint8Array(0), bytes("three")];
    expect(deliverFrames(encodeBatch(frames))).toEqual(frames);
    expect(() => deliverFrames(encodeBatch(frames).subarray(0, 9))).toThrow(EnvelopeFormatError);
  });
});

describe("Forwarder", () => {
  it("remembers at most maxRotations shared groups' turns", async () => {
    const engine = new MemoryClusterEngine();
    const a = new MemoryClusterBus(engine, { nodeId: "a" });
    const b = new MemoryClusterBus(engine, { nodeId: "b" });
    const events = {
      nodeUp() {},
      nodeDown() {},
      engineStatus() {},
      envelope: (_e: unknown, ack: () => void) => ack(),
    };
    await a.start(events);
    await b.start(events);
    for (let g = 0; g < 5; g++) await b.addRoute({ filter: "t", group: `g${g}` });
    const forwarder = new Forwarder(a, emptyClusterCounters(), () => undefined, 3);
    const message = { topic: "t", payload: bytes("x"), qos: 0 as const, retain: false };
    forwarder.forward(undefined, message, []);
    expect(forwarder.rotations).toBeLessThanOrEqual(3);
    for (let i = 0; i < 4; i++) forwarder.forward(undefined, message, []);
    expect(forwarder.rotations).toBeLessThanOrEqual(3);
    expect(new Forwarder(a, emptyClusterCounters(), () => undefined).rotations).toBe(0);
    await new Promise((r) => setImmediate(r));
    await a.stop();
    await b.stop();
  });
});

describe("TouchedTopics", () => {
  it("keeps the snapshot's message only for topics not updated since, and only while a sync is on", () => {
    const touched = new TouchedTopics(2);
    expect(touched.accepts("a")).toBe(false);
    touched.begin();
    touched.touch("a");
    expect(touched.accepts("a")).toBe(false);
    expect(touched.accepts("b")).toBe(true);
    touched.end();
    expect(touched.accepts("b")).toBe(false);
  });

  it("is bounded: past its capacity the sync gives up", () => {
    const touched = new TouchedTopics(2);
    touched.begin();
    for (const t of ["a", "b", "c"]) touched.touch(t);
    expect(touched.active).toBe(false);
    expect(touched.accepts("z")).toBe(false);
  });
});
