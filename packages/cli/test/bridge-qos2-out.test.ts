// Outbound QoS 2 through a SIGKILL of our broker, against a real mosquitto as
// the remote with a persistent bridge session. A packet-aware proxy between the
// bridge and mosquitto swallows mosquitto's PUBREC (the PUBLISH is unacknowledged
// when we die) or its PUBCOMP (the PUBREL is); our broker (SQLite) is SIGKILLed
// with those flows in flight, at seeded points. After the restart the bridge must
// resend each unacknowledged PUBLISH (DUP) and each PUBREL with its original
// packet identifier [MQTT-4.4.0-1] (3.1.1) / [MQTT-4.4.0-1] [MQTT-4.4.0-2] (5.0):
// a PUBLISH with a new id after mosquitto released the old one (PUBREL received)
// is a new message to it [MQTT-4.3.3-12], delivered a second time. A subscriber
// on mosquitto must get every message exactly once, in order.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { MQTTClient } from "@amqtt/client";
import { cleanupStack, seededRandom } from "@amqtt/test-utils";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { killAmqtt, startAmqtt } from "./helpers/amqtt-process.js";
import { bridgeTestClient, receivedPayloads, until } from "./helpers/bridge-clients.js";
import { startBridgedSite } from "./helpers/bridge-site.js";
import {
  ackPacketId,
  isPubcomp,
  isPubrec,
  isPubrel,
  publishOf,
  type SeenPacket,
} from "./helpers/mqtt-proxy.js";

const dir = mkdtempSync(join(tmpdir(), "amqtt-bridge-qos2-out-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const cleanups = cleanupStack();
afterEach(cleanups.run);

/** Seeds run by default (odd ones lose the PUBREC, even ones the PUBCOMP); `BRIDGE_QOS2_SEEDS=5,6` runs others. */
const SEEDS = (process.env.BRIDGE_QOS2_SEEDS ?? "1,2,3,4").split(",").map(Number);

const client = (clientId: string, cleanSession = true): MQTTClient =>
  bridgeTestClient(cleanups, clientId, { cleanSession });

type Point = "pubrec-lost" | "pubcomp-lost";

describe.each([5, 4] as const)(
  "outbound QoS 2 through a SIGKILL of our broker (MQTT level %s, mosquitto remote)",
  (level) => {
    it.each(SEEDS)(
      "[MQTT-4.4.0-1] seed %i: messages in flight at the kill are resent with their original packet ids and delivered exactly once, in order",
      async (seed) => {
        const random = seededRandom(seed * 7919 + level);
        // Completed messages first, so the ids in flight are not the ones a fresh client would pick.
        const warm = 1 + Math.floor(random() * 4);
        const inFlight = 1 + Math.floor(random() * 3);
        const point: Point = seed % 2 === 1 ? "pubrec-lost" : "pubcomp-lost";
        const settleMs = Math.floor(random() * 50);

        const cwd = mkdtempSync(join(dir, `v${level}-s${seed}-`));
        const { remote, proxy, sitePort, config, state, first } = await startBridgedSite(
          cleanups,
          cwd,
          level,
          `site-out-v${level}-s${seed}`,
          '{ filter: "alarms/#", direction: out, qos: 2, remote_prefix: "site/" }',
        );

        // The subscriber on mosquitto: what it gets, in order.
        const got = await receivedPayloads(client(`far-${level}-${seed}`), remote.url, "site/alarms/#", 2);

        let pub = client(`site-pub-${level}-${seed}`);
        await pub.connect(`mqtt://127.0.0.1:${sitePort}`);
        const expected: string[] = [];
        for (let i = 0; i < warm; i++) {
          expected.push(`w${i}`);
          // The local PUBCOMP: the message is in the bridge's queue in the SQLite file.
          await pub.publish("alarms/a", `w${i}`, { qos: 2 });
        }
        await until("the warm-up messages at mosquitto", () => got.length === warm);
        // And their flows complete at the bridge: a warm-up PUBCOMP still on its way would be swallowed below.
        await until(
          "the warm-up PUBCOMPs through the proxy",
          () => proxy.down.filter(isPubcomp).length === warm,
        );

        // From now on mosquitto's PUBREC (or PUBCOMP) never reaches the bridge.
        const lost = point === "pubrec-lost" ? isPubrec : isPubcomp;
        proxy.dropDown = lost;
        for (let i = 0; i < inFlight; i++) {
          expected.push(`m${i}`);
          await pub.publish("alarms/a", `m${i}`, { qos: 2 });
        }
        await until("the lost acknowledgements", () => proxy.droppedDown.filter(lost).length === inFlight);
        await new Promise((r) => setTimeout(r, settleMs));
        const ids = new Map<string, number>();
        for (const p of proxy.up) {
          const publish = publishOf(p, level);
          if (publish?.payload.startsWith("m")) ids.set(publish.payload, publish.packetId);
        }
        expect(ids.size).toBe(inFlight);
        await killAmqtt(first);
        proxy.cutAll();
        proxy.dropDown = () => false;
        const mark = proxy.up.length;

        const second = await startAmqtt(["-c", config, "--data-dir", state], cwd);
        cleanups.add(() => killAmqtt(second));
        pub = client(`site-pub-${level}-${seed}-b`);
        await pub.connect(`mqtt://127.0.0.1:${sitePort}`);
        expected.push("after");
        await pub.publish("alarms/a", "after", { qos: 2 });
        await until("the later message at mosquitto", () => got.includes("after"));
        // Anything else in flight would have come before "after": the bridge sends in order.
        const after: SeenPacket[] = proxy.up.slice(mark);
        const resentPublishes = after
          .map((p) => publishOf(p, level))
          .filter((p) => p?.payload.startsWith("m") === true)
          // 5.0 resends may carry a Topic Alias instead of the topic.
          .map((p) => ({ packetId: p?.packetId, dup: p?.dup, payload: p?.payload }));
        const resentPubrels = after.filter(isPubrel).map(ackPacketId);
        console.log(
          `seed ${seed} level ${level}: warm ${warm}, in flight ${inFlight}, ${point}, +${settleMs} ms; ids ${JSON.stringify([...ids])}; resent PUBLISH ${JSON.stringify(resentPublishes)}, PUBREL ${JSON.stringify(resentPubrels)}; mosquitto's subscriber got ${JSON.stringify(got)}`,
        );
        if (point === "pubrec-lost") {
          // Each unacknowledged PUBLISH again, DUP set, original id.
          expect(resentPublishes).toEqual(
            [...ids].map(([payload, packetId]) => ({ packetId, dup: true, payload })),
          );
        } else {
          // Past PUBREC: only the PUBRELs, with the original ids; no PUBLISH of those messages again.
          expect(resentPublishes).toEqual([]);
          expect(resentPubrels.slice(0, inFlight)).toEqual([...ids.values()]);
        }
        expect(got).toEqual(expected);
      },
    );
  },
);
