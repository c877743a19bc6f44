/**
 * @packageDocumentation
 * `@amqtt/transport`: the contract between MQTT shells (broker, client) and the
 * carriers that move their bytes (TCP, TLS, WebSocket, in-memory). A
 * {@link Connection} is bytes in through async iteration, one `send`, `close`,
 * `abort` and a `closed` promise; every buffer it holds is bounded. A
 * {@link Listener} accepts connections up to `maxConnections`; a {@link Dialer}
 * opens them. Transport authors build on {@link ConnectionBase} and prove their
 * work with the suite in `@amqtt/transport/compliance`. Runtime-neutral: no Node
 * built-ins.
 *
 * @example
 * ```ts
 * import { onData, waitForDrain, type Connection } from "@amqtt/transport";
 * function echo(connection: Connection): Promise<void> {
 *   return onData(connection, (chunk) => {
 *     if (!connection.send(chunk)) return waitForDrain(connection);
 *   });
 * }
 * ```
 */
export { type Clock, systemClock, type TimerHandle } from "./clock.js";
export {
  type AddressInfo,
  type CloseInfo,
  type CloseInitiator,
  type Connection,
  type ConnectionOptions,
  type ConnectionReader,
  DEFAULT_CLOSE_TIMEOUT_MS,
  DEFAULT_MAX_BUFFERED_BYTES,
  DEFAULT_READ_HIGH_WATER_MARK,
  DEFAULT_WRITE_HIGH_WATER_MARK,
  type PeerCertificate,
  type TlsInfo,
} from "./connection.js";
export { ConnectionBase } from "./connection-base.js";
export { waitForDrain } from "./drain.js";
export {
  type BufferDirection,
  CloseTimeoutError,
  ConnectionRefusedError,
  ConnectionResetError,
  NoConnectionHandlerError,
  SlowConsumerError,
  TooManyConnectionsError,
  TransportError,
} from "./errors.js";
export {
  DEFAULT_MAX_CONNECTIONS,
  type Dialer,
  type Listener,
  type ListenOptions,
  type NetworkListenOptions,
} from "./listener.js";
export { ListenerBase } from "./listener-base.js";
export { ListenerCore } from "./listener-core.js";
export { listenOn, type NodeServerLike, serverAddress } from "./node-server.js";
export { onData } from "./on-data.js";
export * from "./proxy/index.js";
export {
  type NodeCertificateLike,
  type NodeTlsSocketLike,
  peerCertificateOf,
  tlsInfoOf,
} from "./tls-info.js";
