import { connect as netConnect } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { encode, PacketType, type ProtocolVersion, ReasonCode } from "@amqtt/codec";
import { describe, expect, it } from "vitest";
import { bystanders, RawClient } from "../robustness/raw-client.js";
import { mqttClient, startBroker, tlsListener, until } from "../tcp.js";

/** `count` QoS 0 PUBLISH packets to `topic`, encoded back to back (one write: a flood). */
function flood(version: ProtocolVersion, topic: string, count: number, payload = new Uint8Array(10)): Buffer {
  const one = encode(
    { type: PacketType.PUBLISH, topic, payload, qos: 0, retain: false, dup: false },
    version,
  );
  return Buffer.concat(Array.from({ length: count }, () => one));
}

describe("per-client message rate (max_message_rate, message_rate_burst)", () => {
  const RATE = 400;
  const BURST = 100;
  // The broker feeds input in 2 KiB slices and looks at the hold between slices:
  // at most a slice of these 21-byte packets (~100) passes per hold.
  const SLICE_SLACK = 2 * Math.ceil(2048 / 21);

  it("holds a flooding 3.1.1 publisher to its rate by not reading its socket, loses none of its messages, and keeps a well-behaved client's round trips", async () => {
    const { broker, port, url } = await startBroker({ max_message_rate: RATE, message_rate_burst: BURST });
    const sub = await mqttClient(url, { clientId: "counter" });
    await sub.subscribeAsync("flood/#");
    const arrivals: number[] = [];
    sub.on("message", () => arrivals.push(performance.now()));
    const others = await bystanders(url);
    const flooder = await RawClient.connected(port, 4, "flooder");
    const N = 800;
    const start = performance.now();
    flooder.socket.write(flood(4, "flood/x", N));
    // A well-behaved client on the same broker keeps its round trips during the flood.
    const roundTrips: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      await others.roundTrip(`during-${i}`);
      roundTrips.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 100));
    }
    await until(() => arrivals.length === N, 20_000);
    // The rate bound: by any time t after the flood began, no more than burst + rate x t (+ a slice) arrived.
    for (let i = 0; i < arrivals.length; i++) {
      const t = (arrivals[i]! - start) / 1000;
      expect(i + 1, `message ${i + 1} at ${t.toFixed(3)} s`).toBeLessThanOrEqual(
        BURST + RATE * t + SLICE_SLACK,
      );
    }
    // Bound on latency, generous for a loaded CI machine: the flood did not starve the others.
    for (const ms of roundTrips) expect(ms).toBeLessThan(1500);
    expect(broker.stats().publishThrottled).toBeGreaterThan(0);
    expect(broker.stats().rateLimitDisconnects).toBe(0);
  });

  it("disconnects a 5.0 publisher over its rate with DISCONNECT Message rate too high (0x96)", async () => {
    const { broker, port, url } = await startBroker({ max_message_rate: 50, message_rate_burst: 20 });
    const sub = await mqttClient(url, { clientId: "counter" });
    await sub.subscribeAsync("flood/#");
    let received = 0;
    sub.on("message", () => received++);
    const flooder = await RawClient.connected(port, 5, "flooder-5");
    const start = performance.now();
    flooder.socket.write(flood(5, "flood/x", 300));
    const disconnect = await flooder.next(PacketType.DISCONNECT);
    const elapsed = (performance.now() - start) / 1000;
    expect(disconnect.reasonCode).toBe(ReasonCode.MESSAGE_RATE_TOO_HIGH);
    await flooder.waitClosed();
    expect(broker.stats().rateLimitDisconnects).toBe(1);
    // What was routed is what the burst allowed plus the rate until the disconnect, never the flood.
    await new Promise((r) => setTimeout(r, 100));
    expect(received).toBeGreaterThanOrEqual(20);
    expect(received).toBeLessThanOrEqual(20 + Math.ceil(50 * elapsed));
  });

  it("slows a 5.0 publisher instead with rate_limit_v5: throttle", async () => {
    const { broker, port, url } = await startBroker({
      max_message_rate: 1000,
      message_rate_burst: 50,
      rate_limit_v5: "throttle",
    });
    const sub = await mqttClient(url, { clientId: "counter" });
    await sub.subscribeAsync("flood/#");
    let received = 0;
    sub.on("message", () => received++);
    const flooder = await RawClient.connected(port, 5, "flooder-5t");
    flooder.socket.write(flood(5, "flood/x", 400));
    await until(() => received === 400, 10_000);
    expect(flooder.packets.some((p) => p.type === PacketType.DISCONNECT)).toBe(false);
    expect(broker.stats().publishThrottled).toBeGreaterThan(0);
  });

  it("limits bytes per second too (max_byte_rate), counting topic and payload", async () => {
    const { broker, port, url } = await startBroker({ max_byte_rate: 20_000, byte_rate_burst: 4_000 });
    const sub = await mqttClient(url, { clientId: "counter" });
    await sub.subscribeAsync("flood/#");
    const arrivals: number[] = [];
    sub.on("message", () => arrivals.push(performance.now()));
    const flooder = await RawClient.connected(port, 4, "byte-flooder");
    // 40 messages of 1 KiB: 40 KiB at 20 KB/s after a 4 KB burst.
    const start = performance.now();
    flooder.socket.write(flood(4, "flood/x", 40, new Uint8Array(1017)));
    await until(() => arrivals.length === 40, 10_000);
    for (let i = 0; i < arrivals.length; i++) {
      const t = (arrivals[i]! - start) / 1000;
      // Each message is 1024 bytes of topic and payload; a 2 KiB slice may pass per hold.
      expect((i + 1) * 1024).toBeLessThanOrEqual(4_000 + 20_000 * t + 2 * 2048 + 1024);
    }
    expect(broker.stats().publishThrottled).toBeGreaterThan(0);
  });
});

describe("new connections per second per listener (max_connection_rate)", () => {
  it("closes connections over the listener's rate before any CONNACK and counts them", async () => {
    const { broker, url } = await startBroker({
      listeners: {
        default: { type: "tcp", bind: "127.0.0.1:0", max_connection_rate: 0.001, connection_rate_burst: 3 },
      },
    });
    const attempts = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) => mqttClient(url, { clientId: `c${i}` })),
    );
    expect(attempts.filter((a) => a.status === "fulfilled")).toHaveLength(3);
    expect(broker.stats().connectionsRateLimited).toBe(3);
  });

  it("on a TLS listener, refuses over the rate before the TLS handshake: the client never gets a ServerHello", async () => {
    const { broker } = await startBroker({
      listeners: { default: tlsListener({ max_connection_rate: 0.001, connection_rate_burst: 1 }) },
    });
    const port = broker.addresses()[0]!.port;
    const handshake = () =>
      new Promise<string>((resolve) => {
        const socket = tlsConnect({ host: "127.0.0.1", port, rejectUnauthorized: false }, () => {
          socket.destroy();
          resolve("handshake done");
        });
        socket.once("error", (error) => resolve(`error: ${error.message}`));
      });
    expect(await handshake()).toBe("handshake done");
    // Over the rate: closed at accept, so the TLS client sees the socket end before any server handshake bytes.
    expect(await handshake()).toMatch(/before secure TLS connection was established|ECONNRESET/);
    expect(broker.stats().connectionsRateLimited).toBe(1);
  });

  it("on a WebSocket listener, refuses over the rate at the raw connection, before the HTTP upgrade is answered", async () => {
    const { broker } = await startBroker({
      listeners: {
        default: { type: "tcp", bind: "127.0.0.1:0" },
        ws: { type: "ws", bind: "127.0.0.1:0", max_connection_rate: 0.001, connection_rate_burst: 1 },
      },
    });
    const wsPort = broker.addresses()[1]!.port;
    const upgrade = () =>
      new Promise<string>((resolve) => {
        const socket = netConnect(wsPort, "127.0.0.1", () => {
          socket.write(
            "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n",
          );
        });
        let answer = "";
        socket.on("data", (chunk) => {
          answer += chunk.toString("latin1");
          if (answer.includes("\r\n")) socket.destroy();
        });
        socket.on("close", () => resolve(answer.split("\r\n")[0] ?? ""));
        socket.on("error", () => {});
        setTimeout(() => socket.destroy(), 2000);
      });
    expect(await upgrade()).toBe("HTTP/1.1 101 Switching Protocols");
    expect(await upgrade()).toBe("");
    expect(broker.stats().connectionsRateLimited).toBe(1);
    // The TCP listener has its own bucket (the default rate): not touched by the WebSocket listener's.
    await mqttClient(`mqtt://127.0.0.1:${broker.addresses()[0]!.port}`, { clientId: "tcp-ok" });
  });
});

describe("a global maximum of clients (max_clients)", () => {
  it("refuses the next CONNECT with Server busy (5.0 0x89) or return code 3 Server unavailable (3.1.1) [MQTT-3.2.2-5]", async () => {
    const { broker, port } = await startBroker({ max_clients: 2 });
    const first = await RawClient.connected(port, 4, "a");
    await RawClient.connected(port, 5, "b");
    const v5 = await RawClient.open(port, 5);
    v5.send({ type: PacketType.CONNECT, protocolVersion: 5, clean: true, keepAlive: 0, clientId: "c5" }, 5);
    expect((await v5.next(PacketType.CONNACK)).reasonCode).toBe(ReasonCode.SERVER_BUSY);
    await v5.waitClosed();
    const v4 = await RawClient.open(port, 4);
    v4.send({ type: PacketType.CONNECT, protocolVersion: 4, clean: true, keepAlive: 0, clientId: "c4" }, 4);
    expect((await v4.next(PacketType.CONNACK)).reasonCode).toBe(3);
    await v4.waitClosed();
    expect(broker.stats().clientsRefusedBusy).toBe(2);
    // A place frees up when a client leaves.
    first.send({ type: PacketType.DISCONNECT }, 4);
    await until(() => broker.stats().clientsConnected === 1);
    await RawClient.connected(port, 4, "d");
  });
});
