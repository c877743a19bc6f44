import { PacketType, ReasonCode } from "@amqtt/codec";
import { describe, expect, it } from "vitest";
import { bytes, connected, wire } from "./helpers.js";

describe("Maximum Packet Size", () => {
  it("drops a message larger than the client's maximum and reports it [MQTT-3.1.2-24] [MQTT-3.1.2-25]", () => {
    const p = connected(5, { client: { maximumPacketSize: 64 } });
    expect(p.packets("client")[0]).toMatchObject({ properties: { maximumPacketSize: 64 } });
    const out = p.onServer((s, now) => s.deliver({ topic: "t", payload: new Uint8Array(100), qos: 1 }, now));
    expect(out.map((a) => a.kind)).toEqual(["packetDropped", "publishDropped"]);
    expect(out[0]).toMatchObject({ size: 108, limit: 64 });
    expect(p.events("client", "message")).toHaveLength(0);
    p.onServer((s, now) => s.deliver({ topic: "t", payload: new Uint8Array(10), qos: 1 }, now));
    expect(p.events("client", "message")).toHaveLength(1);
    expect(p.server.state).toBe("connected");
  });

  it("never sends the server a packet over its maximum [MQTT-3.2.2-15]", () => {
    const p = connected(5, { server: { maximumPacketSize: 50 } });
    const out = p.onClient((c, now) => c.publish({ topic: "t", payload: new Uint8Array(60), qos: 0 }, now));
    expect(out.some((a) => a.kind === "send")).toBe(false);
    expect(out.map((a) => a.kind)).toContain("packetDropped");
  });

  it("sizes exactly when properties are present", () => {
    const p = connected(5, { client: { maximumPacketSize: 40 } });
    const big = { userProperties: [["k", "v".repeat(40)]] as [string, string][] };
    const out = p.onServer((s, now) =>
      s.deliver({ topic: "t", payload: bytes("x"), qos: 0, properties: big }, now),
    );
    expect(out.map((a) => a.kind)).toEqual(["packetDropped", "publishDropped"]);
  });

  it("strips the Reason String from an acknowledgement rather than dropping it [MQTT-3.2.2-19]", () => {
    const reasonString = "r".repeat(100);
    const p = connected(5, {
      client: { maximumPacketSize: 40 },
      pair: {
        shell: { onSubscribe: (r, s, now) => s.answerSubscribe(r.packetId, [0], now, { reasonString }) },
      },
    });
    p.onClient((c, now) => c.subscribe([{ topicFilter: "a", qos: 0 }], now));
    expect(p.packets("server").at(-1)).toEqual({
      type: PacketType.SUBACK,
      packetId: 1,
      reasonCodes: [0],
      properties: {},
    });
    expect(p.events("client", "subscribed")).toHaveLength(1);
  });

  it("sends no Reason String on acknowledgements when Request Problem Information is 0 [MQTT-3.1.2-29]", () => {
    const answer = {
      onSubscribe: (r: { packetId: number }, s: import("../src/index.js").ServerSession, now: number) =>
        s.answerSubscribe(r.packetId, [0], now, { reasonString: "why" }),
    };
    const quiet = connected(5, {
      connect: { clientId: "c", keepAlive: 0, properties: { requestProblemInformation: 0 } },
      pair: { shell: answer },
    });
    quiet.onClient((c, now) => c.subscribe([{ topicFilter: "a", qos: 0 }], now));
    expect(quiet.packets("server").at(-1)).not.toHaveProperty("properties.reasonString");
    const chatty = connected(5, { pair: { shell: answer } });
    chatty.onClient((c, now) => c.subscribe([{ topicFilter: "a", qos: 0 }], now));
    expect(chatty.packets("server").at(-1)).toHaveProperty("properties.reasonString", "why");
  });

  for (const version of [4, 5] as const) {
    it(`refuses an inbound packet over our maximum at level ${version} (5.0: DISCONNECT 0x95)`, () => {
      const p = connected(version, { server: { maximumPacketSize: 100 } });
      const out = p.inject(
        "server",
        wire(
          {
            type: PacketType.PUBLISH,
            topic: "t",
            payload: new Uint8Array(200),
            qos: 0,
            retain: false,
            dup: false,
          },
          version,
        ),
      );
      expect(out.find((a) => a.kind === "protocolError")).toMatchObject({
        error: { reasonCode: ReasonCode.PACKET_TOO_LARGE },
      });
      const sent = out.flatMap((a) => (a.kind === "send" ? [a.packet] : []));
      expect(sent).toEqual(
        version === 5 ? [{ type: PacketType.DISCONNECT, reasonCode: ReasonCode.PACKET_TOO_LARGE }] : [],
      );
      expect(p.server.state).toBe("closed");
    });
  }
});
