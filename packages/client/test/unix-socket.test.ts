import { join } from "node:path";
import { Broker, silentLogger } from "@amqtt/broker";
import { makeTempDir } from "@amqtt/test-utils";
import { afterAll, describe, expect, it } from "vitest";
import { parseBrokerUri } from "../src/index.js";
import { onCleanup } from "./helpers/brokers.js";
import { newClient, text } from "./helpers/clients.js";

const dir = makeTempDir("amqtt-client-unix-");
afterAll(() => dir.remove());

describe("MQTTClient over a unix domain socket (unix:///path)", () => {
  it("parses unix:///path with no port", () => {
    const { url } = parseBrokerUri("unix:///run/amqtt/broker.sock");
    expect(url.protocol).toBe("unix:");
    expect(url.pathname).toBe("/run/amqtt/broker.sock");
    expect(url.port).toBe("");
  });

  it("publishes and receives through our broker's unix socket listener", async () => {
    const path = join(dir.path, "b.sock");
    const broker = new Broker(
      { listeners: { default: { type: "tcp", bind: `unix:${path}` } }, plugins: { "anonymous-auth": {} } },
      { logger: silentLogger },
    );
    await broker.start();
    onCleanup(() => broker.stop());
    const uri = `unix://${path}`;
    const sub = newClient();
    const pub = newClient();
    expect(await sub.connect(uri)).toBe(0);
    expect(await pub.connect(uri)).toBe(0);
    expect(await sub.subscribe([["u/#", 1]])).toEqual([1]);
    await pub.publish("u/1", "through the socket file", { qos: 1 });
    const message = await sub.deliverMessage({ timeout: 5 });
    expect(message.topic).toBe("u/1");
    expect(text(message.data)).toBe("through the socket file");
  });
});
