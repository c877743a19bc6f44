// The publishers the benchmark compares, behind one small interface:
// open(url) -> { publish(topic, qos): Promise | undefined, subscribe(filter, onPayload): Promise,
// close(): Promise }. `subscribe` resolves at the SUBACK (QoS 1) and calls `onPayload(bytes)` per message.
import { connect } from "node:net";
import { connectAsync } from "mqtt";

// AMQTT_CLIENT_DIST=/path/to/dist/index.js measures another build of this client
// (e.g. an older commit's) against the same peers.
const { MQTTClient } = await import(process.env.AMQTT_CLIENT_DIST ?? "../dist/index.js");

/** @amqtt/client with its defaults (bounded queues included), no reconnect. */
export function amqttDriver(payload) {
  return {
    name: "@amqtt/client",
    async open(url) {
      const c = new MQTTClient({ config: { keep_alive: 60, auto_reconnect: false } });
      await c.connect(url);
      let refused = 0;
      const countRefusal = () => {
        refused++;
      };
      return {
        // A refused QoS 0 publish (a full write buffer) would make the timing a lie: counted, then fatal.
        publish: (topic, qos) => {
          const p = c.publish(topic, payload, { qos });
          return qos === 0 ? void p.catch(countRefusal) : p;
        },
        // aMQTT's reading API: the `messages()` iterator (it ends at disconnect).
        subscribe: async (filter, onPayload) => {
          await c.subscribe([[filter, 1]]);
          void (async () => {
            for await (const m of c.messages()) onPayload(m.data);
          })();
        },
        close: async () => {
          await c.disconnect();
          if (refused > 0)
            throw new Error(`@amqtt/client refused ${refused} publishes: the measurement is void`);
        },
      };
    },
  };
}

/** MQTT.js, as its users write it. */
export function mqttjsDriver(payload, version) {
  const buf = Buffer.from(payload);
  return {
    name: `MQTT.js ${version}`,
    async open(url) {
      const c = await connectAsync(url, { reconnectPeriod: 0, keepalive: 60 });
      // MQTT.js keeps Node's default, Nagle on; MQTTJS_NODELAY=1 turns it off as ours does.
      if (process.env.MQTTJS_NODELAY === "1") c.stream.setNoDelay?.(true);
      return {
        // QoS 0 without a callback (publishAsync adds a drain listener per call); QoS 1 resolves on PUBACK.
        publish: (topic, qos) =>
          qos === 0 ? void c.publish(topic, buf, { qos }) : c.publishAsync(topic, buf, { qos }),
        subscribe: async (filter, onPayload) => {
          await c.subscribeAsync(filter, { qos: 1 });
          c.on("message", (_topic, bytes) => onPayload(bytes));
        },
        close: () => c.endAsync(),
      };
    },
  };
}

/**
 * What the broker itself can take: MQTT 3.1.1 over a bare socket, every PUBLISH
 * encoded before the clock starts and written at once, the PUBACKs only counted.
 * No client does less work, so this is the ceiling of any client on this broker.
 */
export async function brokerCeiling(url, payload, count, qos) {
  const socket = connect(Number(new URL(url).port), "127.0.0.1");
  socket.setNoDelay(true);
  await new Promise((resolve, reject) => socket.once("connect", resolve).once("error", reject));
  const id = Buffer.from(`ceiling-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
  socket.write(
    Buffer.concat([Buffer.from([0x10, 12 + id.length, 0, 4, 77, 81, 84, 84, 4, 2, 0, 60, 0, id.length]), id]),
  );
  await new Promise((resolve) => socket.once("data", resolve)); // CONNACK
  const topic = Buffer.from("bench/ceiling");
  const packet = (packetQos, packetId) => {
    const body = 2 + topic.length + (packetQos > 0 ? 2 : 0) + payload.length;
    const b = Buffer.alloc(2 + body);
    b[0] = 0x30 | (packetQos << 1);
    b[1] = body; // < 128 for the sizes used here
    b.writeUInt16BE(topic.length, 2);
    topic.copy(b, 4);
    let o = 4 + topic.length;
    if (packetQos > 0) {
      b.writeUInt16BE(packetId, o);
      o += 2;
    }
    b.set(payload, o);
    return b;
  };
  if (2 + topic.length + 2 + payload.length >= 128)
    throw new Error("ceiling packets must stay below 128 bytes");
  const packets = [];
  for (let i = 0; i < count; i++) packets.push(packet(qos, qos === 0 ? 0 : (i % 65_535) + 1));
  // QoS 0: one QoS 1 marker after them; its PUBACK means the broker read them all.
  if (qos === 0) packets.push(packet(1, 1));
  const all = Buffer.concat(packets);
  const expected = (qos === 0 ? 1 : count) * 4;
  let received = 0;
  const acked = new Promise((resolve) =>
    socket.on("data", (d) => {
      received += d.length;
      if (received >= expected) resolve();
    }),
  );
  const t0 = performance.now();
  socket.write(all);
  await acked;
  const ms = performance.now() - t0;
  socket.destroy();
  return (count / ms) * 1000;
}
