import { createServer, type IncomingMessage } from "node:http";
import { Broker, silentLogger } from "@amqtt/broker";
import { certPath, cleanupStack, serverTlsFiles } from "@amqtt/test-utils";
import { afterEach, describe, expect, it } from "vitest";
import { MQTTClient } from "../src/index.js";

const cleanups = cleanupStack();
afterEach(cleanups.run);

describe("WebSocket options in Node", () => {
  it("verifies a wss:// broker against a custom CA (cafile) and sends extra handshake headers", async () => {
    const broker = new Broker(
      {
        listeners: {
          default: {
            type: "ws",
            bind: "127.0.0.1:0",
            ...serverTlsFiles,
          },
        },
        plugins: { "anonymous-auth": {} },
      },
      { logger: silentLogger },
    );
    await broker.start();
    cleanups.add(() => broker.stop());
    const port = broker.addresses()[0]!.port;
    const client = new MQTTClient({
      clientId: "wss-ca",
      config: { auto_reconnect: false, check_hostname: false },
    });
    expect(await client.connect(`wss://127.0.0.1:${port}/mqtt`, { cafile: certPath("ca.crt") })).toBe(0);
    await client.disconnect();
    // Without the CA the handshake fails: the certificate is not trusted.
    const untrusting = new MQTTClient({ clientId: "wss-no-ca", config: { auto_reconnect: false } });
    await expect(untrusting.connect(`wss://127.0.0.1:${port}/mqtt`)).rejects.toThrow();
  });

  it("sends additionalHeaders with the ws:// handshake (aMQTT's additional_headers)", async () => {
    const seen: IncomingMessage[] = [];
    const server = createServer();
    server.on("upgrade", (request: IncomingMessage) => seen.push(request));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const broker = new Broker(
      { listeners: { default: { type: "external" } }, plugins: { "anonymous-auth": {} } },
      { logger: silentLogger },
    );
    await broker.start();
    const { listenWs } = await import("@amqtt/transport-ws/server");
    const listener = await listenWs({ server, path: "/mqtt" });
    listener.onConnection((c) => void broker.handle(c));
    cleanups.add(
      () => new Promise((r) => server.close(r)),
      () => listener.close(),
      () => broker.stop(),
    );
    const port = (server.address() as { port: number }).port;
    const client = new MQTTClient({ clientId: "headers", config: { auto_reconnect: false } });
    await client.connect(`ws://127.0.0.1:${port}/mqtt`, {
      additionalHeaders: { "x-device-token": "abc123" },
    });
    expect(seen[0]?.headers["x-device-token"]).toBe("abc123");
    await client.disconnect();
  });
});
