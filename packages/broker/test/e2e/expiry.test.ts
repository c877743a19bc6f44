import { PacketType } from "@amqtt/codec";
import { describe, expect, it } from "vitest";
import {
  collectFor,
  connect5,
  mosquitto,
  mosquittoArgs,
  mosquittoProcess,
  mqtt5,
  nextMessages,
  OursClient,
  ours,
  raw,
  startBroker,
  str,
} from "./harness.js";

// Message expiry (3.3.2.3.3), session expiry (3.1.2.11.2, 3.14.2.2.2) and will delay (3.1.3.2.2).

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("Message Expiry Interval", () => {
  it("is counted down while a message waits in an offline queue, and an expired one is dropped [MQTT-3.3.2-5] [MQTT-3.3.2-6]", async () => {
    const { port, url } = await startBroker();
    const offline = { clientId: "exp-offline", clean: false, properties: { sessionExpiryInterval: 60 } };
    const first = await ours(port, offline);
    await first.subscribe([{ topicFilter: "exp/#", qos: 1 }]);
    first.run(first.session.disconnect(Date.now()));
    await first.ended();
    const { client: pub } = await mqtt5(url);
    await pub.publishAsync("exp/short", "gone", { qos: 1, properties: { messageExpiryInterval: 1 } });
    await pub.publishAsync("exp/long", "kept", { qos: 1, properties: { messageExpiryInterval: 100 } });
    await sleep(1100);
    const again = new OursClient(port);
    const connected = await again.connect(offline);
    expect(connected.sessionPresent).toBe(true);
    const [m] = await again.nextMessages(1);
    expect([m?.topic, str(m?.payload)]).toEqual(["exp/long", "kept"]);
    expect(m?.properties?.messageExpiryInterval).toBeLessThan(100);
    expect(m?.properties?.messageExpiryInterval).toBeGreaterThan(90);
  });

  it("expires retained messages: a subscriber after the interval gets none (section 3.3.1.3)", async () => {
    const { url } = await startBroker();
    const { client: pub } = await mqtt5(url);
    await pub.publishAsync("exp/ret/short", "gone", {
      qos: 1,
      retain: true,
      properties: { messageExpiryInterval: 1 },
    });
    await pub.publishAsync("exp/ret/long", "kept", {
      qos: 1,
      retain: true,
      properties: { messageExpiryInterval: 100 },
    });
    await sleep(1100);
    const { client: sub } = await mqtt5(url);
    const got = nextMessages(sub, 1);
    await sub.subscribeAsync("exp/ret/#", { qos: 1 });
    const [[topic, , packet]] = (await got) as unknown as [
      [string, string, { properties?: { messageExpiryInterval?: number } }],
    ];
    expect(topic).toBe("exp/ret/long");
    expect(packet.properties?.messageExpiryInterval).toBeLessThan(100);
    expect(await collectFor(sub, 100)).toEqual([]);
  });

  it("reaches mosquitto_sub with the interval it was published with (-F %E)", async () => {
    const { port, url } = await startBroker();
    const sub = mosquitto("mosquitto_sub", [
      ...mosquittoArgs(port),
      "-t",
      "exp/m",
      "-F",
      "%t %E",
      "-C",
      "1",
      "-W",
      "8",
    ]);
    const { client: pub } = await mqtt5(url);
    // mosquitto_sub gives no signal when subscribed: publish retained so it arrives either way.
    await pub.publishAsync("exp/m", "x", {
      qos: 1,
      retain: true,
      properties: { messageExpiryInterval: 3600 },
    });
    const { stdout } = await sub;
    const [topic, interval] = stdout.trim().split(" ");
    expect(topic).toBe("exp/m");
    expect(Number(interval)).toBeGreaterThan(3590);
    expect(Number(interval)).toBeLessThanOrEqual(3600);
  });
});

describe("Session Expiry Interval", () => {
  it.each([
    ["our client", "ours"],
    ["MQTT.js", "mqttjs"],
  ] as const)(
    "keeps the session of %s after the connection closes when the interval is above 0 [MQTT-3.1.2-23]",
    async (_, who) => {
      const { port, url } = await startBroker();
      const options = { clientId: `keep-${who}`, clean: false, properties: { sessionExpiryInterval: 30 } };
      if (who === "ours") {
        const c = await ours(port, options);
        await c.subscribe([{ topicFilter: "sess/keep", qos: 1 }]);
        c.socket.destroy();
        await c.ended();
        const back = await new OursClient(port).connect(options);
        expect(back.sessionPresent).toBe(true);
      } else {
        const { client } = await mqtt5(url, options);
        await client.subscribeAsync("sess/keep", { qos: 1 });
        await client.endAsync();
        const { connack } = await mqtt5(url, options);
        expect(connack.sessionPresent).toBe(true);
      }
    },
  );

  it("ends a session once its interval has passed [MQTT-4.1.0-2]", async () => {
    const { port } = await startBroker();
    const options = { clientId: "short-lived", clean: false, properties: { sessionExpiryInterval: 1 } };
    const c = await ours(port, options);
    await c.subscribe([{ topicFilter: "sess/short", qos: 1 }]);
    c.run(c.session.disconnect(Date.now()));
    await c.ended();
    await sleep(1300);
    const back = await new OursClient(port).connect(options);
    expect(back.sessionPresent).toBe(false);
  });

  it.each([
    ["our client", "ours"],
    ["MQTT.js", "mqttjs"],
  ] as const)(
    "lets %s end its session at DISCONNECT by setting the interval to 0 there (section 3.14.2.2.2)",
    async (_, who) => {
      const { port, url } = await startBroker();
      const options = {
        clientId: `override-${who}`,
        clean: false,
        properties: { sessionExpiryInterval: 300 },
      };
      if (who === "ours") {
        const c = await ours(port, options);
        await c.subscribe([{ topicFilter: "sess/o", qos: 1 }]);
        c.run(c.session.disconnect(Date.now(), { sessionExpiryInterval: 0 }));
        await c.ended();
      } else {
        const { client } = await mqtt5(url, options);
        await client.subscribeAsync("sess/o", { qos: 1 });
        await new Promise<void>((r) =>
          client.end(false, { properties: { sessionExpiryInterval: 0 } }, () => r()),
        );
      }
      const back = await new OursClient(port).connect(options);
      expect(back.sessionPresent).toBe(false);
    },
  );

  it("lets mosquitto_sub keep its session with -c -x (section 3.1.2.11.2)", async () => {
    const { port } = await startBroker();
    const args = [
      ...mosquittoArgs(port),
      "-i",
      "mosq-session",
      "-c",
      "-x",
      "60",
      "-t",
      "sess/m",
      "-q",
      "1",
      "-E",
    ];
    const first = await mosquitto("mosquitto_sub", args);
    expect(first.code).toBe(0);
    const back = await new OursClient(port).connect({
      clientId: "mosq-session",
      clean: false,
      properties: { sessionExpiryInterval: 60 },
    });
    expect(back.sessionPresent).toBe(true);
  });

  it("refuses a DISCONNECT that sets a non-zero interval after a CONNECT with 0: DISCONNECT 0x82, and the will goes out (section 3.14.2.2.2)", async () => {
    const { port, url } = await startBroker();
    const { client: watcher } = await mqtt5(url);
    await watcher.subscribeAsync("will/bad-disconnect");
    const got = nextMessages(watcher, 1);
    const c = await raw(
      port,
      connect5(
        "bad-disconnect",
        {},
        { will: { topic: "will/bad-disconnect", payload: new Uint8Array([1]), qos: 0, retain: false } },
      ),
    );
    c.send({ type: PacketType.DISCONNECT, reasonCode: 0, properties: { sessionExpiryInterval: 60 } });
    expect((await c.closedBy())?.reasonCode).toBe(0x82);
    expect((await got).map(([t]) => t)).toEqual(["will/bad-disconnect"]);
  });
});

describe("will messages", () => {
  it("publishes a will at once when the session ends, however long its Will Delay Interval [MQTT-3.1.2-8]", async () => {
    const { port, url } = await startBroker();
    const { client: watcher } = await mqtt5(url);
    await watcher.subscribeAsync("will/#");
    const got = nextMessages(watcher, 1);
    // Session Expiry 0: the session ends with the connection, long before the hour.
    const c = await ours(port, {
      clientId: "will-now",
      will: {
        topic: "will/now",
        payload: new Uint8Array([1]),
        qos: 1,
        retain: false,
        properties: { willDelayInterval: 3600 },
      },
    });
    c.socket.destroy();
    expect((await got).map(([t]) => t)).toEqual(["will/now"]);
  });

  it("publishes a delayed will when the session expires before the delay (section 3.1.3.2.2)", async () => {
    const { port, url } = await startBroker();
    const { client: watcher } = await mqtt5(url);
    await watcher.subscribeAsync("will/#");
    const got = nextMessages(watcher, 1, 5000);
    const c = await ours(port, {
      clientId: "will-session-end",
      clean: false,
      properties: { sessionExpiryInterval: 1 },
      will: {
        topic: "will/at-expiry",
        payload: new Uint8Array([1]),
        qos: 0,
        retain: false,
        properties: { willDelayInterval: 3600 },
      },
    });
    c.socket.destroy();
    expect((await got).map(([t]) => t)).toEqual(["will/at-expiry"]);
  });

  it("publishes the will after DISCONNECT 0x04 Disconnect with Will Message, not after 0x00 [MQTT-3.14.4-3]", async () => {
    const { port, url } = await startBroker();
    const { client: watcher } = await mqtt5(url);
    await watcher.subscribeAsync("will/#");
    const will = (topic: string) => ({ topic, payload: new Uint8Array([1]), qos: 0 as const, retain: false });
    const normal = await ours(port, { clientId: "will-normal", will: will("will/normal") });
    normal.run(normal.session.disconnect(Date.now(), { reasonCode: 0 }));
    const withWill = await ours(port, { clientId: "will-04", will: will("will/with-will") });
    withWill.run(withWill.session.disconnect(Date.now(), { reasonCode: 0x04 }));
    const [first] = await nextMessages(watcher, 1);
    expect(first?.[0]).toBe("will/with-will");
    expect(await collectFor(watcher, 100)).toEqual([]);
  });

  it("publishes mosquitto_sub's will, with its properties in order, when it dies [MQTT-3.1.2-8] [MQTT-3.1.3-10]", async () => {
    const { broker, port, url } = await startBroker();
    const { client: watcher } = await mqtt5(url);
    await watcher.subscribeAsync("will/mosquitto");
    const got = nextMessages(watcher, 1);
    const subscribed = new Promise<void>((r) => broker.once("clientSubscribed", () => r()));
    const child = mosquittoProcess("mosquitto_sub", [
      ...mosquittoArgs(port),
      "-i",
      "will-mosq",
      "-t",
      "anything",
      "--will-topic",
      "will/mosquitto",
      "--will-payload",
      "gone",
      "-D",
      "WILL",
      "user-property",
      "b",
      "2",
      "-D",
      "WILL",
      "user-property",
      "a",
      "1",
      "-D",
      "WILL",
      "content-type",
      "text/plain",
    ]);
    await subscribed;
    child.kill("SIGKILL");
    const [[topic, payload, packet]] = (await got) as unknown as [
      [string, string, { properties?: Record<string, unknown> }],
    ];
    expect([topic, payload]).toEqual(["will/mosquitto", "gone"]);
    expect(packet.properties?.contentType).toBe("text/plain");
    expect(Object.keys(packet.properties?.userProperties as object)).toEqual(["b", "a"]);
  });
});
