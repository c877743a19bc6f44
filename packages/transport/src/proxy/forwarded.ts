import type { AddressMatcher } from "./address-matcher.js";
import { parseIp } from "./ip.js";

/** A client address taken from HTTP forwarding headers. */
export interface ForwardedClient {
  /** The client's address (IPv4, or IPv6 without brackets). */
  readonly host: string;
  /** Its port, when the `Forwarded` header gave one (`X-Forwarded-For` never does). */
  readonly port?: number;
}

/** The forwarding headers of one request, as Node gives them (`string | string[]` when repeated). */
export interface ForwardingHeaders {
  readonly forwarded?: string | readonly string[] | undefined;
  readonly "x-forwarded-for"?: string | readonly string[] | undefined;
}

/**
 * Who the client really is, behind trusted HTTP proxies. `peer` is the address
 * the request came from; the headers are believed only when `peer` is trusted.
 * The hop list (RFC 7239 `Forwarded: for=...`, else `X-Forwarded-For`) is walked
 * from the right, skipping trusted proxies; the first address that is not one is
 * the client. Entries a client could have written itself (left of an untrusted
 * hop) are never used. An entry that is not an address (`unknown`, an obfuscated
 * `_node`) ends the walk at the hop before it. `undefined`: keep `peer`.
 */
export function forwardedClient(
  peer: string | undefined,
  headers: ForwardingHeaders,
  trusted: AddressMatcher,
): ForwardedClient | undefined {
  if (!trusted.matches(peer)) return undefined;
  const hops =
    headers.forwarded !== undefined ? forwardedHops(headers.forwarded) : xffHops(headers["x-forwarded-for"]);
  let found: ForwardedClient | undefined;
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i];
    if (hop === undefined) break;
    found = hop;
    if (!trusted.matches(hop.host)) break;
  }
  return found;
}

function joined(value: string | readonly string[] | undefined): string[] {
  if (value === undefined) return [];
  return (typeof value === "string" ? [value] : value).flatMap((v) => v.split(","));
}

/** `X-Forwarded-For: client, proxy1, proxy2`; an entry that is not an IP is `undefined`. */
function xffHops(value: string | readonly string[] | undefined): (ForwardedClient | undefined)[] {
  return joined(value).map((entry) => {
    const host = entry.trim();
    return parseIp(host) === undefined ? undefined : { host };
  });
}

/** RFC 7239 `Forwarded: for=192.0.2.60;proto=http, for="[2001:db8::1]:4711"`: the `for` of each element. */
function forwardedHops(value: string | readonly string[]): (ForwardedClient | undefined)[] {
  return joined(value).map((element) => {
    for (const pair of element.split(";")) {
      const eq = pair.indexOf("=");
      if (eq < 0 || pair.slice(0, eq).trim().toLowerCase() !== "for") continue;
      return nodeOf(pair.slice(eq + 1).trim());
    }
    return undefined;
  });
}

/** RFC 7239 section 6 `node`: `192.0.2.1`, `"192.0.2.1:80"`, `"[2001:db8::1]:4711"`; obfuscated or `unknown` is `undefined`. */
function nodeOf(raw: string): ForwardedClient | undefined {
  const text = raw.startsWith('"') && raw.endsWith('"') && raw.length >= 2 ? raw.slice(1, -1) : raw;
  let host = text;
  let portText: string | undefined;
  if (text.startsWith("[")) {
    const close = text.indexOf("]");
    if (close < 0) return undefined;
    host = text.slice(1, close);
    const after = text.slice(close + 1);
    if (after.startsWith(":")) portText = after.slice(1);
    else if (after !== "") return undefined;
  } else if (text.split(":").length === 2) {
    [host, portText] = text.split(":") as [string, string];
  }
  if (parseIp(host) === undefined) return undefined;
  if (portText !== undefined && /^\d{1,5}$/.test(portText) && Number(portText) <= 65535)
    return { host, port: Number(portText) };
  return { host };
}
