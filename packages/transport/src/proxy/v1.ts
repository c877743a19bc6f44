import { ProxyProtocolError } from "./errors.js";
import type { ProxyHeader, ProxyIpEndpoint } from "./header.js";
import { formatIpv6, parseIpv4, parseIpv6 } from "./ip.js";

/** `PROXY ` in ASCII: how every v1 header starts. */
export const V1_PREFIX = new Uint8Array([0x50, 0x52, 0x4f, 0x58, 0x59, 0x20]);
/** The longest v1 header, CRLF included (spec section 2.1). */
export const V1_MAX_LENGTH = 107;

const decoder = new TextDecoder();

/**
 * Decode a v1 header from the start of `bytes` (which begin with `PROXY `).
 * Returns `undefined` while the CRLF has not arrived; throws
 * {@link ProxyProtocolError} for a line over 107 bytes or out of form.
 */
export function decodeV1(bytes: Uint8Array): ProxyHeader | undefined {
  const limit = Math.min(bytes.length, V1_MAX_LENGTH);
  let end = -1;
  for (let i = V1_PREFIX.length; i < limit; i++) {
    if (bytes[i] === 0x0a) {
      end = i;
      break;
    }
  }
  if (end < 0) {
    if (bytes.length >= V1_MAX_LENGTH)
      throw new ProxyProtocolError("too-long", `no CRLF within ${V1_MAX_LENGTH} bytes`);
    return undefined;
  }
  if (bytes[end - 1] !== 0x0d) throw new ProxyProtocolError("malformed-line", "the line must end with CRLF");
  const line = decoder.decode(bytes.subarray(V1_PREFIX.length, end - 1));
  const length = end + 1;
  const fields = line.split(" ");
  const protocol = fields[0];
  // UNKNOWN: the proxy could not tell (or speaks for itself); the rest of the line is ignored.
  if (protocol === "UNKNOWN") return { version: 1, command: "local", tlvs: [], length };
  if (protocol !== "TCP4" && protocol !== "TCP6")
    throw new ProxyProtocolError("malformed-line", `unknown protocol "${protocol}"`);
  if (fields.length !== 5)
    throw new ProxyProtocolError("malformed-line", `${fields.length} fields, a ${protocol} line has 5`);
  const family = protocol === "TCP4" ? "IPv4" : "IPv6";
  return {
    version: 1,
    command: "proxy",
    source: endpoint(family, fields[1]!, fields[3]!),
    destination: endpoint(family, fields[2]!, fields[4]!),
    tlvs: [],
    length,
  };
}

function endpoint(family: "IPv4" | "IPv6", host: string, portText: string): ProxyIpEndpoint {
  let text: string;
  if (family === "IPv4") {
    if (parseIpv4(host) === undefined) throw new ProxyProtocolError("malformed-line", `bad IPv4 "${host}"`);
    text = host;
  } else {
    const bytes = host.includes("%") ? undefined : parseIpv6(host);
    if (bytes === undefined) throw new ProxyProtocolError("malformed-line", `bad IPv6 "${host}"`);
    text = formatIpv6(bytes);
  }
  // Decimal without leading zeros (spec section 2.1), 0 to 65535.
  if (!/^(0|[1-9]\d{0,4})$/.test(portText) || Number(portText) > 65535)
    throw new ProxyProtocolError("malformed-line", `bad port "${portText}"`);
  return { family, host: text, port: Number(portText) };
}
