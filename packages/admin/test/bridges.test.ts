// Bridges in the admin API and /metrics: a real @amqtt/bridge from our broker to
// Debian's mosquitto, read through GET /api/v1/bridges (checked against
// openapi.yaml) and a scrape parsed by an exposition-format parser.
import { Bridges } from "@amqtt/bridge";
import { Broker, silentLogger } from "@amqtt/broker";
import { freePort, type Mosquitto, startMosquitto } from "@amqtt/test-utils";
import { connectAsync, type MqttClient } from "mqtt";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AdminServer, bridgeView, REDACTED, startAdmin } from "../src/index.js";
import { until } from "./clients.js";
import { api, credentialFiles } from "./harness.js";

interface Family {
  name: string;
  type: string;
  metrics: { value?: string; labels?: Record<string, string> }[];
}

let mosquitto: Mosquitto;
let broker: Broker;
let bridges: Bridges;
let admin: AdminServer;
let remote: MqttClient;
const received: string[] = [];

beforeAll(async () => {
  mosquitto = await startMosquitto();
  const files = await credentialFiles();
  broker = new Broker(
    {
      listeners: {
        default: { type: "tcp", bind: "127.0.0.1:0" },
        admin: { type: "http", bind: `127.0.0.1:${await freePort()}` },
      },
      plugins: { "anonymous-auth": { allow_anonymous: true } },
      admin: { password_file: files.passwordFile, tokens_file: files.tokensFile },
    },
    { logger: silentLogger },
  );
  await broker.start();
  bridges = Bridges.fromConfig(
    [
      {
        name: "central",
        address: `mqtt://127.0.0.1:${mosquitto.port}`,
        protocol_version: 5,
        client_id: "admin-test-bridge",
        // Three queued messages at most, so the test can see one dropped.
        max_queued_messages: 3,
        restart_timeout: [0.05, 0.2],
        topics: [
          { filter: "sensors/#", direction: "out", qos: 1, remote_prefix: "site-1/" },
          { filter: "commands/#", direction: "in", qos: 1, local_prefix: "from-central/" },
        ],
      },
    ],
    broker,
    { logger: silentLogger, sysIntervalMs: 0 },
  );
  await bridges.start();
  admin = await startAdmin(broker, { logger: silentLogger, bridges });
  remote = await connectAsync({
    host: "127.0.0.1",
    port: mosquitto.port,
    clientId: "far-side",
    reconnectPeriod: 0,
  });
  remote.on("message", (topic, payload) => received.push(`${topic}=${payload.toString()}`));
  await remote.subscribeAsync("site-1/#", { qos: 1 });
});

afterAll(async () => {
  await remote?.endAsync(true).catch(() => {});
  await admin?.close();
  await bridges?.stop();
  await broker?.stop();
  await mosquitto?.stop();
});

const listed = async () => {
  const r = await api(admin, "GET", "/api/v1/bridges", { as: "viewer-token" });
  expect(r.status).toBe(200);
  return r.body.items as Record<string, unknown>[];
};

const central = async () => {
  const items = await listed();
  expect(items.map((b) => b.name)).toEqual(["central"]);
  return items[0]!;
};

async function scrape(): Promise<Map<string, Family>> {
  const r = await api(admin, "GET", "/metrics", { as: "viewer-token" });
  expect(r.status).toBe(200);
  const families = parsePrometheusTextFormat(r.text) as Family[];
  return new Map(families.map((fam) => [fam.name, fam]));
}

/** The value of the sample of `name` with exactly these labels; throws when there is none. */
const sample = (fams: Map<string, Family>, name: string, labels: Record<string, string>): number => {
  const fam = fams.get(name);
  if (fam === undefined) throw new Error(`no metric ${name}`);
  const m = fam.metrics.find(
    (x) =>
      Object.keys(x.labels ?? {}).length === Object.keys(labels).length &&
      Object.entries(labels).every(([k, v]) => x.labels?.[k] === v),
  );
  if (m === undefined) throw new Error(`no sample ${name}${JSON.stringify(labels)}`);
  return Number(m.value);
};

describe("bridges in the admin API and /metrics (a real bridge to mosquitto)", () => {
  it("GET /api/v1/bridges needs credentials", async () => {
    const r = await api(admin, "GET", "/api/v1/bridges");
    expect(r.status).toBe(401);
  });

  it("shows the bridge connected, and its counters move as messages cross both ways", async () => {
    await until(async () => (await central()).connected === true, 10_000, "bridge connected");
    for (let i = 0; i < 3; i++) broker.publish({ topic: "sensors/t", payload: `out-${i}`, qos: 1 });
    await until(() => received.length === 3, 10_000, "three messages at mosquitto");
    expect(received).toEqual(["site-1/sensors/t=out-0", "site-1/sensors/t=out-1", "site-1/sensors/t=out-2"]);
    await remote.publishAsync("commands/reboot", "now", { qos: 1 });
    await until(async () => (await central()).messagesIn === 1, 10_000, "one message in");
    await until(async () => (await central()).messagesOut === 3, 10_000, "three acknowledged out");
    const b = await central();
    expect(b).toEqual({
      name: "central",
      connected: true,
      address: `mqtt://127.0.0.1:${mosquitto.port}`,
      queued: 0,
      queuedBytes: 0,
      inflight: 0,
      dropped: 0,
      messagesIn: 1,
      messagesOut: 3,
      lastError: null,
      connects: 1,
    });

    const stats = await api(admin, "GET", "/api/v1/stats", { as: "viewer-token" });
    expect(stats.body.bridges).toEqual({ total: 1, connected: 1, queued: 0, dropped: 0 });

    const fams = await scrape();
    expect(fams.get("amqtt_bridge_connected")?.type).toBe("GAUGE");
    expect(fams.get("amqtt_bridge_queued_messages")?.type).toBe("GAUGE");
    expect(fams.get("amqtt_bridge_messages_total")?.type).toBe("COUNTER");
    expect(fams.get("amqtt_bridge_dropped_total")?.type).toBe("COUNTER");
    expect(sample(fams, "amqtt_bridge_connected", { bridge: "central" })).toBe(1);
    expect(sample(fams, "amqtt_bridge_queued_messages", { bridge: "central" })).toBe(0);
    expect(sample(fams, "amqtt_bridge_messages_total", { bridge: "central", direction: "out" })).toBe(3);
    expect(sample(fams, "amqtt_bridge_messages_total", { bridge: "central", direction: "in" })).toBe(1);
    expect(sample(fams, "amqtt_bridge_dropped_total", { bridge: "central" })).toBe(0);
    expect(sample(fams, "amqtt_bridge_connects_total", { bridge: "central" })).toBe(1);
  });

  it("with the remote stopped: disconnected, the last error, messages queued, the fourth dropped by max_queued_messages", async () => {
    await mosquitto.stop();
    await until(async () => (await central()).connected === false, 10_000, "bridge disconnected");
    for (let i = 0; i < 4; i++) broker.publish({ topic: "sensors/t", payload: `queued-${i}`, qos: 1 });
    await until(async () => (await central()).dropped === 1, 10_000, "one dropped");
    const b = await central();
    expect(b.connected).toBe(false);
    expect(b.queued).toBe(3);
    expect(b.queuedBytes).toBeGreaterThan(0);
    expect(typeof b.lastError).toBe("string");
    expect(b.messagesOut).toBe(3);
    const stats = await api(admin, "GET", "/api/v1/stats", { as: "viewer-token" });
    expect(stats.body.bridges).toEqual({ total: 1, connected: 0, queued: 3, dropped: 1 });

    const fams = await scrape();
    expect(sample(fams, "amqtt_bridge_connected", { bridge: "central" })).toBe(0);
    expect(sample(fams, "amqtt_bridge_queued_messages", { bridge: "central" })).toBe(3);
    expect(sample(fams, "amqtt_bridge_dropped_total", { bridge: "central" })).toBe(1);
    expect(sample(fams, "amqtt_bridge_queued_bytes", { bridge: "central" })).toBe(b.queuedBytes);
  });
});

describe("bridgeView", () => {
  it("masks a URL password in the address and the last error, whatever the source", () => {
    const view = bridgeView({
      name: "b",
      connected: false,
      address: "mqtts://site:hunter2@central.example:8883",
      queued: 0,
      queuedBytes: 0,
      inflight: 0,
      dropped: 0,
      messagesIn: 0,
      messagesOut: 0,
      lastError: "ConnectError: mqtts://site:hunter2@central.example:8883 refused",
      connects: 0,
    });
    expect(view.address).toBe(`mqtts://site:${REDACTED}@central.example:8883`);
    expect(view.lastError).toBe(`ConnectError: mqtts://site:${REDACTED}@central.example:8883 refused`);
    expect(JSON.stringify(view)).not.toContain("hunter2");
  });
});
