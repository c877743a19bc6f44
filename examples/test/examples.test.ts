import { join } from "node:path";
import { bundleForBrowser } from "@amqtt/test-utils/browser-bundle";
import { Broker, MQTTClient, silentLogger } from "amqtt";
import { afterEach, describe, expect, it } from "vitest";
import { deviceTokenPlugin } from "../auth-plugin.js";
import { bridge } from "../bridge.js";

const brokers: Broker[] = [];
afterEach(async () => {
  await Promise.all(brokers.splice(0).map((b) => b.stop()));
});

async function start(options: ConstructorParameters<typeof Broker>[1] = {}): Promise<string> {
  const broker = new Broker(
    { listeners: { default: { type: "tcp", bind: "127.0.0.1:0" } } },
    { logger: silentLogger, ...options },
  );
  await broker.start();
  brokers.push(broker);
  return `mqtt://127.0.0.1:${broker.addresses()[0]!.port}`;
}

describe("the examples", () => {
  it("bridge.ts forwards messages from one broker to another", async () => {
    const [a, b] = [await start(), await start()];
    const link = await bridge(a, b, "site/#");
    const reader = new MQTTClient({ clientId: "reader" });
    await reader.connect(b);
    await reader.subscribe([["site/#", 1]]);
    const writer = new MQTTClient({ clientId: "writer" });
    await writer.connect(a);
    await writer.publish("site/line-1/status", "running", { qos: 1 });
    const message = await reader.deliverMessage({ timeout: 5 });
    expect([message.topic, new TextDecoder().decode(message.data)]).toEqual([
      "site/line-1/status",
      "running",
    ]);
    await Promise.all([reader.disconnect(), writer.disconnect(), link.stop()]);
  });

  it("auth-plugin.ts lets devices with the token in, and only onto their own topics", async () => {
    const url = await start({ plugins: [deviceTokenPlugin("s3cret")] });
    const device = new MQTTClient({ clientId: "device-7", config: { auto_reconnect: false } });
    await device.connect(url.replace("mqtt://", "mqtt://any:s3cret@"));
    const watcher = new MQTTClient({ clientId: "device-watch" });
    await watcher.connect(url.replace("mqtt://", "mqtt://any:s3cret@"));
    await watcher.subscribe([["devices/#", 1]]);
    await device.publish("devices/device-7/t", "ok", { qos: 1 });
    expect((await watcher.deliverMessage({ timeout: 5 })).topic).toBe("devices/device-7/t");
    const intruder = new MQTTClient({ clientId: "laptop", config: { auto_reconnect: false } });
    await expect(intruder.connect(url.replace("mqtt://", "mqtt://any:s3cret@"))).rejects.toThrow();
    await Promise.all([device.disconnect(), watcher.disconnect()]);
  });

  it("browser/main.ts bundles for browsers with no Node built-ins", async () => {
    const bundle = await bundleForBrowser(join(import.meta.dirname, "..", "browser", "main.ts"));
    expect(bundle.nodeBuiltins).toEqual([]);
    expect(bundle.code.length).toBeGreaterThan(1000);
  });
});
