// Issue 15, node failure: a QoS 1/2 copy another node's envelope hands live to a
// connected persistent session is in the stored session before the envelope is
// acknowledged to the engine. If the node dies after that acknowledgement, the
// session the next node restores holds the message in flight (resent with DUP
// [MQTT-4.4.0-1]); before it, the engine still holds the envelope. Two nodes on
// the in-memory engine, the subscriber's with a real SQLite store.
import { MemoryClusterBus, MemoryClusterEngine } from "@amqtt/cluster";
import type { QoS } from "@amqtt/codec";
import { fromPlain } from "@amqtt/qos";
import { describe, expect, it } from "vitest";
import { countedSqliteStore } from "../harness/counted-store.js";
import { MqttPeer, startMemoryBroker } from "../harness/peer.js";
import { sendPublish, subscribe } from "../harness/steps.js";
import { until } from "../harness/wait.js";
import { routeSeen } from "./harness.js";

describe("a live delivery from another node is stored before the engine forgets it (issue 15)", () => {
  it.each([1, 2] as const)(
    "[MQTT-4.4.0-1] QoS %i: when the envelope is acknowledged, the stored session holds the message in flight",
    async (qos: QoS) => {
      const engine = new MemoryClusterEngine();
      const buses = ["n0", "n1"].map((nodeId) => new MemoryClusterBus(engine, { nodeId }));
      const { store } = countedSqliteStore();
      const pubNode = await startMemoryBroker({}, { cluster: buses[0]! });
      const subNode = await startMemoryBroker({}, { cluster: buses[1]!, store });
      await until(() => buses.every((b) => b.nodes().length === 2));
      const { peer: sub } = await MqttPeer.connected(
        subNode,
        "live-sub",
        { clean: false, properties: { sessionExpiryInterval: 3600 } },
        { version: 5 },
      );
      await subscribe(sub, { "live/#": qos });
      await routeSeen(buses[0]!, "n1", "live/x");
      const { peer: pub } = await MqttPeer.connected(pubNode, "live-pub");
      sendPublish(pub, "live/x", "in flight", { qos });
      // The subscriber got it and does not acknowledge: the flow stays open.
      const delivered = await sub.expect("publish");
      expect(new TextDecoder().decode(delivered.payload)).toBe("in flight");
      await until(() => engine.inboxLength("n1") === 0);
      const saved = await store.loadSession("live-sub");
      const inFlight = saved?.outgoing.inFlight ?? [];
      expect(
        inFlight.map((f) => new TextDecoder().decode(fromPlain(f.message.payload) as Uint8Array)),
      ).toEqual(["in flight"]);
      expect(inFlight[0]?.packetId).toBe(delivered.packetId);
    },
  );
});
