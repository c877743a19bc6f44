import { MalformedPacketError } from "./errors.js";
import { decodeTopic } from "./topic-cache.js";
import { decodeUtf8 } from "./utf8.js";

/**
 * Cursor over one packet's body (`buf[pos..end)`). Every read checks the bound
 * and throws `MalformedPacketError` when the body is shorter than its fields.
 * @internal
 */
export class Reader {
  buf: Uint8Array;
  pos: number;
  end: number;
  /** True for MQTT 5.0: picks error statement ids and the minimal-encoding rule. */
  readonly v5: boolean;

  constructor(buf: Uint8Array, pos: number, end: number, v5: boolean) {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
    this.v5 = v5;
  }

  /** Bytes left in the body. */
  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number, what: string): void {
    if (this.pos + n > this.end) throw new MalformedPacketError(`packet ends inside ${what}`);
  }

  u8(what: string): number {
    this.need(1, what);
    return this.buf[this.pos++]!;
  }

  u16(what: string): number {
    this.need(2, what);
    const v = (this.buf[this.pos]! << 8) | this.buf[this.pos + 1]!;
    this.pos += 2;
    return v;
  }

  u32(what: string): number {
    this.need(4, what);
    const b = this.buf;
    const p = this.pos;
    this.pos += 4;
    return ((b[p]! << 24) >>> 0) + ((b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!);
  }

  /** Variable Byte Integer (5.0 section 1.5.5): at most 4 bytes, minimally encoded [MQTT-1.5.5-1]. */
  varInt(what: string): number {
    let value = 0;
    let multiplier = 1;
    for (let i = 0; i < 4; i++) {
      const byte = this.u8(what);
      value += (byte & 0x7f) * multiplier;
      if ((byte & 0x80) === 0) {
        // A non-minimal form (a trailing 0x00 group) is not allowed in 5.0 [MQTT-1.5.5-1].
        if (i > 0 && byte === 0 && this.v5)
          throw new MalformedPacketError(`${what} is not minimally encoded`, { statement: "MQTT-1.5.5-1" });
        return value;
      }
      multiplier *= 128;
    }
    // 5.0 section 1.5.5, 3.1.1 section 2.2.3: four bytes at most (no statement id).
    throw new MalformedPacketError(`${what} is longer than 4 bytes`);
  }

  /** Two-byte length prefixed UTF-8 string. */
  utf8(what: string): string {
    const len = this.u16(what);
    this.need(len, what);
    const start = this.pos;
    this.pos += len;
    return decodeUtf8(this.buf, start, start + len, this.v5);
  }

  /** Two-byte length prefixed UTF-8 topic name, through the topic cache (see `decodeTopic`). */
  topic(what: string): string {
    const len = this.u16(what);
    this.need(len, what);
    const start = this.pos;
    this.pos += len;
    return decodeTopic(this.buf, start, start + len, this.v5);
  }

  /** Two-byte length prefixed binary data, returned as a view. */
  binary(what: string): Uint8Array {
    const len = this.u16(what);
    this.need(len, what);
    const start = this.pos;
    this.pos += len;
    return this.buf.subarray(start, start + len);
  }

  /** The rest of the body as a view. */
  rest(): Uint8Array {
    const v = this.buf.subarray(this.pos, this.end);
    this.pos = this.end;
    return v;
  }
}
