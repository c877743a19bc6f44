/**
 * @packageDocumentation
 * `@amqtt/transport-ws/server`: the Node-only WebSocket listener, on its own
 * port or mounted on an existing `http.Server`/`https.Server` at a path.
 *
 * @example
 * ```ts
 * import { listenWs } from "@amqtt/transport-ws/server";
 * const listener = await listenWs({ host: "127.0.0.1", port: 0, path: "/mqtt" });
 * listener.onConnection((connection) => console.log(connection.remoteAddress));
 * ```
 */
export { listenWs, WsListener, type WsListenOptions } from "./listen.js";
export { MQTT_SUBPROTOCOLS, selectSubprotocol } from "./protocols.js";
export { WebSocketConnection } from "./websocket-connection.js";
