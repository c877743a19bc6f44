import { connect } from "node:net";
import { certs, freePort } from "@amqtt/test-utils";
import { startHaproxy } from "@amqtt/test-utils/haproxy";
import { dialProxied, PROXY_V2_SIGNATURE, proxyV2Header } from "@amqtt/test-utils/proxy";
import {
  type AddressInfo,
  type Connection,
  type ProxyProtocolError,
  proxyTlvs,
  type UntrustedProxyError,
} from "@amqtt/transport";
import { afterEach, describe, expect, it } from "vitest";
import { listenTcp, type ProxyProtocolOptions, type TcpConnection, type TcpListener } from "../src/index.js";
import { dialWithHeader } from "./proxy-dial.js";

const listeners: TcpListener[] = [];
const connections: Connection[] = [];
afterEach(async () => {
  for (const c of connections.splice(0)) c.abort();
  await Promise.all(listeners.splice(0).map((l) => l.close()));
});

const v1 = (line: string) => new TextEncoder().encode(line);

/** A v2 header with a CRC32C TLV, then one bit of its source address flipped. */
function corruptedCrcHeader(): Uint8Array {
  const header = proxyV2Header({
    source: { host: "192.0.2.1", port: 1 },
    destination: { host: "127.0.0.1", port: 2 },
    crc32c: true,
  });
  header[19] = header[19]! ^ 0x04;
  return header;
}

async function proxyListener(proxy: Partial<ProxyProtocolOptions> = {}, tls = false) {
  const accepted: TcpConnection[] = [];
  const refused: { error: UntrustedProxyError | ProxyProtocolError; peer: AddressInfo }[] = [];
  const listener = await listenTcp({
    host: "127.0.0.1",
    port: 0,
    ...(tls ? { tls: { ...certs.server } } : {}),
    proxyProtocol: {
      trusted: ["127.0.0.1"],
      onRefused: (error, peer) => refused.push({ error, peer }),
      ...proxy,
    },
    onConnection: (c) => {
      connections.push(c);
      accepted.push(c as TcpConnection);
    },
  });
  listeners.push(listener);
  return { listener, port: listener.address().port!, accepted, refused };
}

/** Resolves when a raw socket that wrote `bytes` is closed by the server (true), false if data came back. */
function closedAfter(port: number, bytes: Uint8Array): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port }, () => socket.write(bytes));
    socket.on("data", () => resolve(false));
    socket.on("error", () => {});
    socket.on("close", () => resolve(true));
  });
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(check()).toBe(true);
}

describe("PROXY protocol on TCP and TLS listeners", () => {
  it("reports the client of a v1 header as remoteAddress, and the proxy in proxied", async () => {
    const { port, accepted } = await proxyListener();
    const client = await dialWithHeader(port, v1("PROXY TCP4 203.0.113.9 127.0.0.1 51000 1883\r\n"));
    connections.push(client);
    client.send(new Uint8Array([0xc0, 0x00]));
    await until(() => accepted.length === 1);
    const server = accepted[0]!;
    expect(server.remoteAddress).toEqual({
      transport: "tcp",
      host: "203.0.113.9",
      port: 51000,
      family: "IPv4",
    });
    expect(server.proxied?.proxyAddress.host).toBe("127.0.0.1");
    expect(server.proxied?.header.version).toBe(1);
    // The bytes after the header are the client's, untouched.
    const chunk = await server[Symbol.asyncIterator]().next();
    expect([...(chunk.value as Uint8Array)]).toEqual([0xc0, 0x00]);
  });

  it("reads a v2 header before the TLS handshake and reports its IPv6 client", async () => {
    const { port, accepted } = await proxyListener({}, true);
    const header = proxyV2Header({
      source: { host: "2001:db8::42", port: 8080 },
      destination: { host: "::1", port: 8883 },
    });
    const client = await dialWithHeader(port, header, {}, { ca: certs.ca, servername: "localhost" });
    connections.push(client);
    await until(() => accepted.length === 1);
    expect(accepted[0]!.remoteAddress).toMatchObject({ transport: "tls", host: "2001:db8::42", port: 8080 });
    expect(accepted[0]!.tls?.protocol).toMatch(/^TLS/);
  });

  it("checks the CRC32C TLV of a header from HAProxy (proxy-v2-options crc32c) and keeps the TLV", async () => {
    const { port, accepted, refused } = await proxyListener();
    const front = await freePort();
    const haproxy = await startHaproxy({
      ports: [front],
      config: [
        "defaults",
        "  mode tcp",
        "  timeout connect 5s",
        "  timeout client 30s",
        "  timeout server 30s",
        "frontend f",
        `  bind 127.0.0.1:${front}`,
        "  default_backend b",
        "backend b",
        `  server s 127.0.0.1:${port} send-proxy-v2 proxy-v2-options crc32c`,
        "",
      ].join("\n"),
    });
    try {
      const client = await dialProxied(front, { localAddress: "127.0.0.5" });
      const clientPort = client.localPort;
      client.write(new Uint8Array([0xc0, 0x00]));
      // haproxy's start-up probe (from 127.0.0.1) came through too; find the client's connection.
      const ours = () => accepted.find((c) => c.remoteAddress.host === "127.0.0.5");
      await until(() => ours() !== undefined);
      client.destroy();
      expect(refused).toEqual([]);
      expect(ours()!.remoteAddress.port).toBe(clientPort);
      expect(ours()!.proxied?.header.tlvs.map((t) => t.type)).toContain(proxyTlvs.CRC32C);
    } finally {
      await haproxy.stop();
    }
  });

  it("keeps the proxy's own address for a v2 LOCAL header (a health check)", async () => {
    const { port, accepted } = await proxyListener();
    const local = proxyV2Header({ command: "local" });
    connections.push(await dialWithHeader(port, local));
    await until(() => accepted.length === 1);
    expect(accepted[0]!.remoteAddress.host).toBe("127.0.0.1");
    expect(accepted[0]!.proxied?.header.command).toBe("local");
  });

  it("closes a connection from an address outside the trusted proxies before reading it", async () => {
    const { port, accepted, refused } = await proxyListener({ trusted: ["10.0.0.0/8", "::1"] });
    expect(await closedAfter(port, v1("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n"))).toBe(true);
    await until(() => refused.length === 1);
    expect(refused[0]!.error.name).toBe("UntrustedProxyError");
    expect(refused[0]!.peer.host).toBe("127.0.0.1");
    expect(accepted).toHaveLength(0);
  });

  it.each([
    [
      "a missing header (MQTT CONNECT first)",
      new Uint8Array([0x10, 0x0c, 0x00, 0x04, 0x4d, 0x51]),
      "missing-header",
    ],
    ["a malformed v1 line", v1("PROXY TCP4 1.2.3.4 5.6.7.8 99999 2\r\n"), "malformed-line"],
    ["a v2 header of version 3", new Uint8Array([...PROXY_V2_SIGNATURE, 0x31, 0x11, 0, 12]), "bad-version"],
    ["a v2 header whose CRC32C does not match", corruptedCrcHeader(), "bad-checksum"],
  ])("closes a trusted connection with %s", async (_name, bytes, reason) => {
    const { port, accepted, refused } = await proxyListener();
    expect(await closedAfter(port, bytes)).toBe(true);
    await until(() => refused.length === 1);
    expect(refused[0]!.error.name).toBe("ProxyProtocolError");
    expect((refused[0]!.error as ProxyProtocolError).reason).toBe(reason);
    expect(accepted).toHaveLength(0);
  });

  it("closes a trusted proxy that does not finish its header within headerTimeoutMs", async () => {
    const { port, refused } = await proxyListener({ headerTimeoutMs: 50 });
    expect(await closedAfter(port, v1("PROXY TCP4 1.2"))).toBe(true);
    expect((refused[0]!.error as ProxyProtocolError).reason).toBe("timeout");
  });

  it("counts connections waiting for their header against maxConnections", async () => {
    const accepted: Connection[] = [];
    const listener = await listenTcp({
      host: "127.0.0.1",
      port: 0,
      maxConnections: 1,
      proxyProtocol: { trusted: ["127.0.0.1"] },
      onConnection: (c) => accepted.push(c),
    });
    listeners.push(listener);
    const port = listener.address().port!;
    // One socket holds the only slot with half a header; a second one is refused.
    const holder = connect({ host: "127.0.0.1", port }, () => holder.write("PROXY TCP4"));
    holder.on("error", () => {});
    await new Promise((r) => setTimeout(r, 50));
    expect(await closedAfter(port, v1("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n"))).toBe(true);
    holder.destroy();
    expect(accepted).toHaveLength(0);
  });
});
