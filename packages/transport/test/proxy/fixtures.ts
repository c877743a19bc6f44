import type { ProxyHeader, ProxyProtocolFault } from "../../src/index.js";

const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0));
/** The v2 signature, spelled out: \r\n\r\n\0\r\nQUIT\n. */
const SIG = [0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a];

/** A header, its bytes annotated field by field, and what it decodes to. */
export interface HeaderFixture {
  name: string;
  bytes: number[];
  header: ProxyHeader;
}

/** A v2 header as HAProxy 2.6 sent it, captured on a socket (see its fixture below). */
const HAPROXY_CRC32C = [
  ...SIG,
  0x21, // version 2, command PROXY
  0x11, // AF_INET, STREAM
  0x00,
  0x16, // 12 bytes of addresses + 10 of TLVs
  127,
  0,
  0,
  1, // source 127.0.0.1
  127,
  0,
  0,
  1, // destination 127.0.0.1
  0x80,
  0x66, // source port 32870
  0xa3,
  0x9c, // destination port 41884
  0x03,
  0x00,
  0x04, // CRC32C, 4 bytes:
  0x3f,
  0x9b,
  0x30,
  0xaa, // 0x3f9b30aa, big-endian
  0x05,
  0x00,
  0x00, // UNIQUE_ID, empty
];
/** Where the CRC32C value starts in {@link HAPROXY_CRC32C}. */
const CRC_AT = 16 + 12 + 3;

export const headerFixtures: HeaderFixture[] = [
  {
    name: "v1 TCP4",
    bytes: ascii("PROXY TCP4 192.0.2.10 198.51.100.1 56324 1883\r\n"),
    header: {
      version: 1,
      command: "proxy",
      source: { family: "IPv4", host: "192.0.2.10", port: 56324 },
      destination: { family: "IPv4", host: "198.51.100.1", port: 1883 },
      tlvs: [],
      length: 47,
    },
  },
  {
    name: "v1 TCP6, written uncompressed, decoded as RFC 5952 text",
    bytes: ascii("PROXY TCP6 2001:db8:0:0:0:0:0:7 ::1 65535 0\r\n"),
    header: {
      version: 1,
      command: "proxy",
      source: { family: "IPv6", host: "2001:db8::7", port: 65535 },
      destination: { family: "IPv6", host: "::1", port: 0 },
      tlvs: [],
      length: 45,
    },
  },
  {
    name: "v1 UNKNOWN (the rest of the line ignored)",
    bytes: ascii("PROXY UNKNOWN ffff:f...f ffff:f...f 65535 65535\r\n"),
    header: { version: 1, command: "local", tlvs: [], length: 49 },
  },
  {
    name: "v2 PROXY TCP over IPv4",
    bytes: [
      ...SIG,
      0x21, // version 2, command PROXY
      0x11, // AF_INET, STREAM
      0x00,
      0x0c, // 12 bytes of addresses
      192,
      0,
      2,
      10, // source address
      198,
      51,
      100,
      1, // destination address
      0xdc,
      0x04, // source port 56324
      0x07,
      0x5b, // destination port 1883
    ],
    header: {
      version: 2,
      command: "proxy",
      source: { family: "IPv4", host: "192.0.2.10", port: 56324 },
      destination: { family: "IPv4", host: "198.51.100.1", port: 1883 },
      tlvs: [],
      length: 28,
    },
  },
  {
    name: "v2 PROXY TCP over IPv6 with AUTHORITY and NOOP TLVs",
    bytes: [
      ...SIG,
      0x21, // version 2, command PROXY
      0x21, // AF_INET6, STREAM
      0x00,
      0x24 + 3 + 9 + 3 + 2, // 36 bytes of addresses + TLVs
      0x20,
      0x01,
      0x0d,
      0xb8,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0x07, // source 2001:db8::7
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0xff,
      0xff,
      10,
      0,
      0,
      1, // destination ::ffff:10.0.0.1
      0x30,
      0x39, // source port 12345
      0x22,
      0xb3, // destination port 8883
      0x02,
      0x00,
      0x09,
      ...ascii("broker.ex"), // AUTHORITY "broker.ex"
      0x04,
      0x00,
      0x02,
      0x00,
      0x00, // NOOP, 2 bytes
    ],
    header: {
      version: 2,
      command: "proxy",
      source: { family: "IPv6", host: "2001:db8::7", port: 12345 },
      destination: { family: "IPv6", host: "::ffff:10.0.0.1", port: 8883 },
      tlvs: [
        { type: 0x02, value: new Uint8Array(ascii("broker.ex")) },
        { type: 0x04, value: new Uint8Array([0, 0]) },
      ],
      length: 16 + 36 + 12 + 5,
    },
  },
  {
    name: "v2 LOCAL (a health check) with an ignored address block",
    bytes: [
      ...SIG,
      0x20, // version 2, command LOCAL
      0x11, // AF_INET, STREAM
      0x00,
      0x0c, // 12 bytes
      1,
      2,
      3,
      4,
      5,
      6,
      7,
      8,
      0,
      1,
      0,
      2, // ignored addresses and ports
    ],
    header: { version: 2, command: "local", tlvs: [], length: 28 },
  },
  {
    name: "v2 PROXY with AF_UNSPEC (the proxy does not know)",
    bytes: [...SIG, 0x21, 0x00, 0x00, 0x00],
    header: { version: 2, command: "local", tlvs: [], length: 16 },
  },
  {
    name: "v2 PROXY over AF_UNIX",
    bytes: [
      ...SIG,
      0x21, // version 2, command PROXY
      0x31, // AF_UNIX, STREAM
      0x00,
      0xd8, // 216 bytes
      ...ascii("/run/a.sock"),
      ...new Array(108 - 11).fill(0), // source path, NUL padded
      ...ascii("/run/b"),
      ...new Array(108 - 6).fill(0), // destination path
    ],
    header: {
      version: 2,
      command: "proxy",
      source: { family: "unix", path: "/run/a.sock" },
      destination: { family: "unix", path: "/run/b" },
      tlvs: [],
      length: 16 + 216,
    },
  },
  {
    // Captured from Debian's HAProxy 2.6 (`send-proxy-v2 proxy-v2-options crc32c,unique-id`):
    // the checksum was computed by HAProxy, not by the code under test.
    name: "v2 PROXY from HAProxy with a CRC32C TLV (checked) and an empty UNIQUE_ID",
    bytes: HAPROXY_CRC32C,
    header: {
      version: 2,
      command: "proxy",
      source: { family: "IPv4", host: "127.0.0.1", port: 32870 },
      destination: { family: "IPv4", host: "127.0.0.1", port: 41884 },
      tlvs: [
        { type: 0x03, value: new Uint8Array([0x3f, 0x9b, 0x30, 0xaa]) },
        { type: 0x05, value: new Uint8Array(0) },
      ],
      length: 16 + 22,
    },
  },
];

/** `bytes` with the byte at `at` XORed with `mask` (a bit flipped on the way). */
function flipped(bytes: number[], at: number, mask = 0x01): number[] {
  const out = [...bytes];
  out[at] = out[at]! ^ mask;
  return out;
}

/** Malformed headers and the fault each must be refused with. */
export const errorFixtures: { name: string; bytes: number[]; reason: ProxyProtocolFault }[] = [
  { name: "an MQTT CONNECT instead of a header", bytes: [0x10, 0x0c, 0x00, 0x04], reason: "missing-header" },
  {
    name: "a 'P' that does not go on as PROXY",
    bytes: ascii("POST / HTTP/1.1\r\n"),
    reason: "missing-header",
  },
  {
    name: "a v2 signature broken at its 8th byte",
    bytes: [...SIG.slice(0, 7), 0x52],
    reason: "missing-header",
  },
  { name: "v1 without CRLF in 107 bytes", bytes: ascii(`PROXY TCP4 ${"1".repeat(110)}`), reason: "too-long" },
  {
    name: "v1 ending in LF alone",
    bytes: ascii("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n"),
    reason: "malformed-line",
  },
  { name: "v1 protocol TCP5", bytes: ascii("PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n"), reason: "malformed-line" },
  {
    name: "v1 missing the destination port",
    bytes: ascii("PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n"),
    reason: "malformed-line",
  },
  {
    name: "v1 IPv4 octet 256",
    bytes: ascii("PROXY TCP4 1.2.3.256 5.6.7.8 1 2\r\n"),
    reason: "malformed-line",
  },
  {
    name: "v1 IPv6 address on a TCP4 line",
    bytes: ascii("PROXY TCP4 ::1 ::1 1 2\r\n"),
    reason: "malformed-line",
  },
  { name: "v1 port 65536", bytes: ascii("PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n"), reason: "malformed-line" },
  {
    name: "v1 port with a leading zero",
    bytes: ascii("PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n"),
    reason: "malformed-line",
  },
  { name: "v1 bad IPv6", bytes: ascii("PROXY TCP6 1::2::3 ::1 1 2\r\n"), reason: "malformed-line" },
  { name: "v2 version 1", bytes: [...SIG, 0x11, 0x11, 0, 12], reason: "bad-version" },
  { name: "v2 command 2", bytes: [...SIG, 0x22, 0x11, 0, 12], reason: "bad-command" },
  { name: "v2 family 4", bytes: [...SIG, 0x21, 0x41, 0, 12], reason: "bad-family" },
  { name: "v2 datagram", bytes: [...SIG, 0x21, 0x12, 0, 12], reason: "bad-family" },
  {
    name: "v2 IPv4 with 8 address bytes",
    bytes: [...SIG, 0x21, 0x11, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8],
    reason: "short-address",
  },
  {
    name: "v2 TLV longer than the header",
    bytes: [...SIG, 0x21, 0x11, 0, 16, 1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 0, 2, 0x02, 0x00, 0x05, 0x61],
    reason: "bad-tlv",
  },
  {
    name: "v2 two stray bytes after the addresses",
    bytes: [...SIG, 0x21, 0x11, 0, 14, 1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 0, 2, 0x02, 0x00],
    reason: "bad-tlv",
  },
  {
    name: "v2 from HAProxy with a source address bit flipped (CRC32C no longer matches)",
    bytes: flipped(HAPROXY_CRC32C, 16 + 3),
    reason: "bad-checksum",
  },
  {
    name: "v2 from HAProxy with a port bit flipped",
    bytes: flipped(HAPROXY_CRC32C, 16 + 9, 0x80),
    reason: "bad-checksum",
  },
  {
    name: "v2 from HAProxy with the checksum itself altered",
    bytes: flipped(HAPROXY_CRC32C, CRC_AT + 3, 0x10),
    reason: "bad-checksum",
  },
  {
    name: "v2 from HAProxy with the checksum zeroed",
    bytes: [...HAPROXY_CRC32C.slice(0, CRC_AT), 0, 0, 0, 0, ...HAPROXY_CRC32C.slice(CRC_AT + 4)],
    reason: "bad-checksum",
  },
  {
    name: "v2 with a CRC32C TLV of 3 bytes",
    bytes: [
      ...SIG,
      0x21,
      0x11,
      0,
      18,
      1,
      2,
      3,
      4,
      5,
      6,
      7,
      8,
      0,
      1,
      0,
      2,
      0x03,
      0x00,
      0x03,
      0xaa,
      0xbb,
      0xcc,
    ],
    reason: "bad-tlv",
  },
  {
    name: "v2 announcing 65535 bytes (over the 4 KiB bound)",
    bytes: [...SIG, 0x21, 0x11, 0xff, 0xff],
    reason: "too-long",
  },
];
