import { createServer as createHttpServer, type IncomingMessage, type Server } from "node:http";
import { createServer as createHttpsServer, type ServerOptions as HttpsOptions } from "node:https";
import { createRequire } from "node:module";
import type { Duplex } from "node:stream";
import { type SecureContextOptions, TLSSocket, type Server as TlsServer } from "node:tls";
import {
  type AddressInfo,
  AddressMatcher,
  DEFAULT_MAX_BUFFERED_BYTES,
  forwardedClient,
  ListenerBase,
  ListenerCore,
  listenOn,
  type NetworkListenOptions,
  serverAddress,
  type TlsInfo,
  tlsInfoOf,
} from "@amqtt/transport";
import type * as Ws from "ws";
import { parseSubprotocols, selectSubprotocol } from "./protocols.js";
import { WebSocketConnection } from "./websocket-connection.js";
import type { WebSocketLike } from "./websocket-like.js";

// ws is CommonJS: `require` it. An ES import of it makes Node parse it with its
// CommonJS lexer (a WebAssembly module kept for the life of the process), about
// 1.7 MB of RSS in an otherwise idle broker.
const { WebSocketServer } = createRequire(import.meta.url)("ws") as typeof Ws;

/** Options of {@link listenWs}: `host` and `port` (default 8080) when it opens its own port, and these. */
export interface WsListenOptions extends NetworkListenOptions {
  /**
   * Mount on this existing server instead of opening a port: the listener handles
   * `upgrade` requests for `path` and leaves the server running on `close()`.
   */
  server?: Server;
  /** Serve `wss:` on its own port with these `node:https` options. */
  tls?: HttpsOptions;
  /**
   * Only upgrade requests for this path; others get 404 (unless another `upgrade`
   * handler on a shared server may want them). Default: `"/mqtt"` when mounted,
   * any path on its own port.
   */
  path?: string;
  /**
   * HTTP proxies (IPv4/IPv6 addresses and CIDR ranges, or an `AddressMatcher`)
   * whose `Forwarded` (RFC 7239) or `X-Forwarded-For` header names the client.
   * Only a request whose peer is one of them has the header believed; the hop
   * list is walked from the right past trusted proxies, and the first other
   * address becomes `connection.remoteAddress`. Default: none (headers ignored).
   */
  trustedProxies?: readonly string[] | AddressMatcher;
}

/**
 * Start a WebSocket listener. A handshake is refused with HTTP 400 unless the
 * client offers the `mqtt` (or legacy `mqttv3.1`) subprotocol [MQTT-6.0.0-3]; the
 * server selects `mqtt` when offered [MQTT-6.0.0-4]. Over `maxConnections` it is
 * refused with HTTP 503 and never reaches `onConnection`. Frames larger than the
 * connection's `maxBufferedBytes` are refused by `ws` (close status 1009).
 */
export async function listenWs(options: WsListenOptions = {}): Promise<WsListener> {
  const core = new ListenerCore(options);
  const mounted = options.server;
  const server: Server = mounted ?? (options.tls ? createHttpsServer(options.tls) : createHttpServer());
  const path = options.path ?? (mounted ? "/mqtt" : undefined);
  // An https.Server (own or mounted) has setSecureContext; a plain http.Server does not.
  const secure = options.tls !== undefined || "setSecureContext" in server;
  const trusted =
    options.trustedProxies === undefined || options.trustedProxies instanceof AddressMatcher
      ? options.trustedProxies
      : new AddressMatcher(options.trustedProxies);
  const wss = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    perMessageDeflate: false,
    maxPayload: core.connectionOptions.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES,
    handleProtocols: (offered) => selectSubprotocol(offered) ?? false,
  });

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    if (path !== undefined && pathOf(request) !== path) {
      // On a shared server another upgrade handler may own this path.
      if (server.listenerCount("upgrade") === 1) refuse(socket, 404, "Not Found");
      return;
    }
    if (selectSubprotocol(parseSubprotocols(request.headers["sec-websocket-protocol"])) === undefined) {
      refuse(socket, 400, "Bad Request", "offer the WebSocket subprotocol mqtt [MQTT-6.0.0-3]");
      return;
    }
    if (core.isFull) {
      refuse(socket, 503, "Service Unavailable", "too many connections");
      return;
    }
    // An own server asked at the raw connection already (below).
    if (mounted && !core.admits()) {
      refuse(socket, 429, "Too Many Requests", "too many new connections");
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      if (core.isFull) {
        ws.terminate(); // the bound was reached while this handshake was in flight
        return;
      }
      core.accept(
        new WebSocketConnection(
          ws as unknown as WebSocketLike,
          addressesOf(request, secure, trusted),
          core.connectionOptions,
        ),
      );
    });
  };
  server.on("upgrade", onUpgrade);

  if (!mounted) {
    // Before the TLS handshake (wss) and the HTTP request: a refused client costs neither.
    server.on("connection", (socket: Duplex) => {
      if (!core.isFull && !core.admits()) socket.destroy();
    });
    server.on("request", (_request, response) => {
      response.writeHead(426, { "content-type": "text/plain", upgrade: "websocket" });
      response.end("MQTT over WebSocket: upgrade required\n");
    });
    await listenOn(server, { host: options.host, port: options.port ?? 8080 });
  }
  return new WsListener(server, core, {
    transport: secure ? "wss" : "ws",
    path,
    stop: () => {
      server.off("upgrade", onUpgrade);
      if (mounted) return Promise.resolve();
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
    },
  });
}

/** A started WebSocket listener; see {@link listenWs}. */
export class WsListener extends ListenerBase {
  readonly #server: Server;
  readonly #transport: string;
  readonly #path: string | undefined;
  readonly #stop: () => Promise<void>;

  /** Use {@link listenWs}. @internal */
  constructor(
    server: Server,
    core: ListenerCore,
    how: { transport: string; path: string | undefined; stop: () => Promise<void> },
  ) {
    super(core);
    this.#server = server;
    this.#transport = how.transport;
    this.#path = how.path;
    this.#stop = how.stop;
  }

  /** See {@link Listener.address}; `path` is the upgrade path, if one is required. */
  address(): AddressInfo {
    return serverAddress(this.#server, this.#transport, this.#path);
  }

  /** Whether it serves secure WebSocket (so {@link WsListener.setSecureContext} applies). */
  get secure(): boolean {
    return "setSecureContext" in this.#server;
  }

  /**
   * Replace the certificate, key and CA of a secure WebSocket listener (e.g. a
   * renewed certificate): handshakes from now on use them; connections already
   * open keep theirs and stay up. Throws a `TypeError` on a plain `ws` listener.
   */
  setSecureContext(options: SecureContextOptions): void {
    if (!this.secure) throw new TypeError("not a secure WebSocket listener: it has no secure context");
    (this.#server as unknown as TlsServer).setSecureContext(options);
  }

  /** Stop upgrading; a mounted listener leaves its server running. */
  protected stopAccepting(): Promise<void> {
    return this.#stop();
  }
}

function pathOf(request: IncomingMessage): string {
  return new URL(request.url ?? "/", "http://localhost").pathname;
}

function refuse(socket: Duplex, status: number, text: string, body = text): void {
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

function addressesOf(
  request: IncomingMessage,
  secure: boolean,
  trusted: AddressMatcher | undefined,
): { local: AddressInfo; remote: AddressInfo; tls?: TlsInfo } {
  const socket = request.socket;
  const transport = secure ? "wss" : "ws";
  const path = pathOf(request);
  const client =
    trusted === undefined ? undefined : forwardedClient(socket.remoteAddress, request.headers, trusted);
  return {
    local: { transport, host: socket.localAddress, port: socket.localPort, family: socket.localFamily, path },
    remote:
      client === undefined
        ? { transport, host: socket.remoteAddress, port: socket.remotePort, family: socket.remoteFamily }
        : {
            transport,
            host: client.host,
            ...(client.port === undefined ? {} : { port: client.port }),
            family: client.host.includes(":") ? "IPv6" : "IPv4",
          },
    tls: socket instanceof TLSSocket ? tlsInfoOf(socket) : undefined,
  };
}
