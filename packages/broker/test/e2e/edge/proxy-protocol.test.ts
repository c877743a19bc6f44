import { proxyV2Header } from "@amqtt/test-utils/proxy";
import { describe, expect, it } from "vitest";
import type { ClientInfo } from "../../../src/index.js";
import { startBroker, until } from "../tcp.js";
import { mqttFrom, mqttOver, openSocket, startHaproxy } from "./helpers.js";

const text = (s: string) => new TextEncoder().encode(s);

/** A broker whose default TCP listener speaks the PROXY protocol, and what its clientConnected events saw. */
async function proxiedBroker(trusted: string[], plugins: Record<string, unknown> = { "anonymous-auth": {} }) {
  const { broker, port } = await startBroker({
    listeners: {
      default: { type: "tcp", bind: "127.0.0.1:0", proxy_protocol: true, proxy_trusted: trusted },
    },
    plugins: plugins as never,
  });
  const seen: ClientInfo[] = [];
  broker.on("clientConnected", (info) => seen.push(info));
  return { broker, port, seen };
}

describe("PROXY protocol on a broker listener (proxy_protocol, proxy_trusted)", () => {
  it("gives plugins and events the client of a hand-encoded v1 header", async () => {
    const { port, seen } = await proxiedBroker(["127.0.0.1"]);
    const socket = await openSocket(port, {
      header: text("PROXY TCP4 203.0.113.50 127.0.0.1 40001 1883\r\n"),
    });
    await mqttOver(socket, { clientId: "v1" });
    await until(() => seen.length === 1);
    expect(seen[0]!.remoteAddress).toBe("203.0.113.50:40001");
    expect(seen[0]!.remoteHost).toBe("203.0.113.50");
  });

  it("gives the client of a v2 header (IPv6)", async () => {
    const { port, seen } = await proxiedBroker(["127.0.0.0/8"]);
    const header = proxyV2Header({
      source: { host: "2001:db8::5", port: 40001 },
      destination: { host: "::1", port: 1883 },
    });
    await mqttOver(await openSocket(port, { header }), { clientId: "v2" });
    await until(() => seen.length === 1);
    expect(seen[0]!.remoteHost).toBe("2001:db8::5");
  });

  it("closes a connection from an untrusted address, and one with no header, before any CONNACK", async () => {
    const { broker, port, seen } = await proxiedBroker(["10.0.0.0/8"]);
    const untrusted = await openSocket(port, { header: text("PROXY TCP4 203.0.113.50 127.0.0.1 1 2\r\n") });
    await expect(mqttOver(untrusted, { clientId: "untrusted" })).rejects.toThrow();
    const trusted = await proxiedBroker(["127.0.0.1"]);
    await expect(mqttOver(await openSocket(trusted.port), { clientId: "no-header" })).rejects.toThrow();
    expect(seen).toHaveLength(0);
    expect(trusted.seen).toHaveLength(0);
    expect(broker.stats().clientsTotal).toBe(0);
  });

  it("behind Debian's HAProxy (send-proxy and send-proxy-v2) sees each client's own address and port", async () => {
    const { port, seen } = await proxiedBroker(["127.0.0.1"]);
    const proxy = await startHaproxy(port);
    // The clients connect from 127.0.0.2 and 127.0.0.3; HAProxy reaches the broker from 127.0.0.1.
    const a = await mqttFrom(proxy.v1, "127.0.0.2", { clientId: "via-v1" });
    const b = await mqttFrom(proxy.v2, "127.0.0.3", { clientId: "via-v2", protocolVersion: 5 });
    await until(() => seen.length === 2);
    const byId = new Map(seen.map((info) => [info.clientId, info.remoteAddress]));
    expect(byId.get("via-v1")).toBe(`127.0.0.2:${a.localPort}`);
    expect(byId.get("via-v2")).toBe(`127.0.0.3:${b.localPort}`);
    // Messages flow through the proxy both ways.
    await b.client.subscribeAsync("through/proxy");
    const got = new Promise<string>((resolve) => b.client.once("message", (_t, p) => resolve(p.toString())));
    await a.client.publishAsync("through/proxy", "hello", { qos: 1 });
    expect(await got).toBe("hello");
  });

  it("behind HAProxy with proxy-v2-options crc32c: the header's CRC32C is checked and the client seen", async () => {
    const { port, seen } = await proxiedBroker(["127.0.0.1"]);
    const proxy = await startHaproxy(port);
    const a = await mqttFrom(proxy.v2crc, "127.0.0.4", { clientId: "via-v2-crc", protocolVersion: 5 });
    await until(() => seen.length === 1);
    expect(seen[0]!.remoteAddress).toBe(`127.0.0.4:${a.localPort}`);
  });

  it("closes a v2 header whose CRC32C does not match before any CONNACK", async () => {
    const { broker, port, seen } = await proxiedBroker(["127.0.0.1"]);
    const header = () =>
      proxyV2Header({
        source: { host: "203.0.113.7", port: 40001 },
        destination: { host: "127.0.0.1", port: 1883 },
        crc32c: true,
      });
    await mqttOver(await openSocket(port, { header: header() }), { clientId: "intact" });
    // One bit of the source address flipped after the checksum was computed:
    // without the check it would pass as client 203.0.113.6.
    const corrupted = header();
    corrupted[16] = corrupted[16]! ^ 0x01;
    await expect(
      mqttOver(await openSocket(port, { header: corrupted }), { clientId: "corrupted" }),
    ).rejects.toThrow();
    expect(seen.map((info) => info.remoteHost)).toEqual(["203.0.113.7"]);
    expect(broker.stats().clientsTotal).toBe(1);
  });

  it("refuses HAProxy itself when it is not among the trusted proxies", async () => {
    const { port, seen } = await proxiedBroker(["192.0.2.0/24"]);
    const proxy = await startHaproxy(port);
    await expect(mqttFrom(proxy.v2, "127.0.0.2", { clientId: "refused" })).rejects.toThrow();
    expect(seen).toHaveLength(0);
  });

  it("applies an ACL pattern (%a) to the real address behind HAProxy", async () => {
    const { port } = await proxiedBroker(["127.0.0.1"], {
      "anonymous-auth": {},
      "topic-acl": { acl: { anonymous: ["clients/%a/#"] } },
    });
    const proxy = await startHaproxy(port);
    const { client } = await mqttFrom(proxy.v1, "127.0.0.2", { clientId: "acl" });
    const own = await client.subscribeAsync("clients/127.0.0.2/inbox");
    expect(own[0]!.qos).toBe(0);
    // SUBACK 0x80 Failure [MQTT-3.9.3-2]: the proxy's own address is not this client's.
    const refused = await client.subscribeAsync("clients/127.0.0.1/inbox").catch((e: unknown) => e);
    expect(refused).toHaveProperty("packet.granted", [128]);
  });
});
