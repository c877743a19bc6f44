import type { Connection } from "@amqtt/transport";
import { dialWs } from "@amqtt/transport-ws";
import type { TlsSettings } from "./config.js";
import { ClientError } from "./errors.js";

/** What the `./node` entry offers to the browser-safe main entry. */
interface NodeEntry {
  dialTcpUri(url: URL, tls: TlsSettings): Promise<Connection>;
}

// The specifier sits in a variable so bundlers do not follow it: a browser bundle
// never contains the TCP dialer and its `node:` modules.
const nodeEntrySpecifier = "./node.js";

function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === "string";
}

/**
 * Open the byte stream for a broker URL: WebSocket for `ws:`/`wss:` (browsers and
 * Node), TCP/TLS for `mqtt:`/`mqtts:` (Node only, loaded on first use).
 */
export async function dialUri(url: URL, tls: TlsSettings): Promise<Connection> {
  if (url.protocol === "ws:" || url.protocol === "wss:") return dialWs(url);
  if (!isNode()) throw new ClientError(`${url.protocol} needs Node; use ws:// or wss:// in a browser`);
  const entry = (await import(/* @vite-ignore */ nodeEntrySpecifier)) as NodeEntry;
  return entry.dialTcpUri(url, tls);
}
