import { describe, expect, it } from "vitest";
import {
  crc32c,
  decodeProxyHeader,
  ProxyHeaderDecoder,
  ProxyProtocolError,
  proxyTlvs,
  proxyTlvText,
} from "../../src/index.js";
import { errorFixtures, headerFixtures } from "./fixtures.js";

/** An MQTT 3.1.1 PINGREQ after the header: the client's own stream. */
const after = [0xc0, 0x00];

/** Feed `bytes` to a fresh decoder in `chunks`; the first result, or the error. */
function feed(chunks: Uint8Array[]) {
  const decoder = new ProxyHeaderDecoder();
  let fed = 0;
  for (const chunk of chunks) {
    fed += chunk.length;
    const done = decoder.push(chunk);
    if (done !== undefined) return { ...done, fed };
  }
  return undefined;
}

function splits(bytes: number[]): { label: string; chunks: Uint8Array[] }[] {
  const all = new Uint8Array(bytes);
  const out = [
    { label: "whole", chunks: [all] },
    { label: "byte by byte", chunks: bytes.map((b) => new Uint8Array([b])) },
  ];
  for (let i = 1; i < bytes.length; i++)
    out.push({ label: `split at ${i}`, chunks: [all.slice(0, i), all.slice(i)] });
  return out;
}

describe("PROXY protocol header decoder", () => {
  for (const fixture of headerFixtures) {
    it(`decodes ${fixture.name}, whole, byte by byte and split at every point`, () => {
      const bytes = [...fixture.bytes, ...after];
      expect(fixture.bytes.length).toBe(fixture.header.length);
      for (const { label, chunks } of splits(bytes)) {
        const done = feed(chunks);
        expect(done, label).toBeDefined();
        expect(done?.header, label).toEqual(fixture.header);
        // The bytes after the header, up to the end of the chunk that completed it, come back.
        expect([...(done?.rest ?? [])], label).toEqual(bytes.slice(fixture.header.length, done?.fed));
      }
    });

    it(`needs more bytes for every strict prefix of ${fixture.name}`, () => {
      for (let i = 0; i < fixture.bytes.length; i++)
        expect(decodeProxyHeader(new Uint8Array(fixture.bytes.slice(0, i))), `prefix ${i}`).toBeUndefined();
    });
  }

  for (const fixture of errorFixtures) {
    it(`refuses ${fixture.name} with reason ${fixture.reason}, whole and byte by byte`, () => {
      for (const { label, chunks } of splits(fixture.bytes)) {
        let caught: unknown;
        try {
          feed(chunks);
        } catch (error) {
          caught = error;
        }
        expect(caught, label).toBeInstanceOf(ProxyProtocolError);
        expect((caught as ProxyProtocolError).name).toBe("ProxyProtocolError");
        expect((caught as ProxyProtocolError).reason, label).toBe(fixture.reason);
      }
    });
  }

  it("computes CRC-32C: the standard check value of '123456789' is 0xe3069283 (RFC 3720, B.4)", () => {
    expect(crc32c(new TextEncoder().encode("123456789"))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa); // 32 zero bytes (RFC 3720, B.4)
    // The zeroed window reads as zeros whatever is there.
    expect(crc32c(new Uint8Array([0xff, 0xff, 0xff, 0xff, ...new Array(28).fill(0)]), 0, 4)).toBe(0x8a9136aa);
  });

  it("accepts a v2 header whose CRC32C TLV matches and keeps the TLV", () => {
    const fixture = headerFixtures.find((f) => f.name.includes("CRC32C"))!;
    const header = decodeProxyHeader(new Uint8Array(fixture.bytes))!;
    expect(header.tlvs.map((t) => t.type)).toEqual([proxyTlvs.CRC32C, proxyTlvs.UNIQUE_ID]);
  });

  it("reads a TLV's text by type", () => {
    const fixture = headerFixtures.find((f) => f.name.includes("AUTHORITY"))!;
    const header = decodeProxyHeader(new Uint8Array(fixture.bytes))!;
    expect(proxyTlvText(header, proxyTlvs.AUTHORITY)).toBe("broker.ex");
    expect(proxyTlvText(header, proxyTlvs.ALPN)).toBeUndefined();
  });

  it("bounds a v2 header by maxHeaderBytes", () => {
    const fixture = headerFixtures.find((f) => f.name.includes("AF_UNIX"))!;
    expect(decodeProxyHeader(new Uint8Array(fixture.bytes), 232)).toEqual(fixture.header);
    expect(() => decodeProxyHeader(new Uint8Array(fixture.bytes), 231)).toThrow(ProxyProtocolError);
    expect(() => new ProxyHeaderDecoder({ maxHeaderBytes: 15 })).toThrow(RangeError);
  });

  it("holds at most the bound plus one chunk while waiting", () => {
    const decoder = new ProxyHeaderDecoder();
    const fixture = headerFixtures[0]!;
    for (const b of fixture.bytes.slice(0, -1)) decoder.push(new Uint8Array([b]));
    expect(decoder.bufferedBytes).toBe(fixture.bytes.length - 1);
  });
});
