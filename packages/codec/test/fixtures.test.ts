import { describe, expect, it } from "vitest";
import { Decoder, decodePacket, encode, type Packet } from "../src/index.js";
import { fixtures } from "./fixtures.js";

function decodeChunks(chunks: Uint8Array[], version: 3 | 4 | 5): Packet[] {
  const decoder = new Decoder({ protocolVersion: version });
  const out: Packet[] = [];
  for (const chunk of chunks) out.push(...decoder.decodeAll(chunk));
  return out;
}

describe.each(fixtures)("$name", ({ packet, bytes, version }) => {
  const wire = new Uint8Array(bytes);

  it("has a remaining length that matches its body", () => {
    // Guards the fixture itself: the table is only useful if its bytes are consistent.
    let len = 0;
    let mul = 1;
    let i = 1;
    for (;;) {
      const b = bytes[i++]!;
      len += (b & 0x7f) * mul;
      mul *= 128;
      if ((b & 0x80) === 0) break;
    }
    expect(bytes.length - i).toBe(len);
  });

  it("decodes to the packet", () => {
    expect(decodePacket(wire, { protocolVersion: version })).toEqual(packet);
  });

  it("encodes to the bytes", () => {
    expect(Array.from(encode(packet, version))).toEqual(bytes);
  });

  it("round-trips: encode then decode gives the packet back", () => {
    expect(decodePacket(encode(packet, version), { protocolVersion: version })).toEqual(packet);
  });

  it("decodes when fed one byte at a time", () => {
    const chunks = Array.from(wire, (b) => Uint8Array.of(b));
    expect(decodeChunks(chunks, version)).toEqual([packet]);
  });

  it("decodes when split at every offset", () => {
    for (let cut = 1; cut < wire.length; cut++) {
      expect(decodeChunks([wire.subarray(0, cut), wire.subarray(cut)], version)).toEqual([packet]);
    }
  });

  it("decodes three back-to-back copies from one chunk", () => {
    const three = new Uint8Array(wire.length * 3);
    three.set(wire, 0);
    three.set(wire, wire.length);
    three.set(wire, wire.length * 2);
    expect(decodeChunks([three], version)).toEqual([packet, packet, packet]);
  });
});
