import { connectAsync } from "mqtt";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { BrokerConfigInput } from "../../src/config/schema.js";
import { Broker } from "../../src/index.js";

// These brokers get no logger: what they print is what an embedder would see on
// the process's own stdout and stderr, captured here at the source.

let written: string[] = [];
const brokers: Broker[] = [];

afterEach(async () => {
  await Promise.all(brokers.splice(0).map((b) => b.stop()));
  vi.restoreAllMocks();
  written = [];
});

function captureOutput(): void {
  for (const stream of [process.stdout, process.stderr])
    vi.spyOn(stream, "write").mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
}

/** A broker on a free loopback port with the default plugins (event-logger logs connects at info), and a client that connects, publishes and leaves. */
async function connectOnce(config: BrokerConfigInput = {}): Promise<void> {
  const broker = new Broker({
    listeners: { default: { type: "tcp", bind: "127.0.0.1:0" } },
    plugins: { "event-logger": {}, "packet-logger": {}, "anonymous-auth": {} },
    ...config,
  });
  brokers.push(broker);
  await broker.start();
  const port = broker.addresses()[0]!.port;
  const disconnected = new Promise<void>((resolve) => broker.once("clientDisconnected", () => resolve()));
  const client = await connectAsync({
    host: "127.0.0.1",
    port,
    reconnectPeriod: 0,
    username: "u",
    password: "pw-secret-1",
  });
  await client.publishAsync("t", "x", { qos: 1 });
  await client.endAsync();
  await disconnected;
}

describe("an embedded broker's logs", () => {
  it("are quiet by default: nothing is printed at info (a connect, a publish, a disconnect)", async () => {
    captureOutput();
    await connectOnce();
    expect(written).toEqual([]);
  });

  it("log_level: info prints the connects as text lines naming the component", async () => {
    captureOutput();
    await connectOnce({ log_level: "info" });
    const connected = written.filter((l) => l.includes("client connected"));
    expect(connected).toHaveLength(1);
    expect(connected[0]).toMatch(/ INFO plugins\.event-logger: client connected /);
  });

  it("log_format: json with log_levels writes one parseable object per line, components filtered, no password", async () => {
    captureOutput();
    await connectOnce({
      log_format: "json",
      log_level: "warn",
      log_levels: { "plugins.packet-logger": "debug", listeners: "info" },
    });
    const lines = written.join("").split("\n").filter(Boolean);
    const records = lines.map((l) => JSON.parse(l) as { component: string; level: string; msg: string });
    expect(records.length).toBeGreaterThan(0);
    for (const r of records)
      expect(Object.keys(r)).toEqual(expect.arrayContaining(["time", "level", "component", "msg"]));
    const components = new Set(records.map((r) => r.component));
    // packet-logger at debug, listeners at info; event-logger stays at warn (so no "client connected").
    expect(components).toEqual(new Set(["plugins.packet-logger", "listeners"]));
    expect(records.some((r) => r.msg === "listening")).toBe(true);
    expect(records.some((r) => r.msg === "packet in" && r.level === "debug")).toBe(true);
    expect(written.join("")).not.toContain("pw-secret-1");
  });
});
