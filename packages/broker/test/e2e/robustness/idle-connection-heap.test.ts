import { spawn } from "node:child_process";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { encode, PacketType } from "@amqtt/codec";
import { describe, expect, it } from "vitest";
import { startBroker } from "../tcp.js";

// A memory bound, in bytes (never a time): the broker's heap per idle client that
// connected and subscribed once. Issue 19 targets 3 KB of RSS per connection; the
// heap is the part this repository controls (Node's socket and libuv handle are in it).
const N = 1000;
/**
 * Measured 2,949 to 2,985 bytes on Node 20 (four runs); 3,324 before the client
 * connection's parts became layers of one object and the session machine's,
 * transport's and session record's rare parts were made on first use (commit
 * 1d66257, which fails this bound); 3,480 to 3,487 before the whole-ms clock
 * (commit c8c624f), 4,162 before issue 19's second round (see the broker
 * README, "Memory per idle connection").
 */
const MAX_HEAP_BYTES_PER_CONNECTION = 3100;

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

/** Full collections until the heap stops shrinking; then the bytes in use. */
function settledHeap(): number {
  let used = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 5; i++) {
    gc();
    const now = process.memoryUsage().heapUsed;
    if (now >= used) break;
    used = now;
  }
  return used;
}

/**
 * The clients live in a child process, so that their sockets are not counted
 * in this process's heap: each sends CONNECT (3.1.1, keep alive 60 s) and, after
 * its CONNACK, a SUBSCRIBE; the child prints "ready" once every SUBACK came and
 * holds the connections until its stdin closes.
 */
function idleClients(port: number, n: number) {
  const connect = (i: number) =>
    Buffer.from(
      encode(
        { type: PacketType.CONNECT, protocolVersion: 4, clean: true, keepAlive: 60, clientId: `idle-${i}` },
        4,
      ),
    ).toString("base64");
  const subscribe = (i: number) =>
    Buffer.from(
      encode(
        { type: PacketType.SUBSCRIBE, packetId: 1, subscriptions: [{ topicFilter: `idle/${i}`, qos: 1 }] },
        4,
      ),
    ).toString("base64");
  const packets = Array.from({ length: n }, (_, i) => [connect(i), subscribe(i)]);
  // CONNACK is 4 bytes, SUBACK with one code 5: a client is ready after 9 bytes.
  const script = `
    const net = require("node:net");
    const packets = ${JSON.stringify(packets)};
    let ready = 0;
    const open = (i) => {
      if (i >= packets.length) return;
      const s = net.connect(${port}, "127.0.0.1", () => s.write(Buffer.from(packets[i][0], "base64")));
      let got = 0;
      s.on("data", (b) => {
        const before = got;
        got += b.length;
        if (before < 4 && got >= 4) s.write(Buffer.from(packets[i][1], "base64"));
        if (before < 9 && got >= 9) { if (++ready === packets.length) process.stdout.write("ready\\n"); open(i + 64); }
        if (got > 9) { process.stderr.write("unexpected bytes\\n"); process.exit(1); }
      });
      s.on("error", (e) => { process.stderr.write(String(e) + "\\n"); process.exit(1); });
      s.on("close", () => { if (ready < packets.length) { process.stderr.write("closed early\\n"); process.exit(1); } });
    };
    for (let i = 0; i < 64; i++) open(i);
    process.stdin.on("end", () => process.exit(0));
    process.stdin.resume();
  `;
  const child = spawn(process.execPath, ["-e", script], { stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (b: Buffer) => {
    stderr += b.toString();
  });
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (b: Buffer) => {
      if (b.toString().includes("ready")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`clients exited (${code}) before ready: ${stderr}`)));
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    ready,
    stop: async () => {
      child.stdin.end();
      await exited;
    },
  };
}

describe("memory per idle connection", () => {
  it(`1000 clients connected and subscribed once hold under ${MAX_HEAP_BYTES_PER_CONNECTION} bytes of broker heap each`, async () => {
    const { port, broker } = await startBroker({ log_level: "warn" });
    // Warm up: the first connections compile code and grow shared tables.
    const warm = idleClients(port, 200);
    await warm.ready;
    await warm.stop();
    await expect.poll(() => broker.stats().clientsConnected, { timeout: 10_000 }).toBe(0);
    const before = settledHeap();
    const clients = idleClients(port, N);
    try {
      await clients.ready;
      expect(broker.stats().clientsConnected).toBe(N);
      const perConnection = (settledHeap() - before) / N;
      console.log(`broker heap per idle connection: ${perConnection.toFixed(0)} bytes`);
      expect(perConnection).toBeLessThan(MAX_HEAP_BYTES_PER_CONNECTION);
      // Not zero: the measurement sees the connections at all.
      expect(perConnection).toBeGreaterThan(1000);
    } finally {
      await clients.stop();
    }
  }, 60_000);
});
