/**
 * @packageDocumentation
 * `@amqtt/bridge`: bridges by configuration for the amqtt broker. Local
 * messages matching `out` topics are queued durably in the broker's own store
 * while the remote is unreachable (bounded by count and bytes) and sent in
 * order once it is back; remote messages matching `in` topics are published
 * locally and acknowledged to the remote only once the broker holds them.
 * MQTT 5.0 (No Local, Retain As Published, a hop list) and 3.1.1 (Mosquitto's
 * bridge bit, an echo guard) remotes, fail-over across addresses, TLS.
 *
 * @example
 * ```ts
 * import { Broker } from "@amqtt/broker";
 * import { Bridges } from "@amqtt/bridge";
 *
 * const broker = new Broker({ listeners: { default: { type: "tcp", bind: "127.0.0.1:1883" } } });
 * await broker.start();
 * const bridges = Bridges.fromConfig(
 *   [{ name: "central", address: "central.example:1883", topics: [{ filter: "sensors/#", direction: "out" }] }],
 *   broker,
 * );
 * await bridges.start();
 * console.log(bridges.status()); // [{ name: "central", connected: false, queued: 0, ... }]
 * ```
 */
export { Bridge, type BridgeClusterOptions, type BridgeStatus } from "./bridge.js";
export { Bridges, type BridgesOptions, bridgesOf } from "./bridges.js";
export {
  type BridgeConfig,
  type BridgeDirection,
  type BridgeTls,
  type BridgeTopic,
  type ParseBridgesOptions,
  parseBridges,
} from "./config.js";
export { withBridgeBit } from "./dial.js";
export { EchoGuard } from "./echo-guard.js";
export { BridgeConfigError, type BridgeConfigIssue, BridgeStateError } from "./errors.js";
export { type BridgeLease, type BridgeLeaseEngine, LeaseKeeper } from "./lease-keeper.js";
export { HOP_PROPERTY, NODE_TOPIC } from "./properties.js";
export { type Mapped, TopicMap } from "./topic-map.js";
