import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PacketType } from "@amqtt/codec";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  ClientConfigError,
  type ClientConfigInput,
  type ClientLogger,
  ClientPluginError,
  defineClientPlugin,
  type IncomingApplicationMessage,
  MQTTClient,
  resolveConfig,
} from "../src/index.js";
import { ClientPluginHost } from "../src/plugins/host.js";
import { startMosquitto, startOurBroker } from "./helpers/brokers.js";
import { newClient, text } from "./helpers/clients.js";

/** A log line as a plugin wrote it. */
interface Line {
  level: "debug" | "info" | "warn" | "error";
  logger: string;
  message: string;
  fields: Record<string, unknown> | undefined;
}

/** A logger that keeps every line (children write to the same list with their name). */
function capturingLogger(lines: Line[], name = "client"): ClientLogger {
  const at =
    (level: Line["level"]) =>
    (message: string, fields?: Record<string, unknown>): void => {
      lines.push({ level, logger: name, message, fields });
    };
  return {
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
    child: (child) => capturingLogger(lines, `${name}.${child}`),
  };
}

/** Resolves once `predicate` holds, checked after each event loop turn (bounded by the test timeout). */
async function until(predicate: () => boolean): Promise<void> {
  while (!predicate()) await new Promise((r) => setTimeout(r, 5));
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

// aMQTT's client configuration example (docs/references/client_config.md), with the `plugins` key.
const amqttClientYaml = `
keep_alive: 10
ping_delay: 1
default_qos: 0
default_retain: false
auto_reconnect: true
reconnect_max_interval: 5
reconnect_retries: 10
topics:
   test:
    qos: 0
   some_topic:
     qos: 2
     retain: true
will:
   topic: will/messages
   message: "client ABC has disconnected"
   qos: 1
   retain: false
broker:
   uri: mqtt://localhost:1883
   cafile: /path/to/ca/file
plugins:
  amqtt.plugins.logging_amqtt.PacketLoggerPlugin:
  amqtt.plugins.logging_amqtt.EventLoggerPlugin: {}
`;

describe("the client's plugins key", () => {
  it("takes aMQTT's documented client config with plugins by dotted class name, and their entry-point names", () => {
    const config = resolveConfig(parse(amqttClientYaml) as ClientConfigInput);
    expect(config.plugins.map((p) => p.configuredAs)).toEqual([
      "amqtt.plugins.logging_amqtt.PacketLoggerPlugin",
      "amqtt.plugins.logging_amqtt.EventLoggerPlugin",
    ]);
    expect(config.plugins.map((p) => ("definition" in p ? p.definition.name : p.specifier))).toEqual([
      "packet-logger",
      "event-logger",
    ]);
    expect(config.topics.some_topic).toEqual({ qos: 2, retain: true });
    const legacy = resolveConfig({ plugins: ["packet_logger_plugin", { event_logger_plugin: null }] });
    expect(legacy.plugins.map((p) => ("definition" in p ? p.definition.name : ""))).toEqual([
      "packet-logger",
      "event-logger",
    ]);
    expect(resolveConfig({}).plugins).toEqual([]);
  });

  it("refuses an unknown plugin name and an unknown plugin option with a ClientConfigError naming the key", () => {
    const unknown = (): unknown =>
      resolveConfig({ plugins: { "amqtt.plugins.authentication.AnonymousAuthPlugin": {} } });
    expect(unknown).toThrow(ClientConfigError);
    expect(unknown).toThrow(/plugins\.amqtt\.plugins\.authentication\.AnonymousAuthPlugin/);
    try {
      resolveConfig({ plugins: { packet_logger_plugin: { level: "debug" } } });
      expect.unreachable("an unknown option must be refused");
    } catch (error) {
      expect(error).toBeInstanceOf(ClientConfigError);
      expect((error as ClientConfigError).key).toBe("plugins.packet_logger_plugin.level");
    }
    expect(() => new MQTTClient({ config: { plugins: { nope: {} } } })).toThrow(ClientConfigError);
  });
});

describe("the packet logger (aMQTT's PacketLoggerPlugin)", () => {
  it("logs every packet out and in against our broker, with neither the password nor payload bytes", async () => {
    const { url } = await startOurBroker();
    const lines: Line[] = [];
    const client = newClient({
      plugins: { "amqtt.plugins.logging_amqtt.PacketLoggerPlugin": {} },
      logger: capturingLogger(lines),
    });
    const withCredentials = url.replace("mqtt://", "mqtt://alice:hunter2-secret@");
    expect(await client.connect(withCredentials)).toBe(0);
    await client.subscribe([["log/#", 1]]);
    await client.publish("log/a", "payload-not-for-logs", { qos: 1 });
    const got = await client.deliverMessage({ timeout: 5 });
    expect(text(got.data)).toBe("payload-not-for-logs");
    await until(() => lines.filter((l) => l.message.endsWith("<-in-- PUBLISH")).length === 1);
    await client.disconnect();
    const out = lines.filter((l) => l.message.includes("-out->")).map((l) => l.message.split(" ").at(-1));
    const inbound = lines.filter((l) => l.message.includes("<-in--")).map((l) => l.message.split(" ").at(-1));
    expect(out).toEqual(["CONNECT", "SUBSCRIBE", "PUBLISH", "PUBACK", "DISCONNECT"]);
    // The broker's PUBACK and its PUBLISH to us may come in either order.
    expect(inbound.slice(0, 2)).toEqual(["CONNACK", "SUBACK"]);
    expect(inbound.slice(2).sort()).toEqual(["PUBACK", "PUBLISH"]);
    for (const line of lines) {
      expect(line.level).toBe("debug");
      expect(line.logger).toBe("client.amqtt.plugins.logging_amqtt.PacketLoggerPlugin");
      expect(line.message.startsWith(`${client.clientId} `)).toBe(true);
    }
    const all = JSON.stringify(lines);
    expect(all).not.toContain("hunter2-secret");
    expect(all).not.toContain("payload-not-for-logs");
    const connect = lines.find((l) => l.message.endsWith("-out-> CONNECT"));
    expect(connect?.fields?.packet).toMatchObject({
      type: "CONNECT",
      username: "alice",
      password: "<redacted>",
    });
    const published = lines.find((l) => l.message.endsWith("-out-> PUBLISH"));
    expect(published?.fields?.packet).toMatchObject({ topic: "log/a", payload: "<20 bytes>" });
  });

  it("logs the packets of an MQTT 5.0 session with Debian's mosquitto", async () => {
    const { url } = await startMosquitto();
    const lines: Line[] = [];
    const client = newClient({
      protocolVersion: 5,
      plugins: ["packet-logger"],
      logger: capturingLogger(lines),
    });
    await client.connect(url);
    await client.publish("m/q2", "x", { qos: 2 });
    await client.disconnect();
    const names = lines.map((l) => l.message.split(" ").slice(1).join(" "));
    expect(names).toEqual([
      "-out-> CONNECT",
      "<-in-- CONNACK",
      "-out-> PUBLISH",
      "<-in-- PUBREC",
      "-out-> PUBREL",
      "<-in-- PUBCOMP",
      "-out-> DISCONNECT",
    ]);
  });
});

describe("event plugins", () => {
  it("an application's plugin definition, named in plugins by its aMQTT-style name, sees connected, message and disconnected; the event logger logs them", async () => {
    const { url, stop } = await startOurBroker();
    const seen: string[] = [];
    const recorder = defineClientPlugin<{ tag: string }>({
      name: "recorder",
      aliases: ["my_app.plugins.RecorderPlugin"],
      options: (raw) => {
        const tag = (raw as { tag?: unknown } | null)?.tag;
        return typeof tag === "string"
          ? { options: { tag } }
          : { issues: [{ path: "tag", message: "a string" }] };
      },
      create: ({ tag }, context) => ({
        name: "recorder",
        onConnected: (e) => {
          seen.push(`${tag} connected reconnect=${e.reconnect} as ${context.clientId()}`);
        },
        onMessage: (m: IncomingApplicationMessage) => {
          seen.push(`${tag} message ${m.topic}`);
        },
        onDisconnected: async (e) => {
          seen.push(`${tag} disconnected willReconnect=${e.willReconnect}`);
        },
      }),
    });
    const lines: Line[] = [];
    const client = new MQTTClient({
      clientId: "events-1",
      pluginDefinitions: [recorder],
      config: {
        auto_reconnect: false,
        logger: capturingLogger(lines),
        plugins: { "my_app.plugins.RecorderPlugin": { tag: "r" }, event_logger_plugin: {} },
      },
    });
    expect(
      () => new MQTTClient({ pluginDefinitions: [recorder], config: { plugins: { recorder: {} } } }),
    ).toThrow(/plugins\.recorder\.tag/);
    await client.connect(url);
    await client.subscribe([["ev/#", 0]]);
    await client.publish("ev/1", "hello");
    await client.deliverMessage({ timeout: 5 });
    await stop();
    await until(() => seen.length === 3);
    expect(seen).toEqual([
      "r connected reconnect=false as events-1",
      "r message ev/1",
      "r disconnected willReconnect=false",
    ]);
    const info = lines.filter((l) => l.level === "info").map((l) => l.message);
    expect(info).toEqual(["connected", "disconnected"]);
    expect(lines.find((l) => l.message === "message received")?.fields).toMatchObject({
      clientId: "events-1",
      topic: "ev/1",
      bytes: 5,
    });
    expect(JSON.stringify(lines)).not.toContain("hello");
  });

  it("a plugin module given by path is imported at connect; a missing one rejects connect() with ClientPluginError", async () => {
    const { url } = await startOurBroker();
    const dir = mkdtempSync(join(tmpdir(), "amqtt-client-plugin-"));
    dirs.push(dir);
    const file = join(dir, "counter.mjs");
    writeFileSync(
      file,
      `export default (context) => ({
  name: "counter",
  onPacketSent(packet) { globalThis.__amqttCounter = (globalThis.__amqttCounter ?? 0) + 1; },
  onConnected() { context.logger.info("counter up", { options: context.options }); },
});
`,
    );
    const lines: Line[] = [];
    const client = newClient({ plugins: { [file]: { every: 1 } }, logger: capturingLogger(lines) });
    await client.connect(url);
    await client.publish("m/1", "x");
    await until(() => lines.length === 1);
    expect((globalThis as { __amqttCounter?: number }).__amqttCounter).toBeGreaterThanOrEqual(2);
    expect(lines[0]).toMatchObject({ message: "counter up", fields: { options: { every: 1 } } });
    const missing = newClient({ plugins: { [join(dir, "missing.mjs")]: {} } });
    await expect(missing.connect(url)).rejects.toBeInstanceOf(ClientPluginError);
    expect(missing.state).toBe("idle");
  });

  it("a throwing or rejecting hook is logged with the plugin's name and never breaks the client", async () => {
    const { url } = await startOurBroker();
    const lines: Line[] = [];
    const client = newClient({ logger: capturingLogger(lines) });
    const broken = new MQTTClient({
      clientId: `broken-${process.pid}`,
      config: { logger: capturingLogger(lines) },
      plugins: [
        {
          name: "broken",
          onPacketSent: () => {
            throw new Error("sent hook exploded");
          },
          onPacketReceived: () => {
            throw new Error("received hook exploded");
          },
          onConnected: () => {
            throw new Error("connected hook exploded");
          },
          onMessage: async () => {
            throw new Error("message hook rejected");
          },
        },
      ],
    });
    await broken.connect(url);
    await client.connect(url);
    await broken.subscribe([["b/#", 1]]);
    await client.publish("b/1", "still works", { qos: 1 });
    expect(text((await broken.deliverMessage({ timeout: 5 })).data)).toBe("still works");
    await broken.publish("b/2", "and back", { qos: 1 });
    await until(() => lines.some((l) => l.message.includes("onMessage")));
    await broken.disconnect();
    const failures = new Set(lines.filter((l) => l.level === "error").map((l) => l.message));
    expect(failures).toEqual(
      new Set([
        "plugin broken: onPacketSent failed, ignored",
        "plugin broken: onPacketReceived failed, ignored",
        "plugin broken: onConnected failed, ignored",
        "plugin broken: onMessage failed, ignored",
      ]),
    );
    expect(lines.find((l) => l.message.includes("onMessage"))?.fields).toMatchObject({
      plugin: "broken",
      error: "Error: message hook rejected",
    });
  });
});

describe("the plugins' packet decoder", () => {
  it("is bounded: a packet announced larger than the Maximum Packet Size ends decoding for that connection", () => {
    const packets: number[] = [];
    const host = new ClientPluginHost({
      specs: [],
      plugins: [{ name: "seen", onPacketReceived: (p) => packets.push(p.type) }],
      logger: capturingLogger([]),
      clientId: () => "c",
      protocolVersion: 4,
      maxPacketSize: 1024,
      importModule: async () => undefined,
    });
    return host.start().then(() => {
      host.connectionOpened();
      host.bytesReceived(Uint8Array.of(0xd0, 0x00)); // PINGRESP
      // A PUBLISH whose Remaining Length (2048) is over the bound: nothing of it is held.
      host.bytesReceived(Uint8Array.of(0x30, 0x80, 0x10));
      host.bytesReceived(Uint8Array.of(0xd0, 0x00));
      expect(packets).toEqual([PacketType.PINGRESP]);
      host.connectionOpened();
      host.bytesReceived(Uint8Array.of(0xd0, 0x00));
      expect(packets).toEqual([PacketType.PINGRESP, PacketType.PINGRESP]);
    });
  });
});
