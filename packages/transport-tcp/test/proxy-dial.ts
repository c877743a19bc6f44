import type { ConnectionOptions as TlsConnectOptions } from "node:tls";
import { dialProxied, proxyV2Header } from "@amqtt/test-utils/proxy";
import type { ConnectionOptions } from "@amqtt/transport";
import { TcpConnection } from "../src/index.js";

/** A v2 PROXY header for TCP over IPv4: client 192.0.2.1:4000 to 127.0.0.1:1883. */
export const v2Ipv4Header = proxyV2Header({
  source: { host: "192.0.2.1", port: 4000 },
  destination: { host: "127.0.0.1", port: 1883 },
});

/** Open a TCP socket to loopback `port`, written `header` first (as a proxy would), then TLS if `tls`. */
export async function dialWithHeader(
  port: number,
  header: Uint8Array,
  options: ConnectionOptions = {},
  tls?: TlsConnectOptions,
): Promise<TcpConnection> {
  const socket = await dialProxied(port, { header, ...(tls === undefined ? {} : { tls }) });
  return new TcpConnection(socket, options);
}
