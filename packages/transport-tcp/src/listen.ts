import { createServer as createNetServer, type Server, type Socket } from "node:net";
import { createServer as createTlsServer, type TlsOptions } from "node:tls";
import {
  type AddressInfo,
  type Connection,
  type Listener,
  ListenerCore,
  type ListenOptions,
} from "@amqtt/transport";
import { TcpConnection } from "./tcp-connection.js";

/** Options of {@link listenTcp}. */
export interface TcpListenOptions extends ListenOptions {
  /** Interface to bind; Node's default (all interfaces) when omitted. Use `"127.0.0.1"` for loopback only. */
  host?: string;
  /** Port to bind; `0` picks a free one. Default 1883, or 8883 with `tls`. */
  port?: number;
  /**
   * Serve TLS with these `node:tls` server options (`key`, `cert`, `ca`, ...). For
   * client certificates set `requestCert: true`; with `rejectUnauthorized: true`
   * (Node's default when `requestCert` is set) a client without a certificate
   * signed by `ca` fails the handshake, with `false` it connects and the shell
   * decides from `connection.tls.authorized` and `connection.tls.peerCertificate`.
   */
  tls?: TlsOptions;
  /** Pending-connection queue length passed to `listen`. */
  backlog?: number;
}

/**
 * Start a TCP (or, with `tls`, TLS) listener. Connections over `maxConnections`
 * are destroyed as soon as they are accepted — before the TLS handshake — and never
 * reach `onConnection`; the client sees the connection close (or reset).
 */
export async function listenTcp(options: TcpListenOptions = {}): Promise<TcpListener> {
  const core = new ListenerCore(options);
  const server = options.tls ? createTlsServer(options.tls) : createNetServer();
  const listener = new TcpListener(server, core, options.tls ? "tls" : "tcp");
  const accept = (socket: Socket): void => {
    if (core.isFull) {
      socket.destroy();
      return;
    }
    core.accept(new TcpConnection(socket, core.connectionOptions));
  };
  if (options.tls) {
    // Refuse before spending a handshake on a connection over the bound; check again
    // after it, as several handshakes may have been in flight.
    server.on("connection", (socket: Socket) => {
      if (core.isFull) socket.destroy();
    });
    server.on("secureConnection", accept);
    // A failed handshake (e.g. a rejected client certificate) only concerns that socket.
    server.on("tlsClientError", () => {});
  } else {
    server.on("connection", accept);
  }
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(
      { host: options.host, port: options.port ?? (options.tls ? 8883 : 1883), backlog: options.backlog },
      () => {
        server.off("error", reject);
        resolve();
      },
    );
  });
  return listener;
}

/** A started TCP or TLS listener; see {@link listenTcp}. */
export class TcpListener implements Listener {
  readonly #server: Server;
  readonly #core: ListenerCore;
  readonly #transport: "tcp" | "tls";
  #closing: Promise<void> | undefined;

  /** Use {@link listenTcp}. @internal */
  constructor(server: Server, core: ListenerCore, transport: "tcp" | "tls") {
    this.#server = server;
    this.#core = core;
    this.#transport = transport;
  }

  /** See {@link Listener.maxConnections}. */
  get maxConnections(): number {
    return this.#core.maxConnections;
  }

  /** See {@link Listener.connectionCount}. */
  get connectionCount(): number {
    return this.#core.connectionCount;
  }

  /** See {@link Listener.address}; `host` and `port` are the bound ones. */
  address(): AddressInfo {
    const bound = this.#server.address();
    if (bound === null || typeof bound === "string")
      return { transport: this.#transport, path: bound ?? undefined };
    return { transport: this.#transport, host: bound.address, port: bound.port, family: bound.family };
  }

  /** See {@link Listener.onConnection}. */
  onConnection(handler: (connection: Connection) => void): void {
    this.#core.onConnection(handler);
  }

  /** See {@link Listener.close}. */
  close(): Promise<void> {
    this.#closing ??= Promise.all([
      new Promise<void>((resolve) => this.#server.close(() => resolve())),
      this.#core.closeAll(),
    ]).then(() => undefined);
    return this.#closing;
  }
}
