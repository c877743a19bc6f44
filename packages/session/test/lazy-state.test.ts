import { PacketType } from "@amqtt/codec";
import { describe, expect, it } from "vitest";
import { ClientSession, type ServerSession } from "../src/index.js";
import type { PublishFlow } from "../src/publish-flow.js";
import type { ServerSubscriptions } from "../src/subscriptions.js";
import { bytes, connected, versions } from "./helpers.js";

// The per-connection state a broker holds for an idle client is what bounds its
// memory per connection, so these tests look inside the machine.
function insides(server: ServerSession): { flow: PublishFlow; subs: ServerSubscriptions } {
  return server as unknown as { flow: PublishFlow; subs: ServerSubscriptions };
}

describe("state made on first use", () => {
  for (const version of versions) {
    it(`an idle subscriber at level ${version} holds no QoS machines, packet ids or request maps`, () => {
      const p = connected(version, { server: { answerPublishes: true } });
      p.onClient((c, now) => c.subscribe([{ topicFilter: "a/#", qos: 0 }], now));
      expect(p.events("client", "subscribed")).toHaveLength(1);
      const { flow, subs } = insides(p.server);
      expect(flow.allocated).toEqual({ sender: false, receiver: false, packetIds: false, requests: false });
      expect(subs.holdsRequestMaps).toBe(false);
      expect(subs.pendingCount).toBe(0);
    });
  }

  it("a server that does not track subscriptions holds no granted map, and one that does makes it at the first grant", () => {
    const untracked = connected(4, { server: { trackSubscriptions: false } });
    untracked.onClient((c, now) => c.subscribe([{ topicFilter: "a/#", qos: 1 }], now));
    expect(untracked.events("client", "subscribed")).toHaveLength(1);
    expect(insides(untracked.server).subs.holdsGrantedMap).toBe(false);
    expect(untracked.server.subscriptions.size).toBe(0);
    const tracked = connected(4);
    expect(insides(tracked.server).subs.holdsGrantedMap).toBe(false);
    tracked.onClient((c, now) => c.subscribe([{ topicFilter: "a/#", qos: 1 }], now));
    expect(insides(tracked.server).subs.holdsGrantedMap).toBe(true);
    expect([...tracked.server.subscriptions.keys()]).toEqual(["a/#"]);
    // The filter is no longer granted after its UNSUBACK.
    tracked.onClient((c, now) => c.unsubscribe(["a/#"], now));
    expect(tracked.server.subscriptions.size).toBe(0);
  });

  it("makes the sender at the first QoS 1 delivery, with the window of the peer's Receive Maximum", () => {
    const p = connected(5, {
      client: { receiveMaximum: 3 },
      pair: { drop: (from, packet) => from === "client" && packet.type === PacketType.PUBACK },
    });
    const { flow } = insides(p.server);
    p.onServer((s, now) => s.deliver({ topic: "t", payload: bytes("0"), qos: 0 }, now));
    expect(flow.allocated.sender).toBe(false);
    for (let i = 0; i < 5; i++)
      p.onServer((s, now) => s.deliver({ topic: "t", payload: bytes(`${i}`), qos: 1 }, now));
    expect(flow.allocated.sender).toBe(true);
    // Section 4.9: never more unacknowledged PUBLISH packets than the client's Receive Maximum.
    expect(p.packets("server").filter((x) => x.type === PacketType.PUBLISH && x.qos === 1)).toHaveLength(3);
  });

  it("a server that does not track subscriptions lets its subscription bookkeeping go once its SUBSCRIBE and UNSUBSCRIBE are answered", () => {
    const p = connected(4, { server: { trackSubscriptions: false } });
    const made = () => (p.server as unknown as { subsMade: ServerSubscriptions | undefined }).subsMade;
    expect(made()).toBeUndefined();
    p.onClient((c, now) => c.subscribe([{ topicFilter: "a", qos: 1 }], now));
    expect(p.events("client", "subscribed")).toHaveLength(1);
    expect(made()).toBeUndefined();
    p.onClient((c, now) => c.unsubscribe(["a"], now));
    expect(p.events("client", "unsubscribed")).toHaveLength(1);
    expect(made()).toBeUndefined();
    // A tracking server keeps it: it holds the granted subscription.
    const tracked = connected(4);
    tracked.onClient((c, now) => c.subscribe([{ topicFilter: "a", qos: 1 }], now));
    expect(
      (tracked.server as unknown as { subsMade: ServerSubscriptions | undefined }).subsMade,
    ).toBeDefined();
  });

  it("frees the request maps once every SUBSCRIBE and UNSUBSCRIBE is answered", () => {
    const p = connected(4);
    p.onClient((c, now) => c.subscribe([{ topicFilter: "a", qos: 1 }], now));
    p.onClient((c, now) => c.unsubscribe(["a"], now));
    expect(p.events("client", "unsubscribed")).toHaveLength(1);
    expect(insides(p.server).subs.holdsRequestMaps).toBe(false);
  });

  it("still refuses bad QoS options when the session is made, not at first use", () => {
    expect(() => new ClientSession({ maxInFlight: 0 })).toThrow(RangeError);
    expect(() => new ClientSession({ protocolVersion: 5, receiveMaximum: 70_000 })).toThrow(RangeError);
  });
});
