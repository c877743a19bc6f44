// Broker.reload(): what it applies, re-reads and refuses, over the memory harness.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { PacketType, ReasonCode } from "@amqtt/codec";
import { makeTempDir, type TempDir } from "@amqtt/test-utils";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Broker, type BrokerConfigInput, ConfigError, hashPassword } from "../../src/index.js";
import { capturingLogger } from "../harness/logger.js";
import { ManualClock } from "../harness/manual-clock.js";
import { MqttPeer, startMemoryBroker } from "../harness/peer.js";
import { subscribe } from "../harness/steps.js";

let temp: TempDir;
beforeEach(() => {
  temp = makeTempDir("amqtt-reload-");
});
afterEach(() => {
  temp.remove();
  vi.restoreAllMocks();
});

const base: BrokerConfigInput = { listeners: {}, plugins: { "anonymous-auth": {} } };

/** Whether `username`/`password` get CONNACK 0x00 from `broker`. */
async function logsIn(broker: Broker, username: string, password: string): Promise<boolean> {
  const peer = MqttPeer.open(broker);
  peer.connect(`c-${username}`, { username, password: new TextEncoder().encode(password) });
  const connack = await peer.expect("connack");
  peer.connection.abort();
  return connack.reasonCode === ReasonCode.SUCCESS;
}

describe("Broker.reload()", () => {
  it("with no argument re-reads the password file: a user added to it can log in, a removed one no longer", async () => {
    const file = join(temp.path, "passwd");
    writeFileSync(file, `old:${await hashPassword("old-pw")}\n`);
    const broker = await startMemoryBroker({ plugins: { "file-auth": { password_file: file } } });
    expect(await logsIn(broker, "old", "old-pw")).toBe(true);
    expect(await logsIn(broker, "new", "new-pw")).toBe(false);
    writeFileSync(file, `new:${await hashPassword("new-pw")}\n`);
    const report = await broker.reload();
    expect(report).toEqual({ applied: ["plugins.file-auth"], refused: [] });
    expect(await logsIn(broker, "new", "new-pw")).toBe(true);
    expect(await logsIn(broker, "old", "old-pw")).toBe(false);
  });

  it("a broken password file is refused with its reason, and the users read before still log in", async () => {
    const file = join(temp.path, "passwd");
    writeFileSync(file, `old:${await hashPassword("old-pw")}\n`);
    const log = capturingLogger();
    const broker = await startMemoryBroker(
      { plugins: { "file-auth": { password_file: file } } },
      { logger: log.logger },
    );
    writeFileSync(file, "a line without a hash\n");
    const report = await broker.reload();
    expect(report.applied).toEqual([]);
    expect(report.refused).toEqual([
      { key: "plugins.file-auth", reason: expect.stringMatching(/keeps what it had/) },
    ]);
    expect(await logsIn(broker, "old", "old-pw")).toBe(true);
    expect(log.lines.some((l) => l.message.startsWith("not reloaded: plugins.file-auth"))).toBe(true);
  });

  it("with no argument re-reads the ACL file: a topic granted in it after start can be subscribed", async () => {
    const acl = join(temp.path, "acl");
    writeFileSync(acl, "topic read public/#\n");
    const broker = await startMemoryBroker({
      plugins: { "anonymous-auth": {}, "topic-acl": { acl_file: acl } },
    });
    const { peer } = await MqttPeer.connected(broker, "reader");
    expect(await subscribe(peer, { "public/a": 1, "news/a": 1 })).toEqual([1, ReasonCode.UNSPECIFIED_ERROR]);
    writeFileSync(acl, "topic read public/#\ntopic read news/#\n");
    expect(await broker.reload()).toEqual({ applied: ["plugins.topic-acl"], refused: [] });
    expect(await subscribe(peer, { "news/a": 1 })).toEqual([1]);
  });

  it("applies connect_timeout to connections accepted after the reload, not to one already waiting", async () => {
    const clock = new ManualClock();
    const broker = await startMemoryBroker({ ...base, connect_timeout: 10 }, { clock });
    const early = MqttPeer.open(broker);
    const report = await broker.reload({ ...base, connect_timeout: 2 });
    expect(report).toEqual({ applied: ["connect_timeout"], refused: [] });
    const late = MqttPeer.open(broker);
    clock.advance(3000);
    await late.expectClosed();
    // The earlier connection keeps its 10 s: it can still complete its CONNECT.
    early.connect("early");
    expect((await early.expect("connack")).reasonCode).toBe(ReasonCode.SUCCESS);
  });

  it("applies the settings that can change while running and refuses the others by key, logging each refusal", async () => {
    const log = capturingLogger();
    const broker = await startMemoryBroker(base, { logger: log.logger });
    const report = await broker.reload({
      ...base,
      max_keepalive: 30,
      max_subscriptions_per_client: 5,
      retained_message_expiry: 600,
      max_queued_messages: 10,
      max_packet_size: 4096,
      max_qos: 1,
      listeners: { extra: { type: "tcp", bind: "127.0.0.1:0" } },
      plugins: { "anonymous-auth": {}, "event-logger": {} },
    });
    expect(report.applied.sort()).toEqual(
      ["max_keepalive", "max_subscriptions_per_client", "retained_message_expiry"].sort(),
    );
    expect(report.refused.map((r) => r.key).sort()).toEqual(
      ["listeners.extra", "max_packet_size", "max_qos", "max_queued_messages", "plugins"].sort(),
    );
    for (const r of report.refused) expect(r.reason).toMatch(/restart/);
    for (const r of report.refused)
      expect(log.lines.some((l) => l.message.startsWith(`not reloaded: ${r.key}:`))).toBe(true);
    // What was refused did not change; what was applied did.
    expect(broker.config.limits.maxQueuedMessages).toBe(1000);
    expect(broker.config.limits.maxPacketSize).toBe(8 * 1024 * 1024);
    expect(broker.config.capabilities.maxQos).toBe(2);
    expect(broker.config.limits.maxKeepalive).toBe(30);
    expect(broker.retained.maxAgeMs).toBe(600_000);
    // A new CONNECT sees the new keep-alive cap: 5.0 Server Keep Alive [MQTT-3.2.2-21].
    const { connack } = await MqttPeer.connected(broker, "after", { keepAlive: 120 });
    expect(connack.type).toBe(PacketType.CONNACK);
    expect(connack.properties?.serverKeepAlive).toBe(30);
  });

  it("with the running configuration again applies nothing and refuses nothing", async () => {
    const broker = await startMemoryBroker({ ...base, max_keepalive: 60 });
    expect(await broker.reload({ ...base, max_keepalive: 60 })).toEqual({ applied: [], refused: [] });
  });

  it("a configuration that does not resolve throws ConfigError and changes nothing", async () => {
    const broker = await startMemoryBroker({ ...base, max_keepalive: 60 });
    await expect(broker.reload({ ...base, max_keepalive: -5 })).rejects.toBeInstanceOf(ConfigError);
    expect(broker.config.limits.maxKeepalive).toBe(60);
  });

  it("a burst of reloads makes one that runs with the newest configuration (at most one waits; a bare reload does not undo a configuration)", async () => {
    const broker = await startMemoryBroker(base);
    const first = broker.reload({ ...base, max_keepalive: 10 });
    const second = broker.reload({ ...base, max_keepalive: 20 });
    const bare = broker.reload();
    const third = broker.reload({ ...base, max_keepalive: 30 });
    expect(second).toBe(first);
    expect(bare).toBe(first);
    expect(third).toBe(first);
    expect(await first).toEqual({ applied: ["max_keepalive"], refused: [] });
    expect(broker.config.limits.maxKeepalive).toBe(30);
    // Once it ran, the next call is a reload of its own.
    const after = broker.reload({ ...base, max_keepalive: 40 });
    expect(after).not.toBe(first);
    await after;
    expect(broker.config.limits.maxKeepalive).toBe(40);
  });

  it("cannot run on a broker that is not started", async () => {
    const broker = new Broker(base);
    await expect(broker.reload()).rejects.toThrow(/not|new/);
  });

  it("changes the log level of a broker that made its own logger (log_level warn -> info shows the connects)", async () => {
    const written: string[] = [];
    vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    const config = { ...base, plugins: { "anonymous-auth": {}, "event-logger": {} } };
    const broker = new Broker({ ...config, log_level: "warn" });
    await broker.start();
    try {
      await MqttPeer.connected(broker, "quiet");
      expect(written.filter((l) => l.includes("client connected"))).toEqual([]);
      const report = await broker.reload({ ...config, log_level: "info", log_format: "json" });
      expect(report.applied.sort()).toEqual(["log_format", "log_level"]);
      await MqttPeer.connected(broker, "heard");
      const connected = written
        .filter((l) => l.includes("client connected"))
        .map((l) => JSON.parse(l) as { component: string; fields: { clientId: string } });
      expect(connected).toMatchObject([{ component: "plugins.event-logger", fields: { clientId: "heard" } }]);
    } finally {
      await broker.stop();
    }
  });

  it("refuses log settings when the embedder gave the logger", async () => {
    const broker = await startMemoryBroker(base);
    const report = await broker.reload({ ...base, log_level: "debug" });
    expect(report.refused).toEqual([{ key: "log_level", reason: expect.stringMatching(/given its logger/) }]);
  });
});
