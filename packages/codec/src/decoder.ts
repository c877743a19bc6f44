import { MAX_REMAINING_LENGTH, PacketType, type ProtocolVersion } from "./constants.js";
import { decodeBody } from "./decode-packet.js";
import { ConnectExpectedError, MalformedPacketError, type MqttError, PacketTooLargeError } from "./errors.js";
import type { Packet } from "./packets.js";

/** Options of a `Decoder`. */
export interface DecoderOptions {
  /**
   * Protocol level of the connection. A server leaves it unset: the decoder takes
   * it from the CONNECT it decodes. Until then 4 (3.1.1) is assumed. Default 4.
   */
  protocolVersion?: ProtocolVersion;
  /**
   * Largest whole packet accepted, fixed header included, in bytes. Checked from
   * the fixed header before any body byte is buffered. Default 268,435,460 (the
   * wire format's own limit); brokers and clients should set a real bound.
   */
  maxPacketSize?: number;
  /**
   * Server side: the stream must open with a CONNECT [MQTT-3.1.0-1]. When set,
   * the very first byte is judged as soon as it arrives: any first byte other
   * than 0x10 throws `ConnectExpectedError` (0x82 Protocol Error) before the rest
   * of the fixed header is waited for. Default false (a client's decoder reads
   * CONNACK first).
   */
  expectConnectFirst?: boolean;
  /**
   * Largest packet accepted until a CONNECT has been decoded, in bytes: an
   * unauthenticated peer should not make the server buffer `maxPacketSize`.
   * The smaller of this and `maxPacketSize` applies. Default: `maxPacketSize`.
   */
  maxPacketSizeBeforeConnect?: number;
}

const WIRE_MAX_PACKET = 1 + 4 + MAX_REMAINING_LENGTH;
/** The empty queue of every decoder with nothing pushed (see `Decoder.chunks`); never written. */
const NO_CHUNKS: Uint8Array[] = [];

/**
 * First reservation for a packet that spans chunks. The buffer then doubles as
 * bytes arrive (never past the declared length), so a header that announces
 * 256 MiB holds no more memory than the bytes actually received.
 */
const INITIAL_PARTIAL_CAPACITY = 1024;
/** The fixed header byte of CONNECT: type 1, flags 0 [MQTT-2.2.2-1]. */
const CONNECT_FIRST_BYTE = 0x10;

/**
 * Incremental MQTT decoder. Push chunks of any size (one byte included) and pull
 * complete packets with `next()`; it returns `undefined` when it needs more bytes.
 *
 * Ownership: a packet that arrived inside one pushed chunk holds views into that
 * chunk (payload, binary fields), so do not reuse a chunk's memory after pushing
 * it. A packet assembled from several chunks lives in its own buffer.
 *
 * Malformed input throws a typed `MqttError` (reason code and normative
 * statement attached); packets decoded before the bad one are returned first.
 * After an error the stream is out of frame, so every later call throws it again.
 */
export class Decoder {
  /** Protocol level used for every packet but CONNECT. Set from CONNECT when decoded. */
  protocolVersion: ProtocolVersion;
  /** Largest packet accepted, in bytes. May be changed between packets. */
  maxPacketSize: number;
  /** Largest packet accepted before a CONNECT has been decoded (see `DecoderOptions`). */
  maxPacketSizeBeforeConnect: number;
  /** Whether the first byte must be a CONNECT header (see `DecoderOptions`). */
  readonly expectConnectFirst: boolean;
  /** True once a CONNECT has been decoded on this stream. */
  connectDecoded = false;

  // Chunks pushed and not yet read. While there are none this is the shared
  // NO_CHUNKS (never written): an idle connection's decoder holds no array.
  private chunks: Uint8Array[] = NO_CHUNKS;
  private chunkIndex = 0;
  private offset = 0;
  /**
   * Fixed header bytes carried over a chunk boundary (at most 5). Allocated the
   * first time a header straddles two chunks: most streams never do, and an idle
   * connection then holds no buffer here (an ArrayBuffer costs ~200 bytes of heap).
   */
  private header: Uint8Array | undefined;
  private headerLength = 0;
  /**
   * The packet being assembled across chunks: its buffer (grown as bytes
   * arrive), how much of it is filled, and the packet's declared total size.
   */
  private partial: Uint8Array | undefined;
  private partialFill = 0;
  private partialTotal = 0;
  private partialHeaderLength = 0;
  private firstByteChecked = false;
  private failure: MqttError | undefined;

  constructor(options: DecoderOptions = {}) {
    this.protocolVersion = options.protocolVersion ?? 4;
    this.maxPacketSize = options.maxPacketSize ?? WIRE_MAX_PACKET;
    this.maxPacketSizeBeforeConnect = options.maxPacketSizeBeforeConnect ?? this.maxPacketSize;
    this.expectConnectFirst = options.expectConnectFirst ?? false;
    this.firstByteChecked = !this.expectConnectFirst;
  }

  /** Queue a chunk of received bytes. */
  push(chunk: Uint8Array): void {
    if (this.failure !== undefined) return;
    if (chunk.length === 0) return;
    if (this.chunks === NO_CHUNKS) this.chunks = [chunk];
    else this.chunks.push(chunk);
  }

  /**
   * Bytes of memory the decoder holds for a packet in progress (the buffer of a
   * packet spanning chunks plus the carried fixed header), excluding chunks
   * pushed but not yet read. Grows with the bytes received, never with the
   * length a header declares.
   */
  get reservedBytes(): number {
    return (this.header?.length ?? 0) + (this.partial === undefined ? 0 : this.partial.length);
  }

  /** Bytes pushed but not yet returned as packets. */
  get bufferedBytes(): number {
    let n = this.headerLength + (this.partial === undefined ? 0 : this.partialFill);
    for (let i = this.chunkIndex; i < this.chunks.length; i++) n += this.chunks[i]!.length;
    return n - (this.chunkIndex < this.chunks.length ? this.offset : 0);
  }

  /** Push `chunk` and return every packet it completes (throws on malformed input). */
  decodeAll(chunk: Uint8Array): Packet[] {
    this.push(chunk);
    const out: Packet[] = [];
    for (let p = this.next(); p !== undefined; p = this.next()) out.push(p);
    return out;
  }

  /** The next complete packet, or `undefined` when more bytes are needed. */
  next(): Packet | undefined {
    if (this.failure !== undefined) throw this.failure;
    try {
      return this.step();
    } catch (err) {
      this.failure = err as MqttError;
      this.chunks = NO_CHUNKS;
      this.partial = undefined;
      throw err;
    }
  }

  private step(): Packet | undefined {
    for (;;) {
      const chunk = this.chunks[this.chunkIndex];
      if (chunk === undefined) {
        this.chunks = NO_CHUNKS;
        this.chunkIndex = 0;
        this.offset = 0;
        return undefined;
      }
      if (this.offset >= chunk.length) {
        this.chunkIndex++;
        this.offset = 0;
        continue;
      }
      if (!this.firstByteChecked) this.checkFirstByte(chunk[this.offset]!);
      if (this.partial !== undefined) {
        const packet = this.fillPartial(chunk);
        if (packet !== undefined) return packet;
        continue;
      }
      if (this.headerLength === 0) {
        const packet = this.fromChunk(chunk);
        if (packet !== undefined) return packet;
        continue;
      }
      const packet = this.extendHeader(chunk);
      if (packet !== undefined) return packet;
    }
  }

  /** Fast path: a fixed header starting inside `chunk`. */
  private fromChunk(chunk: Uint8Array): Packet | undefined {
    const start = this.offset;
    const available = chunk.length - start;
    // Read the remaining length; give up to the carry path if the chunk ends first.
    let remaining = 0;
    let multiplier = 1;
    let i = 1;
    for (;;) {
      if (i >= available) {
        this.header ??= new Uint8Array(5);
        this.header.set(chunk.subarray(start, chunk.length));
        this.headerLength = available;
        this.offset = chunk.length;
        return undefined;
      }
      const byte = chunk[start + i]!;
      remaining += (byte & 0x7f) * multiplier;
      i++;
      if ((byte & 0x80) === 0) {
        if (i > 2 && byte === 0 && this.protocolVersion === 5) throw nonMinimalLength();
        break;
      }
      if (i === 5) throw lengthTooLong();
      multiplier *= 128;
    }
    const total = i + remaining;
    this.checkSize(total);
    if (available >= total) {
      this.offset = start + total;
      return this.decode(chunk[start]!, chunk, start + i, start + total);
    }
    this.startPartial(chunk.subarray(start, start + i), total, i);
    this.offset = start + i;
    return undefined;
  }

  /** Slow path: continue a fixed header that straddles chunks, a byte at a time. */
  private extendHeader(chunk: Uint8Array): Packet | undefined {
    // Only called with header bytes carried over (headerLength > 0), so the scratch exists.
    const header = this.header!;
    while (this.offset < chunk.length) {
      const byte = chunk[this.offset++]!;
      header[this.headerLength++] = byte;
      if ((byte & 0x80) !== 0) {
        if (this.headerLength === 5) throw lengthTooLong();
        continue;
      }
      if (this.headerLength > 2 && byte === 0 && this.protocolVersion === 5) throw nonMinimalLength();
      let remaining = 0;
      let multiplier = 1;
      for (let k = 1; k < this.headerLength; k++) {
        remaining += (header[k]! & 0x7f) * multiplier;
        multiplier *= 128;
      }
      const headerLength = this.headerLength;
      const total = headerLength + remaining;
      this.headerLength = 0;
      this.checkSize(total);
      if (remaining === 0) return this.decode(header[0]!, header, headerLength, headerLength);
      this.startPartial(header.subarray(0, headerLength), total, headerLength);
      return undefined;
    }
    return undefined;
  }

  private startPartial(headerBytes: Uint8Array, total: number, headerLength: number): void {
    this.partial = new Uint8Array(Math.min(total, INITIAL_PARTIAL_CAPACITY));
    this.partial.set(headerBytes);
    this.partialFill = headerBytes.length;
    this.partialTotal = total;
    this.partialHeaderLength = headerLength;
  }

  private fillPartial(chunk: Uint8Array): Packet | undefined {
    let partial = this.partial!;
    const take = Math.min(this.partialTotal - this.partialFill, chunk.length - this.offset);
    const need = this.partialFill + take;
    if (need > partial.length) {
      // Geometric growth, capped at the declared size: memory follows the bytes received.
      const grown = new Uint8Array(Math.min(this.partialTotal, Math.max(partial.length * 2, need)));
      grown.set(partial.subarray(0, this.partialFill));
      partial = grown;
      this.partial = grown;
    }
    partial.set(chunk.subarray(this.offset, this.offset + take), this.partialFill);
    this.partialFill = need;
    this.offset += take;
    if (need < this.partialTotal) return undefined;
    this.partial = undefined;
    return this.decode(partial[0]!, partial, this.partialHeaderLength, this.partialTotal);
  }

  /** [MQTT-3.1.0-1]: judge the stream's first byte alone, before its length arrives. */
  private checkFirstByte(first: number): void {
    this.firstByteChecked = true;
    if (first !== CONNECT_FIRST_BYTE) throw new ConnectExpectedError(first);
  }

  /** Refuse a packet over the limit before buffering its body (5.0 section 3.1.2.11.4). */
  private checkSize(total: number): void {
    const limit = this.connectDecoded
      ? this.maxPacketSize
      : Math.min(this.maxPacketSize, this.maxPacketSizeBeforeConnect);
    if (total > limit) throw new PacketTooLargeError(total, limit);
  }

  private decode(first: number, buf: Uint8Array, start: number, end: number): Packet {
    const packet = decodeBody(first, buf, start, end, this.protocolVersion);
    if (packet.type === PacketType.CONNECT) {
      this.protocolVersion = packet.protocolVersion;
      this.connectDecoded = true;
    }
    return packet;
  }
}

function lengthTooLong(): MalformedPacketError {
  // 3.1.1 section 2.2.3 and 5.0 section 1.5.5: at most four bytes (no statement id).
  return new MalformedPacketError("remaining length is longer than 4 bytes");
}

/** 5.0 only: 3.1.1 has no minimal-encoding rule. */
function nonMinimalLength(): MalformedPacketError {
  return new MalformedPacketError("remaining length is not minimally encoded", { statement: "MQTT-1.5.5-1" });
}

/**
 * Decode exactly one complete packet from `bytes` (fixed header included).
 * Throws `MalformedPacketError` when `bytes` holds less or more than one packet.
 */
export function decodePacket(bytes: Uint8Array, options: DecoderOptions = {}): Packet {
  const decoder = new Decoder(options);
  decoder.push(bytes);
  const packet = decoder.next();
  if (packet === undefined) throw new MalformedPacketError("incomplete packet");
  if (decoder.bufferedBytes !== 0) throw new MalformedPacketError("bytes after the packet");
  return packet;
}
