// The traced process of syscalls.bench.mjs: one client, `count` QoS 1 messages, then exit.
//   node bench/syscalls-child.mjs <ours|mqttjs> <url> <publish|receive> <count> <topic>
// publish: `count` sequential QoS 1 publishes (each awaits its PUBACK).
// receive: subscribe to <topic> with QoS 1, print "ready", read `count` messages (each is
// acknowledged with a PUBACK) as the client's users do.
import { createRequire } from "node:module";
import { amqttDriver, mqttjsDriver } from "./drivers.mjs";

const [which, url, mode, countArg, topic] = process.argv.slice(2);
const count = Number(countArg);
const payload = new Uint8Array(64).fill(0x61);
const version = createRequire(import.meta.url)("mqtt/package.json").version;
const driver = which === "ours" ? amqttDriver(payload) : mqttjsDriver(payload, version);
const c = await driver.open(url);
if (mode === "publish") {
  for (let i = 0; i < count; i++) await c.publish("bench/syscalls", 1);
} else {
  let got = 0;
  const done = new Promise((resolve) => {
    c.subscribe(topic, () => {
      if (++got === count) resolve();
    }).then(() => process.stdout.write("ready\n"));
  });
  await done;
  // Let the last PUBACK leave before the connection closes.
  await new Promise((r) => setTimeout(r, 50));
}
await c.close();
