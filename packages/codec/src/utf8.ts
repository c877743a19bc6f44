import { InvalidPacketError, MalformedPacketError } from "./errors.js";

// MQTT strings are UTF-8 with extra rules (3.1.1 and 5.0 section 1.5.4): no
// encoded surrogates (U+D800..U+DFFF) [MQTT-1.5.4-1] and no U+0000 [MQTT-1.5.4-2].
// Hand-written because TextDecoder cannot reject U+0000 and is slower than a
// plain loop for the short strings (topics, client ids) MQTT carries.

const longStringChunk = 4096;

/**
 * Decode `buf[start..end)` as an MQTT UTF-8 string (`v5` picks the statement
 * ids of 5.0 or 3.1.1 for errors). Throws
 * `MalformedPacketError` for ill-formed UTF-8, encoded surrogates, overlong
 * forms, code points above U+10FFFF, or U+0000.
 */
export function decodeUtf8(buf: Uint8Array, start: number, end: number, v5 = true): string {
  let out = "";
  const units: number[] = [];
  let i = start;
  while (i < end) {
    const b0 = buf[i]!;
    if (b0 < 0x80) {
      if (b0 === 0)
        throw new MalformedPacketError("string contains U+0000", {
          statement: v5 ? "MQTT-1.5.4-2" : "MQTT-1.5.3-2",
        });
      units.push(b0);
      i += 1;
    } else if (b0 >= 0xc2 && b0 < 0xe0) {
      const b1 = continuation(buf, i + 1, end, v5);
      units.push(((b0 & 0x1f) << 6) | b1);
      i += 2;
    } else if (b0 >= 0xe0 && b0 < 0xf0) {
      const b1 = continuation(buf, i + 1, end, v5);
      const b2 = continuation(buf, i + 2, end, v5);
      const cp = ((b0 & 0x0f) << 12) | (b1 << 6) | b2;
      if (cp < 0x800) throw invalid("overlong UTF-8 encoding", v5);
      if (cp >= 0xd800 && cp <= 0xdfff) throw invalid("encoded surrogate", v5);
      units.push(cp);
      i += 3;
    } else if (b0 >= 0xf0 && b0 < 0xf5) {
      const b1 = continuation(buf, i + 1, end, v5);
      const b2 = continuation(buf, i + 2, end, v5);
      const b3 = continuation(buf, i + 3, end, v5);
      const cp = ((b0 & 0x07) << 18) | (b1 << 12) | (b2 << 6) | b3;
      if (cp < 0x10000 || cp > 0x10ffff) throw invalid("code point out of range", v5);
      const v = cp - 0x10000;
      units.push(0xd800 | (v >> 10), 0xdc00 | (v & 0x3ff));
      i += 4;
    } else {
      throw invalid("invalid lead byte", v5);
    }
    if (units.length >= longStringChunk) {
      out += String.fromCharCode.apply(null, units);
      units.length = 0;
    }
  }
  return units.length === 0 ? out : out + String.fromCharCode.apply(null, units);
}

function continuation(buf: Uint8Array, i: number, end: number, v5: boolean): number {
  if (i >= end) throw invalid("truncated sequence", v5);
  const b = buf[i]!;
  if ((b & 0xc0) !== 0x80) throw invalid("invalid continuation byte", v5);
  return b & 0x3f;
}

/** Ill-formed UTF-8: 5.0 [MQTT-1.5.4-1], 3.1.1 [MQTT-1.5.3-1]. */
function invalid(message: string, v5: boolean): MalformedPacketError {
  return new MalformedPacketError(`string is not well-formed UTF-8: ${message}`, {
    statement: v5 ? "MQTT-1.5.4-1" : "MQTT-1.5.3-1",
  });
}

/** True when `buf[start..end)` is well-formed UTF-8 (used for the 5.0 payload format indicator). */
export function isWellFormedUtf8(buf: Uint8Array, start = 0, end = buf.length): boolean {
  let i = start;
  while (i < end) {
    const b0 = buf[i]!;
    if (b0 < 0x80) {
      i += 1;
      continue;
    }
    let need: number;
    let min: number;
    let cp: number;
    if (b0 >= 0xc2 && b0 < 0xe0) {
      need = 1;
      min = 0x80;
      cp = b0 & 0x1f;
    } else if (b0 >= 0xe0 && b0 < 0xf0) {
      need = 2;
      min = 0x800;
      cp = b0 & 0x0f;
    } else if (b0 >= 0xf0 && b0 < 0xf5) {
      need = 3;
      min = 0x10000;
      cp = b0 & 0x07;
    } else return false;
    if (i + need >= end) return false;
    for (let k = 1; k <= need; k++) {
      const b = buf[i + k]!;
      if ((b & 0xc0) !== 0x80) return false;
      cp = (cp << 6) | (b & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += need + 1;
  }
  return true;
}

/**
 * Byte length of `str` in UTF-8. Throws `InvalidPacketError` for a lone
 * surrogate (it has no UTF-8 form) or U+0000, which MQTT forbids.
 */
export function utf8Length(str: string): number {
  let n = 0;
  const len = str.length;
  for (let i = 0; i < len; i++) {
    const c = str.charCodeAt(i);
    if (c < 0x80) {
      if (c === 0) throw new InvalidPacketError("string contains U+0000", { statement: "MQTT-1.5.4-2" });
      n += 1;
    } else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      const d = i + 1 < len ? str.charCodeAt(i + 1) : 0;
      if (d < 0xdc00 || d > 0xdfff) throw loneSurrogate();
      n += 4;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) throw loneSurrogate();
    else n += 3;
  }
  return n;
}

function loneSurrogate(): InvalidPacketError {
  return new InvalidPacketError("string contains a lone surrogate", { statement: "MQTT-1.5.4-1" });
}

/** Write `str` (already checked by `utf8Length`) into `buf` at `pos`; returns the new position. */
export function writeUtf8(buf: Uint8Array, pos: number, str: string): number {
  const len = str.length;
  for (let i = 0; i < len; i++) {
    let c = str.charCodeAt(i);
    if (c < 0x80) buf[pos++] = c;
    else if (c < 0x800) {
      buf[pos++] = 0xc0 | (c >> 6);
      buf[pos++] = 0x80 | (c & 0x3f);
    } else if (c >= 0xd800 && c <= 0xdbff) {
      c = 0x10000 + ((c - 0xd800) << 10) + (str.charCodeAt(++i) - 0xdc00);
      buf[pos++] = 0xf0 | (c >> 18);
      buf[pos++] = 0x80 | ((c >> 12) & 0x3f);
      buf[pos++] = 0x80 | ((c >> 6) & 0x3f);
      buf[pos++] = 0x80 | (c & 0x3f);
    } else {
      buf[pos++] = 0xe0 | (c >> 12);
      buf[pos++] = 0x80 | ((c >> 6) & 0x3f);
      buf[pos++] = 0x80 | (c & 0x3f);
    }
  }
  return pos;
}
