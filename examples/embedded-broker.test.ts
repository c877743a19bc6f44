// Example: embed a broker in a vitest test. Port 0 picks a free port; the
// broker and the client are stopped after each test.
import { Broker, MQTTClient, silentLogger } from "amqtt";
import { afterEach, beforeEach, expect, it } from "vitest";

let broker: Broker;
let client: MQTTClient;

beforeEach(async () => {
  broker = new Broker(
    { listeners: { default: { type: "tcp", bind: "127.0.0.1:0" } } },
    { logger: silentLogger },
  );
  await broker.start();
  client = new MQTTClient({ clientId: "test-client" });
  await client.connect(`mqtt://127.0.0.1:${broker.addresses()[0]!.port}`);
});

afterEach(async () => {
  await client.disconnect();
  await broker.stop();
});

it("a device's reading reaches the dashboard topic", async () => {
  await client.subscribe([["dashboard/#", 1]]);
  broker.publish({ topic: "dashboard/temperature", payload: "21.5", qos: 1 });
  const message = await client.deliverMessage({ timeout: 5 });
  expect(message.topic).toBe("dashboard/temperature");
  expect(new TextDecoder().decode(message.data)).toBe("21.5");
});
