import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PacketType } from "@amqtt/codec";
import { afterAll, describe, expect, it } from "vitest";
import { deriveScramCredentials, formatScramCredentials, ScramClient } from "../../src/index.js";
import { connect5, mosquitto, mosquittoArgs, mqtt5, ours, raw, startBroker } from "./harness.js";

// CONNACK properties (section 3.2.2.3) and enhanced authentication (section 4.12).

describe("feature availability in CONNACK (section 3.2.2.3)", () => {
  it.each([
    ["the defaults: everything available, nothing announced", {}, {}],
    [
      "everything switched off",
      {
        max_qos: 0,
        retain_available: false,
        wildcard_subscription_available: false,
        subscription_identifier_available: false,
        shared_subscription_available: false,
      },
      {
        maximumQoS: 0,
        retainAvailable: false,
        wildcardSubscriptionAvailable: false,
        subscriptionIdentifiersAvailable: false,
        sharedSubscriptionAvailable: false,
      },
    ],
    ["max_qos 1 [MQTT-3.2.2-9]", { max_qos: 1 }, { maximumQoS: 1 }],
  ] as const)("matches the configuration, %s", async (_, config, expected) => {
    const { url } = await startBroker(config);
    const { connack } = await mqtt5(url);
    const flags = [
      "maximumQoS",
      "retainAvailable",
      "wildcardSubscriptionAvailable",
      "subscriptionIdentifiersAvailable",
      "sharedSubscriptionAvailable",
    ];
    const announced = Object.fromEntries(
      flags.filter((f) => connack.properties?.[f] !== undefined).map((f) => [f, connack.properties?.[f]]),
    );
    expect(announced).toEqual(expected);
  });

  it.each([
    ["QoS 2 above Maximum QoS 1: 0x9B", { max_qos: 1 as const }, { qos: 2 as const, retain: false }, 0x9b],
    [
      "RETAIN with Retain Available 0: 0x9A",
      { retain_available: false },
      { qos: 0 as const, retain: true },
      0x9a,
    ],
  ])(
    "disconnects a client that publishes %s (sections 3.2.2.3.4 and 3.2.2.3.5)",
    async (_, config, flags, code) => {
      const { port } = await startBroker(config);
      const c = await raw(port, connect5("over-limits"));
      c.send({ type: PacketType.PUBLISH, topic: "lim/t", payload: new Uint8Array(), packetId: 1, ...flags });
      expect((await c.closedBy())?.reasonCode).toBe(code);
    },
  );
});

describe("Server Keep Alive and assigned client identifiers", () => {
  it.each([
    ["max_keepalive 20 caps a keep alive of 60 [MQTT-3.2.2-21]", { max_keepalive: 20 }, 60, 20],
    ["no max_keepalive: no Server Keep Alive, the client's value holds [MQTT-3.2.2-22]", {}, 60, undefined],
  ])("%s", async (_, config, keepalive, expected) => {
    const { url } = await startBroker(config);
    const { connack } = await mqtt5(url, { keepalive });
    expect(connack.properties?.serverKeepAlive).toBe(expected);
  });

  it("assigns distinct client identifiers to MQTT.js, our client and mosquitto_sub when they send none [MQTT-3.1.3-6] [MQTT-3.1.3-7] [MQTT-3.2.2-16]", async () => {
    const { broker, port, url } = await startBroker();
    const { connack } = await mqtt5(url, { clientId: "" });
    const c = await ours(port, { clientId: "" });
    const oursConnected = c.events.find((e) => e.kind === "connected");
    // mosquitto_sub sends an empty client id in 5.0 when given none; -E exits after its SUBACK.
    const assigned: string[] = [];
    broker.on("clientConnected", (client) => assigned.push(client.clientId));
    const mosq = await mosquitto("mosquitto_sub", [...mosquittoArgs(port), "-t", "x", "-E"]);
    expect(mosq.code).toBe(0);
    const ids = [
      connack.properties?.assignedClientIdentifier,
      oursConnected?.kind === "connected"
        ? oursConnected.connack.properties?.assignedClientIdentifier
        : undefined,
      assigned[0],
    ];
    expect(ids.every((id) => typeof id === "string" && id.length > 0)).toBe(true);
    expect(new Set(ids).size).toBe(3);
  });
});

describe("enhanced authentication (section 4.12)", () => {
  const dir = mkdtempSync(join(tmpdir(), "amqtt-v5e2e-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const passwordFile = () => {
    const file = join(dir, "passwd");
    writeFileSync(file, `carol:${formatScramCredentials(deriveScramCredentials("secret"))}\n`);
    return file;
  };

  it("MQTT.js completes a SCRAM-SHA-256 exchange; the CONNACK repeats the method and proves the server [MQTT-4.12.0-5]", async () => {
    const { url } = await startBroker({ plugins: { "file-auth": { password_file: passwordFile() } } });
    const scram = new ScramClient("carol", "secret");
    const { connect } = await import("mqtt");
    const client = connect(url, {
      protocolVersion: 5,
      reconnectPeriod: 0,
      clientId: "scram-mqttjs",
      properties: { authenticationMethod: "SCRAM-SHA-256", authenticationData: Buffer.from(scram.first()) },
    });
    const methods: unknown[] = [];
    client.handleAuth = (packet, callback) => {
      methods.push(packet.properties?.authenticationMethod);
      const data = scram.final(new Uint8Array(packet.properties?.authenticationData as Buffer));
      callback(undefined, {
        cmd: "auth",
        reasonCode: 0x18,
        properties: { authenticationMethod: "SCRAM-SHA-256", authenticationData: Buffer.from(data) },
      });
    };
    try {
      const connack = await new Promise<{ properties?: Record<string, unknown> }>((resolve, reject) => {
        client.once("connect", (p) => resolve(p as never));
        client.once("error", reject);
      });
      expect(methods).toEqual(["SCRAM-SHA-256"]);
      expect(connack.properties?.authenticationMethod).toBe("SCRAM-SHA-256");
      expect(() =>
        scram.verify(new Uint8Array(connack.properties?.authenticationData as Buffer)),
      ).not.toThrow();
    } finally {
      await client.endAsync(true);
    }
  });

  it.each([
    ["our client", "ours"],
    ["mosquitto_pub -D CONNECT authentication-method", "mosquitto"],
  ] as const)(
    "refuses an unknown Authentication Method from %s with 0x8C Bad authentication method [MQTT-4.12.0-1]",
    async (_, who) => {
      const { port } = await startBroker();
      if (who === "ours") {
        const c = await ours(port, {
          clientId: "bad-method",
          properties: { authenticationMethod: "NO-SUCH-METHOD" },
        }).catch((e: { action: { reasonCode: number } }) => e.action);
        const refused = c as { reasonCode?: number };
        expect(refused.reasonCode).toBe(0x8c);
      } else {
        const r = await mosquitto("mosquitto_pub", [
          ...mosquittoArgs(port),
          "-t",
          "t",
          "-m",
          "m",
          "-D",
          "CONNECT",
          "authentication-method",
          "NO-SUCH-METHOD",
        ]);
        expect(r.code).not.toBe(0);
        expect(r.stderr).toMatch(/bad authentication method/i);
      }
    },
  );

  it("sends no Authentication Method in CONNACK to a client that sent none [MQTT-4.12.0-6]", async () => {
    const { url } = await startBroker();
    const { connack } = await mqtt5(url);
    expect(connack.properties?.authenticationMethod).toBeUndefined();
  });
});
