import { describe, expect, it } from "vitest";
import type { BrokerOptions } from "../../src/index.js";
import { mosquitto, mosquittoArgs, mqtt5, OursClient, ours, startBroker, until } from "./harness.js";

// Server redirection (section 4.11): CONNACK or DISCONNECT with 0x9C / 0x9D and a Server Reference.

const redirecting = (code: number, serverReference: string): BrokerOptions => ({
  plugins: [{ name: "elsewhere", authenticate: () => ({ refuse: code, serverReference }) }],
});

const codes = [
  ["0x9C Use another server", 0x9c, "other.example:1883"],
  ["0x9D Server moved", 0x9d, "new.example:8883 [fe80::1]:1883"],
] as const;

describe("redirection at CONNECT", () => {
  it.each(codes)(
    "a plugin refusing with %s reaches our client with its Server Reference",
    async (_, code, ref) => {
      const { port } = await startBroker({}, redirecting(code, ref));
      const c = new OursClient(port);
      const refused = await c
        .connect({ clientId: "to-redirect" })
        .catch((e: { action: { reasonCode: number; serverReference?: string } }) => e.action);
      const end = refused as { reasonCode?: number; serverReference?: string };
      expect([end.reasonCode, end.serverReference]).toEqual([code, ref]);
    },
  );

  it.each(codes)(
    "a plugin refusing with %s reaches MQTT.js with its Server Reference",
    async (_, code, ref) => {
      const { url } = await startBroker({}, redirecting(code, ref));
      const error = await mqtt5(url, { clientId: "to-redirect" }).catch((e: { code?: number }) => e);
      expect((error as { code?: number }).code).toBe(code);
    },
  );

  it.each(codes)("mosquitto_pub refused with %s reports it and fails", async (_, code, ref) => {
    const { port } = await startBroker({}, redirecting(code, ref));
    const r = await mosquitto("mosquitto_pub", [...mosquittoArgs(port), "-t", "t", "-m", "m"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(code === 0x9c ? /use another server/i : /server moved/i);
  });
});

describe("redirection of a running session", () => {
  it.each(codes)(
    "broker.redirect sends our client DISCONNECT %s with the Server Reference",
    async (_, code, ref) => {
      const { broker, port } = await startBroker();
      const c = await ours(port, { clientId: "running-ours" });
      expect(broker.redirect("running-ours", ref, code === 0x9d)).toBe(true);
      const end = await c.ended();
      expect([end.initiator, end.reasonCode, end.serverReference]).toEqual(["peer", code, ref]);
    },
  );

  it.each(codes)(
    "broker.redirect sends MQTT.js DISCONNECT %s with the Server Reference",
    async (_, code, ref) => {
      const { broker, url } = await startBroker();
      const { client } = await mqtt5(url, { clientId: "running-mqttjs" });
      const packets: { reasonCode?: number; properties?: { serverReference?: string } }[] = [];
      client.on("disconnect", (p) => packets.push(p as never));
      expect(broker.redirect("running-mqttjs", ref, code === 0x9d)).toBe(true);
      await until(() => packets.length === 1);
      expect([packets[0]?.reasonCode, packets[0]?.properties?.serverReference]).toEqual([code, ref]);
    },
  );

  it("broker.redirect answers false for a client that is not connected", async () => {
    const { broker } = await startBroker();
    expect(broker.redirect("nobody", "x.example")).toBe(false);
  });
});
