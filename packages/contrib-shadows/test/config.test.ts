import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Broker, loadBrokerConfigFile, silentLogger } from "@amqtt/broker";
import { writeAmqttConfig } from "@amqtt/test-utils";
import { connectAsync } from "mqtt";
import { expect, it } from "vitest";
import { pluginDefinitions } from "../src/index.js";

it("aMQTT's shadow configuration starts the broker unchanged and answers a device on its own shadow", async () => {
  const dir = mkdtempSync(join(tmpdir(), "amqtt-shadow-config-"));
  const file = writeAmqttConfig(
    dir,
    `  amqtt.plugins.authentication.AnonymousAuthPlugin:
    allow_anonymous: true
  amqtt.contrib.shadows.ShadowPlugin:
    connection: sqlite+aiosqlite:///shadows.db
  amqtt.contrib.shadows.ShadowTopicAuthPlugin:
    superusers: [app]
`,
  );
  const broker = new Broker(await loadBrokerConfigFile(file, { pluginDefinitions }), {
    logger: silentLogger,
    pluginDefinitions,
    baseDir: dir,
  });
  await broker.start();
  const port = broker.addresses()[0]?.port ?? 0;
  const client = await connectAsync(`mqtt://127.0.0.1:${port}`, { username: "dev1", reconnectPeriod: 0 });
  try {
    const answer = new Promise<string>((resolve) => client.on("message", (_t, p) => resolve(p.toString())));
    await client.subscribeAsync("$shadow/dev1/main/get/rejected");
    // Another device's answers are not delivered: its subscription is refused.
    await expect(client.subscribeAsync("$shadow/dev2/main/get/rejected")).rejects.toThrow(/Subscribe error/);
    await client.publishAsync("$shadow/dev1/main/get", "{}");
    expect(JSON.parse(await answer)).toEqual({ code: 404, message: "shadow not found" });
  } finally {
    await client.endAsync(true);
    await broker.stop();
  }
});
