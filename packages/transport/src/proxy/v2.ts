import { crc32c } from "./crc32c.js";
import { ProxyProtocolError } from "./errors.js";
import { type ProxyEndpoint, type ProxyHeader, type ProxyTlv, proxyTlvs } from "./header.js";
import { formatIpv4, formatIpv6 } from "./ip.js";

/** The 12-byte signature every v2 header starts with (spec section 2.2). */
export const V2_SIGNATURE = new Uint8Array([
  0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a,
]);
/** Signature, version/command, family/protocol and the 2-byte length. */
export const V2_FIXED_LENGTH = 16;

/** Address block sizes per family nibble: INET, INET6, UNIX. */
const ADDRESS_BYTES: Record<number, number> = { 1: 12, 2: 36, 3: 216 };

/**
 * Decode a v2 header from the start of `bytes` (which begin with the
 * signature). Returns `undefined` until the whole header is there; throws
 * {@link ProxyProtocolError} when it is malformed, announces more than
 * `maxLength` bytes in all, or carries a CRC32C TLV that does not match.
 */
export function decodeV2(bytes: Uint8Array, maxLength: number): ProxyHeader | undefined {
  if (bytes.length < V2_FIXED_LENGTH) {
    // Refuse early what is already wrong, so a peer cannot hold a half header open.
    if (bytes.length > 12) checkVersionCommand(bytes[12]!);
    if (bytes.length > 13) checkFamily(bytes[13]!);
    return undefined;
  }
  const command = checkVersionCommand(bytes[12]!);
  const famProto = bytes[13]!;
  checkFamily(famProto);
  const bodyLength = (bytes[14]! << 8) | bytes[15]!;
  const length = V2_FIXED_LENGTH + bodyLength;
  if (length > maxLength)
    throw new ProxyProtocolError("too-long", `${length} bytes announced, the bound is ${maxLength}`);
  if (bytes.length < length) return undefined;
  const body = bytes.subarray(V2_FIXED_LENGTH, length);
  // LOCAL: the receiver must ignore the address block and use the real one (spec section 2.2).
  if (command === "local") return { version: 2, command, tlvs: [], length };
  const family = famProto >> 4;
  if (family === 0) return { version: 2, command: "local", tlvs: [], length };
  const addressBytes = ADDRESS_BYTES[family]!;
  if (body.length < addressBytes)
    throw new ProxyProtocolError(
      "short-address",
      `${body.length} bytes of addresses, the family needs ${addressBytes}`,
    );
  const [source, destination] = addresses(family, body);
  const fields = tlvs(body.subarray(addressBytes));
  checkCrc32c(bytes.subarray(0, length), fields, V2_FIXED_LENGTH + addressBytes);
  return { version: 2, command, source, destination, tlvs: fields.map((f) => f.tlv), length };
}

/** A TLV and where its value starts, counted from the start of the TLV block. */
interface PlacedTlv {
  readonly tlv: ProxyTlv;
  readonly valueAt: number;
}

/**
 * A PP2_TYPE_CRC32C TLV holds the CRC-32C of the whole header computed with its
 * own 4 value bytes as zeros, big-endian; a header that fails it must be dropped
 * (proxy-protocol.txt, section 2.2.5). Without the TLV there is nothing to check.
 */
function checkCrc32c(header: Uint8Array, fields: readonly PlacedTlv[], tlvStart: number): void {
  const field = fields.find((f) => f.tlv.type === proxyTlvs.CRC32C);
  if (field === undefined) return;
  const value = field.tlv.value;
  if (value.length !== 4)
    throw new ProxyProtocolError("bad-tlv", `the CRC32C TLV has ${value.length} bytes, it needs 4`);
  const sent = ((value[0]! << 24) | (value[1]! << 16) | (value[2]! << 8) | value[3]!) >>> 0;
  const computed = crc32c(header, tlvStart + field.valueAt, 4);
  if (sent !== computed)
    throw new ProxyProtocolError(
      "bad-checksum",
      `CRC32C 0x${hex8(sent)} sent, the header's is 0x${hex8(computed)}`,
    );
}

function hex8(n: number): string {
  return n.toString(16).padStart(8, "0");
}

function checkVersionCommand(byte: number): "proxy" | "local" {
  if (byte >> 4 !== 2) throw new ProxyProtocolError("bad-version", `version ${byte >> 4}, expected 2`);
  const command = byte & 0x0f;
  if (command === 0) return "local";
  if (command === 1) return "proxy";
  throw new ProxyProtocolError("bad-command", `command ${command}, expected 0 (LOCAL) or 1 (PROXY)`);
}

function checkFamily(byte: number): void {
  const family = byte >> 4;
  const protocol = byte & 0x0f;
  if (family > 3) throw new ProxyProtocolError("bad-family", `address family ${family}`);
  // UNSPEC/UNSPEC is allowed (LOCAL or unknown); otherwise a stream is required: MQTT needs one.
  if (family === 0 && protocol === 0) return;
  if (protocol !== 1)
    throw new ProxyProtocolError(
      "bad-family",
      `transport protocol ${protocol}, expected 1 (STREAM) for family ${family}`,
    );
}

function addresses(family: number, body: Uint8Array): [ProxyEndpoint, ProxyEndpoint] {
  const port = (at: number) => (body[at]! << 8) | body[at + 1]!;
  if (family === 1)
    return [
      { family: "IPv4", host: formatIpv4(body.subarray(0, 4)), port: port(8) },
      { family: "IPv4", host: formatIpv4(body.subarray(4, 8)), port: port(10) },
    ];
  if (family === 2)
    return [
      { family: "IPv6", host: formatIpv6(body.subarray(0, 16)), port: port(32) },
      { family: "IPv6", host: formatIpv6(body.subarray(16, 32)), port: port(34) },
    ];
  return [
    { family: "unix", path: unixPath(body.subarray(0, 108)) },
    { family: "unix", path: unixPath(body.subarray(108, 216)) },
  ];
}

function unixPath(field: Uint8Array): string {
  const nul = field.indexOf(0);
  return new TextDecoder().decode(nul < 0 ? field : field.subarray(0, nul));
}

function tlvs(bytes: Uint8Array): PlacedTlv[] {
  const out: PlacedTlv[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (bytes.length - at < 3)
      throw new ProxyProtocolError("bad-tlv", `${bytes.length - at} stray bytes after the last TLV`);
    const type = bytes[at]!;
    const length = (bytes[at + 1]! << 8) | bytes[at + 2]!;
    if (at + 3 + length > bytes.length)
      throw new ProxyProtocolError(
        "bad-tlv",
        `TLV 0x${type.toString(16)} of ${length} bytes runs past the header`,
      );
    out.push({ tlv: { type, value: bytes.slice(at + 3, at + 3 + length) }, valueAt: at + 3 });
    at += 3 + length;
  }
  return out;
}
