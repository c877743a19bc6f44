/** An IP endpoint named by a PROXY header. */
export interface ProxyIpEndpoint {
  readonly family: "IPv4" | "IPv6";
  /** Address text (IPv6 as RFC 5952 text). */
  readonly host: string;
  readonly port: number;
}

/** A unix socket endpoint named by a v2 header (`AF_UNIX`). */
export interface ProxyUnixEndpoint {
  readonly family: "unix";
  /** The socket path (up to the first NUL of the 108-byte field). */
  readonly path: string;
}

/** One end of the proxied connection. */
export type ProxyEndpoint = ProxyIpEndpoint | ProxyUnixEndpoint;

/** A v2 Type-Length-Value field, kept raw; {@link proxyTlvs} names the known types. */
export interface ProxyTlv {
  readonly type: number;
  readonly value: Uint8Array;
}

/**
 * A decoded PROXY protocol header. With `command: "local"` (v2 LOCAL, v1
 * `UNKNOWN`) the proxy speaks for itself (a health check) and there is no
 * `source`: the socket's own addresses are the true ones.
 */
export interface ProxyHeader {
  /** 1 (text) or 2 (binary). */
  readonly version: 1 | 2;
  /** `"proxy"`: relayed for `source`; `"local"`: the proxy's own connection. */
  readonly command: "proxy" | "local";
  /** The client as the proxy saw it. */
  readonly source?: ProxyEndpoint;
  /** The address the client connected to on the proxy. */
  readonly destination?: ProxyEndpoint;
  /** v2 TLVs in header order (empty for v1). */
  readonly tlvs: readonly ProxyTlv[];
  /** Bytes the header took on the wire. */
  readonly length: number;
}

/** v2 TLV type numbers (HAProxy's proxy-protocol.txt, section 2.2). */
export const proxyTlvs = {
  ALPN: 0x01,
  AUTHORITY: 0x02,
  CRC32C: 0x03,
  NOOP: 0x04,
  UNIQUE_ID: 0x05,
  SSL: 0x20,
  SSL_VERSION: 0x21,
  SSL_CN: 0x22,
  SSL_CIPHER: 0x23,
  SSL_SIG_ALG: 0x24,
  SSL_KEY_ALG: 0x25,
  NETNS: 0x30,
} as const;

/** The text of a TLV of `type` (AUTHORITY, ALPN, UNIQUE_ID, ...), or `undefined` when the header has none. */
export function proxyTlvText(header: ProxyHeader, type: number): string | undefined {
  const tlv = header.tlvs.find((t) => t.type === type);
  return tlv === undefined ? undefined : new TextDecoder().decode(tlv.value);
}
