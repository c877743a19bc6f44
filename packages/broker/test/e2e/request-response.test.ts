import { describe, expect, it } from "vitest";
import {
  bytes,
  mosquitto,
  mosquittoArgs,
  mosquittoSub,
  mqtt5,
  nextMessages,
  ours,
  startBroker,
  str,
} from "./harness.js";

// Request / response (section 4.10) and the PUBLISH properties the broker must forward unaltered.

/** mosquitto_pub's arguments for one PUBLISH property (`-D PUBLISH <name> <value>...`). */
const publishProperty = (...a: string[]) => ["-D", "PUBLISH", ...a];

describe("PUBLISH properties forwarded unaltered", () => {
  it("from mosquitto_pub to MQTT.js: Response Topic, Correlation Data, Content Type, Payload Format Indicator, user properties in order [MQTT-3.3.2-4] [MQTT-3.3.2-15] [MQTT-3.3.2-16] [MQTT-3.3.2-17] [MQTT-3.3.2-18] [MQTT-3.3.2-20]", async () => {
    const { port, url } = await startBroker();
    const { client: sub } = await mqtt5(url);
    await sub.subscribeAsync("rr/props");
    const got = nextMessages(sub, 1);
    const result = await mosquitto("mosquitto_pub", [
      ...mosquittoArgs(port),
      "-t",
      "rr/props",
      "-m",
      "héllo",
      "-q",
      "1",
      ...publishProperty("response-topic", "rr/reply/1"),
      ...publishProperty("correlation-data", "req-7"),
      ...publishProperty("content-type", "text/plain"),
      ...publishProperty("payload-format-indicator", "1"),
      ...publishProperty("user-property", "z", "last-letter"),
      ...publishProperty("user-property", "a", "first-letter"),
    ]);
    expect(result.code).toBe(0);
    const [[, payload, packet]] = (await got) as unknown as [
      [string, string, { properties?: Record<string, unknown> }],
    ];
    const p = packet.properties ?? {};
    expect(payload).toBe("héllo");
    expect(p.responseTopic).toBe("rr/reply/1");
    expect(str(p.correlationData as Uint8Array)).toBe("req-7");
    expect(p.contentType).toBe("text/plain");
    expect(p.payloadFormatIndicator).toBe(true);
    expect(Object.entries(p.userProperties as object)).toEqual([
      ["z", "last-letter"],
      ["a", "first-letter"],
    ]);
  });

  it("from MQTT.js to our client and mosquitto_sub (-F %R %D %C %F %P)", async () => {
    const { broker, port, url } = await startBroker();
    const c = await ours(port, { clientId: "rr-ours" });
    await c.subscribe([{ topicFilter: "rr/fwd", qos: 1 }]);
    const mosq = mosquittoSub(
      broker,
      port,
      "rr-mosq",
      ["-t", "rr/fwd", "-q", "1", "-F", "%R|%D|%C|%F|%P"],
      1,
    );
    await mosq.ready;
    const { client: pub } = await mqtt5(url);
    await pub.publishAsync("rr/fwd", "body", {
      qos: 1,
      properties: {
        responseTopic: "rr/answer",
        correlationData: Buffer.from("id-1"),
        contentType: "application/x-test",
        payloadFormatIndicator: true,
        userProperties: { k1: "v1", k2: "v2" },
      },
    });
    const [m] = await c.nextMessages(1);
    expect(m?.properties).toMatchObject({
      responseTopic: "rr/answer",
      contentType: "application/x-test",
      payloadFormatIndicator: 1,
      userProperties: [
        ["k1", "v1"],
        ["k2", "v2"],
      ],
    });
    expect(str(m?.properties?.correlationData)).toBe("id-1");
    expect(await mosq.lines).toEqual(["rr/answer|id-1|application/x-test|1|k1:v1 k2:v2"]);
  });
});

describe("request / response round trip", () => {
  it("MQTT.js asks, our client answers on the Response Topic with the Correlation Data (section 4.10.1)", async () => {
    const { port, url } = await startBroker();
    const responder = await ours(port, { clientId: "responder" });
    await responder.subscribe([{ topicFilter: "svc/add", qos: 1 }]);
    const { client: requester } = await mqtt5(url, { clientId: "requester" });
    await requester.subscribeAsync("svc/replies/requester", { qos: 1 });
    const reply = nextMessages(requester, 1);
    await requester.publishAsync("svc/add", "2+3", {
      qos: 1,
      properties: { responseTopic: "svc/replies/requester", correlationData: Buffer.from([9, 9]) },
    });
    const [request] = await responder.nextMessages(1);
    const [a, b] = str(request?.payload).split("+").map(Number);
    await responder.publish({
      topic: request!.properties!.responseTopic!,
      payload: bytes(String(a! + b!)),
      qos: 1,
      properties: { correlationData: request!.properties!.correlationData! },
    });
    const [[topic, payload, packet]] = (await reply) as unknown as [
      [string, string, { properties?: Record<string, unknown> }],
    ];
    expect([topic, payload]).toEqual(["svc/replies/requester", "5"]);
    expect([...((packet.properties?.correlationData as Uint8Array | undefined) ?? [])]).toEqual([9, 9]);
  });

  it.each([
    ["our client asking", "ours", true, "replies/rr-info-ours"],
    ["MQTT.js asking", "mqttjs", true, "replies/rr-info-mqttjs"],
    ["our client not asking", "ours", false, undefined],
    ["MQTT.js not asking", "mqttjs", false, undefined],
  ] as const)("Response Information in CONNACK, %s [MQTT-3.1.2-28]", async (_, who, ask, expected) => {
    const { port, url } = await startBroker({ response_information: "replies/" });
    const clientId = `rr-info-${who}`;
    const properties = ask ? { requestResponseInformation: ask } : {};
    if (who === "ours") {
      const c = await ours(port, {
        clientId,
        properties: ask ? { requestResponseInformation: 1 } : {},
      });
      const connack = c.events.find((e) => e.kind === "connected");
      expect(connack?.kind === "connected" && connack.connack.properties?.responseInformation).toBe(
        expected ?? undefined,
      );
    } else {
      const { connack } = await mqtt5(url, { clientId, properties });
      expect(connack.properties?.responseInformation).toBe(expected);
    }
  });
});
