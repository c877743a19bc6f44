import { createHash, createHmac, pbkdf2Sync, timingSafeEqual } from "../../lazy-crypto.js";

/** Output size of SHA-256 in bytes: the size of every SCRAM-SHA-256 key, proof and signature. */
export const SHA256_BYTES = 32;

/** H(str) of RFC 5802 section 2.2 with SHA-256 (RFC 7677 section 3). */
export function sha256(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(data).digest());
}

/** HMAC(key, str) of RFC 5802 section 2.2 with SHA-256. */
export function hmacSha256(key: Uint8Array, data: Uint8Array | string): Uint8Array {
  return new Uint8Array(createHmac("sha256", key).update(data).digest());
}

/**
 * Hi(str, salt, i) of RFC 5802 section 2.2, which is PBKDF2 (RFC 2898) with
 * HMAC as the PRF and one output block: the SaltedPassword.
 */
export function saltedPassword(normalizedPassword: string, salt: Uint8Array, iterations: number): Uint8Array {
  return new Uint8Array(pbkdf2Sync(normalizedPassword, salt, iterations, SHA256_BYTES, "sha256"));
}

/** Byte-wise XOR of two buffers of the same length (RFC 5802 section 2.2). */
export function xor(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

/** Equality that takes the same time wherever the first difference is; false on different lengths. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Decode canonical padded base64 (RFC 4648 section 4, as RFC 5802 section 7
 * requires), or `undefined`. Node's own decoder skips bad characters silently,
 * so the shape is checked first.
 */
export function decodeBase64(text: string): Uint8Array | undefined {
  if (!BASE64.test(text)) return undefined;
  const bytes = new Uint8Array(Buffer.from(text, "base64"));
  // Non-zero bits in the last character's padding would not survive a round trip.
  return Buffer.from(bytes).toString("base64") === text ? bytes : undefined;
}

/** Encode bytes as padded base64. */
export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

const utf8Decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const utf8Encoder = new TextEncoder();

/** Decode well-formed UTF-8, or `undefined`. */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return utf8Decoder.decode(bytes);
  } catch {
    return undefined;
  }
}

/** Encode a string as UTF-8. */
export function encodeUtf8(text: string): Uint8Array {
  return utf8Encoder.encode(text);
}
