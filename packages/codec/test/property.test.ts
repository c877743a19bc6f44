import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  Decoder,
  decodePacket,
  encode,
  InvalidPacketError,
  MqttError,
  type Packet,
  PacketType,
  type ProtocolVersion,
} from "../src/index.js";
import {
  brokenRules,
  bytesEqual,
  invalidPacket,
  normalize,
  packet,
  payload,
  versions,
} from "./arbitraries.js";

expect.addEqualityTesters([bytesEqual]);

const RUNS = 400;

/** `bytes` cut at `cuts` (any naturals, folded into range), in order. */
function split(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const p of points) {
    chunks.push(bytes.subarray(from, p));
    from = p;
  }
  chunks.push(bytes.subarray(from));
  return chunks;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Push every chunk, pulling packets after each push, as a socket reader would. */
function decodeStream(
  chunks: Uint8Array[],
  version: ProtocolVersion,
): { packets: Packet[]; decoder: Decoder } {
  const decoder = new Decoder({ protocolVersion: version });
  const packets: Packet[] = [];
  for (const chunk of chunks) {
    decoder.push(chunk);
    for (let p = decoder.next(); p !== undefined; p = decoder.next()) packets.push(p);
  }
  return { packets, decoder };
}

/** A packet decoded from untrusted input, with the level it was decoded at. */
interface Decoded {
  packet: Packet;
  version: ProtocolVersion;
}

/**
 * Feed `bytes` (in `chunks`) to a decoder and drain it. Returns the packets and
 * the error, which must be an `MqttError`; any other exception propagates and
 * fails the property. Checks progress: every packet takes at least 2 bytes.
 */
function drain(
  chunks: Uint8Array[],
  version: ProtocolVersion,
  maxPacketSize?: number,
): { decoded: Decoded[]; error?: MqttError } {
  const decoder = new Decoder({ protocolVersion: version, maxPacketSize });
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const decoded: Decoded[] = [];
  try {
    for (const chunk of chunks) {
      decoder.push(chunk);
      for (;;) {
        const level = decoder.protocolVersion;
        const p = decoder.next();
        if (p === undefined) break;
        decoded.push({ packet: p, version: level });
        if (decoded.length * 2 > total)
          throw new Error("the decoder returned more packets than the input can hold");
      }
    }
  } catch (err) {
    if (!(err instanceof MqttError)) throw err;
    expect(typeof err.reasonCode).toBe("number");
    // The stream is out of frame after an error: every later call throws it again.
    expect(() => decoder.next()).toThrow(err);
    return { decoded, error: err };
  }
  return { decoded };
}

/**
 * A packet accepted from the wire can be written back, and reads back the
 * same: the encoder accepts everything the decoder does. Compared after
 * `normalize`, since the wire has two forms of some packets: a 5.0 PUBACK
 * `40 03 00 01 00` decodes with `reasonCode: 0`, and is re-encoded in the
 * short form `40 02 00 01`, which decodes without it.
 */
function expectReencodes({ packet: p, version }: Decoded): void {
  const bytes = encode(p, version);
  expect(normalize(decodePacket(bytes, { protocolVersion: version }), version)).toEqual(
    normalize(p, version),
  );
}

describe.each(versions)("MQTT protocol level %i", (version) => {
  const valid = packet(version);

  it("round-trips every valid packet: decode(encode(p)) equals normalize(p)", () => {
    fc.assert(
      fc.property(valid, (p) => {
        expect(decodePacket(encode(p, version), { protocolVersion: version })).toEqual(normalize(p, version));
      }),
      { numRuns: RUNS },
    );
  });

  it("re-encodes a decoded packet to the same bytes: encode(decode(bytes)) equals bytes", () => {
    fc.assert(
      fc.property(valid, (p) => {
        const bytes = encode(p, version);
        expect(encode(decodePacket(bytes, { protocolVersion: version }), version)).toEqual(bytes);
      }),
      { numRuns: RUNS },
    );
  });

  it("encodes normalize(p) to the same bytes as p, so the normalisation loses nothing", () => {
    fc.assert(
      fc.property(valid, (p) => {
        expect(encode(normalize(p, version), version)).toEqual(encode(p, version));
      }),
      { numRuns: RUNS },
    );
  });

  it("decodes a stream of packets split at random points into the same packets in order", () => {
    fc.assert(
      fc.property(
        fc.array(valid, { minLength: 1, maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        (packets, cuts) => {
          const wire = concat(packets.map((p) => encode(p, version)));
          const { packets: out, decoder } = decodeStream(split(wire, cuts), version);
          expect(out).toEqual(packets.map((p) => normalize(p, version)));
          expect(decoder.bufferedBytes).toBe(0);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("decodes a stream of packets pushed one byte at a time into the same packets in order", () => {
    fc.assert(
      fc.property(fc.array(valid, { minLength: 1, maxLength: 4 }), (packets) => {
        const wire = concat(packets.map((p) => encode(p, version)));
        const bytes = Array.from(wire, (b) => Uint8Array.of(b));
        const { packets: out, decoder } = decodeStream(bytes, version);
        expect(out).toEqual(packets.map((p) => normalize(p, version)));
        expect(decoder.bufferedBytes).toBe(0);
      }),
      { numRuns: 100 },
    );
  });

  it("decodes random bytes into packets or throws an MqttError, never another exception", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 64 }),
        fc.array(fc.nat(), { maxLength: 4 }),
        fc.option(fc.integer({ min: 2, max: 64 }), { nil: undefined }),
        (bytes, cuts, maxPacketSize) => {
          drain(split(bytes, cuts), version, maxPacketSize).decoded.forEach(expectReencodes);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("decodes random bytes behind a plausible fixed header into packets or an MqttError", () => {
    // Pure random bytes rarely get past the fixed header; this puts a real type,
    // its usual flags and a matching one-byte remaining length first.
    const flags = [0, 0, 0, 0, 0, 0, 2, 0, 2, 0, 2, 0, 0, 0, 0, 0];
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 15 }),
        fc.integer({ min: 0, max: 15 }),
        fc.uint8Array({ maxLength: 40 }),
        (type, publishFlags, body) => {
          const first = (type << 4) | (type === PacketType.PUBLISH ? publishFlags : flags[type]!);
          const bytes = concat([Uint8Array.of(first, body.length), body]);
          const { decoded, error } = drain([bytes], version);
          decoded.forEach(expectReencodes);
          expect(decoded.length + (error === undefined ? 0 : 1)).toBe(1);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("decodes mutated valid encodings (bytes flipped, inserted, deleted) into packets or an MqttError", () => {
    const mutation = fc.record({
      kind: fc.constantFrom("flip", "set", "insert", "delete", "truncate"),
      at: fc.nat(),
      value: fc.integer({ min: 0, max: 255 }),
    });
    fc.assert(
      fc.property(
        fc.array(valid, { minLength: 1, maxLength: 3 }),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        fc.array(fc.nat(), { maxLength: 4 }),
        (packets, mutations, cuts) => {
          const bytes = Array.from(concat(packets.map((p) => encode(p, version))));
          for (const m of mutations) {
            const at = m.at % (bytes.length + 1);
            if (m.kind === "flip" && at < bytes.length) bytes[at]! ^= 1 << (m.value & 7);
            else if (m.kind === "set" && at < bytes.length) bytes[at] = m.value;
            else if (m.kind === "insert") bytes.splice(at, 0, m.value);
            else if (m.kind === "delete") bytes.splice(at, 1);
            else if (m.kind === "truncate") bytes.length = at;
          }
          drain(split(Uint8Array.from(bytes), cuts), version).decoded.forEach(expectReencodes);
        },
      ),
      { numRuns: RUNS },
    );
  });
});

describe("a PUBLISH with a four-byte remaining length", () => {
  it("round-trips whole and split at random points", () => {
    // 2,097,152 bytes of payload needs the fourth remaining-length byte; one example is enough.
    const big = {
      type: PacketType.PUBLISH,
      topic: "big",
      payload: new Uint8Array(2_097_152).fill(7),
      qos: 1,
      retain: false,
      dup: false,
      packetId: 9,
    } as const;
    const bytes = encode(big, 4);
    expect(bytes[4]! & 0x80).toBe(0);
    expect(bytes[3]! & 0x80).toBe(0x80);
    expect(decodePacket(bytes, { protocolVersion: 4 })).toEqual(big);
    fc.assert(
      fc.property(fc.array(fc.nat(), { minLength: 1, maxLength: 6 }), (cuts) => {
        expect(decodeStream(split(bytes, [1, 2, 3, ...cuts]), 4).packets).toEqual([big]);
      }),
      { numRuns: 5 },
    );
  });
});

describe("payload sizes", () => {
  it("cover every one-, two- and three-byte remaining length boundary in the corpus", () => {
    // Guards the arbitrary: the stream tests are only meaningful if multi-byte lengths occur.
    const lengths = fc.sample(payload, { numRuns: 2000, seed: 1 }).map((p) => p.length);
    expect(lengths.some((n) => n < 128)).toBe(true);
    expect(lengths.some((n) => n >= 128 && n < 16_384)).toBe(true);
    expect(lengths.some((n) => n >= 16_384)).toBe(true);
  });
});

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

describe("the encoder and the decoder agree on what is invalid", () => {
  it("refuses every packet that breaks a rule its own decoder enforces", () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(fc.constantFrom(...versions).chain(invalidPacket), ({ rule, version, packet: p }) => {
        seen.add(rule);
        let bytes: Uint8Array;
        try {
          bytes = encode(p, version);
        } catch (err) {
          expect(err).toBeInstanceOf(InvalidPacketError);
          return;
        }
        let verdict = "accepts them (so the breaker in arbitraries.ts is wrong)";
        try {
          decodePacket(bytes, { protocolVersion: version });
        } catch (err) {
          verdict = `rejects them: ${(err as Error).name} ${(err as Error).message}`;
        }
        expect.fail(`level ${version}, "${rule}": the encoder wrote ${hex(bytes)}; the decoder ${verdict}`);
      }),
      { numRuns: 600 },
    );
    // Guards the arbitrary: every rule was tried.
    expect([...seen].sort()).toEqual([...brokenRules].sort());
  });

  // Known gaps, one example each. The decoder is right in all three; the encoder
  // writes bytes that its own decoder then refuses.
  const cases: { title: string; version: ProtocolVersion; packet: Packet; bytes: string }[] = [
    {
      title:
        "refuses to encode a 5.0 CONNECT with Authentication Data and no Authentication Method (section 3.1.2.11.10), which the decoder rejects",
      version: 5,
      packet: {
        type: PacketType.CONNECT,
        protocolVersion: 5,
        clean: true,
        keepAlive: 0,
        clientId: "c",
        properties: { authenticationData: Uint8Array.of(1) },
      },
      bytes: "101200044d515454050200000416000101000163",
    },
    {
      title: "refuses to encode a CONNECT with an empty will topic [MQTT-4.7.3-1], which the decoder rejects",
      version: 4,
      packet: {
        type: PacketType.CONNECT,
        protocolVersion: 4,
        clean: true,
        keepAlive: 0,
        clientId: "c",
        will: { topic: "", payload: new Uint8Array(0), qos: 0, retain: false },
      },
      bytes: "101100044d5154540406000000016300000000",
    },
    {
      title: "refuses to encode a Response Topic with a wildcard [MQTT-3.3.2-14], which the decoder rejects",
      version: 5,
      packet: {
        type: PacketType.PUBLISH,
        topic: "t",
        payload: new Uint8Array(0),
        qos: 0,
        retain: false,
        dup: false,
        properties: { responseTopic: "a/+" },
      },
      bytes: "300a00017406080003612f2b",
    },
  ];
  it.each(cases)("$title", ({ version, packet: p, bytes }) => {
    expect(() => decodePacket(Buffer.from(bytes, "hex"), { protocolVersion: version })).toThrow(MqttError);
    expect(() => encode(p, version)).toThrow(InvalidPacketError);
  });
});
