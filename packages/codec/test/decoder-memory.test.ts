import { describe, expect, it } from "vitest";
import {
  ConnectExpectedError,
  Decoder,
  encode,
  PacketTooLargeError,
  PacketType,
  ProtocolError,
  ReasonCode,
} from "../src/index.js";

const connect = encode(
  { type: PacketType.CONNECT, protocolVersion: 4, clean: true, keepAlive: 30, clientId: "c" },
  4,
);

describe("the decoder reserves memory as bytes arrive", () => {
  it("holds about a kilobyte, not 256 MiB, after the 5 bytes `30 ff ff ff 7f`", () => {
    const decoder = new Decoder();
    expect(decoder.decodeAll(Uint8Array.of(0x30, 0xff, 0xff, 0xff, 0x7f))).toEqual([]);
    expect(decoder.bufferedBytes).toBe(5);
    expect(decoder.reservedBytes).toBeLessThanOrEqual(5 + 1024);
  });

  it("keeps its reservation within twice the bytes received while a huge packet trickles in", () => {
    const decoder = new Decoder();
    decoder.decodeAll(Uint8Array.of(0x30, 0xff, 0xff, 0xff, 0x7f));
    let received = 5;
    const chunk = new Uint8Array(4096);
    for (let i = 0; i < 256; i++) {
      decoder.decodeAll(chunk);
      received += chunk.length;
      expect(decoder.bufferedBytes).toBe(received);
      expect(decoder.reservedBytes).toBeLessThanOrEqual(5 + Math.max(1024, 2 * received));
    }
  });

  it("assembles a large packet from small chunks into exactly its declared size", () => {
    const payload = new Uint8Array(100_000).map((_, i) => i & 0xff);
    const bytes = encode(
      { type: PacketType.PUBLISH, topic: "big", payload, qos: 0, retain: false, dup: false },
      4,
    );
    const decoder = new Decoder();
    const out = [];
    for (let o = 0; o < bytes.length; o += 777) out.push(...decoder.decodeAll(bytes.subarray(o, o + 777)));
    expect(out).toHaveLength(1);
    const packet = out[0] as { topic: string; payload: Uint8Array };
    expect(packet.topic).toBe("big");
    expect(Buffer.from(packet.payload).equals(Buffer.from(payload))).toBe(true);
    // No header straddled a chunk boundary (each 777-byte chunk held whole headers): no scratch either.
    expect(decoder.reservedBytes).toBe(0);
  });

  it("allocates the 5-byte fixed-header scratch only when a header straddles two chunks", () => {
    const bytes = encode({ type: PacketType.PINGREQ }, 4);
    const decoder = new Decoder();
    // Whole packets: an idle connection's decoder holds no buffer at all.
    for (let i = 0; i < 3; i++) expect(decoder.decodeAll(bytes)).toHaveLength(1);
    expect(decoder.reservedBytes).toBe(0);
    // The first byte alone, then the rest: the header is carried over in the scratch.
    expect(decoder.decodeAll(bytes.subarray(0, 1))).toHaveLength(0);
    expect(decoder.decodeAll(bytes.subarray(1))).toHaveLength(1);
    expect(decoder.reservedBytes).toBe(5);
  });
});

describe("a server's decoder before CONNECT [MQTT-3.1.0-1]", () => {
  it("throws ConnectExpectedError on a first byte that is not CONNECT, before any length byte arrives", () => {
    const decoder = new Decoder({ expectConnectFirst: true });
    decoder.push(Uint8Array.of(0x30));
    let thrown: unknown;
    try {
      decoder.next();
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ConnectExpectedError);
    expect(thrown).toBeInstanceOf(ProtocolError);
    const err = thrown as ConnectExpectedError;
    expect(err.name).toBe("ConnectExpectedError");
    expect(err.firstByte).toBe(0x30);
    expect(err.reasonCode).toBe(ReasonCode.PROTOCOL_ERROR);
    expect(err.statement).toBe("MQTT-3.1.0-1");
  });

  it("refuses a CONNECT type with flag bits set as the first byte", () => {
    const decoder = new Decoder({ expectConnectFirst: true });
    expect(() => decoder.decodeAll(Uint8Array.of(0x11))).toThrow(ConnectExpectedError);
  });

  it("accepts a CONNECT first, fed a byte at a time, and then any packet", () => {
    const decoder = new Decoder({ expectConnectFirst: true });
    const out = [];
    for (const b of connect) out.push(...decoder.decodeAll(Uint8Array.of(b)));
    expect(out).toMatchObject([{ type: PacketType.CONNECT, clientId: "c" }]);
    expect(decoder.connectDecoded).toBe(true);
    expect(decoder.decodeAll(Uint8Array.of(0xc0, 0))).toEqual([{ type: PacketType.PINGREQ }]);
  });

  it("leaves a decoder without the option free to read any first packet (a client reads CONNACK)", () => {
    const decoder = new Decoder();
    expect(decoder.decodeAll(Uint8Array.of(0x20, 2, 0, 0))).toMatchObject([{ type: PacketType.CONNACK }]);
  });

  it("applies maxPacketSizeBeforeConnect from the fixed header until CONNECT is decoded", () => {
    const decoder = new Decoder({ maxPacketSize: 1 << 20, maxPacketSizeBeforeConnect: 512 });
    let thrown: unknown;
    try {
      decoder.decodeAll(Uint8Array.of(0x10, 0x80, 0x04)); // declares 512 body bytes: 515 in all
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(PacketTooLargeError);
    expect(thrown).toMatchObject({ size: 515, limit: 512, reasonCode: ReasonCode.PACKET_TOO_LARGE });
  });

  it("lifts the pre-CONNECT limit to maxPacketSize once CONNECT is decoded", () => {
    const decoder = new Decoder({ maxPacketSize: 1 << 20, maxPacketSizeBeforeConnect: 64 });
    expect(decoder.decodeAll(connect)).toHaveLength(1);
    const publish = encode(
      {
        type: PacketType.PUBLISH,
        topic: "t",
        payload: new Uint8Array(1000),
        qos: 0,
        retain: false,
        dup: false,
      },
      4,
    );
    expect(decoder.decodeAll(publish)).toMatchObject([{ type: PacketType.PUBLISH, topic: "t" }]);
  });

  it("never raises the limit above maxPacketSize", () => {
    const decoder = new Decoder({ maxPacketSize: 100, maxPacketSizeBeforeConnect: 1000 });
    expect(() => decoder.decodeAll(Uint8Array.of(0x10, 0xc8, 0x01))).toThrow(PacketTooLargeError);
  });
});
