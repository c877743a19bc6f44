import { createServer as createNetServer, type Server, type Socket } from "node:net";
import type { SecureContextOptions, TLSSocket, TlsOptions, Server as TlsServer } from "node:tls";
import {
  type AddressInfo,
  ListenerBase,
  ListenerCore,
  listenOn,
  type NetworkListenOptions,
  serverAddress,
} from "@amqtt/transport";
import { type Proxied, ProxyAcceptor, type ProxyProtocolOptions } from "./proxy-accept.js";
import { TcpConnection } from "./tcp-connection.js";
import { listenUnix, removeSocketFile, type UnixSocketOptions } from "./unix-socket.js";

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
  /**
   * Expect a PROXY protocol header (v1 or v2, told apart by its first byte) at
   * the start of every connection, from the `trusted` proxies only; on a TLS
   * listener it comes before the handshake. `connection.remoteAddress` is then
   * the client's address from the header. Connections from elsewhere, or with a
   * malformed, missing or late header, are closed.
   */
  proxyProtocol?: ProxyProtocolOptions;
  /**
   * Listen on this unix domain socket path instead of `host`/`port` (the file's
   * mode and owner from `unixSocket`). A stale socket file (nothing accepts on
   * it) is replaced; a live one, or a file that is not a socket, fails the listen.
   */
  path?: string;
  /** File mode and owner of the socket file when `path` is given. */
  unixSocket?: UnixSocketOptions;
}

/**
 * Start a TCP (or, with `tls`, TLS) listener. Connections over `maxConnections`
 * are destroyed as soon as they are accepted — before the TLS handshake — and never
 * reach `onConnection`; the client sees the connection close (or reset).
 */
export async function listenTcp(options: TcpListenOptions = {}): Promise<TcpListener> {
  const core = new ListenerCore(options);
  const proxy = options.proxyProtocol === undefined ? undefined : new ProxyAcceptor(options.proxyProtocol);
  // `node:tls` is imported by the first TLS listener: a plain TCP broker never loads
  // it (an ES import of it costs about 1 MB of RSS).
  const tlsServer = options.tls ? (await import("node:tls")).createServer(options.tls) : undefined;
  // With the PROXY protocol a plain server accepts, and the TLS server only runs handshakes.
  // `noDelay`: Nagle off from accept (MQTT packets are small and latency matters).
  const server =
    tlsServer !== undefined && proxy === undefined ? tlsServer : createNetServer({ noDelay: true });
  const transport = options.tls ? "tls" : "tcp";
  const unixPath = options.path;
  const peerTransport = transport === "tls" ? "tls" : unixPath === undefined ? "tcp" : "unix";
  const listener = new TcpListener(server, core, transport, { proxy, unixPath });
  const full = (): boolean =>
    core.isFull || core.connectionCount + (proxy?.pending ?? 0) >= core.maxConnections;
  const accept = (socket: Socket, proxied?: Proxied): void => {
    if (core.isFull) {
      socket.destroy();
      return;
    }
    // The plain server turned Nagle off at accept (`noDelay`); the TLS server has the user's options.
    if (server === tlsServer) socket.setNoDelay(true);
    const connection = new TcpConnection(
      socket,
      core.connectionOptions,
      proxied === undefined
        ? { transport: peerTransport }
        : { remoteAddress: proxied.remoteAddress, proxied, transport: peerTransport },
    );
    core.accept(connection);
    // The PROXY reader paused the socket after the header; reading starts with the client's bytes.
    if (proxied !== undefined && tlsServer === undefined) socket.resume();
  };
  if (tlsServer !== undefined) {
    // Refuse before spending a handshake on a connection over the bound; check again
    // after it, as several handshakes may have been in flight.
    if (proxy === undefined)
      tlsServer.on("connection", (socket: Socket) => {
        if (full() || !core.admits()) socket.destroy();
      });
    tlsServer.on("secureConnection", (socket: TLSSocket) => {
      // The raw socket the header came on (Node keeps it as the TLS socket's parent).
      const raw = (socket as TLSSocket & { _parent?: Socket })._parent;
      accept(socket, raw === undefined ? undefined : listener.takeProxied(raw));
    });
    // A failed handshake (e.g. a rejected client certificate) only concerns that socket.
    tlsServer.on("tlsClientError", () => {});
  }
  if (proxy !== undefined) {
    server.on("connection", (socket: Socket) => {
      if (full() || !core.admits()) {
        socket.destroy();
        return;
      }
      proxy.accept(socket, transport, (ready, proxied) => {
        if (tlsServer === undefined) accept(ready, proxied);
        else {
          listener.holdProxied(ready, proxied);
          tlsServer.emit("connection", ready);
        }
      });
    });
  } else if (tlsServer === undefined) {
    server.on("connection", (socket: Socket) => {
      if (!core.isFull && !core.admits()) socket.destroy();
      else accept(socket);
    });
  }
  if (unixPath !== undefined) await listenUnix(server, unixPath, options.unixSocket ?? {}, options.backlog);
  else
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
  readonly #proxy: ProxyAcceptor | undefined;
  readonly #unixPath: string | undefined;
  /** Headers read from raw sockets whose TLS handshake is still running. */
  readonly #handshaking = new WeakMap<Socket, Proxied>();

  /** Use {@link listenTcp}. @internal */
  constructor(
    server: Server,
    core: ListenerCore,
    transport: "tcp" | "tls",
    extras: { proxy?: ProxyAcceptor | undefined; unixPath?: string | undefined } = {},
  ) {
    super(core);
    this.#server = server;
    this.#transport = transport;
    this.#proxy = extras.proxy;
    this.#unixPath = extras.unixPath;
  }

  /** @internal Keep what the header of `raw` said until its TLS handshake ends. */
  holdProxied(raw: Socket, proxied: Proxied): void {
    this.#handshaking.set(raw, proxied);
  }

  /** @internal What the header of `raw` said (once). */
  takeProxied(raw: Socket): Proxied | undefined {
    const proxied = this.#handshaking.get(raw);
    this.#handshaking.delete(raw);
    return proxied;
  }

  /** See {@link Listener.address}; `host` and `port` are the bound ones, `path` for a unix socket. */
  address(): AddressInfo {
    if (this.#unixPath !== undefined) return { transport: "unix", path: this.#unixPath };
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
    this.#proxy?.destroyPending();
    return new Promise<void>((resolve) =>
      this.#server.close(() => {
        if (this.#unixPath !== undefined) removeSocketFile(this.#unixPath);
        resolve();
      }),
    );
  }
}
