// Outbound QoS 0 through a SIGKILL of our broker: at most once [MQTT-4.3.1-1].
// The bridge's queue removes entries as a prefix, so QoS 0 messages queued
// behind an unacknowledged QoS 1 message stay in the SQLite store after they
// were written to the remote. A packet-aware proxy between the bridge and a real
// mosquitto swallows mosquitto's PUBACK for that QoS 1 message; the QoS 0
// messages behind it reach mosquitto's subscriber; then our broker is SIGKILLed
// and started again. The QoS 1 message is sent again (at least once), the QoS 0
// ones must not be: a second copy of a QoS 0 message is a duplicate, which QoS 0
// never gives.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { MQTTClient } from "@amqtt/client";
import { cleanupStack, seededRandom } from "@amqtt/test-utils";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { killAmqtt, startAmqtt } from "./helpers/amqtt-process.js";
import { bridgeTestClient, receivedPayloads, until } from "./helpers/bridge-clients.js";
import { startBridgedSite } from "./helpers/bridge-site.js";
import { isPuback } from "./helpers/mqtt-proxy.js";

const dir = mkdtempSync(join(tmpdir(), "amqtt-bridge-qos0-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const cleanups = cleanupStack();
afterEach(cleanups.run);

/** Seeds run by default; `BRIDGE_QOS0_SEEDS=5,6` runs others. */
const SEEDS = (process.env.BRIDGE_QOS0_SEEDS ?? "1,2").split(",").map(Number);

const client = (clientId: string): MQTTClient => bridgeTestClient(cleanups, clientId);

describe.each([5, 4] as const)(
  "outbound QoS 0 through a SIGKILL of our broker (MQTT level %s, mosquitto remote)",
  (level) => {
    it.each(SEEDS)(
      "[MQTT-4.3.1-1] seed %i: QoS 0 messages written to the remote before the kill are not sent again after the restart",
      async (seed) => {
        const random = seededRandom(seed * 104_729 + level);
        const count = 2 + Math.floor(random() * 5);
        const settleMs = Math.floor(random() * 50);
        const cwd = mkdtempSync(join(dir, `v${level}-s${seed}-`));
        const { remote, proxy, sitePort, config, state, first } = await startBridgedSite(
          cleanups,
          cwd,
          level,
          `site-q0-v${level}-s${seed}`,
          '{ filter: "sensors/#", direction: out, qos: 1, remote_prefix: "site/" }',
        );
        const got = await receivedPayloads(
          client(`far-q0-${level}-${seed}`),
          remote.url,
          "site/sensors/#",
          1,
        );

        let pub = client(`site-pub-q0-${level}-${seed}`);
        await pub.connect(`mqtt://127.0.0.1:${sitePort}`);
        // Mosquitto's PUBACK for "hold" never reaches the bridge: "hold" stays at the queue's front.
        proxy.dropDown = isPuback;
        await pub.publish("sensors/a", "hold", { qos: 1 });
        const zeros = Array.from({ length: count }, (_, i) => `z${i}`);
        for (const z of zeros) await pub.publish("sensors/a", z, { qos: 0 });
        await until("the QoS 0 messages at mosquitto", () => zeros.every((z) => got.includes(z)));
        await new Promise((r) => setTimeout(r, settleMs));
        await killAmqtt(first);
        proxy.cutAll();
        proxy.dropDown = () => false;

        const second = await startAmqtt(["-c", config, "--data-dir", state], cwd);
        cleanups.add(() => killAmqtt(second));
        pub = client(`site-pub-q0-${level}-${seed}-b`);
        await pub.connect(`mqtt://127.0.0.1:${sitePort}`);
        await pub.publish("sensors/a", "after", { qos: 1 });
        await until("the later message at mosquitto", () => got.includes("after"));
        // Anything the bridge resent would have come before "after": it sends its queue in order.
        console.log(
          `seed ${seed} level ${level}: ${count} QoS 0, +${settleMs} ms; mosquitto's subscriber got ${JSON.stringify(got)}`,
        );
        for (const z of zeros)
          expect(
            got.filter((g) => g === z),
            z,
          ).toHaveLength(1);
        // QoS 1 is at least once: "hold" arrived, and again after the restart if mosquitto took the resend as new.
        expect(got.filter((g) => g === "hold").length).toBeGreaterThanOrEqual(1);
        expect(got.at(-1)).toBe("after");
      },
    );
  },
);
