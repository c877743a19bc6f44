import type { Connection } from "@amqtt/transport";
import { dialWs } from "@amqtt/transport-ws";
import type { TlsSettings } from "./config.js";
import { ClientError } from "./errors.js";

/** What the `./node` entry offers to the browser-safe main entry. */
interface NodeEntry {
  dialTcpUri(url: URL, tls: TlsSettings): Promise<Connection>;
  tlsOptions(host: string, tls: TlsSettings): Promise<Record<string, unknown>>;
}

// The specifier sits in a variable so bundlers do not follow it: a browser bundle
// never contains the TCP dialer and its `node:` modules. It names the package's
// own `./node` export (a self-reference), so it resolves from the built files and,
// in another package's tests, from the sources (the `@amqtt/source` condition).
const nodeEntrySpecifier = "@amqtt/client/node";

function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === "string";
}

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
    const entry = (await import(/* @vite-ignore */ nodeEntrySpecifier)) as NodeEntry;
    const tlsOptions =
      url.protocol === "wss:" ? await entry.tlsOptions(url.hostname.replace(/^\[|\]$/g, ""), tls) : {};
    return dialWs(url, {
      node: { ...tlsOptions, ...(tls.headers === undefined ? {} : { headers: tls.headers }) },
    });
  }
  if (!isNode()) throw new ClientError(`${url.protocol} needs Node; use ws:// or wss:// in a browser`);
  const entry = (await import(/* @vite-ignore */ nodeEntrySpecifier)) as NodeEntry;
  return entry.dialTcpUri(url, tls);
}
