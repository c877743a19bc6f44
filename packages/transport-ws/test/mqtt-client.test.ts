import { Decoder, encode, type Packet, PacketType, type ProtocolVersion } from "@amqtt/codec";
import { type Connection, onData } from "@amqtt/transport";
import mqtt, { type MqttClient } from "mqtt";
import { afterEach, describe, expect, it } from "vitest";
import { startListener } from "./helpers.js";

const clients: MqttClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.endAsync(true)));
});

/**
 * The smallest MQTT peer that proves the transport: answers CONNECT with CONNACK
 * and sends every QoS 0 PUBLISH straight back. Records the packets it decoded.
 */
function tinyBroker(connection: Connection, seen: Packet[]): void {
  const decoder = new Decoder();
  let version: ProtocolVersion = 4;
  void onData(connection, (chunk) => {
    decoder.push(chunk);
    for (let packet = decoder.next(); packet !== undefined; packet = decoder.next()) {
      seen.push(packet);
      if (packet.type === PacketType.CONNECT) {
        version = packet.protocolVersion;
        connection.send(encode({ type: PacketType.CONNACK, sessionPresent: false, reasonCode: 0 }, version));
      } else if (packet.type === PacketType.PUBLISH) {
        connection.send(encode(packet, version));
      } else if (packet.type === PacketType.PINGREQ) {
        connection.send(encode({ type: PacketType.PINGRESP }, version));
      }
    }
  });
}

describe("the mqtt npm client (v5) over our WebSocket listener", () => {
  for (const protocolVersion of [3, 4, 5] as const) {
    it(`connects with MQTT level ${protocolVersion}, publishes and receives the echo`, async () => {
      const seen: Packet[] = [];
      const { url, next } = await startListener({ path: "/mqtt" });
      const accepted = next().then((connection) => {
        tinyBroker(connection, seen);
        return connection;
      });
      const client = await mqtt.connectAsync(url, {
        protocolVersion,
        // MQTT 3.1 is protocol name "MQIsdp" at level 3.
        ...(protocolVersion === 3 ? { protocolId: "MQIsdp" as const } : {}),
        clientId: `it-${protocolVersion}`,
        reconnectPeriod: 0,
        connectTimeout: 10_000,
      });
      clients.push(client);
      const server = await accepted;
      // Level 3 clients offer "mqttv3.1"; the others offer "mqtt" [MQTT-6.0.0-3] [MQTT-6.0.0-4].
      expect((server as unknown as { protocol: string }).protocol).toBe(
        protocolVersion === 3 ? "mqttv3.1" : "mqtt",
      );
      const received = new Promise<[string, string]>((resolve) =>
        client.once("message", (topic, payload) => resolve([topic, payload.toString()])),
      );
      const payload = "x".repeat(70_000); // larger than one read chunk
      await client.publishAsync("echo/test", payload, { qos: 0 });
      expect(await received).toEqual(["echo/test", payload]);
      expect(seen.map((packet) => packet.type)).toEqual([PacketType.CONNECT, PacketType.PUBLISH]);
      expect(seen[0]).toMatchObject({
        type: PacketType.CONNECT,
        protocolVersion,
        clientId: `it-${protocolVersion}`,
      });
      await client.endAsync();
      expect((await server.closed).initiator).toBe("remote");
    });
  }
});
