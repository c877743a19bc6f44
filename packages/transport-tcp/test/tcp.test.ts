import type { Connection } from "@amqtt/transport";
import { afterEach, describe, expect, it } from "vitest";
import { dialTcp, listenTcp, type TcpListener } from "../src/index.js";

const listeners: TcpListener[] = [];
const connections: Connection[] = [];
afterEach(async () => {
  for (const connection of connections.splice(0)) connection.abort();
  await Promise.all(listeners.splice(0).map((listener) => listener.close()));
});

async function connectedPair(): Promise<{ client: Connection; server: Connection; listener: TcpListener }> {
  let accept!: (connection: Connection) => void;
  const accepted = new Promise<Connection>((resolve) => (accept = resolve));
  const listener = await listenTcp({ host: "127.0.0.1", port: 0, onConnection: accept });
  listeners.push(listener);
  const client = await dialTcp({ host: "127.0.0.1", port: listener.address().port! });
  const server = await accepted;
  connections.push(client, server);
  return { client, server, listener };
}

describe("TCP connections", () => {
  it("report loopback addresses with real ports and no TLS", async () => {
    const { client, server, listener } = await connectedPair();
    expect(listener.address()).toMatchObject({ transport: "tcp", host: "127.0.0.1", family: "IPv4" });
    expect(client.remoteAddress).toMatchObject({
      transport: "tcp",
      host: "127.0.0.1",
      port: listener.address().port,
    });
    expect(server.remoteAddress.port).toBe(client.localAddress.port);
    expect(client.tls).toBeUndefined();
  });

  it("batch the sends of one event-loop turn into one write on the next tick", async () => {
    const { client } = await connectedPair();
    for (let i = 0; i < 100; i++) client.send(new Uint8Array(10));
    // Corked: nothing reached the kernel yet, so all 1000 bytes are still buffered.
    expect(client.bufferedBytes).toBe(1000);
    await new Promise((resolve) => process.nextTick(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(client.bufferedBytes).toBe(0);
  });

  it("write each send through at once when the application batches its sends (sendsBatched)", async () => {
    const { listener } = await connectedPair();
    const client = await dialTcp(
      { host: "127.0.0.1", port: listener.address().port! },
      { sendsBatched: true },
    );
    connections.push(client);
    client.send(new Uint8Array(1000));
    // Not corked: the bytes went to the kernel within the call, none wait for a tick.
    expect(client.bufferedBytes).toBe(0);
  });

  it("rejects a dial to a port nobody listens on", async () => {
    const listener = await listenTcp({ host: "127.0.0.1", port: 0 });
    const { port } = listener.address();
    await listener.close();
    await expect(dialTcp({ host: "127.0.0.1", port: port! })).rejects.toMatchObject({ code: "ECONNREFUSED" });
  });

  it("rejects listening on a port already in use", async () => {
    const { listener } = await connectedPair();
    await expect(listenTcp({ host: "127.0.0.1", port: listener.address().port })).rejects.toMatchObject({
      code: "EADDRINUSE",
    });
  });
});
