import { connect as connectNet, type Socket } from "node:net";
import type { ConnectionOptions as TlsConnectOptions } from "node:tls";
import type { ConnectionOptions, Dialer } from "@amqtt/transport";
import { TcpConnection } from "./tcp-connection.js";

/** Where {@link dialTcp} connects. */
export interface TcpTarget {
  /** Host name or IP address. */
  host: string;
  /** Port number. */
  port: number;
  /**
   * Connect to this unix domain socket path instead (`host` and `port` are then
   * not used; TLS still applies when `tls` is set).
   */
  path?: string;
  /**
   * Connect with TLS using these `node:tls` options (`ca` to trust a private CA,
   * `cert`/`key` to present a client certificate, `servername`, ...). Node verifies
   * the server certificate unless `rejectUnauthorized` is `false`.
   */
  tls?: TlsConnectOptions;
}

/**
 * Connect over TCP, or TLS when `target.tls` is set. Resolves once connected (and
 * past the handshake); rejects with the socket's error otherwise.
 */
export async function dialTcp(target: TcpTarget, options: ConnectionOptions = {}): Promise<TcpConnection> {
  // `node:tls` only for a TLS target, so a plain TCP process never loads it.
  const tls = target.tls === undefined ? undefined : await import("node:tls");
  return new Promise((resolve, reject) => {
    const where =
      target.path === undefined ? { host: target.host, port: target.port } : { path: target.path };
    const socket: Socket =
      tls !== undefined && target.tls !== undefined
        ? tls.connect({ ...target.tls, ...where })
        : connectNet(where);
    const onError = (error: Error): void => {
      socket.destroy();
      reject(error);
    };
    socket.once("error", onError);
    socket.once(target.tls ? "secureConnect" : "connect", () => {
      socket.off("error", onError);
      resolve(new TcpConnection(socket, options));
    });
  });
}

/** {@link dialTcp} as a `Dialer`, for shells that take one. */
export const tcpDialer: Dialer<TcpTarget> = { dial: dialTcp };
