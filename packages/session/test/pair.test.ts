import { PacketType } from "@amqtt/codec";
import { describe, expect, it } from "vitest";
import { bytes, connected, versions } from "./helpers.js";

describe("pair()", () => {
  for (const version of versions) {
    it(`runs a whole flow with every write cut into single bytes at level ${version}`, () => {
      const p = connected(version, { pair: { chunkSize: 1 } });
      p.onClient((c, now) => c.subscribe([{ topicFilter: "a/#", qos: 2 }], now));
      p.onClient((c, now) => c.publish({ topic: "a/b", payload: bytes("hello"), qos: 2 }, now));
      p.onServer((s, now) => s.deliver({ topic: "a/b", payload: bytes("back"), qos: 1 }, now));
      p.onClient((c, now) => c.unsubscribe(["a/#"], now));
      p.onClient((c, now) => c.disconnect(now));
      expect(p.events("server", "message").map((m) => new TextDecoder().decode(m.payload))).toEqual([
        "hello",
      ]);
      expect(p.events("client", "message").map((m) => new TextDecoder().decode(m.payload))).toEqual(["back"]);
      expect(p.events("client", "unsubscribed")).toHaveLength(1);
      expect(p.events("server", "disconnected")).toMatchObject([{ initiator: "peer", reasonCode: 0 }]);
    });
  }

  it("delays writes with latency on the virtual clock", () => {
    const p = connected(5, { pair: { latencyMs: 50 } });
    expect(p.client.state).toBe("connecting");
    p.advance(50);
    expect(p.server.state).toBe("connected");
    expect(p.client.state).toBe("connecting");
    p.advance(50);
    expect(p.client.state).toBe("connected");
  });

  it("delivers a close to the other side as a transport close", () => {
    const p = connected(4);
    p.onServer((s, now) => s.disconnect(now));
    expect(p.transportClosed.client).toBe(true);
    expect(p.client.state).toBe("closed");
  });

  it("drops writes the drop hook picks", () => {
    const p = connected(4, { pair: { drop: (_from, packet) => packet.type === PacketType.PUBLISH } });
    p.onClient((c, now) => c.publish({ topic: "t", payload: bytes(""), qos: 0 }, now));
    expect(p.events("server", "message")).toHaveLength(0);
  });
});
