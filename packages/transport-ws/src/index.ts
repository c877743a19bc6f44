/**
 * @packageDocumentation
 * `@amqtt/transport-ws`: MQTT over WebSocket. This entry is browser-safe (no Node
 * built-ins): {@link dialWs} uses the global `WebSocket` where it exists and the
 * `ws` package in Node 20. The Node listener is in `@amqtt/transport-ws/server`.
 *
 * @example
 * ```ts
 * import { dialWs } from "@amqtt/transport-ws";
 * const connection = await dialWs("ws://127.0.0.1:8080/mqtt");
 * connection.send(connectPacketBytes);
 * for await (const chunk of connection) handle(chunk);
 * ```
 */
export { dialWs, type WsDialOptions, wsDialer } from "./dial.js";
export { NonBinaryFrameError, SubprotocolError, WebSocketCloseError } from "./errors.js";
export { MQTT_SUBPROTOCOLS, parseSubprotocols, selectSubprotocol } from "./protocols.js";
export { WebSocketConnection } from "./websocket-connection.js";
export type { WebSocketConstructor, WebSocketEventLike, WebSocketLike } from "./websocket-like.js";
