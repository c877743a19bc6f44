import { PacketType, ReasonCode } from "@amqtt/codec";
import { describe, expect, it } from "vitest";
import { connected } from "./helpers.js";

describe("keep-alive on the virtual clock", () => {
  it("sends PINGREQ after the keep alive with nothing sent and gets PINGRESP [MQTT-3.1.2-20]", () => {
    const p = connected(5, { connect: { clientId: "c1", keepAlive: 10 } });
    p.advance(9_999);
    expect(p.packets("client").filter((x) => x.type === PacketType.PINGREQ)).toHaveLength(0);
    p.advance(1);
    expect(p.packets("client").filter((x) => x.type === PacketType.PINGREQ)).toHaveLength(1);
    expect(p.packets("server").filter((x) => x.type === PacketType.PINGRESP)).toHaveLength(1);
    expect(p.events("client", "pong")).toHaveLength(1);
    p.advance(60_000);
    expect(p.client.state).toBe("connected");
    expect(p.server.state).toBe("connected");
    expect(p.packets("client").filter((x) => x.type === PacketType.PINGREQ)).toHaveLength(7);
  });

  it("does not ping while other packets keep the connection busy [MQTT-3.1.2-23]", () => {
    const p = connected(4, { connect: { clientId: "c1", keepAlive: 10 } });
    for (let i = 0; i < 5; i++) {
      p.advance(6_000);
      p.onClient((c, now) => c.publish({ topic: "t", payload: new Uint8Array([i]), qos: 0 }, now));
    }
    expect(p.packets("client").filter((x) => x.type === PacketType.PINGREQ)).toHaveLength(0);
  });

  it("closes the client when the PINGRESP does not come in time", () => {
    const p = connected(4, {
      connect: { clientId: "c1", keepAlive: 10 },
      client: { pingTimeoutMs: 3_000 },
      pair: { drop: (from, packet) => from === "server" && packet.type === PacketType.PINGRESP },
    });
    p.advance(10_000);
    expect(p.client.state).toBe("connected");
    p.advance(3_000);
    expect(p.events("client", "close")).toMatchObject([{ reason: "ping-timeout" }]);
    expect(p.client.state).toBe("closed");
  });

  for (const version of [4, 5] as const) {
    it(`closes a silent client after 1.5x the keep alive at level ${version} (5.0 with DISCONNECT 0x8D) [${version === 5 ? "MQTT-3.1.2-22" : "MQTT-3.1.2-24"}]`, () => {
      let silent = false;
      const p = connected(version, {
        connect: { clientId: "c1", keepAlive: 10 },
        pair: { drop: (from) => silent && from === "client" },
      });
      silent = true;
      p.advance(14_999);
      expect(p.server.state).toBe("connected");
      p.advance(1);
      expect(p.server.state).toBe("closed");
      const last = p.packets("server").at(-1);
      if (version === 5)
        expect(last).toEqual({ type: PacketType.DISCONNECT, reasonCode: ReasonCode.KEEP_ALIVE_TIMEOUT });
      else expect(last?.type).toBe(PacketType.CONNACK);
      expect(p.events("server", "close")).toMatchObject([{ reason: "keep-alive-timeout" }]);
    });
  }

  it("keeps the server timer from firing while packets arrive, re-arming for the remainder", () => {
    const p = connected(4, { connect: { clientId: "c1", keepAlive: 10 } });
    p.advance(200_000);
    expect(p.server.state).toBe("connected");
    // One timer set per check, not one per packet.
    expect(p.events("server", "setTimer").length).toBeLessThan(40);
  });

  it("uses the Server Keep Alive from CONNACK instead of its own [MQTT-3.1.2-21]", () => {
    const p = connected(5, { connect: { clientId: "c1", keepAlive: 100 }, server: { serverKeepAlive: 5 } });
    expect(p.events("client", "connected")[0]?.keepAlive).toBe(5);
    p.advance(5_000);
    expect(p.packets("client").filter((x) => x.type === PacketType.PINGREQ)).toHaveLength(1);
  });

  it("turns keep-alive off with 0", () => {
    const p = connected(5, { connect: { clientId: "c1", keepAlive: 0 } });
    p.advance(10_000_000);
    expect(p.packets("client").filter((x) => x.type === PacketType.PINGREQ)).toHaveLength(0);
    expect(p.server.state).toBe("connected");
  });

  it("answers a PINGREQ sent on demand", () => {
    const p = connected(3);
    p.onClient((c, now) => c.ping(now));
    expect(p.events("client", "pong")).toHaveLength(1);
  });
});
