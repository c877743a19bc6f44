import { connect as connectNet, type Socket } from "node:net";
import { connect as connectTls, type ConnectionOptions as TlsConnectOptions } from "node:tls";
import type { ConnectionOptions } from "@amqtt/transport";
import { TcpConnection } from "../src/index.js";

/** A v2 PROXY header for TCP over IPv4: client 192.0.2.1:4000 to 127.0.0.1:1883. */
export const v2Ipv4Header = new Uint8Array([
  0x0d,
  0x0a,
  0x0d,
  0x0a,
  0x00,
  0x0d,
  0x0a,
  0x51,
  0x55,
  0x49,
  0x54,
  0x0a, // signature
  0x21, // version 2, PROXY
  0x11, // AF_INET, STREAM
  0x00,
  0x0c, // 12 bytes
  192,
  0,
  2,
  1, // source
  127,
  0,
  0,
  1, // destination
  0x0f,
  0xa0, // source port 4000
  0x07,
  0x5b, // destination port 1883
]);

/** Open a TCP socket to loopback `port`, written `header` first (as a proxy would), then TLS if `tls`. */
export function dialWithHeader(
  port: number,
  header: Uint8Array,
  options: ConnectionOptions = {},
  tls?: TlsConnectOptions,
): Promise<TcpConnection> {
  return new Promise((resolve, reject) => {
    const raw = connectNet({ host: "127.0.0.1", port });
    raw.once("error", reject);
    raw.once("connect", () => {
      raw.write(header);
      if (tls === undefined) {
        raw.off("error", reject);
        resolve(new TcpConnection(raw, options));
        return;
      }
      const secure: Socket = connectTls({ ...tls, socket: raw });
      secure.once("error", reject);
      secure.once("secureConnect", () => {
        secure.off("error", reject);
        resolve(new TcpConnection(secure, options));
      });
    });
  });
}
