import type { Connection } from "@amqtt/transport";
import { dialWs } from "@amqtt/transport-ws";
import type { TlsSettings } from "./config.js";
import { ClientError } from "./errors.js";
import { isNode, nodeEntry } from "./node-entry.js";

/**
 * Open the byte stream for a broker URL: WebSocket for `ws:`/`wss:` (browsers and
 * Node), TCP/TLS for `mqtt:`/`mqtts:` (Node only, loaded on first use).
 */
export async function dialUri(url: URL, tls: TlsSettings): Promise<Connection> {
  if (url.protocol === "ws:" || url.protocol === "wss:") {
    const custom =
      tls.headers !== undefined ||
      tls.cafile !== undefined ||
      tls.capath !== undefined ||
      tls.cadata !== undefined ||
      tls.certfile !== undefined ||
      !tls.verifyCert;
    if (!custom) return dialWs(url);
    // Headers and TLS settings go through Node's `ws`; a browser WebSocket has no way to take them.
    if (!isNode())
      throw new ClientError("extra headers and TLS files need Node; a browser WebSocket cannot use them");
    const entry = await nodeEntry();
    const tlsOptions =
      url.protocol === "wss:" ? await entry.tlsOptions(url.hostname.replace(/^\[|\]$/g, ""), tls) : {};
    return dialWs(url, {
      node: { ...tlsOptions, ...(tls.headers === undefined ? {} : { headers: tls.headers }) },
    });
  }
  if (!isNode()) throw new ClientError(`${url.protocol} needs Node; use ws:// or wss:// in a browser`);
  const entry = await nodeEntry();
  return entry.dialTcpUri(url, tls);
}
