import { describe, expect, it } from "vitest";
import { BridgeConfigError, EchoGuard, parseBridges, TopicMap, withBridgeBit } from "../src/index.js";

const minimal = { name: "c", address: "127.0.0.1:1883", topics: [{ filter: "a/#" }] };

describe("parseBridges", () => {
  it("applies Mosquitto-like defaults", () => {
    const [b] = parseBridges([minimal]);
    expect(b).toMatchObject({
      name: "c",
      addresses: ["mqtt://127.0.0.1:1883"],
      protocolVersion: 5,
      clientId: "amqtt-bridge-c",
      cleanStart: false,
      sessionExpiryInterval: 0xffffffff,
      keepAlive: 60,
      tryPrivate: true,
      echoGuard: "off",
      maxQueuedMessages: 10_000,
      maxQueuedBytes: 64 * 1024 * 1024,
      maxInflight: 100,
      retainedOnStart: true,
      topics: [{ filter: "a/#", direction: "out", qos: 1, localPrefix: "", remotePrefix: "" }],
      reconnect: { initialMs: 1000, maxMs: 60_000, jitter: 0.5 },
    });
    expect(parseBridges([{ ...minimal, protocol_version: 4 }])[0]?.echoGuard).toBe("inbound");
  });

  it("takes fail-over addresses, TLS files relative to the config folder and restart_timeout", () => {
    const [b] = parseBridges(
      [
        {
          ...minimal,
          address: undefined,
          addresses: ["a.example:8883", "mqtts://b.example"],
          tls: { cafile: "ca.pem", certfile: "/abs/c.pem", keyfile: "k.pem" },
          username: "site",
          password_file: "pw",
          restart_timeout: [2, 30],
        },
      ],
      { baseDir: "/etc/amqtt" },
    );
    expect(b).toMatchObject({
      addresses: ["mqtts://a.example:8883", "mqtts://b.example"],
      tls: {
        cafile: "/etc/amqtt/ca.pem",
        certfile: "/abs/c.pem",
        keyfile: "/etc/amqtt/k.pem",
        verifyHostname: true,
      },
      passwordFile: "/etc/amqtt/pw",
      reconnect: { initialMs: 2000, maxMs: 30_000 },
    });
  });

  it("names every bad field in one BridgeConfigError", () => {
    let error: unknown;
    try {
      parseBridges([
        {
          name: "bad name",
          address: "mqtt://user:secret@h:1",
          protocol_version: 3,
          password_file: "pw",
          tls: { certfile: "c.pem" },
          topics: [{ filter: "a/#/b", direction: "sideways", qos: 3, local_prefix: "x/+/" }],
          colour: "blue",
        },
        { ...minimal },
        { ...minimal },
      ]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(BridgeConfigError);
    const e = error as BridgeConfigError;
    expect(e.name).toBe("BridgeConfigError");
    expect(e.fields.sort()).toEqual(
      [
        "bridges[0].colour",
        "bridges[0].name",
        "bridges[0].address",
        "bridges[0].protocol_version",
        "bridges[0].password_file",
        "bridges[0].tls.keyfile",
        "bridges[0].topics[0].filter",
        "bridges[0].topics[0].direction",
        "bridges[0].topics[0].qos",
        "bridges[0].topics[0].local_prefix",
        "bridges[2].name",
        "bridges[2].client_id",
      ].sort(),
    );
  });

  it("refuses a list that is not one and an entry without topics or address", () => {
    expect(() => parseBridges({ name: "x" })).toThrow(BridgeConfigError);
    try {
      parseBridges([{ name: "x" }]);
    } catch (e) {
      expect((e as BridgeConfigError).fields).toEqual(["bridges[0].address", "bridges[0].topics"]);
    }
  });
});

describe("TopicMap (Mosquitto's prefix rule)", () => {
  const map = new TopicMap(
    parseBridges([
      {
        name: "c",
        address: "h:1",
        topics: [
          { filter: "sensors/#", direction: "out", qos: 1, remote_prefix: "site-1/" },
          {
            filter: "cmd/#",
            direction: "in",
            qos: 2,
            local_prefix: "from-central/",
            remote_prefix: "site-1/",
          },
          { filter: "both/+", direction: "both", qos: 0, local_prefix: "l/", remote_prefix: "r/" },
        ],
      },
    ])[0]?.topics ?? [],
  );

  it("swaps the local prefix for the remote one, at the lower QoS", () => {
    expect(map.toRemote("sensors/t", 2)).toEqual({ topic: "site-1/sensors/t", qos: 1 });
    expect(map.toRemote("l/both/x", 1)).toEqual({ topic: "r/both/x", qos: 0 });
    expect(map.toRemote("cmd/x", 1)).toBeUndefined();
    expect(map.toLocal("site-1/cmd/reboot", 2)).toEqual({ topic: "from-central/cmd/reboot", qos: 2 });
    expect(map.toLocal("r/both/y", 1)).toEqual({ topic: "l/both/y", qos: 0 });
    expect(map.toLocal("site-1/sensors/t", 1)).toBeUndefined();
  });

  it("subscribes at the remote to remote_prefix + filter of the in and both entries", () => {
    expect(map.remoteSubscriptions()).toEqual([
      { topicFilter: "site-1/cmd/#", qos: 2 },
      { topicFilter: "r/both/+", qos: 0 },
    ]);
  });
});

describe("withBridgeBit", () => {
  it("sets the high bit of the protocol level of a CONNECT, on a copy", () => {
    // CONNECT, Remaining Length 12, "MQTT", level 4, flags 2, keep alive 60, client id ""
    const connect = Uint8Array.from([0x10, 12, 0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 2, 0, 60, 0, 0]);
    const marked = withBridgeBit(connect);
    expect(marked[8]).toBe(0x84);
    expect(connect[8]).toBe(4);
    expect([...marked.subarray(9)]).toEqual([...connect.subarray(9)]);
  });

  it("finds the level after a two-byte Remaining Length and leaves other packets alone", () => {
    const long = new Uint8Array(3 + 200);
    long.set([0x10, 0xc8, 0x01, 0, 4, 0x4d, 0x51, 0x54, 0x54, 4]);
    expect(withBridgeBit(long)[9]).toBe(0x84);
    const ping = Uint8Array.from([0xc0, 0]);
    expect(withBridgeBit(ping)).toBe(ping);
  });
});

describe("EchoGuard", () => {
  const bytes = (s: string) => new TextEncoder().encode(s);

  it("matches one echo per carried message, within the window", () => {
    let now = 0;
    const guard = new EchoGuard(10, 1000, () => now);
    guard.carried("t", bytes("a"));
    guard.carried("t", bytes("a"));
    expect(guard.isEcho("t", bytes("b"))).toBe(false);
    expect(guard.isEcho("u", bytes("a"))).toBe(false);
    expect(guard.isEcho("t", bytes("a"))).toBe(true);
    now = 1001;
    expect(guard.isEcho("t", bytes("a"))).toBe(false);
    expect(guard.held).toBe(0);
  });

  it("is bounded: beyond capacity the oldest fingerprints go", () => {
    const guard = new EchoGuard(3, 60_000, () => 0);
    for (let i = 0; i < 5; i++) guard.carried(`t/${i}`, bytes("x"));
    expect(guard.held).toBe(3);
    expect(guard.isEcho("t/0", bytes("x"))).toBe(false);
    expect(guard.isEcho("t/1", bytes("x"))).toBe(false);
    expect(guard.isEcho("t/4", bytes("x"))).toBe(true);
  });
});
