import { type BrokerUri, parseBrokerUri } from "./uri.js";

/**
 * The broker a 5.0 Server Reference names (CONNACK or DISCONNECT with 0x9C Use
 * another server or 0x9D Server moved, section 4.11): "host[:port]", several
 * space separated (the first is taken). The scheme stays; the credentials of the
 * URI are not sent to the other server.
 */
export function followServerReference(current: BrokerUri, reference: string): BrokerUri {
  const first = reference.trim().split(/\s+/)[0] ?? "";
  const url = new URL(current.url.href);
  const [host, port] = first.startsWith("[")
    ? [first.slice(0, first.indexOf("]") + 1), first.split("]:")[1]]
    : first.split(":");
  if (host) url.hostname = host;
  if (port) url.port = port;
  return parseBrokerUri(url.href);
}
