import { afterEach, describe, expect, it, vi } from "vitest";
import {
  createEventLoggerPlugin,
  createPacketLoggerPlugin,
  createSysPlugin,
  type ProcessMetrics,
} from "../../src/plugins/index.js";
import type { BrokerStats, PluginMessage } from "../../src/plugins/types.js";
import { client, context, message, recordingLogger, stats } from "./helpers.js";

afterEach(() => {
  vi.useRealTimers();
});

const text = (m: PluginMessage) => new TextDecoder().decode(m.payload);
const byTopic = (published: PluginMessage[]) => new Map(published.map((m) => [m.topic, text(m)]));

function fakeMetrics(): ProcessMetrics & { cpu: number; wall: number; rssBytes: number } {
  const m = {
    cpu: 0,
    wall: 1_000_000,
    rssBytes: 64 * 1024 * 1024,
    rss: () => m.rssBytes,
    cpuMicros: () => m.cpu,
    now: () => m.wall,
  };
  return m;
}

describe("sys (aMQTT's BrokerSysPlugin)", () => {
  it("publishes $SYS/broker/version retained at start", () => {
    const ctx = context({ sys_interval: 0 });
    const plugin = createSysPlugin(ctx);
    plugin.start?.(ctx);
    expect(ctx.published).toHaveLength(1);
    expect(ctx.published[0]).toMatchObject({ topic: "$SYS/broker/version", retain: true, qos: 0 });
    expect(text(ctx.published[0]!)).toBe("amqtt version 0.0.0-test");
    plugin.stop?.();
  });

  it("publishes aMQTT's list every sys_interval, not retained, at QoS 0", async () => {
    vi.useFakeTimers();
    const counters: BrokerStats = stats({
      startedAt: 1_000_000 - 90_000,
      bytesReceived: 10,
      bytesSent: 20,
      messagesReceived: 3,
      messagesSent: 4,
      publishReceived: 5,
      publishSent: 6,
      clientsConnected: 2,
      clientsDisconnected: 1,
      clientsMaximum: 2,
      clientsTotal: 3,
      inflightIn: 1,
      inflightOut: 2,
      storedMessages: 7,
      retainedCount: 8,
      subscriptionsCount: 9,
      messagesDropped: 11,
    });
    const metrics = fakeMetrics();
    const ctx = context({ sys_interval: 10 }, { stats: () => counters });
    const plugin = createSysPlugin(ctx, metrics);
    plugin.start?.(ctx);
    metrics.cpu += 500_000; // half a second of CPU in ten seconds of wall time
    metrics.wall += 10_000;
    await vi.advanceTimersByTimeAsync(9_999);
    expect(ctx.published).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    const round = ctx.published.slice(1);
    expect(round.every((m) => m.retain === false && m.qos === 0)).toBe(true);
    expect(Object.fromEntries(byTopic(round))).toEqual({
      "$SYS/broker/load/bytes/received": "10",
      "$SYS/broker/load/bytes/sent": "20",
      "$SYS/broker/messages/received": "3",
      "$SYS/broker/messages/sent": "4",
      "$SYS/broker/time": "1010",
      "$SYS/broker/uptime": "100",
      "$SYS/broker/uptime/formatted": new Date(910_000).toISOString(),
      "$SYS/broker/clients/connected": "2",
      "$SYS/broker/clients/disconnected": "1",
      "$SYS/broker/clients/maximum": "2",
      "$SYS/broker/clients/total": "3",
      "$SYS/broker/messages/inflight": "3",
      "$SYS/broker/messages/inflight/in": "1",
      "$SYS/broker/messages/inflight/out": "2",
      "$SYS/broker/messages/inflight/stored": "7",
      "$SYS/broker/messages/publish/received": "5",
      "$SYS/broker/messages/publish/sent": "6",
      "$SYS/broker/messages/publish/dropped": "11",
      "$SYS/broker/messages/retained/count": "8",
      "$SYS/broker/messages/subscriptions/count": "9",
      "$SYS/broker/heap/size": "64",
      "$SYS/broker/heap/maximum": "64",
      "$SYS/broker/cpu/percent": "5",
      "$SYS/broker/cpu/maximum": "5",
      "$SYS/broker/limits/publish/throttled": "0",
      "$SYS/broker/limits/publish/rate-disconnects": "0",
      "$SYS/broker/limits/connections/rate-limited": "0",
      "$SYS/broker/limits/clients/refused-busy": "0",
      "$SYS/broker/limits/memory/dropped": "0",
      "$SYS/broker/limits/memory/used": "0",
    });
    plugin.stop?.();
  });

  it("reports clients/maximum as the most seen, not the current count (fixes aMQTT's QUIRK)", () => {
    let current = stats({ clientsConnected: 5, clientsMaximum: 0 });
    const ctx = context({ sys_interval: 0 }, { stats: () => current });
    const plugin = createSysPlugin(ctx, fakeMetrics());
    plugin.publishNow();
    current = stats({ clientsConnected: 1, clientsMaximum: 0 });
    plugin.publishNow();
    const maxima = ctx.published.filter((m) => m.topic === "$SYS/broker/clients/maximum").map(text);
    expect(maxima).toEqual(["5", "5"]);
  });

  it("publishes nothing periodic with sys_interval 0", async () => {
    vi.useFakeTimers();
    const ctx = context({ sys_interval: 0 });
    const plugin = createSysPlugin(ctx, fakeMetrics());
    plugin.start?.(ctx);
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(ctx.published.map((m) => m.topic)).toEqual(["$SYS/broker/version"]);
  });

  it("stops publishing once stopped", async () => {
    vi.useFakeTimers();
    const ctx = context({ sys_interval: 1 });
    const plugin = createSysPlugin(ctx, fakeMetrics());
    plugin.start?.(ctx);
    await vi.advanceTimersByTimeAsync(1000);
    const count = ctx.published.length;
    expect(count).toBeGreaterThan(1);
    plugin.stop?.();
    await vi.advanceTimersByTimeAsync(5000);
    expect(ctx.published).toHaveLength(count);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe("event-logger and packet-logger (aMQTT's logging plugins)", () => {
  it("logs client connections at info and other events at debug", () => {
    const logger = recordingLogger();
    const plugin = createEventLoggerPlugin(context({}, { logger }));
    plugin.onClientConnected?.(client({ clientId: "a" }));
    plugin.onClientDisconnected?.(client({ clientId: "a" }));
    plugin.onClientSubscribed?.(client(), "x/#", 1);
    plugin.onMessageBroadcast?.(client(), message("x/y"));
    plugin.onBrokerPostStart?.();
    expect(logger.lines.map((l) => l.level)).toEqual(["info", "info", "debug", "debug", "debug"]);
    expect(logger.lines[0]?.fields).toMatchObject({ clientId: "a" });
  });

  it("logs every packet at debug, without the password of a CONNECT", () => {
    const logger = recordingLogger();
    const plugin = createPacketLoggerPlugin(context({}, { logger }));
    plugin.onPacketReceived?.(client(), { type: 1, username: "u", password: new Uint8Array([1, 2]) });
    plugin.onPacketSent?.(client(), { type: 2 });
    expect(logger.lines.map((l) => [l.level, l.message])).toEqual([
      ["debug", "packet in"],
      ["debug", "packet out"],
    ]);
    expect(logger.lines[0]?.fields?.packet).toEqual({ type: 1, username: "u", password: "<redacted>" });
  });
});
