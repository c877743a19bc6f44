// `beforeSend` (hold a QoS 1/2 PUBLISH or PUBREL until the application recorded
// it) and `restoreSession` (resume a session snapshot of an earlier process),
// against Debian's mosquitto: together they let an application restart and
// resend its in-flight messages with their original packet identifiers
// [MQTT-4.4.0-1] (3.1.1) / [MQTT-4.4.0-1] [MQTT-4.4.0-2] (5.0).
import { type Packet, PacketType } from "@amqtt/codec";
import { describe, expect, it } from "vitest";
import {
  type ClientConfigInput,
  ClientError,
  type IncomingApplicationMessage,
  MQTTClient,
} from "../src/index.js";
import { onCleanup, startMosquitto } from "./helpers/brokers.js";
import { newClient, text } from "./helpers/clients.js";

/** A promise with its resolve/reject outside. */
function deferred(): { promise: Promise<void>; resolve(): void; reject(e: Error): void } {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

async function until(what: string, condition: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A subscriber on `url` collecting the payloads of `filter`. */
async function subscriber(url: string, filter: string, protocolVersion: 4 | 5): Promise<string[]> {
  const got: string[] = [];
  const sub = newClient({ protocolVersion });
  sub.on("message", (m: IncomingApplicationMessage) => got.push(text(m.data)));
  await sub.connect(url);
  await sub.subscribe([[filter, 2]]);
  return got;
}

/** A client whose sent and received packets are recorded. */
function recordingClient(
  clientId: string,
  config: ClientConfigInput,
): { client: MQTTClient; sent: Packet[]; received: Packet[] } {
  const sent: Packet[] = [];
  const received: Packet[] = [];
  const client = new MQTTClient({
    clientId,
    plugins: [
      {
        name: "record",
        onPacketSent: (p: Packet) => sent.push(p),
        onPacketReceived: (p: Packet) => received.push(p),
      },
    ],
    config: { reconnectInitialDelayMs: 20, reconnect_max_interval: 0.2, ...config },
  });
  onCleanup(() => client.disconnect().catch(() => {}));
  return { client, sent, received };
}

const idOf = (p: Packet): number | undefined => ("packetId" in p ? p.packetId : undefined);

describe.each([4, 5] as const)(
  "beforeSend and restoreSession against mosquitto, MQTT level %s",
  (protocolVersion) => {
    it("a QoS 2 PUBLISH and its PUBREL are each held until beforeSend's promise resolves", async () => {
      const { url } = await startMosquitto();
      const got = await subscriber(url, "held/#", protocolVersion);
      const asked: Packet[] = [];
      const gates: ReturnType<typeof deferred>[] = [];
      const pub = newClient({
        protocolVersion,
        beforeSend: (packet) => {
          asked.push(packet);
          const gate = deferred();
          gates.push(gate);
          return gate.promise;
        },
      });
      await pub.connect(url);
      let done = false;
      const publishing = pub.publish("held/a", "one", { qos: 2 }).then(() => {
        done = true;
      });
      await until("beforeSend for the PUBLISH", () => asked.length === 1);
      expect(asked[0]?.type).toBe(PacketType.PUBLISH);
      // Held: mosquitto has not seen it, so nothing has gone back either.
      await new Promise((r) => setTimeout(r, 200));
      expect(asked).toHaveLength(1);
      expect(got).toEqual([]);
      gates[0]?.resolve();
      // The PUBREC came back: the PUBREL is asked about, with the same packet id.
      await until("beforeSend for the PUBREL", () => asked.length === 2);
      expect(asked[1]?.type).toBe(PacketType.PUBREL);
      expect(idOf(asked[1] as Packet)).toBe(idOf(asked[0] as Packet));
      await new Promise((r) => setTimeout(r, 200));
      expect(done).toBe(false);
      gates[1]?.resolve();
      await publishing;
      await until("the delivery", () => got.length === 1);
      expect(got).toEqual(["one"]);
    });

    it("a QoS 0 PUBLISH is asked about too, and holding it holds the QoS 1 PUBLISH behind it, in order", async () => {
      const { url } = await startMosquitto();
      const got = await subscriber(url, "zero/#", protocolVersion);
      const asked: Packet[] = [];
      const gate = deferred();
      const pub = newClient({
        protocolVersion,
        beforeSend: (packet) => {
          asked.push(packet);
          return asked.length === 1 ? gate.promise : undefined;
        },
      });
      await pub.connect(url);
      void pub.publish("zero/a", "first", { qos: 0 });
      const second = pub.publish("zero/a", "second", { qos: 1 });
      await until("beforeSend for the QoS 0 PUBLISH", () => asked.length >= 1);
      expect(asked[0]?.type).toBe(PacketType.PUBLISH);
      expect(idOf(asked[0] as Packet)).toBeUndefined();
      await new Promise((r) => setTimeout(r, 200));
      expect(got).toEqual([]);
      gate.resolve();
      await second;
      await until("both deliveries", () => got.length === 2);
      expect(got).toEqual(["first", "second"]);
    });

    it("a rejected beforeSend closes the connection unwritten; the reconnect resends the message once", async () => {
      const { url } = await startMosquitto();
      const got = await subscriber(url, "fail/#", protocolVersion);
      let calls = 0;
      const pub = newClient(
        {
          protocolVersion,
          cleansession: false,
          beforeSend: () => (++calls === 1 ? Promise.reject(new Error("store down")) : undefined),
        },
        `before-send-fail-${protocolVersion}`,
      );
      await pub.connect(url);
      let reconnected = false;
      pub.on("connected", ({ reconnect }) => {
        if (reconnect) reconnected = true;
      });
      await pub.publish("fail/a", "x", { qos: 1 });
      expect(reconnected).toBe(true);
      await until("the delivery", () => got.length === 1);
      expect(got).toEqual(["x"]);
    });

    it("[MQTT-4.4.0-1] a restored snapshot resends a PUBLISH never acknowledged with its original packet id and DUP", async () => {
      const { url } = await startMosquitto();
      const got = await subscriber(url, "restore/#", protocolVersion);
      const clientId = `restore-publish-${protocolVersion}`;
      // The first process: a few completed messages move the id on, then one whose PUBLISH never leaves.
      let hold = false;
      const first = recordingClient(clientId, {
        protocolVersion,
        cleansession: false,
        beforeSend: () => (hold ? new Promise<void>(() => {}) : undefined),
      });
      await first.client.connect(url);
      for (let i = 0; i < 3; i++) await first.client.publish("restore/warm", `w${i}`, { qos: 2 });
      hold = true;
      void first.client.publish("restore/a", "once", { qos: 2 }).catch(() => {});
      await until("the held PUBLISH in the snapshot", () => {
        const s = first.client.sessionSnapshot();
        return s?.sender.inFlight.length === 1;
      });
      const snapshot = structuredClone(first.client.sessionSnapshot());
      const originalId = snapshot?.sender.inFlight[0]?.packetId;
      await first.client.disconnect();

      const second = recordingClient(clientId, { protocolVersion, cleansession: false });
      second.client.restoreSession(snapshot as NonNullable<typeof snapshot>);
      await second.client.connect(url);
      await until("the delivery", () => got.includes("once"));
      await until("the PUBCOMP", () => second.received.some((p) => p.type === PacketType.PUBCOMP));
      const resent = second.sent.filter((p) => p.type === PacketType.PUBLISH);
      expect(resent.map((p) => [idOf(p), p.type === PacketType.PUBLISH && p.dup])).toEqual([
        [originalId, true],
      ]);
      expect(got).toEqual(["w0", "w1", "w2", "once"]);
    });

    it("[MQTT-4.4.0-1] a restored snapshot in the PUBREL stage sends the PUBREL with the original id, so the message is delivered once", async () => {
      const { url } = await startMosquitto();
      const got = await subscriber(url, "rel/#", protocolVersion);
      const clientId = `restore-pubrel-${protocolVersion}`;
      const first = recordingClient(clientId, {
        protocolVersion,
        cleansession: false,
        // The PUBLISH goes; its PUBREL never does (the process "dies" holding it).
        beforeSend: (p) => (p.type === PacketType.PUBREL ? new Promise<void>(() => {}) : undefined),
      });
      await first.client.connect(url);
      void first.client.publish("rel/a", "once", { qos: 2 }).catch(() => {});
      await until("the PUBREC", () => first.received.some((p) => p.type === PacketType.PUBREC));
      const snapshot = structuredClone(first.client.sessionSnapshot());
      expect(snapshot?.sender.inFlight.map((e) => e.stage)).toEqual(["pubrel"]);
      const originalId = snapshot?.sender.inFlight[0]?.packetId;
      await first.client.disconnect();
      expect(got).toEqual([]);

      const second = recordingClient(clientId, { protocolVersion, cleansession: false });
      second.client.restoreSession(snapshot as NonNullable<typeof snapshot>);
      await second.client.connect(url);
      await until("the PUBCOMP", () => second.received.some((p) => p.type === PacketType.PUBCOMP));
      expect(second.sent.filter((p) => p.type === PacketType.PUBLISH)).toEqual([]);
      expect(second.sent.filter((p) => p.type === PacketType.PUBREL).map(idOf)).toEqual([originalId]);
      await until("the delivery", () => got.length === 1);
      expect(got).toEqual(["once"]);
    });

    it("restoreSession refuses a snapshot while connected", async () => {
      const { url } = await startMosquitto();
      const c = newClient({ protocolVersion, cleansession: false }, `restore-busy-${protocolVersion}`);
      await c.connect(url);
      const snapshot = c.sessionSnapshot();
      expect(() => c.restoreSession(snapshot as NonNullable<typeof snapshot>)).toThrow(ClientError);
    });
  },
);
