/**
 * @packageDocumentation
 * `amqtt`: the whole suite in one install. Re-exports the public API of
 * `@amqtt/broker`, `@amqtt/client`, `@amqtt/message` and `@amqtt/codec`; no code of
 * its own.
 *
 * @example
 * ```ts
 * import { Broker, MQTTClient } from "amqtt";
 * const broker = new Broker({ listeners: { default: { type: "tcp", bind: "127.0.0.1:1883" } } });
 * await broker.start();
 * const client = new MQTTClient({ clientId: "demo" });
 * await client.connect("mqtt://127.0.0.1:1883");
 * ```
 */
export * from "@amqtt/broker";
export * from "@amqtt/client";
export {
  Decoder,
  decodePacket,
  encode,
  encode5,
  encode311,
  type Packet,
  type Packet5,
  type Packet311,
  PacketType,
  ReasonCode,
  reasonCodeName,
} from "@amqtt/codec";
export * from "@amqtt/message";
