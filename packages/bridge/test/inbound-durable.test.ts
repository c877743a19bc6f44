// An inbound message is acknowledged to the remote only when our broker holds it
// as it would hold a client's QoS 1/2 PUBLISH before its PUBACK/PUBREC
// [MQTT-4.3.2-2] [MQTT-4.3.3-2]: an asynchronous `onPublish` plugin has answered
// and its routing ran, and the store flushed the offline-queue writes that
// routing made (SQLite here). The remote is a second broker of ours whose plugin
// counts what it has in flight to the bridge.
import { join } from "node:path";
import { SqliteStore } from "@amqtt/store-sqlite";
import { makeTempDir } from "@amqtt/test-utils";
import { describe, expect, it } from "vitest";
import { bridge, connect, onCleanup, startOurs, take, text, until } from "./helpers/world.js";

async function eventually(what: string, check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe.each([
  [5, 1],
  [4, 1],
  [5, 2],
] as const)("inbound acknowledgement (MQTT level %s, QoS %s)", (level, qos) => {
  it("[MQTT-4.3.2-2] waits for an asynchronous onPublish plugin and the store's flush; the offline subscriber then has the message", async () => {
    const remote = await startOurs();
    // The remote's messages in flight to the bridge: 1 until the bridge acknowledges (and, QoS 2, completes).
    const inFlightAtRemote = () => remote.broker.stats().inflightOut;
    const dir = makeTempDir("bridge-in-durable-");
    onCleanup(() => dir.remove());
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let pluginCalls = 0;
    const site = await startOurs({
      store: new SqliteStore({ path: join(dir.path, "site.db") }),
      plugins: [
        {
          name: "slow-on-publish",
          onPublish: async (_client, message) => {
            if (!message.topic.startsWith("from-central/")) return message;
            pluginCalls++;
            await gate;
            return message;
          },
        },
      ],
    });
    // A persistent subscriber on the site, offline: the routing writes to its queue in the store.
    const offline = await connect(site.url, { cleanSession: false }, `offline-${level}-${qos}`);
    await offline.subscribe([["from-central/#", qos]]);
    await offline.disconnect();

    const bridges = await bridge(site.broker, [
      {
        name: "central",
        address: `127.0.0.1:${remote.port}`,
        protocol_version: level,
        client_id: `site-in-${level}-${qos}`,
        restart_timeout: [0.05, 0.2],
        topics: [{ filter: "commands/#", direction: "in", qos, local_prefix: "from-central/" }],
      },
    ]);
    await until(bridges, (s) => s.connected);
    const pub = await connect(remote.url, { protocolVersion: level });
    void pub.publish("commands/door", "open", { qos });
    await eventually("the site's plugin called", () => pluginCalls === 1);
    // The plugin has not answered: the site does not hold the message yet, so no acknowledgement.
    await new Promise((r) => setTimeout(r, 200));
    expect(inFlightAtRemote()).toBe(1);
    release();
    await eventually("the bridge's acknowledgement at the remote", () => inFlightAtRemote() === 0);
    const back = await connect(site.url, { cleanSession: false }, `offline-${level}-${qos}`);
    const [m] = await take(back, 1);
    expect(m === undefined ? undefined : text(m)).toBe("open");
    expect(m?.topic).toBe("from-central/commands/door");
  });
});
