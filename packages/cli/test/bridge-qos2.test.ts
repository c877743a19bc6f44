// Inbound QoS 2 through a SIGKILL of our broker, against a real mosquitto as
// the remote with a persistent bridge session. A packet-aware proxy between the
// bridge and mosquitto swallows the bridge's PUBREC, so mosquitto never learns
// that we took the message; our broker (SQLite) is SIGKILLed after it published
// the message locally and sent that PUBREC. After the restart mosquitto sends
// the PUBLISH again with DUP=1 [MQTT-4.4.0-1]; the bridge's durable QoS 2 ledger
// recognises the packet id and acknowledges it without publishing it again
// [MQTT-4.3.3-9], so the local subscriber gets the message exactly once.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { IncomingApplicationMessage, MQTTClient } from "@amqtt/client";
import { cleanupStack } from "@amqtt/test-utils";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { killAmqtt, startAmqtt } from "./helpers/amqtt-process.js";
import { bridgeTestClient, until } from "./helpers/bridge-clients.js";
import { startBridgedSite } from "./helpers/bridge-site.js";
import { isDupQos2Publish, isPubrec } from "./helpers/mqtt-proxy.js";

const dir = mkdtempSync(join(tmpdir(), "amqtt-bridge-qos2-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const cleanups = cleanupStack();
afterEach(cleanups.run);

const client = (clientId: string, cleanSession = true): MQTTClient =>
  bridgeTestClient(cleanups, clientId, {
    cleanSession,
    autoReconnect: true,
    reconnectInitialDelayMs: 20,
    reconnect_max_interval: 0.2,
  });

describe.each([5, 4] as const)(
  "inbound QoS 2 through a SIGKILL of our broker (MQTT level %s, mosquitto remote)",
  (level) => {
    it("[MQTT-4.3.3-9] a PUBLISH mosquitto sends again (DUP) after our restart is acknowledged, not published locally a second time", async () => {
      const cwd = mkdtempSync(join(dir, `v${level}-`));
      const { remote, proxy, sitePort, config, state, first } = await startBridgedSite(
        cleanups,
        cwd,
        level,
        `site-bridge-v${level}`,
        '{ filter: "commands/#", direction: in, qos: 2, local_prefix: "from-central/" }',
      );

      // A persistent local subscriber: it reconnects by itself to the restarted broker (same port).
      const app = client("site-app", false);
      const got: string[] = [];
      app.on("message", (m: IncomingApplicationMessage) => {
        if (m.topic === "from-central/commands/c") got.push(new TextDecoder().decode(m.data));
      });
      await app.connect(`mqtt://127.0.0.1:${sitePort}`);
      await app.subscribe([["from-central/#", 2]]);

      const farPub = client("central-publisher");
      await farPub.connect(remote.url);
      // The bridge connects in the background: probe until its subscription carries a message.
      let probed = false;
      const probe = (m: IncomingApplicationMessage) => {
        if (m.topic === "from-central/commands/probe") probed = true;
      };
      app.on("message", probe);
      for (let i = 0; !probed && i < 200; i++) {
        await farPub.publish("commands/probe", "?", { qos: 1 });
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(probed).toBe(true);

      // From now on the bridge's PUBRECs never reach mosquitto.
      proxy.dropUp = isPubrec;
      await farPub.publish("commands/c", "once", { qos: 2 });
      // The PUBREC left our broker only after the store held the message and the ledger its id.
      await until("the bridge's PUBREC", () => proxy.dropped.some(isPubrec));
      await until("the local delivery", () => got.length === 1);
      await killAmqtt(first);
      const dupsBefore = proxy.down.filter(isDupQos2Publish).length;
      proxy.cutAll();
      proxy.dropUp = () => false;

      const second = await startAmqtt(["-c", config, "--data-dir", state], cwd);
      cleanups.add(() => killAmqtt(second));
      // The subscriber's session (and what was queued for it meanwhile) is in the SQLite file.
      await until("the subscriber's reconnect", () => app.state === "connected" || app.state === "closed");
      if (app.state === "closed") await app.connect(`mqtt://127.0.0.1:${sitePort}`, { cleanSession: false });
      // mosquitto still holds the bridge's session: it sends the unacknowledged PUBLISH again, DUP=1.
      await until("mosquitto's DUP resend", () => proxy.down.filter(isDupQos2Publish).length > dupsBefore);
      // A later message shows the bridge and the subscriber are through: nothing of the first is coming.
      await farPub.publish("commands/c", "after", { qos: 2 });
      await until("the later message", () => got.includes("after"));
      expect(got).toEqual(["once", "after"]);
    });
  },
);
