import { TransportError } from "../errors.js";

/** What was wrong with a PROXY protocol header; see {@link ProxyProtocolError.reason}. */
export type ProxyProtocolFault =
  /** The first bytes are neither `PROXY ` (v1) nor the v2 signature: no header was sent. */
  | "missing-header"
  /** v1: no CRLF within 107 bytes; v2: the announced length is over the reader's bound. */
  | "too-long"
  /** v1: a field is missing, extra or not of its form (protocol, address, port). */
  | "malformed-line"
  /** v2: the version nibble is not 2. */
  | "bad-version"
  /** v2: the command nibble is neither LOCAL (0) nor PROXY (1). */
  | "bad-command"
  /** v2: an unknown address family or transport protocol, or datagram (MQTT runs on streams). */
  | "bad-family"
  /** v2: the address block is shorter than its family needs. */
  | "short-address"
  /** v2: a TLV runs past the end of the header, or a CRC32C TLV is not 4 bytes long. */
  | "bad-tlv"
  /** v2: the header's CRC32C TLV does not match the header (corrupted on the way). */
  | "bad-checksum"
  /** The trusted proxy did not finish its header in time (the shell's deadline). */
  | "timeout";

/**
 * A PROXY protocol header (HAProxy's spec, versions 1 and 2) was malformed or
 * missing. The connection it came on must be closed: nothing after a bad header
 * can be trusted to be the client's. Branch on {@link ProxyProtocolError.reason}.
 */
export class ProxyProtocolError extends TransportError {
  override name = "ProxyProtocolError";
  /** Which rule the header broke. */
  readonly reason: ProxyProtocolFault;
  constructor(reason: ProxyProtocolFault, detail: string) {
    super(`PROXY protocol header refused (${reason}): ${detail}`);
    this.reason = reason;
  }
}

/** A connection came from an address outside the trusted proxies of a PROXY protocol listener. */
export class UntrustedProxyError extends TransportError {
  override name = "UntrustedProxyError";
  /** The address the connection came from. */
  readonly address: string;
  constructor(address: string) {
    super(`connection from ${address}, which is not a trusted proxy`);
    this.address = address;
  }
}

/** An address range (`10.0.0.0/8`, `::1`, `fd00::/8`) could not be read. */
export class InvalidAddressRangeError extends TransportError {
  override name = "InvalidAddressRangeError";
  /** The text as given. */
  readonly range: string;
  constructor(range: string, detail: string) {
    super(`"${range}" is not an IPv4 or IPv6 address or CIDR range: ${detail}`);
    this.range = range;
  }
}
