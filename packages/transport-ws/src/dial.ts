import type { AddressInfo, ConnectionOptions, Dialer } from "@amqtt/transport";
import { ConnectionRefusedError } from "@amqtt/transport";
import { SubprotocolError } from "./errors.js";
import { MQTT_SUBPROTOCOLS } from "./protocols.js";
import { WebSocketConnection } from "./websocket-connection.js";
import type { WebSocketConstructor, WebSocketEventLike, WebSocketLike } from "./websocket-like.js";

/** Options of {@link dialWs}. */
export interface WsDialOptions extends ConnectionOptions {
  /**
   * Subprotocols to offer. Default `["mqtt"]`, which a client MUST include
   * [MQTT-6.0.0-3]; MQTT 3.1 clients offer `["mqttv3.1"]`.
   */
  protocols?: string[];
  /**
   * The `WebSocket` constructor to use. Default: the global `WebSocket` where it
   * exists (browsers, Node 22+), else the `ws` package, loaded on first use.
   */
  WebSocket?: WebSocketConstructor;
  /**
   * Node only: extra HTTP headers for the handshake and TLS options for `wss:`
   * (`ca`, `cert`, `key`, `rejectUnauthorized`, `servername`, ...), handed to the
   * `ws` package, which is then used even where a global `WebSocket` exists. A
   * browser's `WebSocket` can take neither, so giving them there is an error.
   */
  node?: { headers?: Record<string, string> } & Record<string, unknown>;
}

/**
 * Open a WebSocket to `url` (`ws:` or `wss:`) and resolve with a connection once
 * it is open and the server selected an MQTT subprotocol [MQTT-6.0.0-4]. Rejects
 * with {@link ConnectionRefusedError} when the handshake fails and with
 * {@link SubprotocolError} when the server selected none.
 */
export async function dialWs(url: string | URL, options: WsDialOptions = {}): Promise<WebSocketConnection> {
  const target = new URL(url);
  const protocols = options.protocols ?? ["mqtt"];
  let socket: WebSocketLike;
  if (options.node !== undefined) {
    if (!isNode())
      throw new TypeError("headers and TLS options need Node: a browser WebSocket cannot take them");
    const ws = await import("ws");
    const NodeWebSocket = ws.WebSocket as unknown as new (u: string, p: string[], o: object) => WebSocketLike;
    socket = new NodeWebSocket(target.href, protocols, options.node);
  } else {
    const WebSocketImpl = options.WebSocket ?? (await defaultWebSocket());
    socket = new WebSocketImpl(target.href, protocols);
  }
  await opened(socket, target.href);
  if (!MQTT_SUBPROTOCOLS.includes(socket.protocol)) {
    socket.close(1002, "no MQTT subprotocol");
    throw new SubprotocolError(
      `server selected subprotocol "${socket.protocol}", not an MQTT one [MQTT-6.0.0-4]`,
    );
  }
  const transport = target.protocol === "wss:" ? "wss" : "ws";
  const remote: AddressInfo = {
    transport,
    host: target.hostname,
    port: Number(target.port || (transport === "wss" ? 443 : 80)),
    path: target.pathname,
  };
  return new WebSocketConnection(socket, { local: localAddressOf(socket, transport), remote }, options);
}

/** {@link dialWs} as a `Dialer`, for shells that take one. */
export const wsDialer: Dialer<string | URL> = { dial: dialWs };

function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === "string";
}

async function defaultWebSocket(): Promise<WebSocketConstructor> {
  const global = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (global !== undefined) return global;
  // Node 20 has no global WebSocket; browsers never get here.
  const ws = await import("ws");
  return ws.WebSocket as unknown as WebSocketConstructor;
}

function opened(socket: WebSocketLike, href: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (event: WebSocketEventLike): void => {
      if (settled) return;
      settled = true;
      const cause = event.error ?? event.message;
      reject(new ConnectionRefusedError(`WebSocket connection to ${href} failed`, { cause }));
    };
    socket.addEventListener("open", () => {
      settled = true;
      resolve();
    });
    socket.addEventListener("error", fail);
    socket.addEventListener("close", fail);
  });
}

// `ws` exposes the underlying socket; browsers do not reveal the local address.
function localAddressOf(socket: WebSocketLike, transport: string): AddressInfo {
  const raw = (socket as { _socket?: { localAddress?: string; localPort?: number; localFamily?: string } })
    ._socket;
  if (raw?.localAddress === undefined) return { transport };
  return { transport, host: raw.localAddress, port: raw.localPort, family: raw.localFamily };
}
