// /metrics in the Prometheus text format, read with a real exposition-format
// parser: names follow the conventions, and counters move as traffic flows.
import { connect, connectAsync } from "mqtt";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, type Fixture, startFixture } from "./harness.js";

interface Family {
  name: string;
  type: string;
  metrics: {
    value?: string;
    labels?: Record<string, string>;
    buckets?: Record<string, string>;
    count?: string;
    sum?: string;
  }[];
}

let f: Fixture;
beforeAll(async () => {
  f = await startFixture({ secured: true });
});
afterAll(() => f.stop());

async function scrape(fx: Fixture = f): Promise<Map<string, Family>> {
  const r = await api(fx.admin, "GET", "/metrics", { as: "viewer-token" });
  expect(r.status).toBe(200);
  expect(r.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  const families = parsePrometheusTextFormat(r.text) as Family[];
  return new Map(families.map((fam) => [fam.name, fam]));
}

const value = (fams: Map<string, Family>, name: string, labels: Record<string, string> = {}) => {
  const fam = fams.get(name);
  if (fam === undefined) throw new Error(`no metric ${name}`);
  const m = fam.metrics.find((x) => Object.entries(labels).every(([k, v]) => x.labels?.[k] === v));
  return m === undefined ? 0 : Number(m.value ?? m.count);
};

describe("/metrics", () => {
  it("has the broker's metrics and the process ones, named by Prometheus conventions", async () => {
    const fams = await scrape();
    const expected = {
      amqtt_connections: "GAUGE",
      amqtt_connections_total: "COUNTER",
      amqtt_messages_received_total: "COUNTER",
      amqtt_messages_sent_total: "COUNTER",
      amqtt_payload_received_bytes_total: "COUNTER",
      amqtt_payload_sent_bytes_total: "COUNTER",
      amqtt_messages_dropped_total: "COUNTER",
      amqtt_queued_messages: "GAUGE",
      amqtt_queued_bytes: "GAUGE",
      amqtt_inflight_messages: "GAUGE",
      amqtt_retained_messages: "GAUGE",
      amqtt_retained_bytes: "GAUGE",
      amqtt_subscriptions: "GAUGE",
      amqtt_shared_subscription_groups: "GAUGE",
      amqtt_sessions: "GAUGE",
      amqtt_auth_failures_total: "COUNTER",
      amqtt_plugin_hook_timeouts_total: "COUNTER",
      amqtt_routing_duration_seconds: "HISTOGRAM",
      amqtt_store_flush_duration_seconds: "HISTOGRAM",
      nodejs_eventloop_lag_seconds: "GAUGE",
      nodejs_heap_size_used_bytes: "GAUGE",
      process_resident_memory_bytes: "GAUGE",
    };
    for (const [name, type] of Object.entries(expected)) expect(fams.get(name)?.type, name).toBe(type);
    for (const fam of fams.values()) {
      if (fam.type === "COUNTER") expect(fam.name, "a counter ends in _total").toMatch(/_total$/);
      if (fam.name.startsWith("amqtt_")) expect(fam.name).toMatch(/^[a-z_]+$/);
    }
  });

  it("counters and gauges move as MQTT.js traffic flows", async () => {
    const before = await scrape();
    const sub = await connectAsync({
      host: "127.0.0.1",
      port: f.mqttPort,
      clientId: "m-sub",
      protocolVersion: 5,
      reconnectPeriod: 0,
    });
    await sub.subscribeAsync(["m/#", "$share/g/m/+"], { qos: 1 });
    const pub = await connectAsync({
      host: "127.0.0.1",
      port: f.mqttPort,
      clientId: "m-pub",
      protocolVersion: 4,
      reconnectPeriod: 0,
    });
    const got = new Promise<void>((resolve) => {
      let n = 0;
      sub.on("message", () => {
        if (++n === 6) resolve();
      });
    });
    for (let i = 0; i < 3; i++) await pub.publishAsync("m/a", "12345678", { qos: 1 });
    await pub.publishAsync("m/r", "kept", { qos: 0, retain: true });
    await got;
    const refused = await connectAsync({
      host: "127.0.0.1",
      port: f.mqttPort,
      clientId: "$bad",
      protocolVersion: 5,
      reconnectPeriod: 0,
    }).catch(() => undefined);
    await refused?.endAsync();
    const after = await scrape();
    const delta = (name: string, labels?: Record<string, string>) =>
      value(after, name, labels) - value(before, name, labels);
    expect(delta("amqtt_messages_received_total", { qos: "1" })).toBe(3);
    expect(delta("amqtt_messages_received_total", { qos: "0" })).toBe(1);
    expect(delta("amqtt_payload_received_bytes_total", { qos: "1" })).toBe(24);
    // m/# and the shared group both match m/a: two copies each at QoS 1; m/r once per subscription at QoS 0.
    expect(delta("amqtt_messages_sent_total", { qos: "1" })).toBe(6);
    expect(delta("amqtt_connections_total")).toBeGreaterThanOrEqual(2);
    expect(
      value(after, "amqtt_connections", { listener: "default", protocol_version: "5" }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      value(after, "amqtt_connections", { listener: "default", protocol_version: "4" }),
    ).toBeGreaterThanOrEqual(1);
    expect(value(after, "amqtt_shared_subscription_groups")).toBe(1);
    expect(value(after, "amqtt_subscriptions")).toBeGreaterThanOrEqual(2);
    expect(value(after, "amqtt_retained_messages")).toBeGreaterThanOrEqual(1);
    expect(value(after, "amqtt_retained_bytes")).toBeGreaterThan(0);
    expect(value(after, "amqtt_sessions", { state: "online" })).toBeGreaterThanOrEqual(2);
    const routing = after.get("amqtt_routing_duration_seconds")!.metrics[0]!;
    expect(Number(routing.buckets?.["+Inf"])).toBe(Number(routing.count));
    // One routed message in 64 is timed: 256 more messages add 4 observations.
    for (let i = 0; i < 256; i++) pub.publish("none/here", "x", { qos: 0 });
    await pub.publishAsync("none/here", "flush", { qos: 1 });
    const later = await scrape();
    const observed = (fams: Map<string, Family>) =>
      Number(fams.get("amqtt_routing_duration_seconds")!.metrics[0]!.count);
    expect(observed(later) - observed(after)).toBe(4);
    await sub.endAsync();
    await pub.endAsync();
  });

  it("counts the bytes of offline queues, and none once the session reconnected and was sent its queue", async () => {
    const options = {
      host: "127.0.0.1",
      port: f.mqttPort,
      clientId: "m-offline",
      protocolVersion: 5 as const,
      clean: false,
      properties: { sessionExpiryInterval: 3600 },
      reconnectPeriod: 0,
    };
    const away = await connectAsync(options);
    await away.subscribeAsync("q/#", { qos: 1 });
    await away.endAsync();
    const pub = await connectAsync({
      host: "127.0.0.1",
      port: f.mqttPort,
      protocolVersion: 4,
      reconnectPeriod: 0,
    });
    for (let i = 0; i < 3; i++) await pub.publishAsync("q/a", "0123456789", { qos: 1 });
    await pub.endAsync();
    // storedMessageSize: topic (3 bytes) and payload (10 bytes) of each of the 3 messages.
    expect(value(await scrape(), "amqtt_queued_bytes", { state: "offline" })).toBe(39);

    // The queue follows the CONNACK at once: listen before connecting.
    const back = connect(options);
    await new Promise<void>((resolve) => {
      let n = 0;
      back.on("message", () => {
        if (++n === 3) resolve();
      });
    });
    const deadline = Date.now() + 5000;
    let bytes = value(await scrape(), "amqtt_queued_bytes", { state: "offline" });
    while (bytes !== 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      bytes = value(await scrape(), "amqtt_queued_bytes", { state: "offline" });
    }
    expect(bytes).toBe(0);
    await back.endAsync();
  });

  it("counts CONNECTs refused by authentication", async () => {
    const locked = await startFixture({
      secured: true,
      config: { plugins: { "anonymous-auth": { allow_anonymous: false } } },
    });
    try {
      const before = value(await scrape(locked), "amqtt_auth_failures_total");
      await expect(
        connectAsync({ host: "127.0.0.1", port: locked.mqttPort, clientId: "anon", reconnectPeriod: 0 }),
      ).rejects.toThrow();
      expect(value(await scrape(locked), "amqtt_auth_failures_total") - before).toBe(1);
    } finally {
      await locked.stop();
    }
  });

  it("needs credentials unless metrics_public is set", async () => {
    expect((await api(f.admin, "GET", "/metrics")).status).toBe(401);
    const open = await startFixture({ secured: true, metricsPublic: true });
    try {
      const r = await api(open.admin, "GET", "/metrics");
      expect(r.status).toBe(200);
      expect(r.text).toContain("amqtt_connections_total");
      expect((await api(open.admin, "GET", "/api/v1/stats")).status).toBe(401);
    } finally {
      await open.stop();
    }
  });
});
