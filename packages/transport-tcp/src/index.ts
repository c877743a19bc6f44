/**
 * @packageDocumentation
 * `@amqtt/transport-tcp`: MQTT over TCP and TLS for Node, implementing
 * `@amqtt/transport`. {@link listenTcp} starts a listener with a connection bound;
 * {@link dialTcp} connects. TLS connections expose what was negotiated, including
 * the client's certificate on the server side, as `connection.tls`.
 *
 * @example
 * ```ts
 * import { dialTcp, listenTcp } from "@amqtt/transport-tcp";
 * const listener = await listenTcp({ host: "127.0.0.1", port: 0, maxConnections: 1000 });
 * listener.onConnection((connection) => console.log(connection.remoteAddress, connection.tls?.peerCertificate?.subject));
 * const { port } = listener.address();
 * const client = await dialTcp({ host: "127.0.0.1", port: port! });
 * client.close();
 * await listener.close();
 * ```
 */
export { dialTcp, type TcpTarget, tcpDialer } from "./dial.js";
export { listenTcp, TcpListener, type TcpListenOptions } from "./listen.js";
export {
  DEFAULT_PROXY_HEADER_TIMEOUT_MS,
  type Proxied,
  type ProxyProtocolOptions,
} from "./proxy-accept.js";
export { TcpConnection } from "./tcp-connection.js";
export { UnixSocketInUseError, type UnixSocketOptions } from "./unix-socket.js";
