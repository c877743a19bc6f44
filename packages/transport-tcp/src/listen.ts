import { createServer as createNetServer, type Server, type Socket } from "node:net";
import {
  createServer as createTlsServer,
  type SecureContextOptions,
  type TlsOptions,
  type Server as TlsServer,
} from "node:tls";
import {
  type AddressInfo,
  ListenerBase,
  ListenerCore,
  listenOn,
  type NetworkListenOptions,
  serverAddress,
} from "@amqtt/transport";
import { TcpConnection } from "./tcp-connection.js";

/** Options of {@link listenTcp}: `host`, `port` (default 1883, or 8883 with `tls`), and these. */
export interface TcpListenOptions extends NetworkListenOptions {
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
  await listenOn(server, {
    host: options.host,
    port: options.port ?? (options.tls ? 8883 : 1883),
    backlog: options.backlog,
  });
  return listener;
}

/** A started TCP or TLS listener; see {@link listenTcp}. */
export class TcpListener extends ListenerBase {
  readonly #server: Server;
  readonly #transport: "tcp" | "tls";

  /** Use {@link listenTcp}. @internal */
  constructor(server: Server, core: ListenerCore, transport: "tcp" | "tls") {
    super(core);
    this.#server = server;
    this.#transport = transport;
  }

  /** See {@link Listener.address}; `host` and `port` are the bound ones. */
  address(): AddressInfo {
    return serverAddress(this.#server, this.#transport);
  }

  /** Whether it serves TLS (so {@link TcpListener.setSecureContext} applies). */
  get secure(): boolean {
    return this.#transport === "tls";
  }

  /**
   * Replace the certificate, key and CA of a TLS listener (e.g. a renewed
   * certificate): handshakes from now on use them; connections already open
   * keep theirs and stay up. Throws a `TypeError` on a plain TCP listener.
   */
  setSecureContext(options: SecureContextOptions): void {
    if (this.#transport !== "tls") throw new TypeError("not a TLS listener: it has no secure context");
    (this.#server as TlsServer).setSecureContext(options);
  }

  /** Close the server (connections already accepted are closed by the base). */
  protected stopAccepting(): Promise<void> {
    return new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
