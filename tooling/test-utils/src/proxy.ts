// PROXY protocol helpers for tests that play the proxy: encode a v2 header and dial a
// loopback port writing it (or any bytes) first, as HAProxy would. The encoder is written
// from the spec (haproxy's proxy-protocol.txt), independently of @amqtt/transport's parser.
import { isIPv4, isIPv6, connect as netConnect, type Socket } from "node:net";
import { type ConnectionOptions as TlsConnectOptions, connect as tlsConnect } from "node:tls";

/** The 12-byte v2 signature: `\r\n\r\n\0\r\nQUIT\n`. */
export const PROXY_V2_SIGNATURE: readonly number[] = [
  0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a,
];

/** One end of a proxied TCP connection, as written into a header. */
export interface ProxyEndpoint {
  /** An IPv4 or IPv6 address (both ends of one header must be of the same family). */
  host: string;
  port: number;
}

/** What {@link proxyV2Header} encodes. */
export interface ProxyV2HeaderOptions {
  /** `local` (a health check) carries no addresses; default `proxy`. */
  command?: "proxy" | "local";
  source?: ProxyEndpoint;
  destination?: ProxyEndpoint;
  /** Append a PP2_TYPE_CRC32C TLV holding the header's checksum, as HAProxy's `proxy-v2-options crc32c` does. */
  crc32c?: boolean;
}

/**
 * CRC-32C (Castagnoli) bit by bit, from the definition (reflected polynomial
 * 0x82F63B78): slow and table-free, to stay independent of the parser's own.
 */
export function crc32cBitwise(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** `header` (which ends with a zeroed 4-byte CRC32C value) with the checksum filled in. */
function withCrc32c(header: Uint8Array): Uint8Array {
  const crc = crc32cBitwise(header);
  header.set([crc >>> 24, (crc >>> 16) & 0xff, (crc >>> 8) & 0xff, crc & 0xff], header.length - 4);
  return header;
}

/** The 16 bytes of an IPv6 address in text form (`::` compression and an IPv4 tail allowed). */
function ipv6Bytes(host: string): number[] {
  const [head = "", tail] = host.split("::");
  const groups = (part: string): number[] =>
    part === ""
      ? []
      : part.split(":").flatMap((group) => {
          if (isIPv4(group)) return ipv4Groups(group);
          return [Number.parseInt(group, 16)];
        });
  const front = groups(head);
  const back = tail === undefined ? [] : groups(tail);
  const all = [...front, ...new Array(8 - front.length - back.length).fill(0), ...back];
  return all.flatMap((g) => [g >> 8, g & 0xff]);
}

/** The 4 bytes of an IPv4 address in dotted form. */
const ipv4Bytes = (host: string): number[] => host.split(".").map(Number);

/** An IPv4 address as two 16-bit groups (for an IPv6 address's IPv4 tail). */
function ipv4Groups(host: string): number[] {
  const [a = 0, b = 0, c = 0, d = 0] = ipv4Bytes(host);
  return [(a << 8) | b, (c << 8) | d];
}

const portBytes = (port: number) => [port >> 8, port & 0xff];

/** A PROXY protocol v2 header for TCP: the addresses' family (IPv4 or IPv6) follows `source.host`. */
export function proxyV2Header(options: ProxyV2HeaderOptions = {}): Uint8Array {
  const command = options.command === "local" ? 0x20 : 0x21;
  const { source, destination } = options;
  if (source === undefined || destination === undefined) {
    // AF_UNSPEC, no address block.
    return new Uint8Array([...PROXY_V2_SIGNATURE, command, 0x00, 0x00, 0x00]);
  }
  const v6 = isIPv6(source.host);
  if (v6 !== isIPv6(destination.host))
    throw new Error("proxyV2Header: source and destination families differ");
  const address = (host: string) => (v6 ? ipv6Bytes(host) : ipv4Bytes(host));
  const block = [
    ...address(source.host),
    ...address(destination.host),
    ...portBytes(source.port),
    ...portBytes(destination.port),
  ];
  // PP2_TYPE_CRC32C (0x03), 4 bytes, zero while the checksum is computed.
  if (options.crc32c === true) block.push(0x03, 0x00, 0x04, 0, 0, 0, 0);
  const family = v6 ? 0x21 : 0x11; // AF_INET6 or AF_INET, STREAM
  const header = new Uint8Array([
    ...PROXY_V2_SIGNATURE,
    command,
    family,
    ...portBytes(block.length),
    ...block,
  ]);
  return options.crc32c === true ? withCrc32c(header) : header;
}

/** A PROXY protocol v1 header line (`PROXY TCP4|TCP6 src dst sport dport\r\n`). */
export function proxyV1Header(source: ProxyEndpoint, destination: ProxyEndpoint): Uint8Array {
  const protocol = isIPv6(source.host) ? "TCP6" : "TCP4";
  const line = `PROXY ${protocol} ${source.host} ${destination.host} ${source.port} ${destination.port}\r\n`;
  return new TextEncoder().encode(line);
}

/** How {@link dialProxied} opens its socket. */
export interface DialProxiedOptions {
  /** Bytes written as soon as TCP connects (a PROXY header, or anything to test a refusal). */
  header?: Uint8Array;
  /** The local address to connect from (any 127/8 address works on Linux). */
  localAddress?: string;
  /** Start TLS over the socket after the header, with these options. */
  tls?: TlsConnectOptions;
}

/** A socket to loopback `port` that writes `header` first (as a proxy would), then TLS if asked. */
export function dialProxied(port: number, options: DialProxiedOptions = {}): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const raw = netConnect({
      host: "127.0.0.1",
      port,
      ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
    });
    raw.once("error", reject);
    raw.once("connect", () => {
      if (options.header !== undefined) raw.write(options.header);
      if (options.tls === undefined) {
        raw.off("error", reject);
        resolve(raw);
        return;
      }
      const secure = tlsConnect({ ...options.tls, socket: raw });
      secure.once("error", reject);
      secure.once("secureConnect", () => {
        secure.off("error", reject);
        raw.off("error", reject);
        resolve(secure);
      });
    });
  });
}
