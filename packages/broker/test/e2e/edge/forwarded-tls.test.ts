import { certs } from "@amqtt/test-utils";
import { dialProxied } from "@amqtt/test-utils/proxy";
import { describe, expect, it } from "vitest";
import type { ClientInfo } from "../../../src/index.js";
import { mqttClient, startBroker, tlsListener, until } from "../tcp.js";
import { mqttOver, startHaproxy } from "./helpers.js";

describe("the real client address on WebSocket and TLS listeners", () => {
  it("takes X-Forwarded-For over WebSocket from a trusted proxy only (trusted_proxies)", async () => {
    const { broker } = await startBroker({
      listeners: {
        default: { type: "tcp", bind: "127.0.0.1:0" },
        trusting: { type: "ws", bind: "127.0.0.1:0", trusted_proxies: ["127.0.0.1"] },
        distrusting: { type: "ws", bind: "127.0.0.1:0", trusted_proxies: ["10.0.0.0/8"] },
      },
    });
    const seen = new Map<string, ClientInfo>();
    broker.on("clientConnected", (info) => seen.set(info.clientId, info));
    const port = (name: string) => broker.addresses().find((a) => a.name === name)!.port;
    const headers = { "x-forwarded-for": "198.51.100.77" };
    await mqttClient(`ws://127.0.0.1:${port("trusting")}/`, {
      clientId: "ws-trusted",
      wsOptions: { headers },
    });
    await mqttClient(`ws://127.0.0.1:${port("distrusting")}/`, {
      clientId: "ws-untrusted",
      wsOptions: { headers },
    });
    await until(() => seen.size === 2);
    expect(seen.get("ws-trusted")!.remoteHost).toBe("198.51.100.77");
    expect(seen.get("ws-untrusted")!.remoteHost).toBe("127.0.0.1");
  });

  it("reads the PROXY v2 header of HAProxy before the TLS handshake on a TLS listener", async () => {
    const { broker, port } = await startBroker({
      listeners: {
        default: tlsListener({ proxy_protocol: true, proxy_trusted: ["127.0.0.1"] }),
      },
    });
    const seen: ClientInfo[] = [];
    broker.on("clientConnected", (info) => seen.push(info));
    const proxy = await startHaproxy(port);
    // HAProxy in TCP mode passes the TLS bytes through after its header.
    const secure = await dialProxied(proxy.v2, {
      localAddress: "127.0.0.4",
      tls: { ca: certs.ca, servername: "localhost" },
    });
    await mqttOver(secure, { clientId: "tls-via-proxy" });
    await until(() => seen.length === 1);
    expect(seen[0]!.remoteAddress).toBe(`127.0.0.4:${secure.localPort}`);
  });
});
