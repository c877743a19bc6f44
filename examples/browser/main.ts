// Example: the client in a browser page, over WebSocket. It imports @amqtt/client
// (browser-safe) rather than the amqtt meta package, which also holds the Node-only
// broker. Bundle it with
// `npx esbuild browser/main.ts --bundle --format=esm --outfile=browser/main.js`
// and open browser/index.html next to a broker with a ws listener (npm start has one).
import { MQTTClient } from "@amqtt/client";

const out = document.querySelector("#log") as HTMLElement;
const log = (line: string) => {
  out.textContent += `${line}\n`;
};

const client = new MQTTClient({ clientId: `browser-${Math.random().toString(36).slice(2, 8)}` });
await client.connect("ws://127.0.0.1:8080/mqtt");
log("connected");
await client.subscribe([["demo/#", 1]]);
await client.publish("demo/hello", "from the browser", { qos: 1 });
for await (const message of client.messages())
  log(`${message.topic}: ${new TextDecoder().decode(message.data)}`);
